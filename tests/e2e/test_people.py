"""A customer signs up with a mobile number, verifies it, comes back and saves a passenger; a gate
member of staff who wanders into an admin page is told no."""
import re

from playwright.sync_api import expect

from tests.support.people import make_staff, next_phone

PASSWORD = "shapla-fields-7"


class Customer:
    def __init__(self, page, live_server, site):
        self.page, self.live_server, self.site = page, live_server, site

    def opens(self, path="/"):
        self.page.goto(self.live_server.url(self.site, path))

    def registers(self, name, phone):
        self.opens()
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name="Register").click()
        self.page.get_by_label("Your name").fill(name)
        self.page.get_by_label("Mobile number", exact=True).fill(phone)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Create account").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Enter your code")

    def reads_the_code_from_the_outbox(self, phone_canonical) -> str:
        outbox = self.page.context.new_page()
        outbox.goto(self.live_server.url(self.site, "/dev/outbox"))
        text = outbox.locator(f'.outbox-message[data-to="{phone_canonical}"] .text').first.inner_text()
        outbox.close()
        return re.search(r"\b(\d{6})\b", text).group(1)

    def enters_the_code(self, code):
        self.page.get_by_label("6-digit code").fill(code)
        self.page.get_by_role("button", name="Verify").click()

    def logs_out(self):
        self.page.get_by_role("button", name="Log out", exact=True).click()
        expect(self.page.get_by_role("link", name="Log in")).to_be_visible()

    def logs_in(self, identifier):
        self.page.get_by_role("link", name="Log in").click()
        self.page.get_by_label("Mobile number or email").fill(identifier)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()

    def saves_a_passenger(self, name, born, gender, nid):
        self.page.get_by_role("link", name="Saved passengers").click()
        self.page.get_by_label("Name").fill(name)
        self.page.get_by_label("Date of birth").fill(born)
        self.page.get_by_label("Gender").select_option(gender)
        self.page.get_by_label("ID document").select_option("nid")
        self.page.get_by_label("Document number").fill(nid)
        self.page.get_by_role("button", name="Save passenger").click()


