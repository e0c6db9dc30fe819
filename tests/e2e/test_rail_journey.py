"""An operator builds a small railway in the staff pages and generates trips; a customer finds the
train from the home page with the right times and fares."""
from datetime import timedelta
from urllib.parse import quote

from playwright.sync_api import expect

from services import staff
from services.rail import trips
from tests.support import rail as make


def _still_same_page(page):
    return page.evaluate("window.__sameDocument === true")


def test_operator_builds_a_train_generates_trips_and_a_customer_finds_it(page, live_server, make_tenant, in_tenant):
    railway = make_tenant("rail", kind="rail")
    with in_tenant(railway):
        staff.create_staff("ops@rail.example.com", "Nasrin", "operator", "ops-pass-123", actor=make.ACTOR)
        make.station("DHK")  # the capital's station is already on the network
        today = trips.local_today()

    # The operator logs in and adds two stations without leaving the page.
    page.goto(live_server.url(railway, "/staff/login"))
    page.get_by_label("Email").fill("ops@rail.example.com")
    page.get_by_label("Password").fill("ops-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stations").click()  # not the dashboard's
    page.evaluate("window.__sameDocument = true")
    for code, english, bangla, city in (("BHB", "Bhairab Bazar", "ভৈরব বাজার", "Kishoreganj"),
                                        ("CTG", "Chattogram", "চট্টগ্রাম", "Chattogram")):
        page.get_by_label("Code").fill(code)
        page.get_by_label("Name (English)").fill(english)
        page.get_by_label("Name (Bangla)").fill(bangla)
        page.get_by_label("City").fill(city)
        page.get_by_role("button", name="Add station").click()
        expect(page.get_by_text(f"Saved {english}.")).to_be_visible()
    page.get_by_label("Code").fill("ctg")
    page.get_by_label("Name (English)").fill("Chattogram again")
    page.get_by_label("Name (Bangla)").fill("চট্টগ্রাম")
    page.get_by_label("City").fill("Chattogram")
    page.get_by_role("button", name="Add station").click()
    expect(page.get_by_text("A station with code CTG already exists.")).to_be_visible()
    assert _still_same_page(page)

    # A train with three stops and two coaches.
    page.get_by_role("link", name="Trains").click()
    page.get_by_label("Number").fill("799")
    page.get_by_label("Name", exact=True).fill("Karnaphuli Test Express")
    page.get_by_label("Runs").select_option("daily")
    page.get_by_role("button", name="Add train").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("799 Karnaphuli Test Express")
    page.evaluate("window.__sameDocument = true")
    stops = page.locator("#stops")
    for station, arrives, departs, km in (("Dhaka (DHK)", "", "07:00", "0"),
                                          ("Bhairab Bazar (BHB)", "08:30", "08:33", "80"),
                                          ("Chattogram (CTG)", "12:00", "", "321")):
        stops.get_by_label("Station").select_option(label=station)
        if arrives:
            stops.get_by_label("Arrives").fill(arrives)
        if departs:
            stops.get_by_label("Departs").fill(departs)
        stops.get_by_label("Distance from origin (km)").fill(km)
        stops.get_by_role("button", name="Add stop").click()
        expect(stops.get_by_role("cell", name=station.split(" (")[0], exact=True)).to_be_visible()
    coaches = page.locator("#coaches")
    for klass in ("Shovan chair (S_CHAIR)", "AC seat (AC_S)"):
        coaches.get_by_label("Class").select_option(label=klass)
        coaches.get_by_label("Layout").select_option(label="Chair 2+2, 15 rows · 60")
        coaches.get_by_role("button", name="Add coach").click()
        expect(coaches.get_by_role("cell", name=klass.split("(")[1].rstrip(")"), exact=True)).to_be_visible()
    assert _still_same_page(page)

    # Trips for three days.
    page.get_by_role("link", name="Generate trips").click()
    page.get_by_label("First date").fill(today.isoformat())
    page.get_by_label("Last date").fill((today + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Done: 3 trips created")).to_be_visible()

    # A customer searches from the home page and finds the train, times and fares.
    customer = page.context.browser.new_page()
    customer.goto(live_server.url(railway))
    customer.get_by_label("From").fill("Dhaka")
    customer.get_by_label("To").fill("চট্টগ্রাম")
    customer.get_by_label("Date of journey").fill((today + timedelta(days=1)).isoformat())
    customer.get_by_role("button", name="Search trains").click()
    chattogram_bn = quote("চট্টগ্রাম")
    expect(customer).to_have_url(live_server.url(
        railway, f"/trains?from=Dhaka&to={chattogram_bn}&date={today + timedelta(days=1)}&class=&departure="))
    result = customer.get_by_role("listitem").filter(has_text="Karnaphuli Test Express")
    expect(result.locator(".depart time")).to_have_text("07:00")
    expect(result.locator(".arrive time")).to_have_text("12:00")
    expect(result.locator(".duration")).to_have_text("5h 00m")
    expect(result.get_by_role("link", name="Shovan chair")).to_contain_text("৳347.00")  # 321 km × ৳1.08
    expect(result.get_by_role("link", name="AC seat")).to_contain_text("৳757.00")  # × ৳2.05, + 15% VAT
    expect(result.get_by_role("link", name="AC seat")).to_contain_text("60 seats free")

    # Changing the class filter on the results page swaps the results in place.
    customer.evaluate("window.__sameDocument = true")
    customer.get_by_label("Class").select_option("AC_S")
    customer.get_by_role("button", name="Search trains").click()
    expect(customer.get_by_role("link", name="Shovan chair")).to_have_count(0)
    expect(customer.get_by_role("link", name="AC seat")).to_be_visible()
    assert _still_same_page(customer)
    customer.close()
