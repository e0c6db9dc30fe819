"""Rail rules that need no database: operating days, overnight stop times, a trip's frozen stops, fares,
layouts, route checks."""
from datetime import date, datetime, time, timezone
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from services.rail import fares, layouts, network, trip_stops, trips
from services.rail.errors import RailError

DHAKA = ZoneInfo("Asia/Dhaka")
MONDAY = date(2026, 11, 23)


def test_weekdays_in_bangladesh_are_sunday_to_thursday_and_weekends_friday_saturday():
    week = (MONDAY, date(2026, 11, 29))
    weekdays = trips.service_dates(network.run_days_mask("weekdays"), *week)
    weekends = trips.service_dates(network.run_days_mask("weekends"), *week)
    assert [d.strftime("%a") for d in weekdays] == ["Mon", "Tue", "Wed", "Thu", "Sun"]
    assert [d.strftime("%a") for d in weekends] == ["Fri", "Sat"]


def test_a_train_with_an_off_day_runs_every_other_day_of_the_range():
    mask = network.run_days_mask("off_days", [1])  # Subarna-style: no service on Tuesdays
    dates = trips.service_dates(mask, MONDAY, date(2026, 12, 6))
    assert len(dates) == 12 and all(d.weekday() != 1 for d in dates)
    assert trips.service_dates(network.run_days_mask("chosen", [4]), MONDAY, date(2026, 12, 6)) == [
        date(2026, 11, 27), date(2026, 12, 4)]
    assert trips.service_dates(network.ALL_DAYS, MONDAY, MONDAY) == [MONDAY]
    assert trips.service_dates(network.ALL_DAYS, MONDAY, date(2026, 11, 22)) == []


@pytest.mark.parametrize("mode, days", [("chosen", []), ("off_days", []), ("off_days", list(range(7))),
                                        ("sometimes", [])])
def test_operating_patterns_that_name_no_day_are_refused(mode, days):
    with pytest.raises(RailError):
        network.run_days_mask(mode, days)


def test_an_overnight_stop_is_on_the_next_local_day_and_stored_as_utc():
    departs = trips.stop_instant(MONDAY, time(22, 15), 0, DHAKA)
    arrives = trips.stop_instant(MONDAY, time(5, 30), 1, DHAKA)
    assert departs == datetime(2026, 11, 23, 16, 15, tzinfo=timezone.utc)
    assert arrives == datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)  # 05:30 on the 24th in Dhaka
    assert (arrives - departs).total_seconds() == 7 * 3600 + 15 * 60


def _stop(name, arrive, depart, offset=0, km=0):
    return SimpleNamespace(station=SimpleNamespace(name_en=name), arrival_time=arrive and time.fromisoformat(arrive),
                           departure_time=depart and time.fromisoformat(depart), day_offset=offset, distance_km=km)


def test_an_overnight_route_with_day_offsets_is_accepted():
    network.check_route([_stop("Khulna", None, "22:15"), _stop("Jashore", "23:30", "23:33", 0, 55),
                         _stop("Ishwardi", "01:55", "02:05", 1, 170), _stop("Dhaka", "07:10", None, 1, 400)])


def test_a_trip_freezes_its_route_as_instants_numbered_from_where_it_is_told():
    route = [SimpleNamespace(station_id=i, **vars(stop)) for i, stop in enumerate(
        [_stop("Khulna", None, "22:15"), _stop("Ishwardi", "01:55", "02:05", 1, 170),
         _stop("Dhaka", "07:10", None, 1, 400)])]
    assert trip_stops.runnable(route) and not trip_stops.runnable(route[:1])
    assert not trip_stops.runnable([route[2], route[0]])  # no departure from the first, no arrival at the last
    assert trip_stops.origin_departure(route, MONDAY, DHAKA) == datetime(2026, 11, 23, 16, 15, tzinfo=timezone.utc)
    rows = trip_stops.frozen_stops(route, MONDAY, DHAKA, first_seq=3)
    assert [(r["seq"], r["station_id"], r["distance_km"]) for r in rows] == [(3, 0, 0), (4, 1, 170), (5, 2, 400)]
    assert rows[0]["arrives_at"] is None and rows[2]["departs_at"] is None
    assert rows[1]["arrives_at"] == datetime(2026, 11, 23, 19, 55, tzinfo=timezone.utc)  # 01:55 on the 24th in Dhaka
    assert rows[2]["arrives_at"] == datetime(2026, 11, 24, 1, 10, tzinfo=timezone.utc)


