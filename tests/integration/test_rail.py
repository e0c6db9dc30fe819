"""Rail on PostgreSQL: search over intermediate stops, overnight trains and per-stretch seat
availability; the search cache and its invalidation; idempotent trip generation; the exclusion
constraint under a race; validation messages; the staff pages."""
import re
import socket
import threading
from datetime import datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import db
from models.people import AuditLog
from models.rail import Station, Trip
from services import staff, tenant_db
from services.audit import Actor
from services.rail import cache, layouts, network, search, trips
from services.rail.errors import RailError
from tests.support import rail as make

DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CML", "10:00", "10:03", 0, 190),
             ("CTG", "12:00", None, 0, 321)]
CHAIR_AND_AC = (("S_CHAIR", "Chair 2+2, 15 rows"), ("AC_S", "Chair 2+2, 15 rows"))
OVERNIGHT = [("KLN", None, "22:15", 0, 0), ("JSR", "23:30", "23:33", 0, 55), ("ISD", "01:55", "02:05", 1, 170),
             ("DHK", "07:10", None, 1, 400)]


@pytest.fixture
def rail(make_tenant):
    info = make_tenant("rail", kind="rail")
    yield info
    tenant_db.dispose_engine(info.slug)  # give the server its connections back (the race opens many)


def _classes(row):
    return {c["code"]: c for c in row["classes"]}


def test_search_finds_a_train_between_intermediate_stops_with_their_times_and_fares(rail, in_tenant):
    with in_tenant(rail):
        today = trips.local_today()
        train = make.train(DHAKA_CTG, number="701", name="Subarna Express", coaches=CHAIR_AND_AC)
        make.generate([train.id], today, today + timedelta(days=2))
        answer = search.search("Bhairab Bazar", "cml", today + timedelta(days=1))
        [row] = answer.results
        assert (row["train_number"], row["departs_local"][11:16], row["arrives_local"][11:16]) == (
            "701", "08:33", "10:00")
        assert row["duration_minutes"] == 87 and row["arrives_days_later"] == 0
        assert row["departs_local"][:10] == (today + timedelta(days=1)).isoformat()
        classes = _classes(row)
        assert classes["S_CHAIR"]["free"] == 60 and classes["S_CHAIR"]["fare"] == "119.00"  # 110 km × 1.08
        assert classes["AC_S"]["fare"] == "259.00"  # 110 km × 2.05 = 225.50, + 15% VAT
        tomorrow = today + timedelta(days=1)  # today's 07:00 train may have left already
        assert search.search("ঢাকা", "Chattogram", tomorrow).results[0]["train_number"] == "701"  # Bangla name works
        [ac_only] = search.search("Bhairab Bazar", "Cumilla", tomorrow, coach_class="AC_S").results
        assert [c["code"] for c in ac_only["classes"]] == ["AC_S"]
        assert search.search("DHK", "CTG", tomorrow, departure="evening").results == []


def test_the_reverse_direction_finds_nothing(rail, in_tenant):
    with in_tenant(rail):
        today = trips.local_today()
        tomorrow = today + timedelta(days=1)  # today's 07:00 train may have left already
        train = make.train(DHAKA_CTG)
        make.generate([train.id], tomorrow)
        assert len(search.search("DHK", "CTG", tomorrow).results) == 1
        assert search.search("CTG", "DHK", tomorrow).results == []
        assert search.search("CML", "BHB", tomorrow).results == []


def test_an_overnight_train_is_found_on_the_date_a_passenger_boards(rail, in_tenant):
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)  # tomorrow: today's 22:15 train may have left
        train = make.train(OVERNIGHT, number="725", name="Sundarban Express")
        make.generate([train.id], day)
        [from_origin] = search.search("Khulna", "Dhaka", day).results
        assert from_origin["departs_local"][11:16] == "22:15" and from_origin["arrives_local"][11:16] == "07:10"
        assert from_origin["arrives_days_later"] == 1 and from_origin["duration_minutes"] == 8 * 60 + 55
        # Ishwardi is passed after midnight: it is boarded the day after the trip's service date.
        assert search.search("Ishwardi", "Dhaka", day).results == []
        [midway] = search.search("Ishwardi", "Dhaka", day + timedelta(days=1)).results
        assert midway["trip_id"] == make.trip_of(train.id, day).id
        assert midway["departs_local"] == f"{day + timedelta(days=1)}T02:05:00+06:00"


