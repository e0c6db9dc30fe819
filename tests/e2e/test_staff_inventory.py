"""An operator opens a trip's occupancy from the trips list, blocks a seat with a reason on the
coach map and sees it blocked, without leaving the page."""
from datetime import timedelta

from playwright.sync_api import expect

from services import staff
from services.rail import trips
from tests.support import rail as make

DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CTG", "12:00", None, 0, 321)]


def test_an_operator_blocks_a_seat_with_a_reason_and_sees_it_blocked(page, live_server, make_tenant, in_tenant):
    railway = make_tenant("rail", kind="rail")
    with in_tenant(railway):
        staff.create_staff("ops@rail.example.com", "Nasrin", "operator", "ops-pass-123", actor=make.ACTOR)
        day = trips.local_today() + timedelta(days=1)
        train = make.train(DHAKA_CTG, number="781", name="Turna Test")
        make.generate([train.id], day)
        make.claim(make.trip_of(train.id, day).id, make.seat_ids(train.id)[0], 0, 2)  # KA-1 sold

    page.goto(live_server.url(railway, "/staff/login"))
    page.get_by_label("Email").fill("ops@rail.example.com")
    page.get_by_label("Password").fill("ops-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(live_server.url(railway, f"/staff/rail/trips?day={day.isoformat()}"))
    page.locator("#trip-list").get_by_role("link", name="Occupancy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("781 Turna Test")
    page.evaluate("window.__sameDocument = true")

    seat_map = page.get_by_role("group", name="Coach KA, Dhaka → Chattogram")
    expect(seat_map.get_by_text("KA-1, sold")).to_be_attached()
    seat_map.get_by_role("checkbox", name="KA-3, free").check()
    page.get_by_label("Reason").fill("Railway police escort")
    page.get_by_role("button", name="Block chosen seats").click()
    expect(page.get_by_text("1 seat blocked.")).to_be_visible()
    expect(seat_map.get_by_role("checkbox", name="KA-3, blocked")).to_be_disabled()
    expect(page.locator("#blocked-seats")).to_contain_text("Railway police escort")
    row = page.locator("#blocked-seats tr", has_text="KA-3")
    expect(row).to_contain_text("DHK → CTG")
    assert page.evaluate("window.__sameDocument === true")  # htmx swapped the map in place
