"""Settling a payment the gateway's own API has answered about (rule 4).

Confirmation is one transaction, in this order: the payment (locked, so two notifications racing
for it settle it once), the booking, the seats and quantities turned to sold, the tickets, the
notifications in the outbox, the attempt, the audit row. A crash anywhere leaves nothing of it,
and the payment is still `initiated`, so the next notification or the reconciliation job settles
it again from the start.

Selling works the same whether the hold is still active or already ended (a late payment): the
hold's own claims and counters are let go, then every item of the booking is claimed as sold, where
the database has the last word (exclusion and unique constraints, conditional counter updates).
If any item cannot be sold (someone else has it now), the savepoint undoes the sale and the money
goes back by itself: the payment is `succeeded_late`, a full refund is asked for, the customer told.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingAttempt, BookingItem, Payment, Ticket
from models.events import TicketType, TimeSlot
from models.rail import SeatClaim
from models.sales import EventSeatClaim, Hold, HoldItem
from services import audit, transactions
from services.audit import Actor
from services.checkout import refunds
from services.inventory.holds import Changes, end_holds, take_over_expired
from services.notify import outbox
from services.tickets import issue

log = logging.getLogger(__name__)
SETTLED = ("succeeded", "succeeded_late", "partially_refunded", "refunded")
SYSTEM = Actor.system("payments")
# Test hook: a function called with the name of each step of a confirmation, to inject a crash.
step_hook = None


class SeatsGone(Exception):
    """An item of the booking is held or sold by someone else now."""


@dataclass
class AfterCommit:
    """Work that must wait until the transaction has committed: live seat maps, sending, refunding."""

    changes: Changes = field(default_factory=Changes)
    notifications: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)
    confirmed: list[tuple[int, datetime]] = field(default_factory=list)  # (booking, starts): QR codes, reminders

    def run(self) -> None:
        from services.tenant_db import require_tenant
        from jobs.queue import enqueue

        from models import db
        from services.notify import reminders

        self.changes.publish()
        # Publishing reads (what is left now): end that transaction before the jobs run, which
        # inline (the embedded default) open their own session and, on SQLite, need the write lock.
        db.session.rollback()
        slug = require_tenant().slug
        outbox.enqueue(self.notifications)
        jobs = [("jobs.payments.process_refund", refund_id) for refund_id in self.refunds]
        jobs += [("jobs.tickets.complete", booking_id) for booking_id, _starts in self.confirmed]
        for job, item_id in jobs:
            try:
                enqueue(job, item_id, tenant=slug)
            except Exception:  # the periodic jobs refund (and the ticket pages draw) what is still due
                log.exception("could not enqueue %s(%s); the reconciliation job will", job, item_id)
        for booking_id, starts_at in self.confirmed:
            reminders.schedule(booking_id, starts_at)


def _step(name: str) -> None:
    if step_hook is not None:
        step_hook(name)


def settle(payment_id: int, verification, *, now: datetime | None = None) -> str:
    """Apply what the gateway said about a payment. Returns what became of it: confirmed,
    late_refunded, mismatch, failed, cancelled, pending, or already (settled before: nothing changes)."""
    now = now or utcnow()
    after = AfterCommit()

    def unit():
        after.__init__()
        payment = db.session.scalar(sa.select(Payment).where(Payment.id == payment_id).with_for_update())
        if payment.status in SETTLED:
            db.session.rollback()  # let go of the row lock at once
            return "already"
        payment.checked_at = now
        outcome = verification.outcome
        if outcome == "paid":
            result = _paid(payment, verification, now, after)
        elif outcome == "mismatch":  # once: a replayed mismatch finds what was taken recorded already
            result = _mismatch(payment, verification, now, after) if payment.paid_amount is None else "already"
        elif outcome in ("failed", "cancelled") and payment.status == "initiated":
            payment.status, payment.completed_at = outcome, now
            payment.failure_reason = (verification.reason or outcome)[:300]
            _attempt(payment, "failed", payment.failure_reason, now)
            audit.record(SYSTEM, f"payment.{outcome}", "payment", payment.id,
                         after={"tran_id": payment.tran_id, "reason": payment.failure_reason})
            if outcome == "failed":
                after.notifications += _tell_failed(payment, now)
            result = outcome
        else:
            result = "pending" if payment.status == "initiated" else payment.status
        transactions.commit()
        return result

    result = transactions.run(unit)
    after.run()
    return result


def _paid(payment: Payment, verification, now: datetime, after: AfterCommit) -> str:
    _step("payment")
    payment.status, payment.completed_at = "succeeded", now
    payment.paid_amount, payment.gateway_txn = verification.amount, verification.gateway_txn
    payment.failure_reason = None
    booking = db.session.scalar(sa.select(Booking).where(Booking.id == payment.booking_id).with_for_update())
    if booking.status not in ("pending_payment", "expired", "failed"):
        # Paid twice (a second window, a second method): the booking stands, this money goes back.
        _give_back(payment, booking, "duplicate", "The booking was already paid by another payment.", now, after)
        _attempt(payment, "failed", "paid twice: refunded", now)
        return "late_refunded"
    _step("booking")
    if not _sold(booking, now, after):
        payment.status = "succeeded_late"
        booking.status = "expired"
        _give_back(payment, booking, "late_payment",
                   "The payment arrived after the hold had ended and the seats or tickets were taken.", now, after)
        _attempt(payment, "failed", "paid after the hold ended; seats taken: refunded", now)
        audit.record(SYSTEM, "booking.late_payment_refunded", "booking", booking.id,
                     after={"payment": payment.tran_id, "amount": str(payment.paid_amount)})
        after.notifications += outbox.queue(booking, "late_refund", now)
        return "late_refunded"
    _confirmed(booking, now, after, payment=payment.tran_id, amount=str(payment.paid_amount))
    _attempt(payment, "paid", None, now)
    _step("commit")
    return "confirmed"


def _sold(booking: Booking, now: datetime, after: AfterCommit) -> bool:
    """Sell the booking's items in a savepoint; False (and nothing of it kept) when one is gone."""
    changes = Changes()
    try:
        with db.session.begin_nested():
            _sell(booking, now, changes)
    except SeatsGone:
        return False
    after.changes.by_channel.update(changes.by_channel)
    return True


