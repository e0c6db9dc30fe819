"""The inventory on PostgreSQL (rules 1-3, 6): holds can never oversell under concurrency. Each race
runs a control too, the same concurrency against a naive check-then-insert, which must oversell:
so each race test can fail."""
import itertools
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.events import TicketType, TimeSlot
from models.rail import SeatClaim
from models.sales import Hold
from services import tenant_db
from services.errors import Retryable
from services.events import slots
from services.events.slots import SlotPlan
from services.inventory import HoldLimit, NotOnSale, Owner, SeatsTaken, SoldOut, events, holds, rail
from services.rail import trips
from tests.support import events as make_events
from tests.support import rail as make
from tests.support.people import bulk_customers

DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CML", "10:00", "10:03", 0, 190),
             ("CTG", "12:00", None, 0, 321)]


@pytest.fixture
def rail_tenant(make_tenant, app, monkeypatch):
    # 50 threads with a connection each: a bigger pool than a web process needs.
    monkeypatch.setitem(app.config, "TENANT_DB_MAX_OVERFLOW", 60)
    info = make_tenant("rail", kind="rail")
    yield info
    tenant_db.dispose_engine(info.slug)


@pytest.fixture
def events_tenant(make_tenant, app, monkeypatch):
    monkeypatch.setitem(app.config, "TENANT_DB_MAX_OVERFLOW", 60)
    info = make_tenant("zoo", kind="events")
    yield info
    tenant_db.dispose_engine(info.slug)


def tomorrow_trip(coaches=(("S_CHAIR", "Chair 2+2, 15 rows"),)):
    """A trip tomorrow (today's morning train may have left already)."""
    day = trips.local_today() + timedelta(days=1)
    train = make.train(DHAKA_CTG, coaches=coaches)
    make.generate([train.id], day)
    return make.trip_of(train.id, day), make.seat_ids(train.id)


def owners(ids):
    pool = iter(ids)
    lock = threading.Lock()

    def next_owner():
        with lock:
            return Owner(customer_id=next(pool))

    return next_owner


def overlapping_pairs(trip_id: int) -> int:
    a, b = sa.orm.aliased(SeatClaim), sa.orm.aliased(SeatClaim)
    return db.session.scalar(sa.select(sa.func.count()).select_from(a).join(b, sa.and_(
        a.trip_id == b.trip_id, a.seat_id == b.seat_id, a.id < b.id,
        a.board_seq < b.alight_seq, b.board_seq < a.alight_seq)).where(a.trip_id == trip_id))


def naive_control(race, n, check, insert):
    """The race against a check-then-insert with the gap every such code has: it oversells."""
    def attempt():
        if check():
            return "taken"
        time.sleep(0.05)
        insert()
        return "ok"

    return race(n, attempt).count("ok")


def test_fifty_customers_race_for_one_seat_and_exactly_one_wins(rail_tenant, in_tenant, race):
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        customers = bulk_customers(50)
        next_owner = owners(customers)
        results = race(50, lambda: rail.hold_seats(trip.id, [seats[11]], board_seq=0, alight_seq=3,
                                                   owner=next_owner()))
        winners = [r for r in results if isinstance(r, Hold)]
        assert len(winners) == 1, results
        # The losers are told which seat went, not a deadlock or a 500.
        assert all(isinstance(r, SeatsTaken) and r.labels == ["KA-12"] for r in results if r not in winners), results
        assert db.session.scalar(sa.select(sa.func.count(SeatClaim.id)).where(SeatClaim.trip_id == trip.id)) == 1

        engine = tenant_db.current_engine()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE naive_claims (LIKE seat_claims INCLUDING DEFAULTS)"))

        def check():
            with engine.connect() as conn:
                return conn.scalar(sa.text("SELECT count(*) FROM naive_claims WHERE trip_id = :t AND seat_id = :s "
                                           "AND board_seq < 3 AND alight_seq > 0"), {"t": trip.id, "s": seats[11]})

        def insert():
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO naive_claims (id, trip_id, seat_id, board_seq, alight_seq, status, "
                                     "created_at) VALUES (nextval('seat_claims_id_seq'), :t, :s, 0, 3, 'sold', now())"),
                             {"t": trip.id, "s": seats[11]})

        assert naive_control(race, 50, check, insert) > 1


