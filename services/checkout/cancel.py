"""Cancelling a confirmed booking, or some of its items, where the tenant's refund policy allows:
in one transaction the items and their tickets are cancelled, their seats and quantities go back on
sale, the refund the policy gives is asked for and the customer is told. Staff may cancel on a
customer's behalf, also outside the policy with a full refund (audited either way)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingItem, Payment, Ticket
from models.events import TicketType, TimeSlot
from models.rail import SeatClaim
from models.sales import EventSeatClaim
from services import audit, tenant_db, transactions
from services.audit import Actor
from services.checkout import CancellationRefused, CheckoutError, policy, refunds
from services.notify import outbox
from services.checkout.confirm import AfterCommit, admissions_by_row
from services.inventory.holds import Changes

CANCELLABLE = ("confirmed", "partially_cancelled")


@dataclass
class ItemRefund:
    item: BookingItem
    refund: Decimal | None  # None: the policy no longer allows cancelling it


@dataclass
class CancellationQuote:
    items: list[ItemRefund]
    hours_left: float

    @property
    def allowed(self) -> bool:
        return bool(self.items) and all(i.refund is not None for i in self.items)

    @property
    def refund(self) -> Decimal:
        return sum((i.refund or Decimal(0) for i in self.items), Decimal(0))


def tenant_policy() -> list[dict]:
    tenant = tenant_db.require_tenant()
    return tenant.setting("refund_policy") or policy.default_for(tenant.kind)


def quote(booking: Booking, item_ids: list[int] | None = None, *, now: datetime | None = None) -> CancellationQuote:
    """What cancelling these active items (all when None) would give back now."""
    now = now or utcnow()
    hours_left = (booking.starts_at - now).total_seconds() / 3600
    rules = tenant_policy()
    items = [i for i in booking.items if i.status == "active" and (item_ids is None or i.id in item_ids)]
    return CancellationQuote([ItemRefund(i, policy.refund_for(i.amount, hours_left, rules, i.fare_class))
                              for i in items], hours_left)


def cancel(booking_id: int, item_ids: list[int] | None, *, actor: Actor, full_refund: bool = False,
           now: datetime | None = None) -> Booking:
    """Cancel these items (all when None). `full_refund` (staff only) gives back every taka paid
    for them whatever the policy says. Raises CancellationRefused, CheckoutError."""
    now = now or utcnow()
    after = AfterCommit()

    def unit():
        after.__init__()
        booking = db.session.scalar(sa.select(Booking).where(Booking.id == booking_id).with_for_update())
        if booking is None or booking.status not in CANCELLABLE:
            raise CheckoutError(str(_l("Only a confirmed booking can be cancelled.")))
        wanted = quote(booking, item_ids, now=now)
        if not wanted.items:
            raise CheckoutError(str(_l("Choose what to cancel.")))
        if not wanted.allowed and not full_refund:
            raise CancellationRefused(str(_l("This booking can no longer be cancelled: the refund policy allows no "
                                             "cancellation this close to the start.")))
        ids = [i.item.id for i in wanted.items]
        if db.session.scalar(sa.select(Ticket.id).where(Ticket.booking_item_id.in_(ids), Ticket.status == "used")
                             .limit(1)):
            raise CancellationRefused(str(_l("A ticket that has been used cannot be cancelled.")))
        total = Decimal(0)
        for line in wanted.items:
            back = line.item.amount if full_refund else line.refund
            line.item.status, line.item.cancelled_at, line.item.refund_amount = "cancelled", now, back
            total += back
        db.session.execute(sa.update(Ticket).where(Ticket.booking_item_id.in_(ids), Ticket.status == "valid")
                           .values(status="cancelled"))
        _release(booking, [line.item for line in wanted.items], after.changes)
        left = db.session.scalar(sa.select(sa.func.count()).select_from(BookingItem).where(
            BookingItem.booking_id == booking.id, BookingItem.status == "active"))
        before = booking.status
        booking.status = "partially_cancelled" if left else "cancelled"
        booking.cancelled_at = now if not left else booking.cancelled_at
        if total > 0:
            payment = db.session.scalar(sa.select(Payment).where(
                Payment.booking_id == booking.id, Payment.status.in_(("succeeded", "partially_refunded")))
                .order_by(Payment.id).limit(1).with_for_update())
            if payment is None:
                raise CheckoutError(str(_l("No payment of this booking can be refunded.")))
            refund = refunds.request(payment, booking, total, kind="staff" if actor.type == "staff" else "cancellation",
                                     reason=f"cancelled: {', '.join(i.item.label for i in wanted.items)}",
                                     actor=actor, now=now)
            after.refunds.append(refund.id)
        audit.record(actor, "booking.cancelled", "booking", booking.id, before={"status": before},
                     after={"status": booking.status, "items": [i.item.label for i in wanted.items],
                            "refund": str(total), "full_refund": full_refund})
        after.notifications += outbox.queue(booking, "booking_cancelled", now, key_suffix="-".join(map(str, ids)),
                                            amount=total if total > 0 else None)
        transactions.commit()
        return booking

    booking = transactions.run(unit)
    after.run()
    return booking


def _release(booking: Booking, items: list[BookingItem], changes: Changes) -> None:
    """The cancelled items' seats and quantities go back on sale."""
    seats = sorted(i.seat_id for i in items if i.seat_id)
    if seats:
        db.session.execute(sa.delete(SeatClaim).where(SeatClaim.trip_id == booking.trip_id,
                                                      SeatClaim.seat_id.in_(seats),
                                                      SeatClaim.hold_id == booking.hold_id, SeatClaim.status == "sold"))
        for s in seats:
            changes.add(f"trip:{booking.trip_id}", seat=s, board=booking.board_seq, alight=booking.alight_seq,
                        state="free", tag=None)
    plan_seats = sorted(i.plan_seat_id for i in items if i.plan_seat_id)
    if plan_seats:
        db.session.execute(sa.delete(EventSeatClaim).where(EventSeatClaim.seat_id.in_(plan_seats),
                                                           EventSeatClaim.hold_id == booking.hold_id,
                                                           EventSeatClaim.status == "sold"))
        for s in plan_seats:
            changes.add(f"event:{booking.event_id}", seat=s, state="free", tag=None)
    per_type, per_slot = admissions_by_row(items)
    for type_id in sorted(per_type):
        db.session.execute(sa.update(TicketType).where(TicketType.id == type_id)
                           .values(sold=TicketType.sold - per_type[type_id]))
        changes.add(f"event:{booking.event_id}", ticket_type=type_id, left=None)
    for slot_id in sorted(per_slot):
        db.session.execute(sa.update(TimeSlot).where(TimeSlot.id == slot_id)
                           .values(sold=TimeSlot.sold - per_slot[slot_id]))
        changes.add(f"event:{booking.event_id}", slot=slot_id, left=None)
