"""A traveller searches for a train on a 360-px phone: with results, the search folds into one line
and "Modify", so the first train is on the first screen; Modify unfolds the form, whose station
suggestions and in-place search still work. On a wide screen the form stays open."""
from datetime import timedelta

from playwright.sync_api import expect

from services.rail import trips
from tests.support import rail as make

PHONE = {"width": 360, "height": 740}
DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CTG", "12:00", None, 0, 321)]


def _railway(make_tenant, in_tenant):
    railway = make_tenant("rail", kind="rail")
    with in_tenant(railway):
        day = trips.local_today() + timedelta(days=1)
        coaches = (("S_CHAIR", "Chair 2+2, 15 rows"), ("AC_S", "Chair 2+2, 15 rows"))
        train = make.train(DHAKA_CTG, number="701", name="Subarna Express", coaches=coaches)
        later = make.train([("DHK", None, "15:00", 0, 0), ("CTG", "20:10", None, 0, 321)], number="787",
                           name="Sonar Bangla Express", coaches=coaches)
        make.generate([train.id, later.id], day)
    return railway, day


def _disclosure(page, name_part):
    """What Chromium tells a screen reader about the control named with `name_part`: (name, expanded)."""
    cdp = page.context.new_cdp_session(page)
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        name = node.get("name", {}).get("value") or ""
        if node["role"]["value"] == "DisclosureTriangle" and name_part in name:
            props = {p["name"]: p["value"]["value"] for p in node.get("properties", [])}
            return name, props.get("expanded")
    return None


def _on_first_screen(locator, page):
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]


def test_on_a_phone_the_search_folds_to_one_line_and_modify_unfolds_it(page, live_server, make_tenant, in_tenant):
    railway, day = _railway(make_tenant, in_tenant)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url(railway))
    page.get_by_label("From").fill("Dhaka")
    page.get_by_label("To").fill("Chattogram")
    page.get_by_label("Date of journey").fill(day.isoformat())
    page.get_by_role("button", name="Search trains").click()

    # The results page: one line says what was searched, and the first train is on the first screen.
    fold = page.locator("details.search-fold")
    summary = fold.locator("summary")
    expect(summary).to_have_text(f"Dhaka → Chattogram · {day.day} {day:%b} Modify")
    assert summary.locator(".search-summary").bounding_box()["height"] < 30  # one line
    name, expanded = _disclosure(page, "Modify")
    assert name.startswith("Dhaka → Chattogram") and expanded is False
    expect(page.get_by_label("From")).to_be_hidden()
    first = page.get_by_role("listitem").filter(has_text="Subarna Express")
    expect(first).to_be_visible()
    assert _on_first_screen(first.get_by_role("link", name="Shovan chair"), page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing wider than the phone

    # Modify, from the keyboard: the form unfolds, its station suggestions still come as you type.
    page.evaluate("window.__sameDocument = true")
    summary.focus()
    page.keyboard.press("Enter")
    expect(fold).to_have_attribute("open", "")
    expect(page.get_by_label("From")).to_be_visible()
    assert _disclosure(page, "Modify")[1] is True
    page.get_by_label("To").fill("Chat")
    expect(page.locator("#to-stations option[value='Chattogram']")).to_have_count(1)
    page.get_by_label("To").fill("Chattogram")
    page.get_by_label("Class").select_option(label="AC seat")
    page.get_by_role("button", name="Search trains").click()

    # htmx swapped the results in place: folded again, saying the new class, the first train on screen.
    expect(summary).to_have_text(f"Dhaka → Chattogram · {day.day} {day:%b} · AC seat Modify")
    expect(page.get_by_label("From")).to_be_hidden()
    expect(first.get_by_role("link", name="Shovan chair")).to_have_count(0)
    assert _on_first_screen(first.get_by_role("link", name="AC seat"), page)
    assert page.evaluate("window.__sameDocument === true")
    assert "class=AC_S" in page.url


def test_on_a_wide_screen_the_search_form_stays_open_above_the_results(page, live_server, make_tenant, in_tenant):
    railway, day = _railway(make_tenant, in_tenant)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url(railway, f"/trains?from=Dhaka&to=Chattogram&date={day}"))
    expect(page.get_by_role("listitem").filter(has_text="Subarna Express")).to_be_visible()
    expect(page.get_by_label("From")).to_be_visible()
    expect(page.locator("details.search-fold summary")).to_be_hidden()
    expect(page.locator("details.search-fold")).to_have_attribute("open", "")  # what screen readers are told
    page.get_by_label("Departure").select_option(label="After 6 pm")
    page.get_by_role("button", name="Search trains").click()
    expect(page.get_by_role("listitem").filter(has_text="Subarna Express")).to_have_count(0)
    expect(page.get_by_role("listitem").filter(has_text="Sonar Bangla Express")).to_have_count(0)
    expect(page.get_by_text("No train runs from Dhaka to Chattogram on this date.")).to_be_visible()
    expect(page.get_by_label("From")).to_be_visible()  # the swapped-in form is open too

    # A phone turned sideways and back: the form folds again.
    page.set_viewport_size(PHONE)
    expect(page.get_by_label("From")).to_be_hidden()
    expect(page.locator("details.search-fold summary")).to_be_visible()
