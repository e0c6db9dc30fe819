"""Messages sent by real `rq worker --with-scheduler` processes to a real SMTP server on 127.0.0.1:
a worker retries after the server refuses twice (RQ's scheduler runs the retries, with backoff) and
delivers exactly once; a worker killed mid-send does not send twice, whether its job runs again or
the sweep finds the row; a message through a provider that drops repeats is sent again safely."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Notification
from services import tenants, transactions
from jobs.queue import enqueue
from services.notify import channels, outbox
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)
from tests.support.sms_provider import FakeSmsProvider
from tests.support.workers import Workers, wait_until


@pytest.fixture
def workers(app, redis_url, monkeypatch):
    started = Workers(app, redis_url, monkeypatch, NOTIFY_RETRY_SECONDS="0.5")
    yield started
    started.stop()


def _with_smtp(app, tenant, port):
    with app.app_context():
        mail = channels.seal_email(tenant.slug, host="127.0.0.1", port=port, security="none",
                                   sender="Dhaka Zoo <tickets@zoo.example>")
        return tenants.update_config(tenant.slug, message_channels={"email": mail})


def _post(in_tenant, tenant, to="mita@example.com") -> int:
    with in_tenant(tenant):
        notification_id = outbox.post("account", "email", to, "Your tickets", "ZOO-2026-000001 is confirmed.")
        transactions.commit()
        outbox.enqueue([notification_id])
        return notification_id


def _row(in_tenant, tenant, notification_id) -> Notification:
    with in_tenant(tenant):
        row = db.session.get(Notification, notification_id)
        db.session.expunge(row)
        return row


def test_a_worker_retries_after_two_refusals_and_delivers_exactly_once(app, make_tenant, in_tenant, smtp_server,
                                                                       workers):
    mailbox, port = smtp_server()
    mailbox.refuse = 2
    zoo = _with_smtp(app, make_tenant("zoo", "events"), port)
    workers.start()
    notification_id = _post(in_tenant, zoo)
    sent = wait_until(lambda: (row := _row(in_tenant, zoo, notification_id)).status == "sent" and row, timeout=40)
    assert mailbox.tries == 3 and len(mailbox.mails) == 1
    assert sent.attempts == 3 and "250" in sent.provider_answer and sent.last_error is None
    wait_until(lambda: True, timeout=2)  # nothing more comes afterwards
    assert len(mailbox.mails) == 1


def test_a_message_refused_every_time_ends_failed_with_the_servers_answer(app, make_tenant, in_tenant, smtp_server,
                                                                          workers):
    mailbox, port = smtp_server()
    mailbox.refuse = 99
    zoo = _with_smtp(app, make_tenant("zoo", "events"), port)
    workers.env["NOTIFY_RETRY_SECONDS"] = "0.05"  # 0.05, 0.2, 0.8, 3.2 s
    workers.start()
    notification_id = _post(in_tenant, zoo)
    failed = wait_until(lambda: (row := _row(in_tenant, zoo, notification_id)).status == "failed" and row, timeout=40)
    assert failed.attempts == outbox.MAX_ATTEMPTS == mailbox.tries and mailbox.mails == []
    assert "451" in failed.last_error


def test_a_worker_killed_mid_send_does_not_send_twice(app, make_tenant, in_tenant, smtp_server, workers):
    mailbox, port = smtp_server()
    import threading

    mailbox.hold = threading.Event()  # the server takes the message and is slow to answer
    zoo = _with_smtp(app, make_tenant("zoo", "events"), port)
    first = workers.start()
    notification_id = _post(in_tenant, zoo)
    assert mailbox.holding.wait(30)
    workers.kill(first)  # dies between the server taking the message and hearing its answer
    mailbox.hold.set()
    assert len(mailbox.mails) == 1
    assert _row(in_tenant, zoo, notification_id).status == "sending"

    workers.start()  # a new worker, and the job runs again
    with in_tenant(zoo):
        job = enqueue("jobs.notify.deliver", notification_id, tenant=zoo.slug)
    wait_until(lambda: job.get_status(refresh=True) == "finished", timeout=20)
    assert job.return_value() == "not due"
    row = _row(in_tenant, zoo, notification_id)
    assert (row.status, row.attempts) == ("sending", 1) and len(mailbox.mails) == 1

    with in_tenant(zoo):  # the sweep, once the lease is over: an email may have arrived, so no resend
        assert outbox.recover_stale(utcnow() + outbox.LEASE + timedelta(seconds=1)) == 1
        assert outbox.deliver(notification_id, now=utcnow() + timedelta(hours=1)) == "not due"
    row = _row(in_tenant, zoo, notification_id)
    assert row.status == "failed" and "may have arrived" in row.last_error
    assert len(mailbox.mails) == 1


def test_an_sms_left_sending_goes_again_and_the_provider_drops_the_repeat(app, make_tenant, in_tenant):
    provider = FakeSmsProvider(api_token="t0ken", sid="DHAKAZOO")
    provider.start()
    try:
        zoo = make_tenant("zoo", "events")
        with app.app_context():
            sms = channels.seal_sms(zoo.slug, provider="sslwireless", url=provider.url, sid="DHAKAZOO",
                                    credentials={"api_token": "t0ken"})
            zoo = tenants.update_config(zoo.slug, message_channels={"sms": sms})
        with in_tenant(zoo):
            notification_id = outbox.post("account", "sms", "+8801712345678", "", "Your code is 123456",
                                          sensitive=True)
            transactions.commit()
            assert outbox.deliver(notification_id) == "sent"  # sent; pretend the worker died before recording it
            db.session.execute(sa.update(Notification).where(Notification.id == notification_id)
                               .values(status="sending", sent_at=None))
            transactions.commit()
            later = utcnow() + outbox.LEASE + timedelta(seconds=1)
            assert outbox.recover_stale(later) == 1
            assert outbox.deliver(notification_id, now=later) == "sent"
            row = db.session.get(Notification, notification_id)
            assert "accepted earlier" in row.provider_answer and row.attempts == 2
            assert "123456" not in row.body  # sealed in the log
        assert len(provider.sent) == 1 and len(provider.requests) == 2
        assert provider.sent[0]["sms"] == "Your code is 123456"
    finally:
        provider.stop()
