"""Staff occupancy and blocked seats on PostgreSQL: the figures count sold, live-held and blocked
seats (expired holds count for nothing); blocking is refused by the database when a seat is taken,
names it and changes nothing; a blocked seat is never held by a customer nor swept; everything
is audited and published; the pages keep to their permissions and answer bad input with a 4xx."""
from datetime import time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.events import PlanSeat, TicketType, TimeSlot
from models.people import AuditLog
from models.rail import SeatClaim
from models.sales import EventSeatClaim, Hold
from services import live, tenant_db
from services.audit import Actor
from services.events import catalog, seat_plans, slots
from services.events.slots import SlotPlan
from services.inventory import InventoryError, Owner, SeatsTaken, events, holds, rail
from services.inventory import staff as inventory
from services.rail import cache, trips
from tests.support import events as make_events
from tests.support import rail as make
from tests.support.people import bulk_customers, login_staff, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CML", "10:00", "10:03", 0, 190),
             ("CTG", "12:00", None, 0, 321)]
CHAIR_AND_AC = (("S_CHAIR", "Chair 2+2, 15 rows"), ("AC_S", "Chair 2+2, 15 rows"))
STAFF = Actor("staff", 1, "operator@example.com", "127.0.0.1")
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def rail_site(make_tenant):
    info = make_tenant("rail", kind="rail")
    yield info
    tenant_db.dispose_engine(info.slug)


@pytest.fixture
def events_site(make_tenant):
    info = make_tenant("fort", kind="events")
    yield info
    tenant_db.dispose_engine(info.slug)


@pytest.fixture
def published(monkeypatch):
    """What reaches the live seat maps and the search cache, by channel."""
    sent, dates = [], []
    monkeypatch.setattr(live, "publish", lambda channel, changes: sent.append((channel, changes)))
    monkeypatch.setattr(cache, "inventory_changed", lambda day: dates.append(day))
    return sent, dates


def tomorrow_trip(coaches=CHAIR_AND_AC):
    day = trips.local_today() + timedelta(days=1)
    train = make.train(DHAKA_CTG, coaches=coaches)
    make.generate([train.id], day)
    return make.trip_of(train.id, day), make.seat_ids(train.id, "S_CHAIR"), make.seat_ids(train.id, "AC_S")


def blocked_claims(trip_id):
    return db.session.scalars(sa.select(SeatClaim).where(SeatClaim.trip_id == trip_id,
                                                         SeatClaim.status == "blocked")).all()


def actions():
    return [a.action for a in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]


def staff_client(site, in_tenant, client_for, role):
    _, email = make_staff(in_tenant, site, role)
    client = client_for(site)
    assert login_staff(client, email).status_code == 303
    return client


# --- rail: figures and blocking through the service ---------------------------------------------

def test_trip_occupancy_counts_sold_live_held_and_blocked_seats_per_class_coach_and_stretch(rail_site, in_tenant):
    with in_tenant(rail_site):
        trip, chair, ac = tomorrow_trip()
        make.claim(trip.id, chair[0], 0, 3)  # sold end to end
        make.claim(trip.id, chair[1], 0, 1)  # sold Dhaka -> Bhairab only: still free after Bhairab
        make.claim(trip.id, chair[2], 1, 3, status="held", expires_in=300)  # a live hold
        make.claim(trip.id, chair[3], 0, 3, status="held", expires_in=-60)  # expired, not swept: counts for nothing
        inventory.block_trip_seats(trip.id, [ac[0]], reason="Railway police", actor=STAFF)

        occ = inventory.trip_occupancy(trip.id)
        by_class = {c.coach_class.code: c for c in occ.classes}
        chair_counts, ac_counts = by_class["S_CHAIR"].counts, by_class["AC_S"].counts
        assert (chair_counts.total, chair_counts.sold, chair_counts.held, chair_counts.blocked, chair_counts.free,
                chair_counts.partly) == (60, 2, 1, 0, 57, 2)
        assert (ac_counts.total, ac_counts.blocked, ac_counts.free, ac_counts.partly) == (60, 1, 59, 0)
        assert by_class["S_CHAIR"].coaches[0].counts == chair_counts  # one coach of each class
        assert (occ.totals.total, occ.totals.sold, occ.totals.held, occ.totals.blocked, occ.totals.free) == (
            120, 2, 1, 1, 116)
        legs = [(leg.board.station.code, leg.alight.station.code, leg.sold, leg.held, leg.blocked, leg.free)
                for leg in occ.legs]
        assert legs == [("DHK", "BHB", 2, 0, 1, 117), ("BHB", "CML", 1, 1, 1, 117), ("CML", "CTG", 1, 1, 1, 117)]
        assert [leg.free for leg in by_class["S_CHAIR"].legs] == [58, 58, 58]

        # The day's overview counts seats with any live claim.
        [day] = inventory.trips_with_load(trip.service_date)
        assert (day.total, day.claimed, day.free) == (120, 4, 116)


