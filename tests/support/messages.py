"""Factories for the notifications log: rows written straight into the table (as the outbox would
have left them), and a confirmed event booking for them to be about. Need the tenant bound."""
from __future__ import annotations

import itertools
import secrets
from datetime import timedelta
from decimal import Decimal

from models import db
from models.base import utcnow
from models.bookings import Booking, Notification
from models.sales import Hold
from services import crypto, tenant_db
from tests.support.events import make_event

_numbers = itertools.count(1)
SECRET_CODE = "482913"  # the one-time code a sensitive message carries: must never reach a page


def make_booking(*, reference: str | None = None, phone: str = "+8801711000002",
                 email: str = "guest@example.com") -> Booking:
    """A confirmed event booking (no items: the log only needs something to link to)."""
    event_id = make_event(title="Evening concert")
    n = next(_numbers)
    hold = Hold(token=secrets.token_urlsafe(16), tag=f"t{n}", guest_key=f"guest-{n}", event_id=event_id,
                status="checked_out", expires_at=utcnow() + timedelta(minutes=5))
    db.session.add(hold)
    db.session.flush()
    booking = Booking(reference=reference or f"ZOO-2026-{n:06d}", token=secrets.token_urlsafe(24), hold_id=hold.id,
                      guest_key=hold.guest_key, event_id=event_id, starts_at=utcnow() + timedelta(days=3),
                      title="Evening concert", contact_name="Karim Uddin", contact_phone=phone, contact_email=email,
                      status="confirmed", subtotal=Decimal("400"), total=Decimal("400"), confirmed_at=utcnow())
    db.session.add(booking)
    db.session.commit()
    return booking


def make_notification(*, kind: str = "booking_confirmed", channel: str = "sms", recipient: str = "+8801711000002",
                      status: str = "sent", body: str = "ZOO-2026-000001 confirmed: Evening concert.",
                      subject: str = "", booking: Booking | None = None, sensitive: bool = False,
                      attempts: int | None = None, last_error: str | None = None,
                      provider_answer: str | None = None, language: str = "en", created_at=None,
                      attachment: str | None = None) -> Notification:
    """One row of the log. A sensitive one holds SECRET_CODE, sealed as the outbox seals it."""
    key = f"{kind}:test:{next(_numbers)}:{secrets.token_hex(4)}"
    if sensitive:
        sealed_for = f"notification:{tenant_db.require_tenant().slug}:{key}"  # as outbox.post seals it
        body = crypto.seal(f"Your code is {SECRET_CODE}", context=sealed_for)
    now = created_at or utcnow()
    row = Notification(key=key, kind=kind, channel=channel, recipient=recipient, language=language, subject=subject,
                       body=body, sensitive=sensitive, attachment=attachment,
                       booking_id=booking.id if booking else None, status=status,
                       attempts=attempts if attempts is not None else (0 if status == "queued" else 1),
                       last_error=last_error, provider_answer=provider_answer, created_at=now,
                       claimed_at=None if status == "queued" else now,
                       sent_at=now if status == "sent" else None)
    db.session.add(row)
    db.session.commit()
    return row