def test_stretches_that_do_not_overlap_share_a_seat_and_overlapping_ones_are_refused(rail_tenant, in_tenant):
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        a, b, c = (Owner(customer_id=i) for i in bulk_customers(3))
        rail.hold_seats(trip.id, [seats[0]], board_seq=0, alight_seq=1, owner=a)  # Dhaka → Bhairab
        rail.hold_seats(trip.id, [seats[0]], board_seq=1, alight_seq=3, owner=b)  # Bhairab → Chattogram
        with pytest.raises(SeatsTaken, match="KA-1"):
            rail.hold_seats(trip.id, [seats[0]], board_seq=0, alight_seq=2, owner=c)  # Dhaka → Cumilla
        assert rail.seat_states(trip.id, trip.train.coaches[0].id, 0, 1, a)[seats[0]] == "mine"
        assert rail.seat_states(trip.id, trip.train.coaches[0].id, 0, 1, c)[seats[0]] == "held"
        assert overlapping_pairs(trip.id) == 0


def test_several_seats_are_held_all_or_none(rail_tenant, in_tenant):
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        a, b = (Owner(customer_id=i) for i in bulk_customers(2))
        rail.hold_seats(trip.id, [seats[2]], board_seq=0, alight_seq=3, owner=a)
        with pytest.raises(SeatsTaken) as refused:
            rail.hold_seats(trip.id, seats[0:4], board_seq=0, alight_seq=3, owner=b)
        assert refused.value.labels == ["KA-3"]
        assert "KA-3" in refused.value.message
        held_by_b = db.session.scalar(sa.select(sa.func.count(SeatClaim.id)).join(Hold)
                                      .where(Hold.customer_id == b.customer_id))
        assert held_by_b == 0  # none of the three free seats was kept
        assert db.session.scalar(sa.select(sa.func.count(Hold.id)).where(Hold.customer_id == b.customer_id)) == 0


def test_an_expired_hold_stops_counting_at_once_and_is_taken_over(rail_tenant, in_tenant):
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        a, b = (Owner(customer_id=i) for i in bulk_customers(2))
        then = utcnow() - timedelta(minutes=6)
        old = rail.hold_seats(trip.id, seats[:2], board_seq=0, alight_seq=3, owner=a, now=then)
        coach = trip.train.coaches[0].id
        assert rail.seat_states(trip.id, coach, 0, 3, b)[seats[0]] == "free"  # no sweep ran: still free
        new = rail.hold_seats(trip.id, [seats[0]], board_seq=1, alight_seq=2, owner=b)
        db.session.expire_all()
        assert db.session.get(Hold, old.id).status == "expired"
        # The takeover ended the whole expired hold: its other seat is free again too.
        assert db.session.scalars(sa.select(SeatClaim.seat_id).where(SeatClaim.trip_id == trip.id)).all() == [seats[0]]
        assert db.session.get(Hold, new.id).status == "active"


def test_the_sweep_ends_expired_holds_once_and_gives_everything_back(rail_tenant, in_tenant):
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        a, b = (Owner(customer_id=i) for i in bulk_customers(2))
        old = rail.hold_seats(trip.id, seats[:2], board_seq=0, alight_seq=3, owner=a,
                              now=utcnow() - timedelta(minutes=6))
        live = rail.hold_seats(trip.id, [seats[5]], board_seq=0, alight_seq=3, owner=b)
        assert holds.expire_due() == 1
        assert holds.expire_due() == 0  # harmless twice
        db.session.expire_all()
        assert db.session.get(Hold, old.id).status == "expired"
        assert db.session.get(Hold, live.id).status == "active"
        assert db.session.scalars(sa.select(SeatClaim.seat_id).where(SeatClaim.trip_id == trip.id)).all() == [seats[5]]