def test_a_seat_sold_dhaka_to_bhairab_is_free_from_bhairab_to_chattogram(rail, in_tenant):
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)  # tomorrow: today's 07:00 train may have left
        train = make.train(DHAKA_CTG, coaches=(("S_CHAIR", "Chair 2+2, 15 rows"),))
        make.generate([train.id], day)
        trip = make.trip_of(train.id, day)
        seats = make.seat_ids(train.id)
        make.claim(trip.id, seats[0], 0, 1)  # sold Dhaka → Bhairab
        make.claim(trip.id, seats[1], 1, 3, status="held", expires_in=300)  # held Bhairab → Chattogram
        make.claim(trip.id, seats[2], 0, 3, status="held", expires_in=-1)  # an expired hold frees its seat

        def free(a, b):
            return search.find_trains(make.station(a).id, make.station(b).id, day)[0]["classes"][0]["free"]

        assert free("DHK", "BHB") == 59
        assert free("BHB", "CTG") == 59  # seat 0 is free again after Bhairab; seat 1 is held
        assert free("DHK", "CTG") == 58
        assert free("CML", "CTG") == 59
        assert free("DHK", "CML") == 58


def test_the_database_refuses_overlapping_claims_on_one_seat(rail, in_tenant):
    with in_tenant(rail):
        today = trips.local_today()
        train = make.train(DHAKA_CTG)
        make.generate([train.id], today)
        trip, seat = make.trip_of(train.id, today), make.seat_ids(train.id)[0]
        make.claim(trip.id, seat, 0, 2)
        make.claim(trip.id, seat, 2, 3)  # touching stretches do not overlap
        with pytest.raises(IntegrityError, match="ex_seat_claims_no_overlap"):
            make.claim(trip.id, seat, 1, 3)
        db.session.rollback()


def test_exactly_one_of_many_concurrent_overlapping_claims_wins_and_a_naive_check_does_not(rail, in_tenant, race):
    import time

    with in_tenant(rail):
        today = trips.local_today()
        train = make.train(DHAKA_CTG)
        make.generate([train.id], today)
        trip_id, seat = make.trip_of(train.id, today).id, make.seat_ids(train.id)[0]
        stretches = iter([(0, 2), (1, 3), (0, 3), (1, 2)] * 3)  # all share the stretch Bhairab → Cumilla
        picked = [next(stretches) for _ in range(12)]
        results = race(12, lambda: make.claim(trip_id, seat, *picked.pop()) and "ok")
        assert results.count("ok") == 1
        # Losers are refused by the exclusion constraint, or (PostgreSQL breaking a wait cycle among
        # concurrent exclusion checks) by a deadlock error: both mean "not yours", never a double sale.
        # The inventory service must treat a deadlock as a retryable refusal.
        losers = [r for r in results if r != "ok"]
        assert all(isinstance(r, IntegrityError) or "DeadlockDetected" in repr(r) for r in losers), losers

        # Control: the same race against a copy of the table without the constraint, guarded
        # by a check-then-insert in Python, sells the seat more than once.
        engine = tenant_db.current_engine()
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE naive_claims (LIKE seat_claims INCLUDING DEFAULTS)"))

        def naive_claim():
            with engine.connect() as conn:
                taken = conn.scalar(sa.text(
                    "SELECT count(*) FROM naive_claims WHERE trip_id = :t AND seat_id = :s "
                    "AND board_seq < 3 AND alight_seq > 0"), {"t": trip_id, "s": seat})
                if taken:
                    return "taken"
                time.sleep(0.05)  # the gap every check-then-insert has, made visible
                conn.execute(sa.text(
                    "INSERT INTO naive_claims (id, trip_id, seat_id, board_seq, alight_seq, status, created_at) "
                    "VALUES (nextval('seat_claims_id_seq'), :t, :s, 0, 3, 'sold', now())"), {"t": trip_id, "s": seat})
                conn.commit()
            return "ok"

        assert race(12, naive_claim).count("ok") > 1


def test_search_results_are_cached_and_invalidated_by_inventory_and_schedule_changes(rail, in_tenant, app, monkeypatch):
    assert app.config["REDIS_URL"], "this test needs the test run's Redis"
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)  # tomorrow: today's 07:00 train may have left
        train = make.train(DHAKA_CTG)
        make.generate([train.id], day, day + timedelta(days=1))
        trip = make.trip_of(train.id, day)

        def free():
            return search.search("DHK", "CTG", day).results[0]["classes"][0]["free"]

        assert free() == 60
        make.claim(trip.id, make.seat_ids(train.id)[0], 0, 3)
        assert free() == 60  # served from the cache: the claim did not announce itself
        cache.inventory_changed(day + timedelta(days=1))
        assert free() == 60  # another date's change leaves this date's entries alone
        cache.inventory_changed(trip.service_date)
        assert free() == 59

        trips.cancel_trip(trip.id, actor=Actor.system("test"))  # a schedule change bumps the tenant's counter
        assert search.search("DHK", "CTG", day).results[0]["status"] == "cancelled"

        monkeypatch.setitem(app.config, "REDIS_URL", None)  # the embedded default: no Redis, no cache
        make.claim(trip.id, make.seat_ids(train.id)[1], 0, 1)
        assert free() == 58


