"""The embedded default (`make run`: no Redis, no worker processes) still runs scheduled and
periodic jobs, in-process, with RQ's own parts on the in-process fakeredis of jobs/queue.py:
RQ's CronScheduler (loaded from jobs/cron.py, as `rq cron` loads it) enqueues the periodic jobs,
RQ's scheduler moves jobs scheduled with enqueue_at/enqueue_in to the queue when due, and an RQ
SimpleWorker runs them, each once a second, from one daemon thread of the serving process."""
from __future__ import annotations

import logging
import threading
import time

from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from jobs.queue import embedded_connection

log = logging.getLogger(__name__)
QUEUES = ["default"]
TICK = 1.0


class _ThreadWorker(SimpleWorker):
    """A worker for a thread that is not the main one: signals belong to the serving process, so
    job timeouts use a timer instead of SIGALRM, and no signal handler is installed."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


def tick(cron: CronScheduler, scheduler: RQScheduler) -> None:
    """One round: due periodic jobs, due scheduled jobs, then run what is queued."""
    cron.enqueue_jobs()
    scheduler.enqueue_scheduled_jobs()
    _ThreadWorker(QUEUES, connection=embedded_connection()).work(burst=True, logging_level="WARNING")


def start(app, *, tick_seconds: float = TICK) -> threading.Thread:
    connection = embedded_connection()
    cron = CronScheduler(connection=connection, name="embedded", logging_level=logging.WARNING)
    cron.load_config_from_file("jobs.cron")
    scheduler = RQScheduler(QUEUES, connection=connection)
    scheduler.prepare_registries(QUEUES)  # the only scheduler of this in-process Redis: no lock to take

    def loop():
        while True:
            try:
                with app.app_context():
                    tick(cron, scheduler)
            except Exception:  # what failed is tried again next round
                log.exception("embedded jobs round failed")
            time.sleep(tick_seconds)

    thread = threading.Thread(target=loop, name="embedded-jobs", daemon=True)
    thread.start()
    return thread
