"""A reminder 24 hours before departure or entry: scheduled with RQ when the booking is confirmed
(enqueue_at), and looked for by a periodic sweep as well, in case that job was lost. The message's
key makes the two harmless together. A booking confirmed less than a day and two hours ahead gets
no reminder: its confirmation is recent enough."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, Notification
from services import tenant_db, transactions
from services.notify import outbox

log = logging.getLogger(__name__)
BEFORE = timedelta(hours=24)
LEAD = timedelta(hours=2)  # the reminder comes at least this long after the confirmation
REMINDED = ("confirmed", "partially_cancelled")


def schedule(booking_id: int, starts_at: datetime, *, now: datetime | None = None) -> datetime | None:
    """Enqueue the reminder for 24 h before the start; when it is set for (None: too close)."""
    from jobs.queue import enqueue_at

    now = now or utcnow()
    at = starts_at - BEFORE
    if at < now + LEAD:
        return None
    slug = tenant_db.require_tenant().slug
    try:
        enqueue_at(at, "jobs.notify.remind", booking_id, tenant=slug, job_id=f"reminder-{slug}-{booking_id}")
    except Exception:  # Redis away: the sweep finds it
        log.exception("could not schedule the reminder of booking %s; the sweep will send it", booking_id)
    return at


def remind(booking_id: int, *, now: datetime | None = None) -> list[int]:
    """Write and send the reminder, when the booking still stands and starts within the day."""
    now = now or utcnow()

    def unit():
        booking = db.session.get(Booking, booking_id)
        if (booking is None or booking.status not in REMINDED or not now < booking.starts_at <= now + BEFORE
                + timedelta(minutes=5)):
            db.session.rollback()
            return []
        ids = outbox.queue(booking, "reminder", now)
        transactions.commit()
        return ids

    ids = transactions.run(unit)
    outbox.enqueue(ids)
    return ids


def due(now: datetime, limit: int = 200) -> list[int]:
    """Bookings starting within the day that should have had a reminder and have none."""
    reminded = sa.select(Notification.id).where(Notification.booking_id == Booking.id,
                                                Notification.kind == "reminder").exists()
    rows = db.session.execute(sa.select(Booking.id, Booking.starts_at, Booking.confirmed_at).where(
        Booking.status.in_(REMINDED), Booking.starts_at > now, Booking.starts_at <= now + BEFORE,
        Booking.confirmed_at.is_not(None), ~reminded).order_by(Booking.starts_at).limit(limit))
    return [booking_id for booking_id, starts_at, confirmed_at in rows if confirmed_at <= starts_at - BEFORE - LEAD]


def sweep(now: datetime | None = None) -> int:
    now = now or utcnow()
    sent = 0
    for booking_id in due(now):
        sent += bool(remind(booking_id, now=now))
    return sent
