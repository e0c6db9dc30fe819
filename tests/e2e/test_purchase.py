"""Buying tickets in Chromium from start to end, through the local gateway simulator's own pages:
a customer buys two train seats with SSLCommerz; a guest buys zoo entry with bKash, and a customer
does too and finds it under "My bookings"; a payment that fails is tried again and goes through;
and a customer cancels one seat (or ticket) of a confirmed booking and sees the refund the policy
gives, with the seat back on sale."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from playwright.sync_api import expect

from models import db
from models.base import utcnow
from models.events import Event, TimeSlot
from models.sales import Hold
from services import passengers
from services.demo.events import seed_zoo
from services.events.times import to_local
from services.rail import trips
from tests.support import payments
from tests.support import rail as make
from tests.support.people import PASSWORD, make_customer, next_phone
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

TZ = "Asia/Dhaka"  # the tenants' default time zone
DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CTG", "12:00", None, 0, 321)]
CONFIRMED = "Confirmed — your tickets"
PAY = re.compile(r"^Pay ৳[\d,]+\.\d\d$")


def taka(text: str) -> Decimal:
    """"৳1,040.00" → Decimal("1040.00")."""
    return Decimal(re.sub(r"[^\d.]", "", text))


def shown(amount: Decimal) -> str:
    """An amount as the English pages show it (lakh grouping does not matter below ৳1,00,000)."""
    return f"৳{amount:,.2f}"


class Person:
    """Someone at the browser: what they see and press, by the words on the page."""

    def __init__(self, page, live_server, site, login: str | None = None):
        self.page, self.live_server, self.site, self.login = page, live_server, site, login

    def opens(self, path: str):
        self.page.goto(self.live_server.url(self.site, path))

    def logs_in(self):
        self.opens("/account/login")
        self.page.get_by_label("Mobile number or email").fill(self.login)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url("**/account/bookings")

    # the seat map of a trip
    def opens_the_seat_map(self, trip_id: int):
        self.opens(f"/trips/{trip_id}/seats?class=S_CHAIR&board=0&alight=2")
        expect(self.page.get_by_role("group", name="Coach KA")).to_be_visible()

    def seat(self, number: int):
        return self.page.get_by_role("checkbox", name=re.compile(rf"^Seat {number},"))

    def holds_seats(self, *numbers: int):
        for number in numbers:
            self.seat(number).check()
        self.page.get_by_role("button", name="Hold seats").click()
        held = self.page.get_by_role("region", name="Your seats")
        for number in numbers:
            expect(held).to_contain_text(f"KA-{number}")

    # an event's page
    def picks_tickets(self, **how_many: int):
        for name, count in how_many.items():
            for _ in range(count):
                self.page.get_by_role("button", name=f"One more: {name}").click()
            expect(self.page.get_by_label(f"How many: {name}")).to_have_value(str(count))

    def holds_tickets(self):
        self.page.get_by_role("region", name="Your choice").get_by_role("button", name="Hold tickets").click()
        expect(self.page.get_by_role("region", name="Your hold")).to_be_visible()

    # checkout
    def continues_to_payment(self):
        self.page.get_by_role("link", name="Continue to payment").click()
        expect(self.page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()

    def passenger(self, seat_label: str):
        return self.page.get_by_role("group", name=f"Passenger on seat {seat_label}")

    def fills_in_the_passenger(self, seat_label: str, name: str, age: int, gender: str):
        who = self.passenger(seat_label)
        who.get_by_label("Name").fill(name)
        who.get_by_label("Age").fill(str(age))
        who.get_by_label("Gender").select_option(label=gender)

    def gives_contact(self, name: str, phone: str, email: str):
        self.page.get_by_label("Your name").fill(name)
        self.page.get_by_label("Mobile number").fill(phone)
        self.page.get_by_label("Email (for the tickets by email)").fill(email)

    def pays_with(self, gateway: str) -> Decimal:
        """Chooses the gateway and presses "Pay ৳…"; returns the total the button named."""
        self.page.get_by_role("group", name="Pay with").get_by_role("radio", name=re.compile(rf"^{gateway}\b")).check()
        button = self.page.get_by_role("button", name=PAY)
        total = taka(button.inner_text())
        expect(self.page.locator("[data-total]")).to_have_text(shown(total))
        button.click()
        return total

    # the simulator's page
    def is_at_the_gateway(self, simulator_url: str, gateway: str, name: str, total: Decimal):
        expect(self.page).to_have_url(re.compile(rf"^{re.escape(simulator_url)}/{gateway}/pay/\w+"))
        expect(self.page.get_by_role("heading", name=name, level=1)).to_be_visible()
        expect(self.page.locator(".amount")).to_have_text(f"BDT {total:.2f}")

    def presses_at_the_gateway(self, button: str):
        self.page.get_by_role("button", name=button, exact=True).click()

    # the booking page
    def sees_confirmed(self) -> tuple[str, str | None]:
        """Waits for the confirmation, back on the site; returns (booking reference, PNR or None)."""
        expect(self.page).to_have_url(re.compile(rf"^{re.escape(self.live_server.url(self.site, '/bookings/'))}"))
        expect(self.page.get_by_role("heading", name=CONFIRMED, level=1)).to_be_visible()
        reference = self.fact("Booking reference").inner_text().strip()
        assert reference
        pnr = self.fact("PNR")
        return reference, (pnr.inner_text().strip() if pnr.count() else None)

    def fact(self, term: str):
        return self.page.locator(".booking-facts dt", has_text=re.compile(rf"^{term}$")).locator(
            "xpath=following-sibling::dd[1]")

    def ticket_line(self, label: str):
        return self.page.locator(".booking-items > li").filter(has_text=label)

    def opens_my_bookings(self):
        self.page.get_by_role("link", name="My bookings").first.click()
        expect(self.page.get_by_role("heading", name="My bookings", level=1)).to_be_visible()


def _rail(make_tenant, live_server):
    return payments.with_gateways(live_server.app, make_tenant("rail", kind="rail"))


def _trip(in_tenant, rail, days_ahead: int = 3) -> int:
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=days_ahead)
        train = make.train(DHAKA_CTG, coaches=(("S_CHAIR", "Chair 2+2, 15 rows"),))
        make.generate([train.id], day)
        return make.trip_of(train.id, day).id


def _zoo(make_tenant, live_server, in_tenant):
    zoo = payments.with_gateways(live_server.app, make_tenant("zoo"))
    with in_tenant(zoo):
        seed_zoo()
    return zoo


def _event_id(in_tenant, tenant, title_start: str) -> int:
    with in_tenant(tenant):
        return db.session.scalar(sa.select(Event.id).where(Event.title.like(f"{title_start}%")))


def _tomorrows_slot(in_tenant, zoo, entry_id: int, hour: int) -> tuple[date, int]:
    with in_tenant(zoo):
        day = to_local(utcnow(), TZ).date() + timedelta(days=1)
        for slot in db.session.scalars(sa.select(TimeSlot).where(TimeSlot.event_id == entry_id)):
            local = to_local(slot.starts_at, TZ)
            if local.date() == day and local.hour == hour:
                return day, slot.id
    raise AssertionError(f"no {hour}:00 slot tomorrow")


def _buys_two_seats_up_to_the_gateway(me: Person, trip_id: int, simulator_url: str) -> Decimal:
    """The rail customer's way from the seat map to the SSLCommerz page: seats 1 and 2, a passenger each."""
    me.opens_the_seat_map(trip_id)
    me.holds_seats(1, 2)
    me.continues_to_payment()
    me.fills_in_the_passenger("KA-1", "Rahima Khatun", 34, "Female")
    me.fills_in_the_passenger("KA-2", "Nasir Ahmed", 36, "Male")
    total = me.pays_with("SSLCommerz")
    me.is_at_the_gateway(simulator_url, "sslcommerz", "SSLCommerz", total)
    return total


