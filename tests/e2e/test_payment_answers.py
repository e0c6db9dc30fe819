"""What a person sees when the gateway's answer is slow or wrong, in Chromium: a page that says the
payment is being confirmed and turns into the confirmation by itself when the answer comes; a
tampered return refused with a page that says so; and the staff side of a failed try (the
purchase attempts page) and a goodwill refund."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from services import staff
from services.audit import Actor
from tests.e2e.test_purchase import CONFIRMED, Person, _buys_two_seats_up_to_the_gateway, _rail, _trip
from tests.support.people import make_customer
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _customer_at_the_gateway(page, live_server, make_tenant, in_tenant, simulator):
    rail = _rail(make_tenant, live_server)
    trip_id = _trip(in_tenant, rail)
    _, login = make_customer(in_tenant, rail)
    me = Person(page, live_server, rail, login)
    me.logs_in()
    _buys_two_seats_up_to_the_gateway(me, trip_id, simulator[0])
    return rail, me


def test_a_payment_being_confirmed_turns_into_the_confirmation_by_itself(page, live_server, make_tenant, in_tenant,
                                                                         simulator, sandbox):
    # The gateway's validation API is down when the customer comes back, and its notification comes later.
    sandbox.behave(ipn="after_return")
    _, me = _customer_at_the_gateway(page, live_server, make_tenant, in_tenant, simulator)
    sandbox.behave(unreachable=True)
    me.presses_at_the_gateway("Pay")
    expect(page.get_by_role("heading", name="Payment is being confirmed", level=1)).to_be_visible()
    expect(page.get_by_text("you need not pay again")).to_be_visible()

    sandbox.behave(unreachable=False)
    assert sandbox.send_held_notifications() == 1
    # No reload: the page asks again by itself and shows the confirmation.
    expect(page.get_by_role("heading", name=CONFIRMED, level=1)).to_be_visible(timeout=10_000)
    expect(me.fact("PNR")).to_have_text(re.compile(r"^[A-Z0-9]{10}$"))


def test_a_tampered_return_is_refused_and_changes_nothing(page, live_server, make_tenant, in_tenant, simulator,
                                                          sandbox):
    sandbox.behave(tamper_amount=True, ipn="never")
    _, me = _customer_at_the_gateway(page, live_server, make_tenant, in_tenant, simulator)
    me.presses_at_the_gateway("Pay")
    expect(page.get_by_role("heading", name="We could not confirm this payment", level=1)).to_be_visible()
    expect(page.get_by_text("400")).to_be_visible()
    # Still logged in (the refusal made no new session), and the booking is not paid.
    page.get_by_role("link", name="My bookings").first.click()
    expect(page.get_by_role("heading", name="My bookings", level=1)).to_be_visible()
    expect(page.locator(".booking-card")).to_contain_text("Waiting for payment")
    expect(page.locator(".booking-card")).not_to_contain_text("Confirmed")


def test_staff_see_a_failed_try_and_make_a_goodwill_refund(page, live_server, make_tenant, in_tenant, simulator,
                                                           sandbox, browser):
    rail, me = _customer_at_the_gateway(page, live_server, make_tenant, in_tenant, simulator)
    me.presses_at_the_gateway("Fail")
    expect(page.get_by_role("heading", level=1, name=re.compile(r"^Payment failed"))).to_be_visible()
    page.get_by_role("link", name="Try again").click()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    me.presses_at_the_gateway("Pay")
    reference, _ = me.sees_confirmed()

    with in_tenant(rail):
        staff.create_staff("ops@rail.example.com", "Nasrin", "operator", "ops-pass-123", actor=Actor.system("test"))
    desk = browser.new_context().new_page()
    desk.goto(live_server.url(rail, "/staff/login"))
    desk.get_by_label("Email").fill("ops@rail.example.com")
    desk.get_by_label("Password").fill("ops-pass-123")
    desk.get_by_role("button", name="Log in").click()
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Bookings").click()
    desk.get_by_role("link", name="Purchase attempts").click()
    attempts = desk.get_by_role("table", name="Every try to pay, newest first")
    failed, paid = attempts.locator("tbody tr.attempt-failed"), attempts.locator("tbody tr.attempt-paid")
    expect(failed).to_contain_text(reference)
    expect(failed).to_contain_text("Failed")
    expect(paid).to_contain_text(reference)

    paid.get_by_role("link", name=reference).click()
    expect(desk.get_by_role("heading", name=reference, level=1)).to_be_visible()
    goodwill = desk.locator("#refund-section")
    goodwill.get_by_label("Amount").fill("100")
    goodwill.get_by_label("Reason").fill("The train left two hours late")
    goodwill.get_by_role("button", name="Refund").click()
    refunds = desk.get_by_role("region", name="Refunds")
    expect(refunds).to_contain_text("100.00")
    expect(refunds).to_contain_text("The train left two hours late")