def test_one_customer_cannot_pass_the_limit_on_a_trip_even_with_concurrent_holds(rail_tenant, in_tenant, race):
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        [customer] = bulk_customers(1)
        me = Owner(customer_id=customer)
        with pytest.raises(HoldLimit):
            rail.hold_seats(trip.id, seats[:5], board_seq=0, alight_seq=3, owner=me)
        picks = iter([[s] for s in seats[:12]])
        lock = threading.Lock()

        def one_seat():
            with lock:
                pick = next(picks)
            return rail.hold_seats(trip.id, pick, board_seq=0, alight_seq=3, owner=me)

        results = race(12, one_seat)
        assert sum(isinstance(r, Hold) for r in results) == 4, results
        assert all(isinstance(r, (Hold, HoldLimit)) for r in results), results
        assert db.session.scalar(sa.select(sa.func.count(SeatClaim.id)).where(SeatClaim.trip_id == trip.id)) == 4

        # Control: counting then inserting without the customer's lock lets more than 4 through.
        engine = tenant_db.current_engine()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE naive_holds (seat integer)"))

        def check():
            with engine.connect() as conn:
                return conn.scalar(sa.text("SELECT count(*) FROM naive_holds")) >= 4

        def insert():
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO naive_holds VALUES (1)"))

        assert naive_control(race, 12, check, insert) > 4


def test_nothing_is_held_on_a_cancelled_or_departed_trip(rail_tenant, in_tenant):
    from services.audit import Actor

    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        [customer] = bulk_customers(1)
        me = Owner(customer_id=customer)
        after_departure = trip.departs_at + timedelta(minutes=1)
        with pytest.raises(NotOnSale, match="left"):
            rail.hold_seats(trip.id, [seats[0]], board_seq=0, alight_seq=3, owner=me, now=after_departure)
        # From Bhairab the same trip is still on sale for a while.
        rail.hold_seats(trip.id, [seats[0]], board_seq=1, alight_seq=3, owner=me, now=after_departure)
        trips.cancel_trip(trip.id, actor=Actor.system("test"))
        with pytest.raises(NotOnSale, match="cancelled"):
            rail.hold_seats(trip.id, [seats[1]], board_seq=0, alight_seq=3, owner=me)


def _zoo_slot(capacity: int):
    event_id = make_events.make_event("Zoo entry", admission="timed", tickets=(("Adult", "50", None),),
                                      max_per_order=10)
    day = (utcnow() + timedelta(days=1)).date()
    slots.generate_slots(event_id, SlotPlan(first_day=day, last_day=day, opens=slots.time(9), closes=slots.time(10),
                                            every_minutes=60, capacity=capacity), tz="Asia/Dhaka",
                         actor=make_events.ACTOR)
    slot = db.session.scalar(sa.select(TimeSlot).where(TimeSlot.event_id == event_id))
    adult = db.session.scalar(sa.select(TicketType).where(TicketType.event_id == event_id))
    return event_id, slot.id, adult.id


def test_quantity_holds_never_exceed_a_slots_capacity_under_concurrency(events_tenant, in_tenant, race):
    with in_tenant(events_tenant):
        event_id, slot_id, adult = _zoo_slot(capacity=10)
        counter = itertools.count()
        lock = threading.Lock()

        def guest():
            with lock:
                return Owner(guest_key=f"guest-{next(counter)}")

        results = race(30, lambda: events.hold_quantities(event_id, {adult: 3}, slot_id=slot_id, owner=guest()))
        won = [r for r in results if isinstance(r, Hold)]
        assert len(won) == 3, results  # 3 × 3 = 9 of 10; a fourth would make 12
        assert all(isinstance(r, (Hold, SoldOut)) for r in results), results
        assert not any(isinstance(r, Retryable) for r in results)
        db.session.expire_all()
        assert db.session.get(TimeSlot, slot_id).held == 9
        with pytest.raises(SoldOut, match="Only 1 left"):
            events.hold_quantities(event_id, {adult: 2}, slot_id=slot_id, owner=Owner(guest_key="late"))

        # Control: reading what is left and then adding to the counter oversells.
        engine = tenant_db.current_engine()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE naive_slot (held integer)"))
            conn.execute(sa.text("INSERT INTO naive_slot VALUES (0)"))

        def check():
            with engine.connect() as conn:
                return conn.scalar(sa.text("SELECT held FROM naive_slot")) + 3 > 10

        def insert():
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE naive_slot SET held = held + 3"))

        assert naive_control(race, 30, check, insert) > 3