def test_a_customer_buys_two_train_seats_through_sslcommerz_and_finds_them_in_my_bookings(
        page, live_server, make_tenant, in_tenant, simulator, sandbox):
    rail = _rail(make_tenant, live_server)
    trip_id = _trip(in_tenant, rail)
    user_id, login = make_customer(in_tenant, rail, name="Rahima Khatun")
    with in_tenant(rail):
        passengers.add(user_id, name="Karim Uddin", date_of_birth=date(1988, 4, 14), gender="male",
                       document_kind=None, document_number=None)
    me = Person(page, live_server, rail, login)
    me.logs_in()

    # Two seats side by side, held, then to the checkout.
    me.opens_the_seat_map(trip_id)
    me.holds_seats(1, 2)
    me.continues_to_payment()
    expect(page.get_by_text(re.compile(r"Held for you until \d\d:\d\d\."))).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^\d+:\d\d$"))

    # One passenger typed in, the other picked from the saved passengers (the fields fill themselves).
    me.fills_in_the_passenger("KA-1", "Rahima Khatun", 34, "Female")
    karim = me.passenger("KA-2")
    karim.get_by_label("Saved passenger").select_option(label="Karim Uddin")
    expect(karim.get_by_label("Name")).to_have_value("Karim Uddin")
    expect(karim.get_by_label("Age")).to_have_value(re.compile(r"^\d\d$"))
    expect(karim.get_by_label("Gender")).to_have_value("male")
    expect(page.get_by_label("Your name")).to_have_value("Rahima Khatun")  # the account's, to change if need be
    expect(page.get_by_label("Mobile number")).not_to_be_empty()
    total = me.pays_with("SSLCommerz")

    # The simulator's SSLCommerz page; Pay sends the browser back by itself.
    me.is_at_the_gateway(simulator[0], "sslcommerz", "SSLCommerz", total)
    me.presses_at_the_gateway("Pay")
    reference, pnr = me.sees_confirmed()
    assert pnr is not None and re.fullmatch(r"[A-Z0-9]{10}", pnr), pnr
    expect(me.fact("Total")).to_have_text(shown(total))
    expect(me.ticket_line("KA-1")).to_contain_text("Rahima Khatun, 34")
    expect(me.ticket_line("KA-2")).to_contain_text("Karim Uddin")

    # "My bookings" lists it, confirmed, with its reference and PNR.
    me.opens_my_bookings()
    card = page.locator(".booking-card").filter(has_text=reference)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(pnr)
    expect(card).to_contain_text("Confirmed")
    expect(card).to_contain_text(shown(total))
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", name=CONFIRMED)).to_be_visible()