def test_a_train_that_has_left_the_boarding_station_is_not_listed_even_from_a_warm_cache(
        rail, in_tenant, app, monkeypatch):
    assert app.config["REDIS_URL"], "this test needs the test run's Redis"
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)
        train = make.train(DHAKA_CTG, number="703")  # leaves Dhaka 07:00, Bhairab 08:33
        make.generate([train.id], day)
        computed = []
        find_trains = search.find_trains
        monkeypatch.setattr(search, "find_trains", lambda *a, **kw: computed.append(a) or find_trains(*a, **kw))

        def listed(origin, at):
            now = datetime.combine(day, time.fromisoformat(at), tzinfo=trips.tenant_zone())
            return [r["train_number"] for r in search.search(origin, "CTG", day, now=now).results]

        assert listed("DHK", "06:59") == ["703"] and len(computed) == 1
        assert listed("DHK", "07:00") == []  # left Dhaka, though the cached answer still has it
        assert listed("BHB", "07:00") == ["703"]  # still to leave Bhairab
        assert listed("BHB", "08:33") == []
        assert len(computed) == 2  # once per boarding station: the rest came from the cache

        trips.mark_delayed(make.trip_of(train.id, day).id, time(7, 30), actor=make.ACTOR)  # 30 minutes late
        assert listed("DHK", "07:29") == ["703"]
        assert listed("DHK", "07:30") == []
        assert search.search("DHK", "CTG", day, now=datetime.combine(day, time(7, 30), tzinfo=trips.tenant_zone())
                             ).all_left


def test_the_search_page_names_classes_as_travellers_know_them_and_shows_cancelled_trains_without_seats(
        rail, in_tenant, client_for):
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)
        layouts.save_class({"code": "AC_CHAIR", "name": "Executive chair", "is_ac": True, "rate_per_km": "3",
                            "minimum_fare": "100"}, actor=make.ACTOR)
        running = make.train(DHAKA_CTG, number="705", name="Sonar Bangla Express",
                             coaches=CHAIR_AND_AC + (("AC_CHAIR", "Chair 2+2, 15 rows"),))
        cancelled = make.train(DHAKA_CTG, number="707", name="Turna Nishitha")
        make.generate([running.id, cancelled.id], day)
        trips.cancel_trip(make.trip_of(cancelled.id, day).id, actor=make.ACTOR)
        running_trip, cancelled_trip = make.trip_of(running.id, day).id, make.trip_of(cancelled.id, day).id
    client = client_for(rail)
    html = client.get(f"/trains?from=Dhaka&to=CTG&date={day}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", html)  # what a person reads (the links' URLs left out)
    assert "Shovan chair" in text and "AC seat" in text and "Executive chair" in text
    assert not re.search(r"\b(S_CHAIR|AC_S|AC_CHAIR)\b", text)
    assert f'href="/trips/{running_trip}/seats?class=S_CHAIR&amp;board=0&amp;alight=3"' in html  # the seat map's code
    assert "Turna Nishitha" in text and "Cancelled" in text and f"/trips/{cancelled_trip}/seats" not in html
    assert '<details class="search-fold">' in html and "Dhaka → Chattogram" in text and "Modify" in text

    client.set_cookie("lang", "bn", domain=f"{rail.slug}.localhost")
    bangla = re.sub(r"<[^>]+>", " ", client.get(f"/trains?from=Dhaka&to=CTG&date={day}").get_data(as_text=True))
    assert "শোভন চেয়ার" in bangla and "এসি সিট" in bangla
    assert "Executive chair" in bangla  # a name the operator wrote is shown as written


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_the_search_page_says_when_the_last_train_of_the_day_has_left(engine, make_tenant, make_sqlite_tenant,
                                                                      in_tenant, client_for):
    rail = make_tenant("rail", kind="rail") if engine == "postgresql" else make_sqlite_tenant("rail", kind="rail")
    with in_tenant(rail):
        today = trips.local_today()
        train = make.train([("DHK", None, "00:00", 0, 0), ("CTG", "05:00", None, 0, 321)], name="Midnight Mail")
        make.generate([train.id], today, today + timedelta(days=1))
    client = client_for(rail)
    gone = client.get(f"/trains?from=Dhaka&to=CTG&date={today}").get_data(as_text=True)  # it left at midnight
    assert "Midnight Mail" not in gone and "the last one has left" in gone
    assert "Midnight Mail" in client.get(f"/trains?from=Dhaka&to=CTG&date={today + timedelta(days=1)}").text