def test_quantities_of_an_expired_hold_come_back_and_releasing_gives_them_back(events_tenant, in_tenant):
    with in_tenant(events_tenant):
        event_id, slot_id, adult = _zoo_slot(capacity=4)
        old = events.hold_quantities(event_id, {adult: 4}, slot_id=slot_id, owner=Owner(guest_key="a"),
                                     now=utcnow() - timedelta(minutes=6))
        assert events.left_of_slot(db.session.get(TimeSlot, slot_id),
                                   events.stale_held(event_id, utcnow())[1]) == 4  # expired: counts for nothing
        mine = events.hold_quantities(event_id, {adult: 3}, slot_id=slot_id, owner=Owner(guest_key="b"))
        db.session.expire_all()
        assert db.session.get(Hold, old.id).status == "expired"
        assert db.session.get(TimeSlot, slot_id).held == 3
        events.hold_quantities(event_id, {adult: 1}, slot_id=slot_id, owner=Owner(guest_key="b"))  # set, not add
        db.session.expire_all()
        assert db.session.get(TimeSlot, slot_id).held == 1
        holds.release(mine.token, Owner(guest_key="b"))
        db.session.expire_all()
        assert db.session.get(TimeSlot, slot_id).held == 0
        with pytest.raises(holds.HoldNotFound):
            holds.release(mine.token, Owner(guest_key="someone else"))


def test_general_admission_quantity_is_never_oversold_under_concurrency(events_tenant, in_tenant, race):
    with in_tenant(events_tenant):
        event_id = make_events.make_event("Concert", tickets=(("Adult", "100", 5),))
        adult = db.session.scalar(sa.select(TicketType.id).where(TicketType.event_id == event_id))
        counter = itertools.count()
        results = race(20, lambda: events.hold_quantities(event_id, {adult: 1},
                                                         owner=Owner(guest_key=f"g{next(counter)}")))
        assert sum(isinstance(r, Hold) for r in results) == 5
        db.session.expire_all()
        row = db.session.get(TicketType, adult)
        assert row.held == 5 and row.sold + row.held <= row.quantity


def _seated_show():
    from decimal import Decimal

    from models.events import PlanSeat
    from services.events import catalog, seat_plans

    event_id = make_events.make_event("Light show", admission="seated", tickets=(), status="draft")
    category = seat_plans.add_category(event_id, "Standard", Decimal("300"), "#d4a017", actor=make_events.ACTOR)
    seat_plans.add_section(event_id, "Centre", 2, 5, category_id=category.id, actor=make_events.ACTOR)
    catalog.set_status(event_id, "published", actor=make_events.ACTOR)
    return event_id, list(db.session.scalars(sa.select(PlanSeat.id).order_by(PlanSeat.row, PlanSeat.number)))


def test_a_plan_seat_goes_to_exactly_one_of_many_guests_and_several_seats_go_all_or_none(events_tenant, in_tenant,
                                                                                         race):
    with in_tenant(events_tenant):
        event_id, seats = _seated_show()
        counter = itertools.count()
        results = race(20, lambda: events.hold_plan_seats(event_id, [seats[3], seats[4]],
                                                          owner=Owner(guest_key=f"g{next(counter)}")))
        assert sum(isinstance(r, Hold) for r in results) == 1, results
        assert all(isinstance(r, (Hold, SeatsTaken)) for r in results if not isinstance(r, Hold)), results
        with pytest.raises(SeatsTaken, match="Centre A4"):
            events.hold_plan_seats(event_id, [seats[2], seats[3]], owner=Owner(guest_key="late"))
        from models.sales import EventSeatClaim

        assert db.session.scalar(sa.select(sa.func.count(EventSeatClaim.id))) == 2  # seat A3 was not kept

        engine = tenant_db.current_engine()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE naive_plan (seat integer)"))

        def check():
            with engine.connect() as conn:
                return conn.scalar(sa.text("SELECT count(*) FROM naive_plan"))

        def insert():
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO naive_plan VALUES (1)"))

        assert naive_control(race, 20, check, insert) > 1


