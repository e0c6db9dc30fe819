"""Two people on the same event page, in two browsers: what one holds turns unavailable in the other
within a second, without reloading. The fort's evening show (seats of its plan) and the zoo's daily
entry (places of an hourly slot)."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import db
from models.base import utcnow
from models.events import Event, TimeSlot
from services import live
from services.demo.events import seed_fort, seed_zoo
from services.events.times import to_local
from tests.e2e.conftest import REPORT_POLICY_VIOLATIONS

LIVE = 1000  # ms: a change made in one browser shows in the other within a second
TZ = "Asia/Dhaka"  # the tenants' default time zone


@pytest.fixture
def other_browser(browser, csp_violations):
    """A second person: another browser context (own cookies, own guest session), CSP watched too."""
    context = browser.new_context()
    context.add_init_script(REPORT_POLICY_VIOLATIONS)
    context.on("console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _both_watching(in_tenant, tenant, event_id: int, viewers: int = 2) -> None:
    """Both pages' streams are subscribed (else a change could come before a page listens)."""
    deadline = time.monotonic() + 5
    with in_tenant(tenant):
        while live.listener_count(live.event_channel(event_id)) < viewers:
            assert time.monotonic() < deadline, "the pages did not open their live streams"
            time.sleep(0.05)


def _seat(page, section: str, row: str, number: int):
    return (page.get_by_role("group", name=section, exact=True)
            .get_by_role("checkbox", name=re.compile(rf"^Row {row} seat {number},")))


def _seat_box(page, seat_id: str):
    return page.locator(f'.pseat[data-seat-id="{seat_id}"]')


def test_a_seat_of_the_evening_show_held_by_one_person_turns_held_for_the_other_at_once(
        page, other_browser, live_server, make_tenant, in_tenant):
    fort = make_tenant("fort")
    with in_tenant(fort):
        seed_fort()
        show = db.session.scalar(sa.select(Event.id).where(Event.title.like("Sound and light show%"))
                                 .order_by(Event.starts_at))
    a, b = page, other_browser
    for person in (a, b):
        person.goto(live_server.url(fort, f"/events/{show}"))
        expect(person.get_by_role("heading", level=1)).to_contain_text("Sound and light show")
    _both_watching(in_tenant, fort, show)
    seat_id = _seat(a, "Centre", "A", 10).get_attribute("value")
    b_seat, b_box = _seat(b, "Centre", "A", 10), _seat_box(b, seat_id)
    expect(b.get_by_text("Premium · ৳500.00")).to_be_visible()  # the legend names the price, not colour alone

    # B has already chosen the seat, with the keyboard, when A holds it.
    _seat(b, "Centre", "A", 9).focus()
    b.keyboard.press("ArrowDown")
    expect(_seat(b, "Centre", "B", 9)).to_be_focused()
    b.keyboard.press("ArrowUp")
    b.keyboard.press("ArrowRight")
    expect(b_seat).to_be_focused()
    b.keyboard.press("Space")
    expect(b_seat).to_be_checked()
    expect(b_seat).to_have_attribute("tabindex", "0")  # the section is one tab stop, on this seat
    expect(b.locator("[data-summary-total]")).to_have_text("৳500.00")
    _seat(a, "Centre", "A", 10).check()
    a.get_by_role("button", name="Hold seats").click()
    expect(b_box).to_have_attribute("data-state", "held", timeout=LIVE)
    expect(b_seat).to_be_disabled(timeout=LIVE)
    expect(b_seat).not_to_be_checked()
    expect(b.get_by_text("Centre A10 was just taken by someone else.")).to_be_visible()
    hold = a.get_by_role("region", name="Your hold")
    expect(hold).to_contain_text("Centre A10")
    expect(hold.locator("[data-countdown]")).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(_seat_box(a, seat_id)).to_have_attribute("data-state", "mine")

    # A page that missed the change (its script re-enabled the seat) still cannot hold it: the server says no.
    b.evaluate("""(id) => { const i = document.querySelector(`.pseat[data-seat-id="${id}"] input`);
                            i.disabled = false; i.checked = true; }""", seat_id)
    b.get_by_role("button", name="Hold seats").click()
    expect(b.get_by_role("alert")).to_have_text("Seat Centre A10 was just taken by someone else. Choose another seat.")
    expect(b_box).to_have_attribute("data-state", "held")

    # A lets it go; B sees it free at once and holds it.
    a.get_by_role("button", name="Release Centre A10").click()
    expect(b_box).to_have_attribute("data-state", "free", timeout=LIVE)
    expect(b_seat).to_be_enabled(timeout=LIVE)
    expect(a.get_by_role("region", name="Your hold")).to_have_count(0)
    b_seat.check()
    b.get_by_role("button", name="Hold seats").click()
    expect(b.get_by_role("region", name="Your hold")).to_contain_text("Centre A10")
    expect(_seat_box(a, seat_id)).to_have_attribute("data-state", "held", timeout=LIVE)
    expect(_seat(a, "Centre", "A", 10)).to_be_disabled()


