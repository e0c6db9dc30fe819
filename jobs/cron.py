"""Periodic jobs, for exactly one `rq cron jobs/cron.py --url $REDIS_URL` process.
Each job is harmless to run twice."""
from rq import cron

from jobs import run_for_tenant

cron.register(run_for_tenant, queue_name="default", args=(None, "jobs.health.check_all"), interval=300,
              name="tenant-health")
cron.register(run_for_tenant, queue_name="default", args=(None, "jobs.sessions.purge_all"), interval=24 * 3600,
              name="login-session-purge")
cron.register(run_for_tenant, queue_name="default", args=(None, "jobs.holds.expire_all"), interval=15,
              name="hold-expiry")
cron.register(run_for_tenant, queue_name="default", args=(None, "jobs.payments.reconcile_all"), interval=60,
              name="payment-reconciliation")
cron.register(run_for_tenant, queue_name="default", args=(None, "jobs.notify.sweep_all"), interval=60,
              name="notification-sweep")