def test_blocking_a_held_or_sold_seat_is_refused_naming_it_and_changes_nothing(rail_site, in_tenant, published):
    with in_tenant(rail_site):
        trip, chair, _ = tomorrow_trip()
        make.claim(trip.id, chair[0], 0, 3, status="held", expires_in=300)
        make.claim(trip.id, chair[1], 1, 2)  # sold Bhairab -> Cumilla
        published[0].clear()
        with pytest.raises(SeatsTaken) as refused:
            inventory.block_trip_seats(trip.id, chair[:3], reason="Crew rest", actor=STAFF)
        assert refused.value.labels == ["KA-1", "KA-2"]  # the free third seat is not named...
        assert "KA-1, KA-2 are already held, sold or blocked: nothing was blocked." == refused.value.message
        assert blocked_claims(trip.id) == []  # ...and not blocked either: all or none
        assert "seats.block" not in actions() and published[0] == []

        # A stretch that does not overlap the sale is free to block.
        inventory.block_trip_seats(trip.id, [chair[1]], 2, 3, reason="Crew rest", actor=STAFF)
        [claim] = blocked_claims(trip.id)
        assert (claim.seat_id, claim.board_seq, claim.alight_seq, claim.hold_id, claim.expires_at) == (
            chair[1], 2, 3, None, None)


def test_a_blocked_seat_cannot_be_held_never_expires_and_unblocking_frees_it(rail_site, in_tenant, published):
    sent, dates = published
    with in_tenant(rail_site):
        trip, chair, _ = tomorrow_trip()
        customer = Owner(customer_id=bulk_customers(1)[0])
        inventory.block_trip_seats(trip.id, [chair[4]], reason="  Broken   window ", actor=STAFF)
        assert sent == [(f"trip:{trip.id}", [{"seat": chair[4], "board": 0, "alight": 3, "state": "blocked",
                                              "tag": None}])]
        assert dates == [trip.service_date]  # the search counts follow
        with pytest.raises(SeatsTaken, match="KA-5"):
            rail.hold_seats(trip.id, [chair[4]], board_seq=1, alight_seq=2, owner=customer)

        assert holds.expire_due(now=utcnow() + timedelta(days=30)) == 0  # the sweep leaves it alone
        [claim] = blocked_claims(trip.id)
        assert claim.reason == "Broken window"
        coach = trip.train.coaches[0].id
        assert rail.seat_states(trip.id, coach, 0, 3, customer)[chair[4]] == "blocked"

        with pytest.raises(InventoryError, match="not blocked"):
            inventory.unblock_trip_seat(trip.id, chair[5], actor=STAFF)
        assert inventory.unblock_trip_seat(trip.id, chair[4], actor=STAFF) == 1
        assert sent[-1] == (f"trip:{trip.id}", [{"seat": chair[4], "board": 0, "alight": 3, "state": "free",
                                                 "tag": None}])
        assert isinstance(rail.hold_seats(trip.id, [chair[4]], board_seq=1, alight_seq=2, owner=customer), Hold)

        rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action.in_(["seats.block", "seats.unblock"]))
                                  .order_by(AuditLog.id)).all()
        assert [(r.action, r.resource, r.resource_id, r.actor_label) for r in rows] == [
            ("seats.block", "trip", str(trip.id), STAFF.label), ("seats.unblock", "trip", str(trip.id), STAFF.label)]
        assert rows[0].changes["after"] == {"seats": ["KA-5"], "board_seq": 0, "alight_seq": 3,
                                            "reason": "Broken window"}
        assert rows[1].changes["before"]["blocks"] == [{"board_seq": 0, "alight_seq": 3, "reason": "Broken window"}]