def _confirmed(booking: Booking, now: datetime, after: AfterCommit, **facts) -> None:
    """The booking is sold: confirmed, its tickets issued, the customer told, the audit row written."""
    booking.status, booking.confirmed_at = "confirmed", now
    _step("tickets")
    _issue_tickets(booking, now)
    after.confirmed.append((booking.id, booking.starts_at))
    _step("notifications")
    after.notifications += outbox.queue(booking, "booking_confirmed", now)
    audit.record(SYSTEM, "booking.confirmed", "booking", booking.id, after={"reference": booking.reference, **facts})


def _tell_failed(payment: Payment, now: datetime) -> list[int]:
    """The payment failed while the seats are still held: the customer may try again (a customer
    who cancelled at the gateway knows already)."""
    booking = db.session.get(Booking, payment.booking_id)
    until = db.session.scalar(sa.select(Hold.expires_at).where(Hold.id == booking.hold_id, Hold.status == "active",
                                                               Hold.expires_at > now))
    if until is None:
        return []
    return outbox.queue(booking, "payment_failed", now, key_suffix=str(payment.id), hold_until=until)


def _mismatch(payment: Payment, verification, now: datetime, after: AfterCommit) -> str:
    """The gateway took another amount (or currency) than we asked: not paid; what it took goes back."""
    payment.status, payment.completed_at = "failed", now
    payment.paid_amount, payment.gateway_txn = verification.amount, verification.gateway_txn
    payment.failure_reason = (verification.reason or "amount or currency mismatch")[:300]
    booking = db.session.get(Booking, payment.booking_id)
    if verification.amount and verification.amount > 0:
        _give_back(payment, booking, "amount_mismatch", payment.failure_reason, now, after)
    _attempt(payment, "failed", payment.failure_reason, now)
    audit.record(SYSTEM, "payment.amount_mismatch", "payment", payment.id,
                 after={"expected": str(payment.amount), "paid": str(verification.amount),
                        "currency": verification.currency})
    return "mismatch"