def test_a_guest_buys_two_zoo_entries_through_bkash(page, live_server, make_tenant, in_tenant, simulator, sandbox):
    zoo = _zoo(make_tenant, live_server, in_tenant)
    entry = _event_id(in_tenant, zoo, "Daily entry to the zoo")
    day, ten = _tomorrows_slot(in_tenant, zoo, entry, 10)
    guest = Person(page, live_server, zoo)

    # Tomorrow at 10:00, two adults, held.
    guest.opens(f"/events/{entry}")
    page.get_by_role("navigation", name="Days").locator(f'a[href$="day={day.isoformat()}"]').click()
    expect(page).to_have_url(re.compile(rf"\?day={day.isoformat()}$"))
    page.get_by_role("link", name=re.compile(r"^10:00–11:00")).click()
    expect(page.locator(f'[data-slot-id="{ten}"]')).to_have_attribute("aria-current", "true")
    guest.picks_tickets(Adult=2)
    guest.holds_tickets()
    expect(page.get_by_role("region", name="Your hold")).to_contain_text("2 × Adult")

    # Who to send the tickets to, and bKash.
    guest.continues_to_payment()
    expect(page.get_by_role("group", name=re.compile("^Passenger"))).to_have_count(0)  # no passengers at a zoo
    guest.gives_contact("Karim Uddin", next_phone(), "karim@example.com")
    total = guest.pays_with("bKash")
    guest.is_at_the_gateway(simulator[0], "bkash", "bKash", total)
    guest.presses_at_the_gateway("Pay")
    reference, pnr = guest.sees_confirmed()
    assert pnr is None  # a PNR is the railway's
    expect(guest.ticket_line("Adult")).to_contain_text("2 × Adult")
    expect(guest.ticket_line("Adult").locator(".ticket-number")).to_have_count(2)
    expect(guest.fact("Total")).to_have_text(shown(total))
    expect(page.get_by_role("link", name="My bookings")).to_have_count(0)  # a guest has none: the link is the key