def test_on_sqlite_a_trigger_refuses_an_overlapping_claim(make_sqlite_tenant, in_tenant):
    from sqlalchemy.exc import IntegrityError

    from services import transactions

    with in_tenant(make_sqlite_tenant("rail", kind="rail")):
        trip, seats = tomorrow_trip()
        make.claim(trip.id, seats[0], 0, 2)
        make.claim(trip.id, seats[0], 2, 3)  # touching stretches do not overlap
        with pytest.raises(IntegrityError) as refused:
            make.claim(trip.id, seats[0], 1, 3)
        assert transactions.constraint_name(refused.value) == "ex_seat_claims_no_overlap"
        db.session.rollback()
        claim = db.session.scalar(sa.select(SeatClaim).where(SeatClaim.board_seq == 2))
        claim.board_seq = 1  # moving a claim onto another is refused too
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # Through the service: the refusal names the seat.
        a, b = (Owner(customer_id=i) for i in bulk_customers(2))
        rail.hold_seats(trip.id, [seats[1]], board_seq=0, alight_seq=3, owner=a)
        with pytest.raises(SeatsTaken, match="KA-2"):
            rail.hold_seats(trip.id, [seats[1]], board_seq=1, alight_seq=2, owner=b)
        assert overlapping_pairs(trip.id) == 0


def test_a_hold_is_extended_once_and_a_seat_can_be_let_go_alone(rail_tenant, in_tenant):
    from services.inventory import InventoryError

    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        [customer] = bulk_customers(1)
        me = Owner(customer_id=customer)
        started = utcnow() - timedelta(minutes=4)
        hold = rail.hold_seats(trip.id, seats[:2], board_seq=0, alight_seq=3, owner=me, now=started)
        extended = holds.extend(hold.token, me)
        assert extended.expires_at > started + timedelta(minutes=5)
        assert set(db.session.scalars(sa.select(SeatClaim.expires_at).where(SeatClaim.hold_id == hold.id))) == {
            extended.expires_at}
        with pytest.raises(InventoryError, match="already been extended"):
            holds.extend(hold.token, me)
        assert holds.release_seat(hold.token, seats[0], me) is True
        assert holds.release_seat(hold.token, seats[1], me) is False  # the last seat ends the hold
        db.session.expire_all()
        assert db.session.get(Hold, hold.id).status == "released"
        with pytest.raises(holds.HoldNotFound):
            holds.release(hold.token, me)


def test_a_guest_who_logs_in_keeps_what_they_held(events_tenant, in_tenant):
    with in_tenant(events_tenant):
        event_id, slot_id, adult = _zoo_slot(capacity=10)
        hold = events.hold_quantities(event_id, {adult: 2}, slot_id=slot_id, owner=Owner(guest_key="browser-1"))
        [customer] = bulk_customers(1)
        assert holds.adopt_guest_holds("browser-1", customer) == 1
        assert [h.id for h in holds.active_holds(Owner(customer_id=customer), event_id=event_id)] == [hold.id]
        assert holds.active_holds(Owner(guest_key="browser-1"), event_id=event_id) == []


def test_the_constraint_refuses_a_claim_that_slips_in_after_the_hold_looked(rail_tenant, in_tenant, monkeypatch):
    """The read before the insert only refuses early; what lets a hold through is the insert, so a
    claim committed in between (by a writer that takes no lock) is still refused by the database."""
    with in_tenant(rail_tenant):
        trip, seats = tomorrow_trip()
        [customer] = bulk_customers(1)
        engine = tenant_db.current_engine()
        original = rail.take_over_expired

        def someone_sells_first(hold_ids, now, changes):
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO seat_claims (trip_id, seat_id, board_seq, alight_seq, status, "
                                     "created_at) VALUES (:t, :s, 1, 2, 'sold', now())"), {"t": trip.id, "s": seats[0]})
            return original(hold_ids, now, changes)

        monkeypatch.setattr(rail, "take_over_expired", someone_sells_first)
        with pytest.raises(SeatsTaken, match="KA-1"):
            rail.hold_seats(trip.id, seats[:2], board_seq=0, alight_seq=3, owner=Owner(customer_id=customer))
        assert db.session.scalar(sa.select(sa.func.count(SeatClaim.id)).where(SeatClaim.trip_id == trip.id)) == 1
        assert overlapping_pairs(trip.id) == 0