def test_trip_generation_is_idempotent_and_follows_operating_days(rail, in_tenant):
    with in_tenant(rail):
        today = trips.local_today()
        daily = make.train(DHAKA_CTG, number="704")
        weekends = make.train(OVERNIGHT, number="725", mode="weekends")
        last = today + timedelta(days=13)
        first = make.generate([daily.id, weekends.id], today, last)
        assert first.status == "done" and first.created == 14 + 4 and first.total == 18
        again = make.generate([daily.id, weekends.id], today, last)
        assert again.status == "done" and again.created == 0
        assert db.session.scalar(sa.select(sa.func.count(Trip.id))) == 18
        weekend_trips = db.session.scalars(sa.select(Trip).where(Trip.train_id == weekends.id))
        assert {t.service_date.weekday() for t in weekend_trips} == {4, 5}
        longer = make.generate([daily.id], today, today + timedelta(days=59))  # runs as a job (inline in tests)
        assert longer.status == "done" and longer.created == 46


def test_validation_messages_are_clear_and_change_nothing(rail, in_tenant):
    with in_tenant(rail):
        today = trips.local_today()
        make.station("DHK")
        with pytest.raises(RailError, match="A station with code DHK already exists") as dup:
            network.save_station({"code": "dhk", "name_en": "Dhaka 2", "name_bn": "ঢাকা", "city": "Dhaka"},
                                 actor=make.ACTOR)
        assert dup.value.field == "code"
        assert db.session.scalar(sa.select(sa.func.count(Station.id))) == 1

        train = make.train(DHAKA_CTG[:2], coaches=())
        with pytest.raises(RailError, match="Dhaka is already a stop of this train"):
            network.add_stop(train.id, {"station_id": make.station("DHK").id, "arrival_time": None,
                                        "departure_time": make._t("09:00"), "day_offset": 0, "distance_km": 100},
                             actor=make.ACTOR)
        with pytest.raises(RailError, match="Times go backwards: Cumilla"):
            network.add_stop(train.id, {"station_id": make.station("CML").id, "arrival_time": make._t("08:00"),
                                        "departure_time": None, "day_offset": 0, "distance_km": 190}, actor=make.ACTOR)
        assert len(network.get_train(train.id).stops) == 2

        with pytest.raises(RailError, match="has no coaches"):
            make.generate([train.id], today)
        with pytest.raises(RailError, match="This layout has no seats"):
            layouts.create_layout({"name": "Empty", "rows": 2, "cols": 3, "aisles": [1, 2, 3]}, actor=make.ACTOR)

        first, last = search.window()
        assert (last - first).days == 9  # ten days on sale by default
        with pytest.raises(RailError, match="Choose a date from") as window:
            search.search("DHK", "BHB", last + timedelta(days=1))
        assert window.value.field == "date"
        with pytest.raises(RailError, match="Choose a date from"):
            search.search("DHK", "BHB", today - timedelta(days=1))
        with pytest.raises(RailError, match="No station matches"):
            search.search("Atlantis", "BHB", today)


def _operator(rail, in_tenant, client_for, role="operator"):
    with in_tenant(rail):
        staff.create_staff(f"{role}@rail.example.com", f"Test {role}", role, "rail-pass-123", actor=make.ACTOR)
    client = client_for(rail)
    login = client.post("/staff/login", data={"email": f"{role}@rail.example.com", "password": "rail-pass-123"})
    assert login.status_code == 303
    return client