def test_blocking_takes_over_an_expired_hold_and_refuses_bad_input(rail_site, in_tenant):
    with in_tenant(rail_site):
        trip, chair, _ = tomorrow_trip()
        customer = Owner(customer_id=bulk_customers(1)[0])
        old = rail.hold_seats(trip.id, chair[:2], board_seq=0, alight_seq=3, owner=customer,
                              now=utcnow() - timedelta(minutes=6))
        inventory.block_trip_seats(trip.id, [chair[0]], reason="VIP", actor=STAFF)
        db.session.expire_all()
        assert db.session.get(Hold, old.id).status == "expired"
        assert [c.seat_id for c in db.session.scalars(sa.select(SeatClaim).where(SeatClaim.trip_id == trip.id))] == [
            chair[0]]

        for seats, board, alight, reason, message in [
                ([chair[3]], None, None, "   ", "Say why"),
                ([chair[3]], None, None, "x" * 201, "200 characters"),
                ([], None, None, "VIP", "at least one seat"),
                ([chair[3]], 2, 1, "VIP", "Choose where you board"),
                ([chair[3]], 0, 9, "VIP", "Choose where you board"),
                ([10**9], None, None, "VIP", "not on this train")]:
            with pytest.raises(InventoryError, match=message):
                inventory.block_trip_seats(trip.id, seats, board, alight, reason=reason, actor=STAFF)
        with pytest.raises(InventoryError, match="no longer exists"):
            inventory.block_trip_seats(10**9, [chair[3]], reason="VIP", actor=STAFF)
        assert len(blocked_claims(trip.id)) == 1


def test_on_sqlite_the_trigger_refuses_blocking_a_sold_seat(make_sqlite_tenant, in_tenant):
    with in_tenant(make_sqlite_tenant("rail", kind="rail")):
        trip, chair, _ = tomorrow_trip(coaches=(("S_CHAIR", "Chair 2+2, 15 rows"),))
        make.claim(trip.id, chair[0], 1, 2)
        with pytest.raises(SeatsTaken, match="KA-1"):
            inventory.block_trip_seats(trip.id, chair[:2], reason="Crew", actor=STAFF)
        assert blocked_claims(trip.id) == []
        inventory.block_trip_seats(trip.id, chair[:2], 2, 3, reason="Crew", actor=STAFF)
        assert len(blocked_claims(trip.id)) == 2


# --- rail: the staff pages -----------------------------------------------------------------------