def test_a_customer_registers_verifies_by_sms_code_logs_in_again_and_saves_a_passenger(page, live_server,
                                                                                      make_tenant):
    zoo = make_tenant("mirpur")  # a name of its own: other tests look for "Zoo" on the platform page
    phone = next_phone()
    canonical = "+880" + phone[1:]
    rahim = Customer(page, live_server, zoo)

    rahim.registers("Rahim Mia", f"{phone[:5]} {phone[5:]}")
    expect(page.get_by_text(f"We sent a 6-digit code to {phone[:5]}-{phone[5:]}")).to_be_visible()
    code = rahim.reads_the_code_from_the_outbox(canonical)

    rahim.enters_the_code("000000" if code != "000000" else "111111")
    expect(page.get_by_text("That code is not right. 4 attempts left.")).to_be_visible()
    rahim.enters_the_code(code)
    expect(page.get_by_text(f"{phone[:5]}-{phone[5:]} is verified")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Rahim Mia")

    rahim.logs_out()
    rahim.logs_in(phone)
    expect(page.get_by_role("heading", level=1)).to_have_text("My bookings")
    expect(page.get_by_text("You have no bookings yet.")).to_be_visible()

    rahim.saves_a_passenger("Amena Begum", "1958-07-14", "female", "1958 2690 1234 5")
    expect(page.get_by_text("Passenger saved.")).to_be_visible()
    saved = page.get_by_role("list", name="Saved passengers")
    expect(saved).to_contain_text("Amena Begum")
    expect(saved).to_contain_text("NID 1958269012345")


def test_a_wrong_password_shows_the_error_in_place(page, live_server, make_tenant, in_tenant):
    from tests.support.people import make_customer

    fort = make_tenant("lalbagh")
    _, phone = make_customer(in_tenant, fort, password=PASSWORD)
    page.goto(live_server.url(fort, "/account/login"))
    page.get_by_label("Mobile number or email").fill("0" + phone[4:])
    page.get_by_label("Password").fill("not-my-password")
    with page.expect_response(lambda r: "/account/login" in r.url and r.request.method == "POST") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 422
    expect(page.get_by_text("do not match an account")).to_be_visible()


def test_a_gate_staff_member_opening_an_admin_page_gets_the_403_page(page, live_server, make_tenant, in_tenant):
    fort = make_tenant("lalbagh")
    _, email = make_staff(in_tenant, fort, "gate", password=PASSWORD)
    page.goto(live_server.url(fort, "/staff/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/staff/login"))  # logged in (the gate console is theirs)
    page.goto(live_server.url(fort, "/staff/people"))
    expect(page.get_by_role("heading", level=1)).to_have_text("You don't have access to this page")
    expect(page.get_by_text("403")).to_be_visible()


def test_a_customer_who_uses_up_a_code_is_told_the_truth_gets_a_new_code_and_verifies(page, live_server,
                                                                                     make_tenant, in_tenant):
    from datetime import timedelta

    import sqlalchemy as sa

    from models import db
    from models.base import utcnow
    from models.customers import OtpCode

    zoo = make_tenant("chidiya")
    phone = next_phone()
    canonical, shown = "+880" + phone[1:], f"{phone[:5]}-{phone[5:]}"
    mina = Customer(page, live_server, zoo)
    mina.registers("Mina Akter", phone)
    code = mina.reads_the_code_from_the_outbox(canonical)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for left in ("4 attempts", "3 attempts", "2 attempts", "1 attempt"):
        mina.enters_the_code(wrong)
        expect(page.get_by_text(f"That code is not right. {left} left.", exact=True)).to_be_visible()
    mina.enters_the_code(wrong)
    expect(page.get_by_text(f"You have used every try for the code we sent to {shown}.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"You can ask for a new code in \d+ seconds"))).to_be_visible()
    expect(page.get_by_label("6-digit code")).to_have_count(0)  # no box to type a dead code into
    expect(page.get_by_text("We sent a 6-digit code")).to_have_count(0)

    page.get_by_role("button", name="Send a new code").click()  # too early: refused, and said so
    expect(page.get_by_text("A code was sent a moment ago")).to_be_visible()
    expect(page.get_by_text("We sent a 6-digit code")).to_have_count(0)

    with in_tenant(zoo):  # a minute later
        db.session.execute(sa.update(OtpCode).values(sent_at=utcnow() - timedelta(seconds=61)))
        db.session.commit()
    page.reload()
    expect(page.get_by_text("You can ask for a new code now.")).to_be_visible()
    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_text(f"We sent a new code to {shown}.")).to_be_visible()
    expect(page.get_by_text(f"We sent a 6-digit code to {shown}")).to_be_visible()
    mina.enters_the_code(mina.reads_the_code_from_the_outbox(canonical))
    expect(page.get_by_text(f"{shown} is verified")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Mina Akter")


def test_a_customer_changes_their_number_on_the_profile_and_verifies_it_with_the_code(page, live_server,
                                                                                    make_tenant, in_tenant):
    from tests.support.people import make_customer

    zoo = make_tenant("banani")
    _, old = make_customer(in_tenant, zoo, name="Shirin Akter", password=PASSWORD)
    new = next_phone()
    canonical, shown = "+880" + new[1:], f"{new[:5]}-{new[5:]}"
    shirin = Customer(page, live_server, zoo)
    shirin.opens("/account/login")
    page.get_by_label("Mobile number or email").fill("0" + old[4:])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My bookings")

    page.get_by_role("link", name="Profile").click()
    page.get_by_label("Mobile number").fill(new)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(page.get_by_text(f"We sent a 6-digit code to {shown}")).to_be_visible()

    shirin.opens("/account/profile")  # the old number stays until the code comes back
    expect(page.get_by_text(f"Waiting for the code sent to {shown}.")).to_be_visible()
    expect(page.get_by_label("Mobile number")).to_have_value(f"0{old[4:8]}-{old[8:]}")
    page.get_by_role("link", name="Enter the code").click()

    shirin.enters_the_code(shirin.reads_the_code_from_the_outbox(canonical))
    expect(page.get_by_text(f"Thank you: {shown} is verified.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_label("Mobile number")).to_have_value(shown)
    expect(page.get_by_text("Verified. A new number is saved")).to_be_visible()
    expect(page.get_by_text("Waiting for the code")).to_have_count(0)