def test_a_zoo_slot_counts_down_in_the_other_browser_and_more_than_is_left_is_refused(
        page, other_browser, live_server, make_tenant, in_tenant):
    zoo = make_tenant("zoo")
    with in_tenant(zoo):
        seed_zoo()
        entry = db.session.scalar(sa.select(Event.id).where(Event.title.like("Daily entry to the zoo%")))
        day = to_local(utcnow(), TZ).date() + timedelta(days=1)
        on_day = [s.id for s in db.session.scalars(sa.select(TimeSlot).where(TimeSlot.event_id == entry)
                                                   .order_by(TimeSlot.starts_at))
                  if to_local(s.starts_at, TZ).date() == day]
        ten_id, eleven_id = on_day[1], on_day[2]  # 09:00, 10:00, 11:00 ...
        # A small slot, so that what is left runs out within the per-order limit of 10.
        db.session.execute(sa.update(TimeSlot).where(TimeSlot.id == ten_id).values(capacity=12))
        db.session.commit()
    a, b = page, other_browser
    a.set_viewport_size({"width": 360, "height": 760})  # a phone
    a.goto(live_server.url(zoo, f"/events/{entry}"))
    a.get_by_role("navigation", name="Days").locator(f'a[href$="day={day.isoformat()}"]').click()
    expect(a).to_have_url(re.compile(rf"\?day={day.isoformat()}$"))
    a.locator(f'a[data-slot-id="{ten_id}"]').click()
    expect(a).to_have_url(re.compile(rf"\?day={day.isoformat()}&slot={ten_id}$"))
    expect(a.locator(f'[data-slot-id="{ten_id}"]')).to_have_attribute("aria-current", "true")

    # B opens the link A would share: same day, same slot.
    b.goto(a.url)
    expect(b.locator(f'[data-slot-id="{ten_id}"]')).to_have_attribute("aria-current", "true")
    b_left = b.locator(f'[data-left-slot="{ten_id}"]')
    expect(b_left).to_have_text("12 places left")
    _both_watching(in_tenant, zoo, entry)

    # A picks 10 adults with + (none → 1 → ... → 10, the order limit) and holds them.
    adult_plus = a.get_by_role("button", name="One more: Adult")
    for _ in range(10):
        adult_plus.click()
    expect(a.get_by_label("How many: Adult")).to_have_value("10")
    expect(adult_plus).to_be_disabled()
    expect(a.locator("[data-summary-total]")).to_have_text("৳500.00")
    bar = a.get_by_role("region", name="Your choice")
    expect(bar).to_be_in_viewport()  # the Buy bar stays on screen on a phone
    bar.get_by_role("button", name="Hold tickets").click()
    expect(b_left).to_have_text("2 places left", timeout=LIVE)
    expect(a.get_by_role("region", name="Your hold")).to_contain_text("10 × Adult")

    # B's + stops at what is left; asking for more anyway is refused with what is left.
    b_plus = b.get_by_role("button", name="One more: Child (3-12)")
    for _ in range(3):
        if b_plus.is_enabled():
            b_plus.click()
    expect(b.get_by_label("How many: Child (3-12)")).to_have_value("2")
    b.get_by_label("How many: Child (3-12)").fill("3")
    b.get_by_role("button", name="Hold tickets").click()
    expect(b.get_by_role("alert")).to_have_text("Only 2 left for this entry time.")
    expect(b.get_by_label("How many: Child (3-12)")).to_have_value("3")

    # Back and forward restore the day and the slot.
    a.locator(f'a[data-slot-id="{eleven_id}"]').click()
    expect(a).to_have_url(re.compile(rf"slot={eleven_id}$"))
    a.go_back()
    expect(a).to_have_url(re.compile(rf"\?day={day.isoformat()}&slot={ten_id}$"))
    expect(a.locator(f'[data-slot-id="{ten_id}"]')).to_have_attribute("aria-current", "true")
    expect(a.get_by_role("region", name="Your hold")).to_contain_text("10 × Adult")
    a.go_forward()
    expect(a.locator(f'[data-slot-id="{eleven_id}"]')).to_have_attribute("aria-current", "true")
