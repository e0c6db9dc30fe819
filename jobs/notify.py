"""Message jobs: send one message, send a reminder, and the periodic sweep per tenant (messages
whose job was lost or whose retry is due, workers that died mid-send, reminders not scheduled).
Each is harmless to run twice: sending claims its row first, and every message has its key."""
from __future__ import annotations


def deliver(notification_id: int) -> str:
    from services.notify import outbox

    return outbox.deliver(notification_id)


def remind(booking_id: int) -> int:
    from services.notify import reminders

    return len(reminders.remind(booking_id))


def sweep_tenant(_slug: str | None = None) -> dict:
    from models.base import utcnow
    from services.notify import outbox, reminders

    now = utcnow()
    recovered = outbox.recover_stale(now)
    sent = sum(outbox.deliver(notification_id, now=now) == "sent" for notification_id in outbox.due(now))
    return {"recovered": recovered, "sent": sent, "reminders": reminders.sweep(now)}


def sweep_all() -> None:
    """One job per tenant, suspended ones too (their customers' refunds and codes still go out)."""
    from jobs.queue import enqueue
    from services import tenants

    for info in tenants.list_tenants():
        enqueue("jobs.notify.sweep_tenant", tenant=info.slug)
