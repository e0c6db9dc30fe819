"""Payments in tests: a tenant's gateways pointed at the run's local simulator, a rail or event hold
ready for checkout, and a checkout driven through the services as the views drive it."""
from __future__ import annotations

from datetime import time, timedelta

from models.base import utcnow
from services import tenants
from services.checkout.gateways import seal_settings
from services.checkout.start import CallbackUrls, CheckoutDetails, Client, Passenger, start_payment
from services.inventory import Owner
from services.inventory import events as event_inventory
from services.inventory import rail as rail_inventory
from services.demo.payments import DEMO_CREDENTIALS

CLIENT = Client("127.0.0.1", "pytest")
TZ = "Asia/Dhaka"


def with_gateways(app, info, names=("sslcommerz", "bkash"), **settings):
    """The tenant with these gateways on the simulator (and these settings); returns the fresh info."""
    with app.app_context():
        gateways = {n: seal_settings(info.slug, n, enabled=True, mode="simulator", credentials=DEMO_CREDENTIALS[n])
                    for n in names}
        return tenants.update_config(info.slug, payment_gateways=gateways, settings=settings or None)


def urls(info, gateway: str, port: int | None = None) -> CallbackUrls:
    """The tenant's callback URLs; with `port` (the `app_server` fixture's), ones the simulator can reach."""
    base = f"http://{info.slug}.localhost" + (f":{port}" if port else "")
    return CallbackUrls(f"{base}/payments/{gateway}/return", f"{base}/payments/{gateway}/ipn")


def rail_hold(customer_id: int, *, seats: int = 2, coach_seats: int = 4, day_offset: int = 3):
    """A trip (Dhaka → Chattogram) `day_offset` days ahead and a hold of `seats` seats on it.
    Returns (hold, seat ids of the trip). Needs the tenant bound."""
    from services.rail import trips
    from tests.support import rail as make

    day = trips.local_today() + timedelta(days=day_offset)
    layout = make.small_layout(f"Row of {coach_seats}", coach_seats)
    train = make.train([("DHK", None, "07:00", 0, 0), ("CTG", "12:00", None, 0, 321)],
                       coaches=(("S_CHAIR", layout.name),))
    make.generate([train.id], day)
    trip = make.trip_of(train.id, day)
    seat_ids = sorted(s.id for c in train.coaches for s in c.seats)
    hold = rail_inventory.hold_seats(trip.id, seat_ids[:seats], board_seq=0, alight_seq=1,
                                     owner=Owner(customer_id=customer_id))
    return hold, seat_ids


def event_hold(owner: Owner, *, quantity: int = 2, capacity: int = 10, price: str = "200", starts_in=timedelta(days=3),
               timed_day=None):
    """A general-admission event and a hold of `quantity` tickets. Returns (hold, event id, ticket type id).
    With `timed_day` (a local date): a timed-entry event with hourly slots 09:00-12:00 that day, and
    the hold in the 09:00 slot."""
    from models import db
    from models.events import Event
    from services.events import catalog, slots
    from tests.support.events import ACTOR, make_event

    if timed_day is None:
        event_id = make_event(tickets=[("Adult", price, capacity)], starts_in=starts_in)
        slot_id = None
    else:
        event_id = make_event("Zoo entry", admission="timed", tickets=[("Adult", price, None)], status="draft")
        slots.generate_slots(event_id, slots.SlotPlan(timed_day, timed_day, time(9), time(12), 60, capacity),
                             tz=TZ, actor=ACTOR)
        catalog.set_status(event_id, "published", actor=ACTOR)
        slot_id = min(s.id for s in slots.slots_on(event_id, timed_day, TZ))
    type_id = db.session.get(Event, event_id).ticket_types[0].id
    hold = event_inventory.hold_quantities(event_id, {type_id: quantity}, owner=owner, slot_id=slot_id)
    return hold, event_id, type_id


def rail_details(seat_ids, *, phone="+8801711000001", email=None) -> CheckoutDetails:
    return CheckoutDetails("Rahima Khatun", phone, email, "en",
                           {s: Passenger(f"Passenger {i}", 30 + i, "female") for i, s in enumerate(seat_ids)})


def event_details(*, phone="+8801711000002", email="guest@example.com") -> CheckoutDetails:
    return CheckoutDetails("Karim Uddin", phone, email, "en")


def start(info, hold, owner: Owner, details: CheckoutDetails, gateway: str = "sslcommerz", port: int | None = None):
    return start_payment(hold.token, owner, details, gateway, urls(info, gateway, port), CLIENT, now=utcnow())
