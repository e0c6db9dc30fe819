"""Timed-entry slot planning, the sales-window rule and query words: pure functions, no database."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from services.events import EventsError
from services.events.sales import remaining, sale_state
from services.events.search import words
from services.events.seat_plans import row_label
from services.events.slots import SlotPlan, plan_slots

UTC = timezone.utc


def _plan(**overrides):
    fields = dict(first_day=date(2026, 12, 1), last_day=date(2026, 12, 2), opens=time(9), closes=time(17),
                  every_minutes=60, capacity=200)
    fields.update(overrides)
    return SlotPlan(**fields)


def test_hourly_slots_from_nine_to_five_in_dhaka_are_eight_a_day_in_utc():
    slots = plan_slots(_plan(), "Asia/Dhaka")
    assert len(slots) == 16
    assert slots[0] == (datetime(2026, 12, 1, 3, tzinfo=UTC), datetime(2026, 12, 1, 4, tzinfo=UTC))  # 9:00 at +06
    assert slots[7] == (datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 11, tzinfo=UTC))  # ends 17:00
    assert slots[8][0] == datetime(2026, 12, 2, 3, tzinfo=UTC)


def test_a_slot_that_would_run_past_closing_is_left_out():
    slots = plan_slots(_plan(last_day=date(2026, 12, 1), every_minutes=90), "Asia/Dhaka")
    # 9:00, 10:30, 12:00, 13:30, 15:00 (-16:30); 16:30-18:00 would pass 17:00
    assert [s.astimezone(timezone(timedelta(hours=6))).time() for s, _ in slots] == [
        time(9), time(10, 30), time(12), time(13, 30), time(15)]


def test_only_the_chosen_weekdays_get_slots():
    slots = plan_slots(_plan(first_day=date(2026, 11, 30), last_day=date(2026, 12, 6), weekdays=frozenset({4})),
                       "Asia/Dhaka")  # Fridays only
    assert {s.astimezone(timezone(timedelta(hours=6))).date() for s, _ in slots} == {date(2026, 12, 4)}


def test_local_opening_time_holds_across_a_daylight_saving_change():
    slots = plan_slots(_plan(first_day=date(2026, 3, 28), last_day=date(2026, 3, 30), closes=time(10)),
                       "Europe/London")
    assert [s.hour for s, _ in slots] == [9, 8, 8]  # 9:00 GMT, then 9:00 BST


@pytest.mark.parametrize("change, field", [
    ({"last_day": date(2026, 11, 30)}, "last_day"),
    ({"closes": time(9)}, "closes"),
    ({"every_minutes": 2}, "every_minutes"),
    ({"capacity": 0}, "capacity"),
    ({"last_day": date(2028, 1, 1)}, "last_day"),
])
def test_impossible_slot_plans_are_refused_with_the_field_to_fix(change, field):
    with pytest.raises(EventsError) as refused:
        plan_slots(_plan(**change), "Asia/Dhaka")
    assert refused.value.field == field and refused.value.message


NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("status, start, end, left, expected", [
    ("published", None, None, None, "on_sale"),
    ("published", NOW, NOW + timedelta(hours=1), 5, "on_sale"),            # the start is inclusive
    ("published", NOW + timedelta(seconds=1), None, 5, "not_started"),
    ("published", None, NOW, 5, "closed"),                                   # the end is exclusive
    ("published", None, NOW + timedelta(hours=1), 0, "sold_out"),
    ("sold_out", None, None, 10, "sold_out"),
    ("draft", None, None, 10, "unavailable"),
    ("cancelled", None, None, 10, "unavailable"),
    ("completed", None, None, 10, "unavailable"),
])
def test_sale_state_honours_status_window_and_what_is_left(status, start, end, left, expected):
    state = sale_state(event_status=status, now=NOW, sales_start=start, sales_end=end, left=left)
    assert state.code == expected
    assert state.on_sale == (expected == "on_sale")


def test_not_started_says_when_sales_open():
    opens = NOW + timedelta(days=2)
    assert sale_state(event_status="published", now=NOW, sales_start=opens).opens_at == opens


def test_remaining_never_goes_below_zero_and_no_limit_is_none():
    assert remaining(10, 3, 2) == 5
    assert remaining(5, 5, 1) == 0
    assert remaining(None, 100, 0) is None


def test_query_words_keep_bangla_whole_and_drop_query_syntax():
    assert words("চিড়িয়াখানা, পাখি!") == ["চিড়িয়াখানা", "পাখি"]
    assert words("Bird-watching & 'lake' | :* !!") == ["bird", "watching", "lake"]
    assert words('"x" OR y*') == ["x", "or", "y"]
    assert words("") == []
    assert len(words(" ".join(f"w{i}" for i in range(20)))) == 8


def test_rows_are_lettered_like_a_hall():
    assert [row_label(n) for n in (1, 2, 26, 27, 28, 52, 53)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]