def test_an_operator_sees_the_figures_blocks_with_a_reason_and_unblocks_on_the_trip_page(rail_site, in_tenant,
                                                                                         client_for):
    client = staff_client(rail_site, in_tenant, client_for, "operator")
    with in_tenant(rail_site):
        trip, chair, _ = tomorrow_trip()
        make.claim(trip.id, chair[0], 0, 3)
        make.claim(trip.id, chair[1], 0, 3, status="held", expires_in=300)
        day = trip.service_date
    listed = client.get(f"/staff/rail/trips?day={day}").get_data(as_text=True)
    assert f"/staff/rail/trips/{trip.id}/occupancy" in listed
    overview = client.get(f"/staff/rail/occupancy?day={day}").get_data(as_text=True)
    assert f"/staff/rail/trips/{trip.id}/occupancy" in overview

    page = client.get(f"/staff/rail/trips/{trip.id}/occupancy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Seats on each stretch" in html and "Block chosen seats" in html
    assert "KA-1, sold" in html and "KA-2, held" in html and "KA-3, free" in html

    missing = client.post(f"/staff/rail/trips/{trip.id}/block", headers=HTMX,
                          data={"seat": [chair[2]], "board": 0, "alight": 3, "reason": ""})
    assert missing.status_code == 422 and "Say why the seats are blocked." in missing.get_data(as_text=True)
    taken = client.post(f"/staff/rail/trips/{trip.id}/block", headers=HTMX,
                        data={"seat": [chair[1], chair[2]], "board": 0, "alight": 3, "reason": "Crew"})
    assert taken.status_code == 409 and "KA-2 is already held, sold or blocked" in taken.get_data(as_text=True)
    with in_tenant(rail_site):
        assert blocked_claims(trip.id) == []

    done = client.post(f"/staff/rail/trips/{trip.id}/block", headers=HTMX,
                       data={"seat": [chair[2], chair[3]], "board": 1, "alight": 3, "reason": "Railway police"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "<html" not in html and "2 seats blocked." in html
    assert "KA-3, blocked" in html and "Railway police" in html and "BHB → CTG" in html
    with in_tenant(rail_site):
        assert sorted(c.seat_id for c in blocked_claims(trip.id)) == chair[2:4]
        assert actions().count("seats.block") == 1

    freed = client.post(f"/staff/rail/trips/{trip.id}/unblock?board=1&alight=3", headers=HTMX,
                        data={"seat": chair[2], "board": 1, "alight": 3})
    assert freed.status_code == 200 and "Seat unblocked." in freed.get_data(as_text=True)
    again = client.post(f"/staff/rail/trips/{trip.id}/unblock", headers=HTMX, data={"seat": chair[2]})
    assert again.status_code == 409 and "not blocked" in again.get_data(as_text=True)
    with in_tenant(rail_site):
        assert [c.seat_id for c in blocked_claims(trip.id)] == [chair[3]]
        assert actions().count("seats.unblock") == 1


def test_viewers_see_occupancy_but_cannot_block_and_gate_staff_see_neither(rail_site, in_tenant, client_for):
    viewer = staff_client(rail_site, in_tenant, client_for, "viewer")
    gate = staff_client(rail_site, in_tenant, client_for, "gate")
    with in_tenant(rail_site):
        trip, chair, _ = tomorrow_trip()
    page = viewer.get(f"/staff/rail/trips/{trip.id}/occupancy")
    assert page.status_code == 200 and "Block chosen seats" not in page.get_data(as_text=True)
    assert "/staff/rail/occupancy" in viewer.get("/staff/").get_data(as_text=True)  # on the viewer's menu
    block = {"seat": [chair[0]], "board": 0, "alight": 3, "reason": "Crew"}
    assert viewer.post(f"/staff/rail/trips/{trip.id}/block", data=block).status_code == 403
    assert viewer.post(f"/staff/rail/trips/{trip.id}/unblock", data={"seat": chair[0]}).status_code == 403
    assert gate.get(f"/staff/rail/trips/{trip.id}/occupancy").status_code == 403
    assert gate.get("/staff/rail/occupancy").status_code == 403
    assert gate.post(f"/staff/rail/trips/{trip.id}/block", data=block).status_code == 403
    with in_tenant(rail_site):
        assert blocked_claims(trip.id) == []


def test_bad_input_on_the_trip_pages_gets_a_4xx_and_changes_nothing(rail_site, in_tenant, client_for):
    client = staff_client(rail_site, in_tenant, client_for, "operator")
    with in_tenant(rail_site):
        trip, chair, _ = tomorrow_trip()
    base = f"/staff/rail/trips/{trip.id}"
    assert client.get("/staff/rail/trips/999999/occupancy").status_code == 404
    assert client.get(f"/staff/rail/trips/{2**31}/occupancy").status_code == 404
    wrong = client.get(f"{base}/occupancy?board=3&alight=1&coach=abc")
    assert wrong.status_code == 422 and "showing the whole journey" in wrong.get_data(as_text=True)
    assert client.get(f"{base}/occupancy?board=x&alight=").status_code == 200  # ignored: the whole journey
    assert client.get(f"{base}/occupancy?board=%00").status_code == 400  # the app's input guard
    assert client.get("/staff/rail/occupancy?day=2026-02-30").status_code == 422
    assert client.get("/staff/rail/occupancy?day=9999-01-01").status_code == 422
    for data in [{"seat": ["abc"], "board": 0, "alight": 3, "reason": "x"},
                 {"seat": [2**31], "board": 0, "alight": 3, "reason": "x"},
                 {"seat": [chair[0]], "board": "x", "alight": 3, "reason": "x"},
                 {"seat": [chair[0]], "board": 0, "alight": 3, "reason": "x" * 201},
                 {"seat": [chair[0]], "board": 2, "alight": 1, "reason": "x"},
                 {"seat": [chair[0]], "board": 0, "alight": 2**31, "reason": "x"},
                 {"seat": [10**9], "board": 0, "alight": 3, "reason": "x"},
                 {"seat": [chair[0]], "board": 0, "alight": 3, "reason": "\x00"}]:
        answer = client.post(f"{base}/block", data=data, headers=HTMX)
        assert 400 <= answer.status_code < 500, (data, answer.status_code)
    assert client.post("/staff/rail/trips/999999/block", data={"seat": [chair[0]], "board": 0, "alight": 3,
                                                               "reason": "x"}).status_code == 404
    for data in [{}, {"seat": "abc"}, {"seat": 2**40}, {"seat": chair[0], "board": "-1"}]:
        assert client.post(f"{base}/unblock", data=data).status_code in (409, 422), data
    with in_tenant(rail_site):
        assert blocked_claims(trip.id) == [] and "seats.block" not in actions()


# --- events --------------------------------------------------------------------------------------

def seated_show():
    event_id = make_events.make_event("Sound and light", admission="seated", tickets=(), status="draft")
    category = seat_plans.add_category(event_id, "Standard", Decimal("300"), "#d4a017", actor=make_events.ACTOR)
    seat_plans.add_section(event_id, "Centre", 2, 4, category_id=category.id, actor=make_events.ACTOR)
    seat_plans.add_section(event_id, "Side", 1, 3, category_id=category.id, actor=make_events.ACTOR)
    catalog.set_status(event_id, "published", actor=make_events.ACTOR)
    seats = list(db.session.scalars(sa.select(PlanSeat.id).order_by(PlanSeat.section_id, PlanSeat.row,
                                                                    PlanSeat.number)))
    return event_id, seats


def test_plan_seats_figures_blocking_refusals_and_unblocking(events_site, in_tenant, published):
    sent, _ = published
    with in_tenant(events_site):
        event_id, seats = seated_show()  # Centre A1-A4, B1-B4; Side A1-A3
        seat_plans.toggle_seat(seats[7], actor=make_events.ACTOR)  # Centre B4: not a seat (a pillar)
        events.hold_plan_seats(event_id, [seats[0]], owner=Owner(guest_key="live"))
        events.hold_plan_seats(event_id, [seats[1]], owner=Owner(guest_key="gone"), now=utcnow() - timedelta(minutes=6))
        db.session.add(EventSeatClaim(event_id=event_id, seat_id=seats[2], status="sold"))
        db.session.commit()
        sent.clear()

        with pytest.raises(SeatsTaken) as refused:
            inventory.block_plan_seats(event_id, [seats[0], seats[2], seats[3]], reason="Guests", actor=STAFF)
        assert refused.value.labels == ["Centre A1", "Centre A3"] and sent == []
        with pytest.raises(InventoryError, match="Centre B4: not a seat"):
            inventory.block_plan_seats(event_id, [seats[7]], reason="Guests", actor=STAFF)
        with pytest.raises(InventoryError, match="Say why"):
            inventory.block_plan_seats(event_id, [seats[3]], reason="", actor=STAFF)
        assert db.session.scalar(sa.select(sa.func.count()).where(EventSeatClaim.status == "blocked")) == 0

        # The expired hold on Centre A2 is taken over: blocking it succeeds.
        inventory.block_plan_seats(event_id, [seats[1], seats[8]], reason="Guests of honour", actor=STAFF)
        assert sent == [(f"event:{event_id}", [{"seat": seats[1], "state": "free", "tag": None},
                                               {"seat": seats[1], "state": "blocked", "tag": None},
                                               {"seat": seats[8], "state": "blocked", "tag": None}])]
        with pytest.raises(SeatsTaken, match="Centre A2"):
            events.hold_plan_seats(event_id, [seats[1]], owner=Owner(guest_key="late"))
        occ = inventory.event_occupancy(event_id)
        figures = [(s.section.name, s.total, s.sold, s.held, s.blocked, s.unavailable, s.free) for s in occ.sections]
        assert figures == [("Centre", 8, 1, 1, 1, 1, 4), ("Side", 3, 0, 0, 1, 0, 2)]
        later = inventory.event_occupancy(event_id, now=utcnow() + timedelta(days=30))
        assert later.section_totals.held == 0 and later.section_totals.blocked == 2  # the live hold will run out
        assert holds.expire_due(now=utcnow() + timedelta(days=30)) == 1  # the live hold only: blocks never expire
        assert inventory.event_occupancy(event_id).section_totals.blocked == 2
        assert [(b.label, b.reason) for b in occ.blocks] == [("Centre A2", "Guests of honour"),
                                                           ("Side A1", "Guests of honour")]

        inventory.unblock_plan_seat(event_id, seats[8], actor=STAFF)
        with pytest.raises(InventoryError, match="not blocked"):
            inventory.unblock_plan_seat(event_id, seats[8], actor=STAFF)
        assert isinstance(events.hold_plan_seats(event_id, [seats[8]], owner=Owner(guest_key="late")), Hold)
        assert actions().count("seats.block") == 1 and actions().count("seats.unblock") == 1


def test_ticket_type_and_slot_figures_count_live_holds_only(events_site, in_tenant):
    with in_tenant(events_site):
        event_id = make_events.make_event("Zoo entry", admission="timed", tickets=(("Adult", "50", 100),))
        day = utcnow().date() + timedelta(days=1)
        slots.generate_slots(event_id, SlotPlan(day, day, time(9), time(11), 60, 20), tz="Asia/Dhaka",
                             actor=make_events.ACTOR)
        first, second = db.session.scalars(sa.select(TimeSlot).order_by(TimeSlot.starts_at)).all()
        adult = db.session.scalar(sa.select(TicketType.id))
        events.hold_quantities(event_id, {adult: 3}, slot_id=first.id, owner=Owner(guest_key="a"))
        events.hold_quantities(event_id, {adult: 5}, slot_id=first.id, owner=Owner(guest_key="b"),
                               now=utcnow() - timedelta(minutes=6))
        db.session.execute(sa.update(TicketType).values(sold=10))
        db.session.execute(sa.update(TimeSlot).where(TimeSlot.id == second.id).values(sold=4))
        db.session.commit()

        occ = inventory.event_occupancy(event_id, day=day)
        [line] = occ.ticket_types
        assert (line.limit, line.sold, line.held, line.left) == (100, 10, 3, 87)
        assert [(s.limit, s.sold, s.held, s.left) for s in occ.slots] == [(20, 0, 3, 17), (20, 4, 0, 16)]
        assert occ.day == day and day in occ.days
        assert inventory.event_occupancy(event_id, day=day + timedelta(days=5)).slots == []


def test_event_pages_for_operators_viewers_and_gate_staff(events_site, in_tenant, client_for):
    operator = staff_client(events_site, in_tenant, client_for, "operator")
    viewer = staff_client(events_site, in_tenant, client_for, "viewer")
    gate = staff_client(events_site, in_tenant, client_for, "gate")
    with in_tenant(events_site):
        event_id, seats = seated_show()
        events.hold_plan_seats(event_id, [seats[0]], owner=Owner(guest_key="live"))
    base = f"/staff/events/{event_id}"
    assert f"{base}/occupancy" in operator.get(base).get_data(as_text=True)
    assert f"{base}/occupancy" in viewer.get("/staff/events/occupancy").get_data(as_text=True)
    page = operator.get(f"{base}/occupancy").get_data(as_text=True)
    assert "Seats by section" in page and "Centre A1, held" in page and "Block chosen seats" in page

    taken = operator.post(f"{base}/block", headers=HTMX, data={"seat": [seats[0], seats[1]], "reason": "Press"})
    assert taken.status_code == 409 and "Centre A1 is already held" in taken.get_data(as_text=True)
    done = operator.post(f"{base}/block", headers=HTMX, data={"seat": [seats[1]], "reason": "Press"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "1 seat blocked." in html and "Centre A2, blocked" in html and "Press" in html

    viewed = viewer.get(f"{base}/occupancy")
    assert viewed.status_code == 200 and "Block chosen seats" not in viewed.get_data(as_text=True)
    assert viewer.post(f"{base}/block", data={"seat": [seats[2]], "reason": "x"}).status_code == 403
    assert viewer.post(f"{base}/unblock", data={"seat": seats[1]}).status_code == 403
    assert gate.get(f"{base}/occupancy").status_code == 403

    for data in [{"seat": ["abc"], "reason": "x"}, {"seat": [seats[2]], "reason": ""}, {"seat": [10**9], "reason": "x"},
                 {"seat": [2**31], "reason": "x"}]:
        assert 400 <= operator.post(f"{base}/block", data=data, headers=HTMX).status_code < 500, data
    assert operator.post(f"{base}/unblock", data={"seat": "x"}).status_code == 422
    assert operator.get("/staff/events/999999/occupancy").status_code == 404
    assert operator.get(f"{base}/occupancy?day=2026-13-01").status_code == 422
    freed = operator.post(f"{base}/unblock", headers=HTMX, data={"seat": seats[1]})
    assert freed.status_code == 200 and "Seat unblocked." in freed.get_data(as_text=True)
    with in_tenant(events_site):
        assert db.session.scalar(sa.select(sa.func.count()).where(EventSeatClaim.status == "blocked")) == 0
        assert actions().count("seats.block") == 1 and actions().count("seats.unblock") == 1