def test_a_logged_in_customer_buys_zoo_tickets_with_bkash_and_finds_them_in_my_bookings(
        page, live_server, make_tenant, in_tenant, simulator, sandbox):
    zoo = _zoo(make_tenant, live_server, in_tenant)
    show = _event_id(in_tenant, zoo, "Elephant bath and feeding time")
    _, login = make_customer(in_tenant, zoo, name="Nusrat Jahan")
    me = Person(page, live_server, zoo, login)
    me.logs_in()

    me.opens(f"/events/{show}")
    me.picks_tickets(**{"Adult": 1, "Child (3-12)": 1})
    me.holds_tickets()
    me.continues_to_payment()
    expect(page.get_by_label("Your name")).to_have_value("Nusrat Jahan")
    page.get_by_label("Email (for the tickets by email)").fill("nusrat@example.com")
    total = me.pays_with("bKash")
    me.is_at_the_gateway(simulator[0], "bkash", "bKash", total)
    me.presses_at_the_gateway("Pay")
    reference, _ = me.sees_confirmed()

    me.opens_my_bookings()
    card = page.locator(".booking-card").filter(has_text=reference)
    expect(card).to_contain_text("Elephant bath and feeding time")
    expect(card).to_contain_text("Confirmed")
    expect(card).to_contain_text(shown(total))


def test_a_failed_payment_is_tried_again_and_goes_through(page, live_server, make_tenant, in_tenant, simulator,
                                                          sandbox):
    rail = _rail(make_tenant, live_server)
    trip_id = _trip(in_tenant, rail)
    user_id, login = make_customer(in_tenant, rail)
    me = Person(page, live_server, rail, login)
    me.logs_in()
    total = _buys_two_seats_up_to_the_gateway(me, trip_id, simulator[0])

    # The payment fails at the gateway: the seats are still held, until the hold's end.
    me.presses_at_the_gateway("Fail")
    failed = page.get_by_role("heading", level=1, name=re.compile(r"^Payment failed"))
    expect(failed).to_be_visible()
    with in_tenant(rail):
        until = db.session.scalar(sa.select(Hold.expires_at).where(Hold.customer_id == user_id,
                                                                   Hold.status == "active"))
    assert until is not None, "the seats are no longer held after the failed payment"
    expect(failed).to_have_text(f"Payment failed — your seats are held until {to_local(until, TZ):%H:%M}, try again")

    # Try again: the same seats and total at the checkout, the passengers as they were given; paid.
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()
    expect(page.get_by_role("button", name=PAY)).to_have_text(f"Pay {shown(total)}")
    for seat, name, age, gender in (("KA-1", "Rahima Khatun", "34", "female"), ("KA-2", "Nasir Ahmed", "36", "male")):
        expect(me.passenger(seat).get_by_label("Name")).to_have_value(name)
        expect(me.passenger(seat).get_by_label("Age")).to_have_value(age)
        expect(me.passenger(seat).get_by_label("Gender")).to_have_value(gender)
    assert me.pays_with("SSLCommerz") == total
    me.is_at_the_gateway(simulator[0], "sslcommerz", "SSLCommerz", total)
    me.presses_at_the_gateway("Pay")
    _, pnr = me.sees_confirmed()
    assert pnr and len(pnr) == 10
    expect(me.ticket_line("KA-1")).to_contain_text("Rahima Khatun")
    expect(me.ticket_line("KA-2")).to_contain_text("Nasir Ahmed")


