"""Customers hold event tickets on the event page: quantities of ticket types (general admission),
of an entry slot (timed entry), or seats of the plan (seated). Guests may hold too, tied to their
browser session. 200 held, 409 taken or sold out (named), 422 bad input, limits, not on sale."""
import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.events import PlanSeat, TicketType, TimeSlot
from models.sales import EventSeatClaim, Hold
from services import tenant_db
from services.events import catalog, seat_plans, slots
from services.events.slots import SlotPlan
from services.events.times import to_local
from tests.support.events import ACTOR, make_event

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
TZ = "Asia/Dhaka"


@pytest.fixture
def fair(make_tenant, in_tenant):
    info = make_tenant("fair")
    with in_tenant(info):
        yield info
    tenant_db.dispose_engine(info.slug)


def _type_id(event_id: int, name: str = "Adult") -> int:
    return db.session.scalar(sa.select(TicketType.id).where(TicketType.event_id == event_id, TicketType.name == name))


def _held(type_id: int) -> int:
    db.session.expire_all()
    return db.session.get(TicketType, type_id).held


def _timed_event(capacity: int = 6) -> tuple[int, list[TimeSlot]]:
    event = make_event("Zoo entry", admission="timed", tickets=[("Adult", "50", None), ("Child", "20", None)],
                       status="draft")
    today = to_local(utcnow(), TZ).date()
    slots.generate_slots(event, SlotPlan(today + timedelta(days=1), today + timedelta(days=2), time(9), time(12), 60,
                                         capacity), tz=TZ, actor=ACTOR)
    catalog.set_status(event, "published", actor=ACTOR)
    found = list(db.session.scalars(sa.select(TimeSlot).where(TimeSlot.event_id == event).order_by(TimeSlot.starts_at)))
    return event, found


def _seated_event() -> tuple[int, dict[str, int]]:
    """Two sections of 2 rows × 3 seats; seats by "Section label" ("Front A1")."""
    event = make_event("Gala", admission="seated", tickets=None, status="draft")
    front = seat_plans.add_category(event, "Front", Decimal("500"), "#aa0000", actor=ACTOR)
    for name in ("Front", "Back"):
        seat_plans.add_section(event, name, 2, 3, category_id=front.id, actor=ACTOR)
    catalog.set_status(event, "published", actor=ACTOR)
    plan = seat_plans.get_plan(event)
    return event, {f"{s.name} {seat.label}": seat.id for s in plan.sections for seat in s.seats}


def _seat_state(html: str, seat_id: int) -> str:
    found = re.search(rf'data-seat-id="{seat_id}" data-state="(\w+)"', html)
    assert found, f"seat {seat_id} is not on the page"
    return found.group(1)


# --- general admission ------------------------------------------------------------------------------

def test_holding_quantities_answers_200_with_the_hold_and_a_plain_form_goes_back_to_the_page(fair, client_for):
    event = make_event("Open gala", tickets=[("Adult", "100", 5), ("Child", "40", 5)])
    adult, child = _type_id(event), _type_id(event, "Child")
    client = client_for(fair)
    held = client.post(f"/events/{event}/hold", data={f"qty-{adult}": "2", f"qty-{child}": "0"}, headers=HTMX)
    assert held.status_code == 200 and "<html" not in held.text and 'id="buy"' in held.text
    assert "Your hold" in held.text and "2 × Adult" in held.text and "৳200.00" in held.text
    assert 'data-countdown' in held.text and "data-expires-at=" in held.text
    assert _held(adult) == 2 and _held(child) == 0
    # The numbers set what is held: 3 children added, adults down to 1, in one hold.
    plain = client.post(f"/events/{event}/hold", data={f"qty-{adult}": "1", f"qty-{child}": "3"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/events/{event}")
    assert (_held(adult), _held(child)) == (1, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Hold).where(Hold.event_id == event)) == 1
    page = client.get(f"/events/{event}").text
    assert "1 × Adult" in page and "3 × Child" in page and "৳220.00" in page and "Update hold" in page
    assert client.post(f"/events/{event}/hold", data={f"qty-{child}": "0"}, headers=HTMX).status_code == 200
    assert (_held(adult), _held(child)) == (1, 0)  # a type the form does not send keeps what is held


def test_more_than_is_left_is_409_saying_how_many_are_left(fair, client_for):
    event = make_event("Small show", tickets=[("Adult", "100", 5)])
    adult = _type_id(event)
    assert client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "4"}, headers=HTMX).status_code == 200
    late = client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "2"}, headers=HTMX)
    assert late.status_code == 409 and "Only 1 left for Adult." in late.text
    assert 'aria-invalid="true"' in late.text  # the number asked for is marked, and kept
    assert 'value="2"' in late.text
    assert _held(adult) == 4


