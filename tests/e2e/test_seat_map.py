"""The rail seat map in Chromium: two customers on the same coach see each other's holds and releases
live (within a second, no reload); the map by keyboard, with the hold's countdown running out; and a
visitor on a 360-px phone who is sent to log in and comes back to the seats they ticked; and the map
following by polling while the event stream is down."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from models import db
from models.base import utcnow
from models.rail import SeatClaim, Trip
from models.sales import Hold
from services import live
from services.inventory import Owner
from services.inventory import rail as inventory
from services.rail import trips
from tests.e2e.conftest import REPORT_POLICY_VIOLATIONS
from tests.support import rail as make
from tests.support.people import PASSWORD, make_customer

DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CTG", "12:00", None, 0, 321)]
LIVE = 1000  # ms: a seat taken in one browser shows as taken in another within a second (DESIGN.md)


def _trip(in_tenant, rail, coaches=(("S_CHAIR", "Chair 2+2, 15 rows"), ("S_CHAIR", "Chair 2+2, 15 rows"))) -> int:
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=1)  # tomorrow: today's 07:00 train may have left
        train = make.train(DHAKA_CTG, coaches=coaches)
        make.generate([train.id], day)
        return make.trip_of(train.id, day).id


def _wait_for_viewers(in_tenant, rail, trip_id: int, count: int) -> None:
    deadline = time.monotonic() + 5
    with in_tenant(rail):
        while live.listener_count(live.trip_channel(trip_id)) < count:
            assert time.monotonic() < deadline, f"expected {count} live viewer(s) of trip {trip_id}"
            time.sleep(0.05)


def _page_of_another_browser(page, csp_violations, **context_args):
    """A second customer: their own browser context (cookies), watched for CSP violations too."""
    context = page.context.browser.new_context(**context_args)
    context.add_init_script(REPORT_POLICY_VIOLATIONS)
    context.on("console", lambda m: csp_violations.append(f"{m.page.url if m.page else '?'}: {m.text}")
               if "Content Security Policy" in m.text else None)
    other = context.new_page()
    other.set_default_timeout(10_000)
    return other


class Customer:
    def __init__(self, page, live_server, rail, login=None):
        self.page, self.live_server, self.rail, self.login = page, live_server, rail, login

    def logs_in(self):
        self.page.goto(self.live_server.url(self.rail, "/account/login"))
        self.fills_in_the_login_form()
        self.page.wait_for_url("**/account/bookings")

    def fills_in_the_login_form(self):
        self.page.get_by_label("Mobile number or email").fill(self.login)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()

    def opens_the_seat_map(self, trip_id: int):
        self.page.goto(self.live_server.url(self.rail, f"/trips/{trip_id}/seats?class=S_CHAIR&board=0&alight=2"))
        expect(self.page.get_by_role("group", name="Coach KA")).to_be_visible()

    def seat_box(self, number: int):
        return self.page.locator("#booking .coach-grid label").filter(
            has=self.page.get_by_role("checkbox", name=re.compile(rf"^Seat {number},")))

    def seat(self, number: int):
        return self.page.get_by_role("checkbox", name=re.compile(rf"^Seat {number},"))

    def holds(self, expect_status: int = 200):
        with self.page.expect_response(lambda r: r.url.endswith("/hold") and r.request.method == "POST") as answer:
            self.page.get_by_role("button", name="Hold seats").click()
        assert answer.value.status == expect_status
        answer.value.finished()  # the block is in: what follows is measured from here

    def releases(self, label: str):
        with self.page.expect_response(lambda r: "/release-seat" in r.url) as answer:
            self.page.get_by_role("button", name=f"Release {label}").click()
        assert answer.value.status == 200
        answer.value.finished()


def _sees_as(customer: Customer, number: int, state: str, *, timeout=LIVE):
    expect(customer.seat_box(number)).to_have_class(re.compile(rf"\bseat-{state}\b"), timeout=timeout)


def test_two_customers_see_each_others_hold_and_release_live_and_the_seat_is_held_only_once(
        page, live_server, make_tenant, in_tenant, csp_violations):
    rail = make_tenant("rail", kind="rail")
    trip_id = _trip(in_tenant, rail)
    a = Customer(page, live_server, rail, make_customer(in_tenant, rail, name="Ayesha")[1])
    b = Customer(_page_of_another_browser(page, csp_violations), live_server, rail,
                 make_customer(in_tenant, rail, name="Bashir")[1])
    for customer in (a, b):
        customer.logs_in()
        customer.opens_the_seat_map(trip_id)
    _wait_for_viewers(in_tenant, rail, trip_id, 2)
    b.seat(12).check()  # B has seat 12 ticked while A holds it

    a.seat(12).check()
    a.holds()
    _sees_as(a, 12, "mine", timeout=0)
    expect(a.page.get_by_role("region", name="Your seats")).to_contain_text("KA-12")
    expect(a.page.locator("[data-countdown]")).to_have_text(re.compile(r"^[45]:\d\d$"))

    # B sees it taken within a second, without reloading, and is told the seat ticked was taken.
    _sees_as(b, 12, "held")
    expect(b.seat(12)).not_to_be_checked(timeout=LIVE)
    expect(b.seat(12)).to_be_disabled(timeout=LIVE)
    expect(b.seat(12)).to_have_accessible_name("Seat 12, window, held by someone else")
    expect(b.page.get_by_role("status").filter(has_text="Just taken by someone else: KA-12")).to_be_visible()
    # Nor can B hold it from a page that still offers it: the server names the seat.
    b.page.evaluate("""() => { const s = document.querySelector('#booking input[data-ticket="KA-12"]');
                               s.disabled = false; s.checked = true; }""")
    b.holds(expect_status=409)
    expect(b.page.get_by_role("alert")).to_have_text("Seat KA-12 was just taken by someone else. Choose another seat.")
    _sees_as(b, 12, "held", timeout=0)

    # A lets it go: B sees it free within a second, and holds it.
    a.releases("KA-12")
    _sees_as(a, 12, "free", timeout=0)
    _sees_as(b, 12, "free")
    b.seat(12).check()
    b.holds()
    _sees_as(b, 12, "mine", timeout=0)
    _sees_as(a, 12, "held")
    with in_tenant(rail):
        claims = db.session.execute(sa.select(SeatClaim.status, Hold.customer_id).join(Hold)
                                    .where(SeatClaim.trip_id == trip_id)).all()
    assert len(claims) == 1 and claims[0][0] == "held"  # only B's hold stands
    b.page.context.close()


def test_a_customer_picks_seats_by_keyboard_and_the_countdown_frees_them_when_it_runs_out(
        page, live_server, make_tenant, in_tenant):
    rail = make_tenant("rail", kind="rail")
    trip_id = _trip(in_tenant, rail)
    user_id, login = make_customer(in_tenant, rail)
    me = Customer(page, live_server, rail, login)
    me.logs_in()
    me.opens_the_seat_map(trip_id)

    # The coach is one tab stop; arrow keys move over the drawing, Space ticks, Tab leaves for Hold.
    me.seat(1).focus()
    assert page.evaluate("document.querySelectorAll('#booking .coach-grid input[tabindex=\"0\"]').length") == 1
    page.keyboard.press("ArrowRight")
    expect(me.seat(2)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(me.seat(6)).to_be_focused()
    page.keyboard.press("ArrowRight")  # across the aisle
    expect(me.seat(7)).to_be_focused()
    page.keyboard.press("Space")
    expect(me.seat(7)).to_be_checked()
    expect(page.locator("[data-seat-count]")).to_have_text("Chosen: 1 of 4")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Hold seats")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/hold")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    _sees_as(me, 7, "mine")
    expect(me.seat(7)).to_have_accessible_name("Seat 7, aisle, held by you")
    expect(page.get_by_role("button", name="Hold seats")).to_be_focused()  # not lost in the swap

    # Three more may be chosen now: a fourth is refused on the page already.
    for number in (9, 10, 11, 12):
        me.seat(number).focus()
        page.keyboard.press("Space")
    expect(me.seat(12)).not_to_be_checked()
    expect(page.get_by_role("status").filter(has_text="You can choose at most 3 seats.")).to_be_visible()
    expect(page.locator("[data-seat-count]")).to_have_text("Chosen: 3 of 3")

    # The hold is about to end: the countdown reaches 0:00 and the map shows the seat free again.
    with in_tenant(rail):
        soon = utcnow() + timedelta(seconds=3)
        db.session.execute(sa.update(Hold).where(Hold.customer_id == user_id).values(expires_at=soon))
        db.session.execute(sa.update(SeatClaim).where(SeatClaim.trip_id == trip_id).values(expires_at=soon))
        db.session.commit()
    page.reload()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^0:0[0-3]$"))
    expect(page.get_by_role("region", name="Your seats")).to_have_count(0, timeout=6000)
    _sees_as(me, 7, "free", timeout=0)
    expect(me.seat(7)).to_be_enabled()


def test_a_visitor_on_a_phone_ticks_a_seat_logs_in_and_comes_back_to_hold_it(
        page, live_server, make_tenant, in_tenant):
    rail = make_tenant("rail", kind="rail")
    with in_tenant(rail):
        make.small_layout("Ten abreast", seats=10)  # wider than a phone: the coach scrolls in its own box
    trip_id = _trip(in_tenant, rail, coaches=(("S_CHAIR", "Chair 2+2, 15 rows"), ("S_CHAIR", "Ten abreast")))
    page.set_viewport_size({"width": 360, "height": 740})
    visitor = Customer(page, live_server, rail, make_customer(in_tenant, rail)[1])
    visitor.opens_the_seat_map(trip_id)

    def fits_the_screen():
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways page scroll
        small = page.evaluate("""() => [...document.querySelectorAll('#booking .coach-grid .seat')]
            .map((s) => s.getBoundingClientRect()).filter((r) => r.width < 40 || r.height < 40).length""")
        assert small == 0  # every seat is a tap target of at least 40 × 40 px

    fits_the_screen()
    expect(page.locator("[data-scroll-hint]")).to_be_hidden()  # 2 + 2 fits
    expect(page.get_by_role("button", name="Hold seats")).to_be_in_viewport()  # the bar stays on screen

    # Another coach, from its tab: only the booking block changes, and the URL says which coach.
    page.evaluate("window.__sameDocument = true")
    page.locator(".coach-tabs a", has_text="KHA").click()
    expect(page.get_by_role("group", name="Coach KHA")).to_be_visible()
    expect(page).to_have_url(re.compile(r"&coach=\d+$"))
    expect(page.locator(".coach-tabs a[aria-current=page]")).to_contain_text("KHA")
    assert page.evaluate("window.__sameDocument === true")
    fits_the_screen()
    expect(page.get_by_text("Swipe sideways to see the whole coach.")).to_be_visible()
    assert page.evaluate("(() => { const b = document.querySelector('.coach-scroll');"
                         " return b.scrollWidth > b.clientWidth; })()")
    page.go_back()
    expect(page.get_by_role("group", name="Coach KA")).to_be_visible()

    # Hold needs a login: the visitor comes back to the same map with the seat still ticked.
    visitor.seat(12).check()
    page.get_by_role("button", name="Hold seats").click()
    expect(page).to_have_url(re.compile(r"/account/login\?next="))
    visitor.fills_in_the_login_form()
    expect(page).to_have_url(re.compile(rf"/trips/{trip_id}/seats\?.*seat=\d+"))
    expect(visitor.seat(12)).to_be_checked()
    visitor.holds()
    _sees_as(visitor, 12, "mine", timeout=0)
    fits_the_screen()


def test_with_the_stream_down_the_map_follows_by_polling_and_keeps_the_seats_ticked(
        page, live_server, make_tenant, in_tenant):
    rail = make_tenant("rail", kind="rail")
    trip_id = _trip(in_tenant, rail)
    page.route("**/live/**", lambda route: route.abort())  # no event stream: live.js polls the block
    polls = []
    page.on("request", lambda r: polls.append(r.headers.get("if-none-match")) if "/seats?" in r.url
            and r.headers.get("hx-request") else None)
    visitor = Customer(page, live_server, rail)
    visitor.opens_the_seat_map(trip_id)
    visitor.seat(11).check()
    other, _login = make_customer(in_tenant, rail)
    with in_tenant(rail):
        seat_12 = make.seat_ids(db.session.get(Trip, trip_id).train_id)[11]  # KA-12
        inventory.hold_seats(trip_id, [seat_12], board_seq=0, alight_seq=2, owner=Owner(customer_id=other))
    _sees_as(visitor, 12, "held", timeout=8000)  # fallback after 3 s, then a poll every 2 s
    expect(visitor.seat(11)).to_be_checked()  # the new block keeps what was ticked
    page.wait_for_timeout(2500)
    assert any(polls), "the polls after the first ask with If-None-Match"


def test_a_seat_whose_hold_runs_out_shows_free_to_others_at_once_without_a_sweep(page, live_server, make_tenant,
                                                                                in_tenant):
    rail = make_tenant("rail", kind="rail")
    trip_id = _trip(in_tenant, rail)
    holder, _ = make_customer(in_tenant, rail, name="Ayesha")
    with in_tenant(rail):
        seat = make.seat_ids(db.session.get(Trip, trip_id).train_id)[4]
        inventory.hold_seats(trip_id, [seat], board_seq=0, alight_seq=2, owner=Owner(customer_id=holder))
        soon = utcnow() + timedelta(seconds=3)  # the hold is about to run out; no sweep runs in tests
        db.session.execute(sa.update(Hold).where(Hold.customer_id == holder).values(expires_at=soon))
        db.session.execute(sa.update(SeatClaim).where(SeatClaim.trip_id == trip_id).values(expires_at=soon))
        db.session.commit()
    viewer = Customer(page, live_server, rail, make_customer(in_tenant, rail, name="Bashir")[1])
    viewer.logs_in()
    viewer.opens_the_seat_map(trip_id)
    _sees_as(viewer, 5, "held", timeout=0)
    left = (soon - utcnow()).total_seconds() * 1000
    _sees_as(viewer, 5, "free", timeout=int(left) + LIVE)
    expect(viewer.seat(5)).to_be_enabled()