def test_staff_pages_create_edit_and_refuse_with_messages_and_audit(rail, in_tenant, client_for):
    client = _operator(rail, in_tenant, client_for)
    htmx = {"HX-Request": "true", "HX-Request-Type": "partial"}
    data = {"code": "tgi", "name_en": "Tongi", "name_bn": "টঙ্গী", "city": "Gazipur"}
    ok = client.post("/staff/rail/stations", data=data, headers=htmx)
    assert ok.status_code == 200 and "Saved Tongi" in ok.get_data(as_text=True)
    assert "<html" not in ok.get_data(as_text=True)  # only the swapped block
    dup = client.post("/staff/rail/stations", data=data, headers=htmx)
    assert dup.status_code == 422 and "A station with code TGI already exists" in dup.get_data(as_text=True)

    created = client.post("/staff/rail/trains", data={"number": "717", "name": "Jayantika Express",
                                                       "train_type": "intercity", "mode": "chosen"})
    assert created.status_code == 422 and "Choose the days the train runs" in created.get_data(as_text=True)
    assert client.post("/staff/rail/trains", data={"number": "717", "name": "Jayantika Express",
                                                    "train_type": "intercity", "mode": "daily"}).status_code == 303
    with in_tenant(rail):
        actions = [a.action for a in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]
        assert actions.count("station.create") == 1 and "train.create" in actions
        train_id = network.list_trains()[0].id
    generate = client.post("/staff/rail/trips/generate", data={"train_ids": [train_id], "start_date": "2020-01-01",
                                                              "end_date": "2020-01-02"}, headers=htmx)
    assert generate.status_code == 422 and "from today on" in generate.get_data(as_text=True)


