"""Bookings as staff see them and what staff do for a customer, beyond cancelling (which is
services.checkout.cancel's, with a staff actor): everything about one booking in one place (its
payments with the gateways' raw messages, refunds, tickets, purchase attempts and audit trail), the
list of purchase attempts, a goodwill refund on the booking's paid payment, and asking the gateway
again for a refund it refused. Every action is audited with the staff member who took it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingAttempt, Payment, Refund
from models.people import AuditLog
from services import audit, transactions
from services.audit import Actor
from services.checkout import CheckoutError, cancel, lookup, refunds
from services.checkout.cancel import CancellationQuote
from services.checkout.confirm import AfterCommit
from services.checkout.lookup import BookingView

REFUNDABLE = ("succeeded", "partially_refunded")  # paid, and not all of it given back yet
REASON_MAX = 300  # refunds.reason
ATTEMPTS_PAGE = 100


@dataclass
class BookingDetails:
    """Everything the staff page of one booking shows."""

    view: BookingView  # the booking, where it stands, its tickets by item, its refunds
    attempts: list[BookingAttempt]
    trail: list[AuditLog]
    quote: CancellationQuote | None  # what cancelling each active item gives back; None: not cancellable
    refundable: Payment | None  # the paid payment a goodwill refund comes out of

    @property
    def booking(self) -> Booking:
        return self.view.booking

    @property
    def left_to_refund(self) -> Decimal:
        return left_to_refund(self.refundable) if self.refundable is not None else Decimal(0)


@dataclass
class AttemptRow:
    attempt: BookingAttempt
    reference: str | None  # of its booking


def left_to_refund(payment: Payment) -> Decimal:
    """What was paid and is not yet asked back (refunds reserve their amount when asked for)."""
    return (payment.paid_amount or payment.amount) - (payment.refunded_amount or Decimal(0))


def booking_details(booking_id: int, *, now: datetime | None = None) -> BookingDetails | None:
    now = now or utcnow()
    booking = db.session.scalar(sa.select(Booking).where(Booking.id == booking_id).options(
        selectinload(Booking.items), selectinload(Booking.tickets),
        selectinload(Booking.payments).selectinload(Payment.messages)))
    if booking is None:
        return None
    attempts = list(db.session.scalars(sa.select(BookingAttempt).where(BookingAttempt.booking_id == booking.id)
                                       .order_by(BookingAttempt.id)))
    quote = cancel.quote(booking, now=now) if booking.status in cancel.CANCELLABLE else None
    refundable = next((p for p in booking.payments if p.status in REFUNDABLE), None)  # the one cancel() refunds
    return BookingDetails(lookup.view_of(booking, now), attempts, lookup.trail(booking), quote, refundable)


def purchase_attempts(result: str | None = None, *, limit: int = ATTEMPTS_PAGE) -> list[AttemptRow]:
    """Every try to pay, newest first, with its booking's reference."""
    attempts = lookup.attempts(result=result, limit=limit)
    booking_ids = {a.booking_id for a in attempts}
    references = dict(db.session.execute(sa.select(Booking.id, Booking.reference).where(
        Booking.id.in_(booking_ids))).all()) if booking_ids else {}
    return [AttemptRow(a, references.get(a.booking_id)) for a in attempts]


def refund_on_behalf(booking_id: int, amount: Decimal, reason: str, *, actor: Actor,
                     now: datetime | None = None) -> Refund:
    """A goodwill refund of `amount` on the booking's paid payment, at most what is left to refund
    on it, with the reason the customer is given. Asked of the gateway after the commit.
    Raises CheckoutError (with the field it is about) and changes nothing when it cannot be done."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise CheckoutError(str(_l("Enter an amount more than zero.")), field="amount")
    if amount.normalize().as_tuple().exponent < -2:  # 12.50 and 12.500 are fine, 12.505 is not
        raise CheckoutError(str(_l("Enter the amount in taka and paisa: at most two decimals.")), field="amount")
    if not reason:
        raise CheckoutError(str(_l("Say why the money goes back.")), field="reason")
    if len(reason) > REASON_MAX:
        raise CheckoutError(str(_l("Keep the reason to %(max)d characters.", max=REASON_MAX)), field="reason")

    def unit():
        payment = db.session.scalar(sa.select(Payment).where(
            Payment.booking_id == booking_id, Payment.status.in_(REFUNDABLE))
            .order_by(Payment.id).limit(1).with_for_update())
        if payment is None:
            raise CheckoutError(str(_l("This booking has no paid payment to refund.")))
        if amount > left_to_refund(payment):  # the payment is locked: this is what is left
            raise CheckoutError(str(_l("That is more than is left to refund on this payment.")), field="amount")
        booking = db.session.get(Booking, booking_id)
        refund = refunds.request(payment, booking, amount, kind="staff", reason=reason,
                                 actor=actor, now=now)
        audit.record(actor, "refund.on_behalf", "booking", booking.id,
                     after={"refund": refund.key, "amount": str(amount), "reason": reason, "payment": payment.tran_id})
        transactions.commit()
        return refund

    refund = transactions.run(unit)
    AfterCommit(refunds=[refund.id]).run()
    return refund


def retry_refund(booking_id: int, refund_id: int, *, actor: Actor, now: datetime | None = None) -> str:
    """Ask the gateway again for a refund of this booking it refused; returns the refund's status
    now (done, failed or pending). Raises CheckoutError when there is no such failed refund."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.booking_id != booking_id:
        raise CheckoutError(str(_l("This booking has no such refund.")))
    if refund.status != "failed":
        raise CheckoutError(str(_l("Only a refund the gateway refused can be asked for again.")))
    audit.record(actor, "refund.retried", "booking", booking_id,
                 after={"refund": refund.key, "attempts": refund.attempts, "last_error": refund.last_error},
                 commit=True)
    return refunds.process(refund_id, now=now)