def test_fewer_than_the_least_or_more_than_the_most_per_order_is_422(fair, client_for):
    event = make_event("Family day", tickets=[("Adult", "100", 50)], min_per_order=2, max_per_order=4)
    adult = _type_id(event)
    client = client_for(fair)
    for asked in ("1", "5"):
        answer = client.post(f"/events/{event}/hold", data={f"qty-{adult}": asked}, headers=HTMX)
        assert answer.status_code == 422 and "Adult: choose from 2 to 4 tickets." in answer.text
    nothing = client.post(f"/events/{event}/hold", data={f"qty-{adult}": "0"}, headers=HTMX)
    assert nothing.status_code == 422 and "Choose how many tickets you want." in nothing.text
    assert _held(adult) == 0


def test_bad_input_is_422_and_changes_nothing(fair, client_for):
    event = make_event("Open gala", tickets=[("Adult", "100", 5)])
    adult = _type_id(event)
    client = client_for(fair)
    for data in ({f"qty-{adult}": "two"}, {f"qty-{adult}": "-1"}, {f"qty-{adult}": "99999999999"},
                 {f"qty-{adult}": "1", "slot": "0"}, {f"qty-{adult}": "1", "step": "drop table"}):
        assert client.post(f"/events/{event}/hold", data=data, headers=HTMX).status_code == 422, data
        assert client.post(f"/events/{event}/hold", data=data).status_code == 422, data
    assert client.post(f"/events/{event}/seats/hold", data={"seat": "A1"}).status_code == 422
    assert client.post("/events/2147483647/hold", data={f"qty-{adult}": "1"}).status_code == 404
    assert _held(adult) == 0


def test_without_script_minus_and_plus_show_the_page_again_with_the_number_changed(fair, client_for):
    event = make_event("Family day", tickets=[("Adult", "100", 50)], min_per_order=2, max_per_order=4)
    adult = _type_id(event)
    plus = client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "0", "step": f"{adult}:+1"})
    assert plus.status_code == 200 and f'name="qty-{adult}" value="2"' in plus.text  # none → the least
    minus = client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "2", "step": f"{adult}:-1"})
    assert f'name="qty-{adult}" value="0"' in minus.text  # the least → none
    assert _held(adult) == 0  # only a number on the page


def test_a_guest_hold_belongs_to_that_browser_session(fair, client_for):
    event = make_event("Open gala", tickets=[("Adult", "100", 5)])
    adult = _type_id(event)
    guest, stranger = client_for(fair), client_for(fair)
    assert guest.post(f"/events/{event}/hold", data={f"qty-{adult}": "2"}, headers=HTMX).status_code == 200
    hold = db.session.scalar(sa.select(Hold).where(Hold.event_id == event))
    assert hold.customer_id is None and hold.guest_key
    assert "Your hold" in guest.get(f"/events/{event}").text
    assert "Your hold" not in stranger.get(f"/events/{event}").text
    assert stranger.post(f"/holds/{hold.token}/release", headers=HTMX).status_code == 404
    assert stranger.post(f"/holds/{hold.token}/release").status_code == 404
    assert _held(adult) == 2
    released = guest.post(f"/holds/{hold.token}/release", headers=HTMX)
    assert released.status_code == 200 and "Your hold is released" in released.text
    assert _held(adult) == 0


def test_releasing_one_line_of_a_hold_keeps_the_others(fair, client_for):
    event = make_event("Open gala", tickets=[("Adult", "100", 5), ("Child", "40", 5)])
    adult, child = _type_id(event), _type_id(event, "Child")
    client = client_for(fair)
    client.post(f"/events/{event}/hold", data={f"qty-{adult}": "2", f"qty-{child}": "1"}, headers=HTMX)
    hold = db.session.scalar(sa.select(Hold).where(Hold.event_id == event))
    item = next(i.id for i in hold.items if i.ticket_type_id == child)
    answer = client.post(f"/holds/{hold.token}/items/{item}/release", headers=HTMX)
    assert answer.status_code == 200 and "2 × Adult" in answer.text and "1 × Child" not in answer.text
    assert (_held(adult), _held(child)) == (2, 0)


# --- timed entry: the slot -------------------------------------------------------------------------

def test_the_chosen_day_and_slot_are_in_the_url_and_come_back_from_it(fair, client_for):
    event, found = _timed_event(capacity=6)
    adult = _type_id(event)
    second_day = [s for s in found if to_local(s.starts_at, TZ).date() == to_local(found[-1].starts_at, TZ).date()]
    slot, day = second_day[1], to_local(second_day[1].starts_at, TZ).date().isoformat()
    client = client_for(fair)
    page = client.get(f"/events/{event}?day={day}&slot={slot.id}").text
    tile = re.search(rf'<a class="slot [^"]*chosen"[^>]*data-slot-id="{slot.id}"', page)
    assert tile and 'aria-current="true"' in page
    assert f'name="slot" value="{slot.id}"' in page
    assert f"/events/{event}?day={day}&amp;slot={second_day[0].id}" in page  # every tile is a link to itself
    # The slot alone finds its day again (a shared link with the day cut off).
    assert f'name="slot" value="{slot.id}"' in client.get(f"/events/{event}?slot={slot.id}").text
    # No slot chosen yet: holding asks for one.
    unchosen = client.post(f"/events/{event}/hold", data={f"qty-{adult}": "1"}, headers=HTMX)
    assert unchosen.status_code == 422 and "Choose an entry time." in unchosen.text
    plain = client.post(f"/events/{event}/hold?day={day}&slot={slot.id}", data={f"qty-{adult}": "2", "slot": slot.id})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/events/{event}?day={day}&slot={slot.id}")
    db.session.expire_all()
    assert db.session.get(TimeSlot, slot.id).held == 2
    assert "4 places left" in client.get(plain.headers["Location"]).text