def test_search_page_shows_results_at_a_shareable_url_and_explains_bad_dates(rail, in_tenant, client_for):
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)  # tomorrow: today's 07:00 train may have left
        train = make.train(DHAKA_CTG, number="702", name="Subarna Express")
        make.generate([train.id], day)
    client = client_for(rail)
    page = client.get(f"/trains?from=Dhaka&to=CTG&date={day}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Subarna Express" in html and "07:00" in html and "12:00" in html
    assert "৳347.00" in html  # 321 km × 1.08 in S_CHAIR
    late = client.get(f"/trains?from=Dhaka&to=CTG&date={day + timedelta(days=30)}")
    assert late.status_code == 422 and "Choose a date from" in late.get_data(as_text=True)
    options = client.get("/trains/stations?field=from&from=chat").get_data(as_text=True)
    assert 'value="Chattogram"' in options
    assert "Find a train" in client.get("/").get_data(as_text=True)  # the home page opens with the search


def test_staff_without_schedule_permission_cannot_open_the_rail_pages(rail, in_tenant, client_for):
    client = _operator(rail, in_tenant, client_for, role="viewer")
    assert client.get("/staff/rail/stations").status_code == 403


def test_an_operator_generates_a_long_range_as_a_job_then_delays_and_cancels_trips(rail, in_tenant, client_for):
    client = _operator(rail, in_tenant, client_for)
    htmx = {"HX-Request": "true", "HX-Request-Type": "partial"}
    with in_tenant(rail):
        today = trips.local_today()
        train_id = make.train(DHAKA_CTG, number="704", name="Mahanagar Provati").id
    answer = client.post("/staff/rail/trips/generate", headers=htmx, data={
        "train_ids": [train_id], "start_date": today.isoformat(), "end_date": (today + timedelta(days=39)).isoformat()})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Done:" in html and "40 trips created" in html
    with in_tenant(rail):
        run_id = trips.recent_generations()[0].id
        trip_id = make.trip_of(train_id, today + timedelta(days=1)).id
    progress = client.get(f"/staff/rail/trips/generations/{run_id}", headers=htmx)
    assert "40 trips created" in progress.get_data(as_text=True)

    delayed = client.post(f"/staff/rail/trips/{trip_id}/delay", data={"new_departure": "07:45"}, headers=htmx)
    assert delayed.status_code == 200 and "(+45 min)" in delayed.get_data(as_text=True)
    earlier = client.post(f"/staff/rail/trips/{trip_id}/delay", data={"new_departure": "07:00"}, headers=htmx)
    assert earlier.status_code == 422 and "later than the scheduled 07:00" in earlier.get_data(as_text=True)
    assert client.post(f"/staff/rail/trips/{trip_id}/cancel", headers=htmx).status_code == 200
    with in_tenant(rail):
        trip = db.session.get(Trip, trip_id)
        assert (trip.status, trip.delay_minutes) == ("cancelled", 45)
        actions = [a.action for a in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]
        assert actions[-3:] == ["trips.generate", "trip.delay", "trip.cancel"]


# --- each trip's stops are its own (issue 8, item 15) -----------------------------------------

def _station_id(code):
    return make.station(code).id


def test_removing_a_stop_never_moves_a_claim_and_only_unsold_trips_follow_the_new_route(rail, in_tenant):
    with in_tenant(rail):
        sold_day, unsold_day = trips.local_today() + timedelta(days=1), trips.local_today() + timedelta(days=2)
        train = make.train(DHAKA_CTG)
        make.generate([train.id], sold_day, unsold_day)
        sold, unsold = make.trip_of(train.id, sold_day), make.trip_of(train.id, unsold_day)
        seats = make.seat_ids(train.id)
        bought = make.claim(sold.id, seats[0], 1, 3).id  # sold Bhairab → Chattogram
        held = make.claim(sold.id, seats[1], 0, 2, status="held", expires_in=300).id  # held Dhaka → Cumilla
        cumilla = next(s.id for s in train.stops if s.station.code == "CML")

        change = network.remove_stop(train.id, cumilla, actor=make.ACTOR)
        db.session.expire_all()
        assert (change.follow.followed, change.follow.kept) == (1, 1)
        assert [s.station.code for s in network.get_train(train.id).stops] == ["DHK", "BHB", "CTG"]
        assert make.stations_of(sold.id) == ["DHK", "BHB", "CML", "CTG"]  # the sold trip runs what it sold
        assert make.claim_covers(bought) == ("BHB", "CTG") and make.claim_covers(held) == ("DHK", "CML")
        assert make.stations_of(unsold.id) == ["DHK", "BHB", "CTG"]

        # Search reads each trip's own stops: Cumilla is still served by the sold trip, and only by it.
        assert [r["trip_id"] for r in search.find_trains(_station_id("CML"), _station_id("CTG"), sold_day)] == [sold.id]
        assert search.find_trains(_station_id("CML"), _station_id("CTG"), unsold_day) == []
        [on_sold] = search.find_trains(_station_id("DHK"), _station_id("CTG"), sold_day)
        assert (on_sold["board_seq"], on_sold["alight_seq"], on_sold["classes"][0]["free"]) == (0, 3, 58)
        assert on_sold["arrives_local"][11:16] == "12:00" and on_sold["distance_km"] == "321.0"
        # The unsold trip's new stops are numbered after its old ones: an old (trip, seq) never means
        # another station, so a claim made from a stale page is refused instead of shifted.
        [on_unsold] = search.find_trains(_station_id("DHK"), _station_id("CTG"), unsold_day)
        assert (on_unsold["board_seq"], on_unsold["alight_seq"], on_unsold["classes"][0]["free"]) == (4, 6, 60)
        with pytest.raises(IntegrityError, match="fk_seat_claims_board_stop"):
            make.claim(unsold.id, seats[0], 0, 2)  # "Dhaka → Cumilla" as numbered before the edit
        db.session.rollback()

        # Adding a stop back: the sold trip still keeps its stops, the unsold one follows again.
        change = network.add_stop(train.id, {"station_id": _station_id("FNI"), "arrival_time": make._t("13:00"),
                                             "departure_time": None, "day_offset": 0, "distance_km": 350},
                                  actor=make.ACTOR)
        assert (change.follow.followed, change.follow.kept) == (1, 1)
        assert make.stations_of(sold.id) == ["DHK", "BHB", "CML", "CTG"]
        assert make.stations_of(unsold.id) == ["DHK", "BHB", "CTG", "FNI"]
        audited = db.session.scalars(sa.select(AuditLog.changes).where(AuditLog.action == "route_stop.create")
                                     .order_by(AuditLog.id.desc()).limit(1)).one()["after"]
        assert (audited["trips_following"], audited["trips_keeping_stops"]) == (1, 1)


def test_the_database_refuses_to_delete_renumber_or_move_a_claimed_trip_stop(rail, in_tenant):
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)
        train = make.train(DHAKA_CTG)
        make.generate([train.id], day)
        trip, seats = make.trip_of(train.id, day), make.seat_ids(train.id)
        make.claim(trip.id, seats[0], 1, 2)  # Bhairab → Cumilla
        feni = _station_id("FNI")
        engine = tenant_db.current_engine()
        for statement in ("DELETE FROM trip_stops WHERE trip_id = :t AND seq = 1",  # a claim stands on it
                          "DELETE FROM trip_stops WHERE trip_id = :t AND seq = 3",  # no claim's end; the trip sold
                          "UPDATE trip_stops SET seq = seq + 10 WHERE trip_id = :t",
                          "UPDATE trip_stops SET station_id = :feni WHERE trip_id = :t AND seq = 2",
                          "DELETE FROM trips WHERE id = :t"):
            with engine.connect() as conn, pytest.raises(IntegrityError):
                conn.execute(sa.text(statement), {"t": trip.id, "feni": feni})
        # The claims' foreign keys hold on their own, even with the trigger out of the way.
        with engine.connect() as conn:
            conn.execute(sa.text("ALTER TABLE trip_stops DISABLE TRIGGER tg_trip_stops_frozen"))
            with pytest.raises(IntegrityError, match="fk_seat_claims_board_stop"):
                conn.execute(sa.text("DELETE FROM trip_stops WHERE trip_id = :t AND seq = 1"), {"t": trip.id})
            conn.rollback()
        assert make.stations_of(trip.id) == ["DHK", "BHB", "CML", "CTG"]
        with pytest.raises(IntegrityError, match="fk_seat_claims_alight_stop"):
            make.claim(trip.id, seats[1], 0, 4)  # a claim can only name stops the trip runs
        db.session.rollback()
        # Reordering the route (here by hand, past every check) does not touch the trip either.
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE route_stops SET seq = -1 - seq WHERE train_id = :id"), {"id": train.id})
            conn.execute(sa.text("UPDATE route_stops SET seq = 3 + seq + 1 WHERE train_id = :id"), {"id": train.id})
        assert make.stations_of(trip.id) == ["DHK", "BHB", "CML", "CTG"]


