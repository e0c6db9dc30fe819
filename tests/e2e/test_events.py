"""An operator puts an event on sale; a customer finds it by a word of its description and opens it."""
import re
from datetime import timedelta

from playwright.sync_api import expect

from models.base import utcnow
from tests.support.events import STAFF_PASSWORD, make_staff


def test_operator_publishes_an_event_with_two_ticket_types_and_a_customer_finds_it(page, browser, live_server,
                                                                                  make_tenant, in_tenant):
    theatre = make_tenant("theatre")
    with in_tenant(theatre):
        email = make_staff("operator")
    day = (utcnow() + timedelta(days=10)).date().isoformat()

    # The operator logs in and creates the event: a draft at first.
    page.goto(live_server.url(theatre, "/staff/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Events", exact=True).click()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Title").fill("Jatra pala: Nawab Siraj-ud-Daulah")
    page.get_by_label("Description").fill("A travelling folk theatre troupe performs the saga of the last "
                                          "independent nawab, with harmonium and dhol.")
    page.get_by_label("Category").fill("Theatre")
    page.get_by_label("Starts").fill(f"{day}T19:00")
    page.get_by_label("Ends").fill(f"{day}T22:00")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jatra pala: Nawab Siraj-ud-Daulah")
    expect(page.locator("#event-status")).to_contain_text("draft")

    # Two ticket types, each added in place.
    tickets = page.locator("#ticket-types")
    for name, price, quantity in (("Front stalls", "500", "80"), ("Back benches", "200", "150")):
        tickets.get_by_label("Ticket name").fill(name)
        tickets.get_by_label("Price (BDT)").fill(price)
        tickets.get_by_label("Quantity").fill(quantity)
        tickets.get_by_role("button", name="Add ticket type").click()
        expect(page.locator("#ticket-types table")).to_contain_text(name)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#event-status")).to_contain_text("published")

    # A customer, on another device, searches by a word of the description as they type.
    customer = browser.new_page()
    customer.set_default_timeout(10_000)
    customer.goto(live_server.url(theatre, "/events"))
    customer.get_by_label("Search events").press_sequentially("harmon", delay=40)
    results = customer.locator("#results")
    expect(results.get_by_role("link", name="Jatra pala: Nawab Siraj-ud-Daulah")).to_be_visible()
    expect(customer).to_have_url(re.compile(r"/events\?q=harmon"))  # a shareable address
    results.get_by_role("link", name="Jatra pala: Nawab Siraj-ud-Daulah").click()

    expect(customer.get_by_role("heading", level=1)).to_have_text("Jatra pala: Nawab Siraj-ud-Daulah")
    expect(customer.get_by_role("row", name=re.compile("Front stalls"))).to_contain_text("80 left")
    expect(customer.get_by_role("row", name=re.compile("Back benches"))).to_contain_text("৳200.00")
    customer.close()