def test_a_customer_cancels_one_of_two_train_seats_and_is_refunded_the_fare_less_tk_25(
        page, live_server, make_tenant, in_tenant, simulator, sandbox):
    rail = _rail(make_tenant, live_server)
    trip_id = _trip(in_tenant, rail, days_ahead=3)  # more than 48 h ahead: a flat Tk 25 for a shovan chair
    _, login = make_customer(in_tenant, rail)
    me = Person(page, live_server, rail, login)
    me.logs_in()
    _buys_two_seats_up_to_the_gateway(me, trip_id, simulator[0])
    me.presses_at_the_gateway("Pay")
    me.sees_confirmed()
    fare = taka(me.ticket_line("KA-2").locator(".amount").inner_text())

    # Nasir no longer travels: seat KA-2 is cancelled, KA-1 kept.
    page.get_by_role("link", name="Cancel tickets").click()
    expect(page.get_by_role("heading", name="Cancel tickets", level=1)).to_be_visible()
    choices = page.get_by_role("group", name="What to cancel")
    kept = choices.get_by_role("checkbox", name=re.compile(r"KA-1\b"))
    gone = choices.get_by_role("checkbox", name=re.compile(r"KA-2\b"))
    refund = shown(fare - 25)
    expect(gone).to_have_accessible_name(re.compile(rf"refund {re.escape(refund)} of {re.escape(shown(fare))}$"))
    kept.uncheck()
    gone.check()
    page.get_by_role("button", name="Cancel the chosen tickets").click()

    expect(page.get_by_role("heading", name="Confirmed — some tickets cancelled", level=1)).to_be_visible()
    expect(me.ticket_line("KA-2")).to_contain_text(f"Cancelled · refund {refund}")
    expect(me.ticket_line("KA-1")).not_to_contain_text("Cancelled")
    refunds = page.locator(".refund-list > li")
    expect(refunds).to_have_count(1)
    expect(refunds).to_have_text(re.compile(rf"^{re.escape(refund)} · (on its way|refunded on .+)$"))

    # Seat 2 is free again on the map; seat 1 is still sold.
    me.opens_the_seat_map(trip_id)
    expect(me.seat(2)).to_have_accessible_name(re.compile(r"^Seat 2, \w+, free$"))
    expect(me.seat(2)).to_be_enabled()
    expect(me.seat(1)).to_have_accessible_name(re.compile(r"^Seat 1, \w+, sold$"))
    expect(me.seat(1)).to_be_disabled()


def test_a_customer_cancels_a_child_ticket_of_an_event_for_the_full_price(
        page, live_server, make_tenant, in_tenant, simulator, sandbox):
    zoo = _zoo(make_tenant, live_server, in_tenant)
    show = _event_id(in_tenant, zoo, "Elephant bath and feeding time")  # 9 days ahead: free cancellation
    _, login = make_customer(in_tenant, zoo)
    me = Person(page, live_server, zoo, login)
    me.logs_in()
    me.opens(f"/events/{show}")
    child_left = page.locator(".ticket-table tr", has_text="Child (3-12)").locator("[data-left-type]")
    expect(child_left).to_have_text("40 left")
    me.picks_tickets(**{"Adult": 1, "Child (3-12)": 1})
    me.holds_tickets()
    me.continues_to_payment()
    total = me.pays_with("bKash")
    me.is_at_the_gateway(simulator[0], "bkash", "bKash", total)
    me.presses_at_the_gateway("Pay")
    me.sees_confirmed()

    page.get_by_role("link", name="Cancel tickets").click()
    choices = page.get_by_role("group", name="What to cancel")
    choices.get_by_role("checkbox", name=re.compile(r"^Adult")).uncheck()
    child = choices.get_by_role("checkbox", name=re.compile(r"^Child \(3-12\)"))
    expect(child).to_have_accessible_name(re.compile(r"refund ৳50\.00 of ৳50\.00"))
    child.check()
    page.get_by_role("button", name="Cancel the chosen tickets").click()

    expect(page.get_by_role("heading", name="Confirmed — some tickets cancelled", level=1)).to_be_visible()
    expect(me.ticket_line("Child (3-12)")).to_contain_text("Cancelled · refund ৳50.00")
    expect(page.locator(".refund-list > li")).to_have_text(re.compile(r"^৳50\.00 · (on its way|refunded on .+)$"))
    me.opens(f"/events/{show}")
    expect(child_left).to_have_text("40 left")  # the child's place is back on sale