def test_a_claim_made_while_a_stop_is_being_removed_never_lands_on_other_stations(rail, in_tenant, app):
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)
        train = make.train(DHAKA_CTG)
        make.generate([train.id], day)
        trip_id, seat = make.trip_of(train.id, day).id, make.seat_ids(train.id)[0]
        cumilla = next(s.id for s in train.stops if s.station.code == "CML")
        tenant = tenant_db.current_tenant()
        outcome = []

        def edit_route():
            with app.app_context():
                token = tenant_db.bind(tenant)
                try:
                    outcome.append(network.remove_stop(train.id, cumilla, actor=make.ACTOR))
                except RailError as exc:
                    outcome.append(exc)
                finally:
                    db.session.remove()
                    tenant_db.unbind(token)

        # A sale in flight: its claim (Bhairab → Chattogram) is written but not committed, so the
        # route edit cannot see it: only the database can keep the two apart.
        with tenant_db.current_engine().connect() as sale:
            claim_id = sale.execute(sa.text(
                "INSERT INTO seat_claims (trip_id, seat_id, board_seq, alight_seq, status, created_at) "
                "VALUES (:t, :s, 1, 3, 'sold', now()) RETURNING id"), {"t": trip_id, "s": seat}).scalar()
            editor = threading.Thread(target=edit_route)
            editor.start()
            editor.join(1.0)
            assert editor.is_alive()  # the edit reached the trip's stops and waits for the sale
            sale.commit()
        editor.join(10)
        [result] = outcome
        assert isinstance(result, RailError) and "Nothing was changed: please try again" in result.message
        db.session.expire_all()
        assert [s.station.code for s in network.get_train(train.id).stops] == ["DHK", "BHB", "CML", "CTG"]
        assert make.claim_covers(claim_id) == ("BHB", "CTG")

        # Tried again, the edit sees the sale: the route changes, the sold trip keeps its stops.
        change = network.remove_stop(train.id, cumilla, actor=make.ACTOR)
        assert (change.follow.followed, change.follow.kept) == (0, 1)
        assert make.stations_of(trip_id) == ["DHK", "BHB", "CML", "CTG"]
        assert make.claim_covers(claim_id) == ("BHB", "CTG")


