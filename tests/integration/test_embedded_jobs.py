"""The embedded default (`make run`: no Redis, no worker process) still runs scheduled and periodic
jobs, in-process, with RQ's own cron scheduler, scheduler and worker on the process's fakeredis
(jobs/embedded.py): a round enqueues the periodic jobs (here the hold-expiry sweep ends an expired
hold) and runs a job scheduled with enqueue_in once it is due, not before."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq.cron import CronScheduler
from rq.scheduler import RQScheduler

from jobs import embedded, queue
from models import db
from models.base import utcnow
from models.sales import Hold
from services.inventory import Owner
from tests.support import payments as pay
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


@pytest.fixture
def embedded_rq(app, monkeypatch):
    """A fresh in-process fakeredis (not the one every other test's inline jobs used) and RQ's parts on it."""
    monkeypatch.setattr(queue, "_embedded_server", None)
    monkeypatch.setitem(app.extensions, "jatra.queues", {})
    connection = queue.embedded_connection()
    cron = CronScheduler(connection=connection, name="embedded-test")
    cron.load_config_from_file("jobs.cron")
    scheduler = RQScheduler(embedded.QUEUES, connection=connection)
    scheduler.prepare_registries(embedded.QUEUES)
    return cron, scheduler


def _tick_in_a_thread(app, cron, scheduler):
    """As the serving process runs it: from a thread that is not the main one (no signals there)."""
    failed = []

    def run():
        try:
            with app.app_context():
                embedded.tick(cron, scheduler)
        except Exception as exc:  # pragma: no cover - reported below
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not failed


def test_periodic_and_scheduled_jobs_run_in_process(app, make_tenant, in_tenant, embedded_rq):
    cron, scheduler = embedded_rq
    assert {job.name for job in cron.get_jobs()} >= {"hold-expiry", "payment-reconciliation", "notification-sweep"}
    zoo = make_tenant("zoo", "events")
    with in_tenant(zoo):
        hold, _, _ = pay.event_hold(Owner(guest_key="guest-embedded"), quantity=1)
        hold_id = hold.id
        db.session.execute(sa.update(Hold).where(Hold.id == hold_id).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        scheduled = queue.enqueue_in(timedelta(seconds=1), "jobs.notify.sweep_tenant", tenant=zoo.slug)
    _tick_in_a_thread(app, cron, scheduler)  # periodic jobs due at once; the scheduled one not yet
    with in_tenant(zoo):
        assert db.session.get(Hold, hold_id).status == "expired"
    assert scheduled.get_status(refresh=True) == "scheduled"
    time.sleep(1.1)
    _tick_in_a_thread(app, cron, scheduler)
    assert scheduled.get_status(refresh=True) == "finished"
    assert scheduled.return_value() == {"recovered": 0, "sent": 0, "reminders": 0}
