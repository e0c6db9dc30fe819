"""The notifications outbox: messages written in the transaction that makes them due (a booking
confirmed, a late payment refunded, a refund made), sent by a worker afterwards.

Each row has a key (what it is about, once): writing the same message twice inserts nothing, so a
confirmation replayed cannot message anyone twice. Sending claims the row first (a conditional
update), so two workers do not both send one message. Until the message templates and SMS/email
providers of the notifications area, the text is built here and goes through services.notifications
(the outbox page in development)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale, gettext as _

from models import db
from models.base import utcnow
from models.bookings import Booking, Notification
from services import transactions

log = logging.getLogger(__name__)
MAX_SEND_ATTEMPTS = 5


def booking_link(booking: Booking) -> str:
    from services import tenant_db, tenants

    return tenants.tenant_url(tenant_db.require_tenant(), f"/bookings/{booking.token}")


def _texts(booking: Booking, kind: str, amount: Decimal | None) -> tuple[str, str]:
    """(subject, text) in the booking's language."""
    from blueprints.web import money, when

    link = booking_link(booking)
    with force_locale(booking.language or "en"):
        start = when(booking.starts_at, "medium")
        if kind == "booking_confirmed":
            subject = _("Confirmed: %(reference)s", reference=booking.reference)
            text = _("%(reference)s confirmed: %(title)s, %(when)s. Tickets: %(link)s",
                     reference=booking.reference, title=booking.title, when=start, link=link)
            if booking.pnr:
                text = _("PNR %(pnr)s.", pnr=booking.pnr) + " " + text
        elif kind == "late_refund":
            subject = _("Payment refunded: %(reference)s", reference=booking.reference)
            text = _("Your payment for %(title)s came after the hold had ended and the seats were taken. "
                     "We are refunding %(amount)s in full. %(link)s", title=booking.title,
                     amount=money(booking.total), link=link)
        elif kind == "refund_done":
            subject = _("Refund made: %(reference)s", reference=booking.reference)
            text = _("%(amount)s has been refunded for %(reference)s. %(link)s", amount=money(amount),
                     reference=booking.reference, link=link)
        elif kind == "booking_cancelled":
            subject = _("Cancelled: %(reference)s", reference=booking.reference)
            text = _("%(reference)s (%(title)s) is cancelled. Any refund is on its way. %(link)s",
                     reference=booking.reference, title=booking.title, link=link)
        else:
            raise ValueError(f"unknown notification {kind!r}")
    return subject, text


def queue(booking: Booking, kind: str, now: datetime, *, amount: Decimal | None = None,
          key_suffix: str = "") -> list[int]:
    """Write the message to the booking's phone (SMS) and email; returns the ids written (none when
    the same message was written before)."""
    subject, text = _texts(booking, kind, amount)
    ids = []
    for channel, recipient in (("sms", booking.contact_phone), ("email", booking.contact_email)):
        if not recipient:
            continue
        key = f"{kind}:{booking.id}:{channel}{':' + key_suffix if key_suffix else ''}"
        values = {"key": key, "kind": kind, "channel": channel, "recipient": recipient, "body": text,
                  "subject": subject if channel == "email" else "", "booking_id": booking.id, "status": "queued",
                  "attempts": 0, "created_at": now}
        new_id = db.session.scalar(_insert_once(values).returning(Notification.id))
        if new_id is not None:
            ids.append(new_id)
    return ids


def _insert_once(values: dict):
    """INSERT ... ON CONFLICT (key) DO NOTHING, on PostgreSQL and SQLite alike."""
    if db.session.connection().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["key"])


def deliver(notification_id: int, *, now: datetime | None = None) -> str:
    """Send one queued message; a failure is kept with its reason and tried again (up to 5 times)."""
    from services import notifications

    now = now or utcnow()

    def claim():
        row = db.session.execute(
            sa.update(Notification).where(Notification.id == notification_id, Notification.status == "queued",
                                          Notification.attempts < MAX_SEND_ATTEMPTS)
            .values(attempts=Notification.attempts + 1)
            .returning(Notification.channel, Notification.recipient, Notification.subject, Notification.body,
                       Notification.attempts)).first()
        transactions.commit()
        return row

    row = transactions.run(claim)
    if row is None:
        return "not due"
    channel, recipient, subject, body, attempts = row
    try:
        if channel == "sms":
            notifications.send_sms(recipient, body)
        else:
            notifications.send_email(recipient, subject, body)
    except Exception as exc:  # kept with the reason: the reconciliation job tries again
        log.warning("sending notification %s failed: %s", notification_id, exc)
        status, error = ("failed" if attempts >= MAX_SEND_ATTEMPTS else "queued"), str(exc)[:300]
    else:
        status, error = "sent", None

    def finish():
        db.session.execute(sa.update(Notification).where(Notification.id == notification_id)
                           .values(status=status, last_error=error, sent_at=now if status == "sent" else None))
        transactions.commit()

    transactions.run(finish)
    return status


def due(now: datetime, limit: int = 100) -> list[int]:
    """Queued messages no worker has sent within a minute (their job was lost, or it failed)."""
    return list(db.session.scalars(sa.select(Notification.id).where(
        Notification.status == "queued", Notification.created_at <= now - timedelta(minutes=1))
        .order_by(Notification.id).limit(limit)))