def _give_back(payment: Payment, booking: Booking, kind: str, reason: str, now: datetime, after: AfterCommit) -> None:
    amount = (payment.paid_amount or payment.amount) - (payment.refunded_amount or 0)
    if amount > 0:
        refund = refunds.request(payment, booking, amount, kind=kind, reason=reason, actor=SYSTEM, now=now)
        after.refunds.append(refund.id)


def _attempt(payment: Payment, result: str, reason: str | None, now: datetime) -> None:
    db.session.execute(sa.update(BookingAttempt).where(BookingAttempt.payment_id == payment.id)
                       .values(result=result, failure_reason=(reason or None) and reason[:300], updated_at=now))


# --- selling the booking's items ----------------------------------------------------------------

def _sell(booking: Booking, now: datetime, changes: Changes) -> None:
    """Let go of what the hold keeps, then claim every active item of the booking as sold."""
    hold = db.session.get(Hold, booking.hold_id)
    items = list(db.session.scalars(sa.select(BookingItem).where(BookingItem.booking_id == booking.id,
                                                                BookingItem.status == "active")
                                    .order_by(BookingItem.id)))
    if booking.trip_id is not None:
        from services.inventory.rail import lock_seats

        lock_seats(booking.trip_id, sorted(i.seat_id for i in items if i.seat_id))  # before the hold's row
    if not end_holds([hold.id], "checked_out", now, changes):  # it had ended already (a late payment)
        db.session.execute(sa.update(Hold).where(Hold.id == hold.id).values(status="checked_out", ended_at=now))
    if booking.trip_id is not None:
        _sell_rail(booking, [i.seat_id for i in items if i.seat_id], now, changes)
    plan_seats = [i.plan_seat_id for i in items if i.plan_seat_id]
    if plan_seats:
        _sell_plan_seats(booking, hold, plan_seats, now, changes)
    admissions = [i for i in items if i.kind == "admission"]
    if admissions:
        _sell_quantities(booking, admissions, now, changes)


def _sell_rail(booking: Booking, seat_ids: list[int], now: datetime, changes: Changes) -> None:
    from services.inventory.rail import overlapping

    standing = db.session.scalars(sa.select(SeatClaim.hold_id).where(
        SeatClaim.trip_id == booking.trip_id, SeatClaim.seat_id.in_(seat_ids), SeatClaim.status == "held",
        SeatClaim.expires_at <= now, overlapping(booking.board_seq, booking.alight_seq)))
    take_over_expired(list(standing), now, changes)
    try:
        db.session.execute(sa.insert(SeatClaim), [
            {"trip_id": booking.trip_id, "seat_id": s, "board_seq": booking.board_seq,
             "alight_seq": booking.alight_seq, "status": "sold", "expires_at": None, "hold_id": booking.hold_id,
             "created_at": now} for s in sorted(seat_ids)])
    except IntegrityError as exc:
        if transactions.constraint_name(exc) != "ex_seat_claims_no_overlap":
            raise
        raise SeatsGone() from None
    for s in seat_ids:
        changes.add(f"trip:{booking.trip_id}", seat=s, board=booking.board_seq, alight=booking.alight_seq,
                    state="sold", tag=None)


def _sell_plan_seats(booking: Booking, hold: Hold, seat_ids: list[int], now: datetime, changes: Changes) -> None:
    expired = db.session.scalars(sa.select(EventSeatClaim.hold_id).where(
        EventSeatClaim.seat_id.in_(seat_ids), EventSeatClaim.status == "held", EventSeatClaim.expires_at <= now))
    take_over_expired(list(expired), now, changes)
    try:
        db.session.execute(sa.insert(EventSeatClaim), [
            {"event_id": booking.event_id, "seat_id": s, "hold_id": hold.id, "status": "sold", "expires_at": None,
             "created_at": now} for s in sorted(seat_ids)])
    except IntegrityError as exc:
        if transactions.constraint_name(exc) != "uq_event_seat_claims_seat_id":
            raise
        raise SeatsGone() from None
    for s in seat_ids:
        changes.add(f"event:{booking.event_id}", seat=s, state="sold", tag=None)


