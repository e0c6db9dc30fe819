"""Buying seats of a seated show's plan (the fort's evening show): paid seats are sold (one claim
per seat, the unique constraint's), a cancelled seat is free again, and a payment that comes after
the hold ended and the seat went to someone else is refunded in full."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, Payment, Refund
from models.sales import EventSeatClaim
from services.audit import Actor
from services.checkout import cancel, reconcile
from services.events import catalog, seat_plans
from services.inventory import Owner, holds
from services.inventory import events as inventory
from tests.support import payments as pay
from tests.support.events import ACTOR, make_event


def _show() -> dict[str, int]:
    """A seated show in 5 days: one section of 1 row × 3 seats at Tk 500; seats by label ("Hall A1")."""
    event = make_event("Sound and light show", admission="seated", tickets=None, status="draft",
                       starts_in=timedelta(days=5))
    category = seat_plans.add_category(event, "Front", Decimal("500"), "#aa0000", actor=ACTOR)
    seat_plans.add_section(event, "Hall", 1, 3, category_id=category.id, actor=ACTOR)
    catalog.set_status(event, "published", actor=ACTOR)
    plan = seat_plans.get_plan(event)
    return {"event": event, **{f"{s.name} {seat.label}": seat.id for s in plan.sections for seat in s.seats}}


def _claims(seat_id: int) -> list[tuple[str, int | None]]:
    db.session.rollback()
    return list(db.session.execute(sa.select(EventSeatClaim.status, EventSeatClaim.hold_id)
                                   .where(EventSeatClaim.seat_id == seat_id)).tuples())


def _pay_and_return(client, sandbox, port, ref):
    back = sandbox.pay(ref)
    return client.post(back.url.split(f":{port}", 1)[1], data=back.fields)


def test_plan_seats_are_sold_cancelled_back_on_sale(app, make_tenant, in_tenant, client_for, sandbox, app_server):
    fort = pay.with_gateways(app, make_tenant("fort", "events"))
    with in_tenant(fort):
        show = _show()
        owner = Owner(guest_key="seated-guest-1")
        hold = inventory.hold_plan_seats(show["event"], [show["Hall A1"], show["Hall A2"]], owner=owner)
        started = pay.start(fort, hold, owner, pay.event_details(), port=app_server)
        ref, booking_id, hold_id = started.payment.gateway_ref, started.booking.id, hold.id
        assert started.booking.total == Decimal("1000.00")
        db.session.rollback()
    assert _pay_and_return(client_for(fort), sandbox, app_server, ref).status_code == 303
    with in_tenant(fort):
        assert db.session.get(Booking, booking_id).status == "confirmed"
        assert _claims(show["Hall A1"]) == [("sold", hold_id)] and _claims(show["Hall A2"]) == [("sold", hold_id)]
        first = next(i for i in db.session.get(Booking, booking_id).items if i.plan_seat_id == show["Hall A1"])
        cancel.cancel(booking_id, [first.id], actor=Actor("customer", None, "guest"))
        assert _claims(show["Hall A1"]) == [] and _claims(show["Hall A2"]) == [("sold", hold_id)]
        refund = db.session.scalar(sa.select(Refund).where(Refund.booking_id == booking_id))
        assert (refund.kind, refund.amount) == ("cancellation", Decimal("500.00"))  # free until 24 h before
        # the cancelled seat is on sale again: someone else holds it
        again = inventory.hold_plan_seats(show["event"], [show["Hall A1"]], owner=Owner(guest_key="seated-guest-2"))
        assert _claims(show["Hall A1"]) == [("held", again.id)]


def test_a_late_payment_for_a_plan_seat_taken_meanwhile_is_refunded(app, make_tenant, in_tenant, client_for,
                                                                    sandbox, app_server):
    fort = pay.with_gateways(app, make_tenant("fort", "events"))
    sandbox.behave(ipn="never")
    with in_tenant(fort):
        show = _show()
        late = Owner(guest_key="seated-late")
        hold = inventory.hold_plan_seats(show["event"], [show["Hall A3"]], owner=late)
        started = pay.start(fort, hold, late, pay.event_details(), port=app_server)
        ref, booking_id, payment_id = started.payment.gateway_ref, started.booking.id, started.payment.id
        # the hold runs out and someone else takes the seat before the money arrives
        holds.expire_due(now=utcnow() + timedelta(minutes=30))
        other = inventory.hold_plan_seats(show["event"], [show["Hall A3"]], owner=Owner(guest_key="seated-other")).id
        db.session.rollback()
    _pay_and_return(client_for(fort), sandbox, app_server, ref)
    with in_tenant(fort):
        reconcile.run()  # the refund asked for is followed up
        db.session.rollback()
        assert db.session.get(Booking, booking_id).status == "expired"
        assert db.session.get(Payment, payment_id).status in ("succeeded_late", "refunded")
        refund = db.session.scalar(sa.select(Refund).where(Refund.booking_id == booking_id))
        assert (refund.kind, refund.amount) == ("late_payment", Decimal("500.00"))
        assert _claims(show["Hall A3"]) == [("held", other)]  # the other customer keeps the seat