def test_a_slot_holds_no_more_than_its_places_and_a_full_slot_cannot_be_chosen(fair, client_for):
    event, found = _timed_event(capacity=6)
    adult, child = _type_id(event), _type_id(event, "Child")
    slot = found[0]
    day = to_local(slot.starts_at, TZ).date().isoformat()
    first = client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "3", f"qty-{child}": "2",
                                                                 "slot": slot.id}, headers=HTMX)
    assert first.status_code == 200 and "1 place left" in first.text
    late = client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "2", "slot": slot.id}, headers=HTMX)
    assert late.status_code == 409 and "Only 1 left for this entry time." in late.text
    client_for(fair).post(f"/events/{event}/hold", data={f"qty-{adult}": "1", "slot": slot.id}, headers=HTMX)
    page = client_for(fair).get(f"/events/{event}?day={day}").text
    full = re.search(rf'<span class="slot sale-sold_out" aria-disabled="true" data-slot-id="{slot.id}"', page)
    assert full, "a full slot is shown unavailable, not as a link"
    db.session.expire_all()
    assert db.session.get(TimeSlot, slot.id).held == 6


# --- seated ------------------------------------------------------------------------------------------

def test_seats_are_held_together_and_a_seat_just_taken_is_named_with_409(fair, client_for):
    event, seats = _seated_event()
    first, second = client_for(fair), client_for(fair)
    mine = first.post(f"/events/{event}/seats/hold", data={"seat": [seats["Front A2"], seats["Front A3"]]},
                      headers=HTMX)
    assert mine.status_code == 200 and "Front A2" in mine.text and "৳1,000.00" in mine.text
    assert _seat_state(mine.text, seats["Front A2"]) == "mine"
    taken = second.post(f"/events/{event}/seats/hold", data={"seat": [seats["Front A3"], seats["Back A1"]]},
                        headers=HTMX)
    assert taken.status_code == 409 and "Seat Front A3 was just taken by someone else." in taken.text
    assert _seat_state(taken.text, seats["Front A3"]) == "held"
    assert re.search(rf'value="{seats["Back A1"]}" checked', taken.text)  # still free: still chosen
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSeatClaim)
                             .where(EventSeatClaim.seat_id == seats["Back A1"])) == 0  # all or nothing
    # Released by the first, the seat can be held by the second.
    hold = db.session.scalar(sa.select(Hold).where(Hold.event_id == event))
    freed = first.post(f"/holds/{hold.token}/release-seat", data={"seat": seats["Front A3"]}, headers=HTMX)
    assert freed.status_code == 200 and _seat_state(freed.text, seats["Front A3"]) == "free"
    assert second.post(f"/events/{event}/seats/hold", data={"seat": seats["Front A3"]}).status_code == 303


def test_a_seat_the_operator_took_out_is_shown_unavailable_and_refused(fair, client_for):
    event, seats = _seated_event()
    seat_plans.toggle_seat(seats["Back B2"], actor=ACTOR)
    assert db.session.get(PlanSeat, seats["Back B2"]).status == "blocked"
    page = client_for(fair).get(f"/events/{event}").text
    assert _seat_state(page, seats["Back B2"]) == "blocked"
    assert re.search(rf'value="{seats["Back B2"]}" disabled', page)
    refused = client_for(fair).post(f"/events/{event}/seats/hold", data={"seat": seats["Back B2"]}, headers=HTMX)
    assert refused.status_code == 409 and "Back B2 cannot be sold." in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventSeatClaim)) == 0


def test_the_buy_block_is_polled_with_etags(fair, client_for):
    event, seats = _seated_event()
    viewer = client_for(fair)
    first = viewer.get(f"/events/{event}", headers=HTMX)
    assert first.status_code == 200 and first.headers.get("ETag") and 'data-live-url="/live/events/' in first.text
    assert "csrf_token" not in first.text  # the header carries it; a field would change the ETag every second
    same = viewer.get(f"/events/{event}", headers={**HTMX, "If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    client_for(fair).post(f"/events/{event}/seats/hold", data={"seat": seats["Front B1"]}, headers=HTMX)
    changed = viewer.get(f"/events/{event}", headers={**HTMX, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and _seat_state(changed.text, seats["Front B1"]) == "held"