def test_the_migration_gives_existing_trips_the_stops_of_their_routes(app, pg_server_url):
    from alembic import command
    from sqlalchemy.engine import make_url

    from models.rail import RouteStop, Seat, SeatClaim, Train, TripStop
    from services import schema
    from tests.conftest import DB_PREFIX
    from tests.support import servers

    url = make_url(servers.create_database(pg_server_url, f"{DB_PREFIX}_rail_backfill"))
    with app.app_context():
        command.upgrade(schema.alembic_config("tenant", url), "t0006_audit_guard")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    departs = datetime(2026, 12, 10, 17, 15, tzinfo=timezone.utc)  # 23:15 in Dhaka
    with engine.begin() as conn:
        ids = [conn.execute(Station.__table__.insert().values(code=code, name_en=code, name_bn=code, city=code)
                            .returning(Station.__table__.c.id)).scalar() for code in ("KLN", "JSR", "DHK")]
        train = conn.execute(Train.__table__.insert().values(number="725", name="Sundarban", train_type="mail")
                             .returning(Train.__table__.c.id)).scalar()
        for seq, (station, arrive, depart, offset, km) in enumerate(
                [(ids[0], None, time(23, 15), 0, 0), (ids[1], time(0, 40), time(0, 50), 1, 55),
                 (ids[2], time(7, 10), None, 1, 400)]):
            conn.execute(RouteStop.__table__.insert().values(train_id=train, seq=seq, station_id=station,
                                                             arrival_time=arrive, departure_time=depart,
                                                             day_offset=offset, distance_km=km))
        trip = conn.execute(Trip.__table__.insert().values(train_id=train, service_date=departs.date(),
                                                           departs_at=departs).returning(Trip.__table__.c.id)).scalar()
        coach = conn.execute(sa.text(
            "INSERT INTO coaches (train_id, position, code, coach_class_id, layout_id) "
            "SELECT :t, 0, 'KA', min(c.id), min(l.id) FROM coach_classes c, layout_templates l RETURNING id"),
            {"t": train}).scalar()
        seat = conn.execute(Seat.__table__.insert().values(coach_id=coach, label="1A", row=1, col=1)
                            .returning(Seat.__table__.c.id)).scalar()
        conn.execute(SeatClaim.__table__.insert().values(trip_id=trip, seat_id=seat, board_seq=1, alight_seq=2,
                                                         status="sold"))
    with app.app_context():
        command.upgrade(schema.alembic_config("tenant", url), "heads")
    stops = TripStop.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(stops.c.seq, stops.c.station_id, stops.c.arrives_at, stops.c.departs_at,
                                      stops.c.distance_km).where(stops.c.trip_id == trip).order_by(stops.c.seq)).all()
        assert [(r.seq, r.station_id) for r in rows] == [(0, ids[0]), (1, ids[1]), (2, ids[2])]
        assert (rows[0].arrives_at, rows[0].departs_at) == (None, departs)
        assert (rows[1].arrives_at, rows[1].departs_at) == (departs + timedelta(minutes=85),
                                                            departs + timedelta(minutes=95))
        assert rows[2].arrives_at == departs + timedelta(hours=7, minutes=55) and rows[2].distance_km == 400
        with pytest.raises(IntegrityError):
            conn.execute(sa.text("DELETE FROM trip_stops WHERE trip_id = :t AND seq = 2"), {"t": trip})
    engine.dispose()


# --- trip generation answers, even with Redis down (issue 8, item 10) --------------------------

def test_generating_trips_from_the_whole_staff_page_answers_with_the_page(rail, in_tenant, client_for):
    client = _operator(rail, in_tenant, client_for)
    with in_tenant(rail):
        today = trips.local_today()
        train_id = make.train(DHAKA_CTG, number="702", name="Subarna Express").id
    # A plain form post (no htmx): the whole page, nav and all, is rendered after the run.
    page = client.post("/staff/rail/trips/generate", data={
        "train_ids": [train_id], "start_date": today.isoformat(), "end_date": (today + timedelta(days=2)).isoformat()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Done:" in html and "3 trips created" in html
    assert "Test operator" in html  # the nav's logged-in person
    listing = client.get(f"/staff/rail/trips?day={today + timedelta(days=1)}").get_data(as_text=True)
    assert "DHK → BHB → CML → CTG" in listing
    with in_tenant(rail):
        assert make.stations_of(make.trip_of(train_id, today).id) == ["DHK", "BHB", "CML", "CTG"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_with_redis_down_a_long_range_fails_with_a_clear_message_and_is_never_left_queued(
        rail, in_tenant, client_for, app, monkeypatch):
    client = _operator(rail, in_tenant, client_for)
    with in_tenant(rail):
        today = trips.local_today()
        train_id = make.train(DHAKA_CTG).id
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)  # production: jobs go to Redis
    monkeypatch.setitem(app.extensions, "jatra.queues", {})
    page = client.post("/staff/rail/trips/generate", data={
        "train_ids": [train_id], "start_date": today.isoformat(), "end_date": (today + timedelta(days=59)).isoformat()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Could not start the background job" in html and "try again" in html
    assert "hx-trigger" not in html.split('id="generation-')[1].split(">")[0]  # the box does not poll forever
    with in_tenant(rail):
        [run] = trips.recent_generations()
        assert run.status == "failed" and run.finished_at is not None and "background job" in run.error
        assert db.session.scalar(sa.select(sa.func.count(Trip.id))) == 0


def test_removing_a_stop_in_the_staff_page_says_which_trips_keep_their_stops(rail, in_tenant, client_for):
    client = _operator(rail, in_tenant, client_for)
    htmx = {"HX-Request": "true", "HX-Request-Type": "partial"}
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)
        train = make.train(DHAKA_CTG)
        make.generate([train.id], day, day + timedelta(days=2))
        make.claim(make.trip_of(train.id, day).id, make.seat_ids(train.id)[0], 0, 3)
        train_id, cumilla = train.id, next(s.id for s in train.stops if s.station.code == "CML")
    answer = client.post(f"/staff/rail/trains/{train_id}/stops/{cumilla}/delete", headers=htmx)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Route saved." in html
    assert "2 unsold trips now follow it." in html and "1 trip with seats held or sold keeps its stops." in html