def admissions_by_row(items: list[BookingItem]) -> tuple[dict[int, int], dict[int, int]]:
    """({ticket type id: n}, {slot id: n}) of the admission items: the counters they sell or give back."""
    per_type: dict[int, int] = {}
    per_slot: dict[int, int] = {}
    for item in items:
        if item.kind != "admission":
            continue
        per_type[item.ticket_type_id] = per_type.get(item.ticket_type_id, 0) + item.quantity
        if item.time_slot_id:
            per_slot[item.time_slot_id] = per_slot.get(item.time_slot_id, 0) + item.quantity
    return per_type, per_slot


def _sell_quantities(booking: Booking, items: list[BookingItem], now: datetime, changes: Changes) -> None:
    per_type, per_slot = admissions_by_row(items)
    for type_id in sorted(per_type):  # the order every hold and sweep takes these rows in
        _sell_counter(TicketType, type_id, per_type[type_id], now, changes, booking.event_id)
    for slot_id in sorted(per_slot):
        _sell_counter(TimeSlot, slot_id, per_slot[slot_id], now, changes, booking.event_id)


def _sell_counter(model, row_id: int, n: int, now: datetime, changes: Changes, event_id: int) -> None:
    """sold += n within the row's limit; when it would not fit, expired holds on the row are taken
    over and it is tried once more; else SeatsGone."""
    limit = (sa.or_(TicketType.quantity.is_(None), TicketType.sold + TicketType.held + n <= TicketType.quantity)
             if model is TicketType else TimeSlot.sold + TimeSlot.held + n <= TimeSlot.capacity)
    update = sa.update(model).where(model.id == row_id, limit).values(sold=model.sold + n)
    key = "ticket_type" if model is TicketType else "slot"
    for attempt in (1, 2):
        if db.session.execute(update, execution_options={"synchronize_session": False}).rowcount == 1:
            changes.add(f"event:{event_id}", **{key: row_id, "left": None})
            return
        if attempt == 1:
            column = HoldItem.ticket_type_id if model is TicketType else HoldItem.time_slot_id
            expired = db.session.scalars(sa.select(HoldItem.hold_id).join(Hold, Hold.id == HoldItem.hold_id).where(
                column == row_id, Hold.status == "active", Hold.expires_at <= now))
            take_over_expired(list(expired), now, changes)
    raise SeatsGone()


def _issue_tickets(booking: Booking, now: datetime) -> None:
    """A ticket per seat or admission, each signed for the gate (services/tickets)."""
    number = 0
    items = list(db.session.scalars(sa.select(BookingItem).where(BookingItem.booking_id == booking.id,
                                                                BookingItem.status == "active")
                                    .order_by(BookingItem.id)))
    rows, owners = [], []
    for item in items:
        for _ in range(item.quantity):
            number += 1
            rows.append({"booking_id": booking.id, "booking_item_id": item.id, "holder": item.passenger_name,
                         "number": f"{booking.reference}-{number}", "status": "valid", "issued_at": now})
            owners.append(item)
    ids = db.session.scalars(sa.insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows).all()
    issue.sign(booking, list(zip(ids, owners, strict=True)))


def confirm_free(booking_id: int, *, now: datetime | None = None) -> str:
    """A booking with nothing to pay (free tickets) is confirmed at once, with no gateway."""
    now = now or utcnow()
    after = AfterCommit()

    def unit():
        after.__init__()
        booking = db.session.scalar(sa.select(Booking).where(Booking.id == booking_id).with_for_update())
        if booking.status != "pending_payment" or booking.total != Decimal(0):
            return booking.status
        if not _sold(booking, now, after):
            booking.status = "expired"
            transactions.commit()
            return "expired"
        _confirmed(booking, now, after, amount="0")
        transactions.commit()
        return "confirmed"

    result = transactions.run(unit)
    after.run()
    return result

