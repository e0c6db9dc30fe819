"""Finding bookings: by the link's token (anyone holding it), a customer's own, staff search."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from models import db
from models.bookings import Booking, BookingAttempt, Payment, Refund, Ticket
from models.people import AuditLog
from models.sales import Hold

PAGE = 50


def by_token(token: str) -> Booking | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Booking).where(Booking.token == token)
                             .options(selectinload(Booking.items), selectinload(Booking.payments)))


def by_link_code(code: str) -> Booking | None:
    if not code or len(code) != 16:
        return None
    return db.session.scalar(sa.select(Booking).where(Booking.link_code == code))


def latest_payment(booking: Booking) -> Payment | None:
    return booking.payments[-1] if booking.payments else None


def of_hold(hold_id: int) -> Booking | None:
    """The booking a hold became at checkout (to fill the form again when a payment is retried)."""
    return db.session.scalar(sa.select(Booking).where(Booking.hold_id == hold_id)
                             .options(selectinload(Booking.items)))


def for_customer(customer_id: int) -> list[Booking]:
    """The customer's bookings that are or were real (not the ones abandoned before paying), newest first."""
    return list(db.session.scalars(sa.select(Booking).where(
        Booking.customer_id == customer_id,
        Booking.status.in_(("confirmed", "partially_cancelled", "cancelled", "pending_payment")))
        .order_by(Booking.created_at.desc()).limit(200)))


def search(text: str, *, limit: int = PAGE) -> list[Booking]:
    """By reference, PNR, phone or email (exact, case-insensitive; a phone in any usual spelling)."""
    from services.phones import searched_phone

    text = (text or "").strip()
    query = sa.select(Booking).order_by(Booking.created_at.desc()).limit(limit)
    if not text:
        return list(db.session.scalars(query))
    upper = text.upper()
    conditions = [Booking.reference == upper, Booking.pnr == upper,
                  sa.func.lower(Booking.contact_email) == text.lower()]
    phone = searched_phone(text)
    if phone:
        conditions.append(Booking.contact_phone == phone)
    return list(db.session.scalars(query.where(sa.or_(*conditions))))


def by_id(booking_id: int) -> Booking | None:
    return db.session.get(Booking, booking_id)


def trail(booking: Booking) -> list[AuditLog]:
    """The audit rows about the booking and its payments."""
    payment_ids = [str(p.id) for p in booking.payments]
    return list(db.session.scalars(sa.select(AuditLog).where(sa.or_(
        sa.and_(AuditLog.resource == "booking", AuditLog.resource_id == str(booking.id)),
        sa.and_(AuditLog.resource == "payment", AuditLog.resource_id.in_(payment_ids))))
        .order_by(AuditLog.id)))


def attempts(*, result: str | None = None, limit: int = 100) -> list[BookingAttempt]:
    query = sa.select(BookingAttempt).order_by(BookingAttempt.id.desc()).limit(limit)
    if result:
        query = query.where(BookingAttempt.result == result)
    return list(db.session.scalars(query))


@dataclass
class BookingView:
    """What the booking page says: the booking, where it stands, and what goes with it."""

    booking: Booking
    state: str  # confirmed | partially_cancelled | cancelled | waiting | retry | expired | late_refunded
    payment: Payment | None  # the latest one
    hold: Hold | None  # while the customer may still pay
    tickets: dict[int, list[Ticket]]  # by booking item id
    refunds: list[Refund]


def view_of(booking: Booking, now: datetime) -> BookingView:
    payment = latest_payment(booking)
    hold = db.session.get(Hold, booking.hold_id)
    payable = hold is not None and hold.status == "active" and hold.expires_at > now
    refunds = list(db.session.scalars(sa.select(Refund).where(Refund.booking_id == booking.id).order_by(Refund.id)))
    if booking.status in ("confirmed", "partially_cancelled", "cancelled"):
        state = booking.status
    elif any(p.status in ("succeeded_late", "refunded") for p in booking.payments):
        state = "late_refunded"
    elif payment is not None and payment.status == "initiated" and booking.status == "pending_payment":
        state = "waiting"
    elif booking.status == "pending_payment" and payable:
        state = "retry"
    else:
        state = "expired"
    tickets: dict[int, list[Ticket]] = {}
    for ticket in booking.tickets:
        tickets.setdefault(ticket.booking_item_id, []).append(ticket)
    return BookingView(booking, state, payment, hold if payable else None, tickets, refunds)
