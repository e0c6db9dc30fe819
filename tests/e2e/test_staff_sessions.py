"""A gate member of staff logs in, finds a page that is theirs with a way out, wanders into an
admin page and can still log out from there."""
import re

from playwright.sync_api import expect

from tests.support.people import make_staff

PASSWORD = "gate-keeper-77"


class StaffMember:
    def __init__(self, page, live_server, site, email):
        self.page, self.live_server, self.site, self.email = page, live_server, site, email

    def opens(self, path):
        self.page.goto(self.live_server.url(self.site, path))

    def logs_in(self):
        self.opens("/staff/login")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()

    def header(self):
        return self.page.get_by_role("navigation", name="Main")

    def logs_out(self):
        self.header().get_by_role("button", name="Log out").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Staff login")


def test_a_gate_staff_member_lands_on_a_usable_page_and_can_always_log_out(page, live_server, make_tenant,
                                                                          in_tenant):
    fort = make_tenant("lalbagh")
    _, email = make_staff(in_tenant, fort, "gate", password=PASSWORD)
    shila = StaffMember(page, live_server, fort, email)

    shila.logs_in()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff dashboard")
    gate_link = page.locator("ul.staff-pages").get_by_role("link", name="Gate")  # her one page: the scanner
    expect(gate_link).to_have_attribute("href", "/staff/gate")
    expect(page.get_by_text("There are no pages for your role yet")).to_have_count(0)
    expect(shila.header().get_by_role("button", name="Log out")).to_be_visible()

    gate_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a gate")
    shila.opens("/staff/people")  # not hers: the 403 page, still with the staff header
    expect(page.get_by_role("heading", level=1)).to_have_text("You don't have access to this page")
    shila.logs_out()

    shila.opens("/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login"))