def test_times_that_go_backwards_within_a_day_are_refused_with_the_stop_named():
    with pytest.raises(RailError, match="Times go backwards: Ishwardi") as err:
        network.check_route([_stop("Khulna", None, "22:15"), _stop("Ishwardi", "01:55", "02:05", 0, 170)])
    assert err.value.field == "arrival_time"
    with pytest.raises(RailError, match="departure .* is before the arrival"):
        network.check_route([_stop("Dhaka", None, "07:00"), _stop("Tongi", "07:30", "07:20", 0, 22)])
    with pytest.raises(RailError, match="distances are counted from the origin"):
        network.check_route([_stop("Dhaka", None, "07:00"), _stop("Tongi", "07:30", "07:32", 0, 22),
                             _stop("Airport", "07:40", None, 0, 16)])


def test_distance_fare_is_rate_times_km_rounded_to_the_taka():
    fare = fares.distance_fare(321, rate_per_km="1.08", minimum_fare=40, vat_percent=15, is_ac=False)
    assert fare == Decimal("347.00")


def test_short_trips_pay_the_class_minimum():
    assert fares.distance_fare(10, rate_per_km="1.08", minimum_fare=40, vat_percent=0, is_ac=False) == Decimal("40.00")


def test_ac_classes_add_vat_to_the_fare():
    # 321 km × 2.05 = 658.05; + 15% VAT = 756.76 → 757
    fare = fares.distance_fare(321, rate_per_km="2.05", minimum_fare=100, vat_percent=15, is_ac=True)
    assert fare == Decimal("757.00")
    # VAT applies to the minimum fare too
    assert fares.distance_fare(5, rate_per_km="2.05", minimum_fare=100, vat_percent=15, is_ac=True) == Decimal("115.00")


def test_an_explicit_fare_overrides_the_distance_fare():
    klass = SimpleNamespace(rate_per_km=Decimal("2.05"), minimum_fare=Decimal("100"), vat_percent=Decimal("15"),
                            is_ac=True)
    assert fares.fare_for(klass, 321) == Decimal("757.00")
    assert fares.fare_for(klass, 321, Decimal("700")) == Decimal("700.00")


def test_a_layout_is_a_grid_of_seats_aisles_and_unavailable_cells():
    cells = layouts.build_cells(3, 5, [3], False, ["1A", "3d"])
    assert cells == ["XSASS", "SSASS", "SSASX"]
    seats = layouts.seats_of(cells)
    assert len(seats) == layouts.seat_count(cells) == 10
    # Numbered row by row as on the coach ("KA-12"); an unavailable position takes no number.
    assert [(s["label"], s["row"], s["col"]) for s in seats[:4]] == [("1", 1, 2), ("2", 1, 4), ("3", 1, 5), ("4", 2, 1)]
    berths = layouts.seats_of(layouts.build_cells(1, 3, [2], True, []))
    assert [(s["label"], s["kind"]) for s in berths] == [("1", "berth"), ("2", "berth")]


def test_a_layout_with_no_seats_is_refused():
    with pytest.raises(RailError, match="no seats"):
        layouts.build_cells(2, 1, [1], False, [])
    with pytest.raises(RailError, match="no seats"):
        layouts.build_cells(1, 2, [], False, ["1A", "1B"])
    with pytest.raises(RailError, match="not a seat of this grid"):
        layouts.build_cells(2, 2, [], False, ["3A"])
