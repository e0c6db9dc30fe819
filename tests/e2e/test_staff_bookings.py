"""An operator finds a customer's paid train booking by its PNR, opens it, reads the payment and what
the gateway said about it, and cancels one seat with a full refund, which is then listed."""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from models import db
from models.bookings import Booking
from services import staff
from services.audit import Actor
from services.inventory import Owner
from tests.support import payments as pay
from tests.support.people import make_customer
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _paid_booking(railway, in_tenant, client_for, sandbox, port):
    """Two seats bought through checkout and paid at the simulator; returns (reference, PNR, tran id,
    first seat's label)."""
    customer_id, _ = make_customer(in_tenant, railway)
    with in_tenant(railway):
        hold, seat_ids = pay.rail_hold(customer_id, seats=2)
        started = pay.start(railway, hold, Owner(customer_id=customer_id), pay.rail_details(seat_ids[:2]), port=port)
        back = sandbox.pay(started.payment.gateway_ref)
        booking_id, tran_id = started.booking.id, started.payment.tran_id
    # The customer's browser, sent back from the gateway (to the same databases, through the test client).
    assert client_for(railway).post(back.url.split(f":{port}")[1], data=back.fields).status_code == 303
    with in_tenant(railway):
        booking = db.session.scalar(sa.select(Booking).where(Booking.id == booking_id))
        assert booking.status == "confirmed"
        return booking.reference, booking.pnr, tran_id, booking.items[0].label


def test_an_operator_finds_a_booking_by_pnr_and_cancels_a_seat_with_a_full_refund(page, live_server, make_tenant,
                                                                                  in_tenant, client_for, sandbox):
    railway = pay.with_gateways(live_server.app, make_tenant("rail", kind="rail"))
    with in_tenant(railway):
        staff.create_staff("ops@rail.example.com", "Nasrin", "operator", "ops-pass-123", actor=Actor.system("test"))
    reference, pnr, tran_id, seat = _paid_booking(railway, in_tenant, client_for, sandbox,
                                                  live_server.port)

    page.goto(live_server.url(railway, "/staff/login"))
    page.get_by_label("Email").fill("ops@rail.example.com")
    page.get_by_label("Password").fill("ops-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Bookings").click()
    expect(page.get_by_role("heading", name="Bookings", level=1)).to_be_visible()
    page.wait_for_load_state()  # htmx (a deferred script) is listening from here on
    page.evaluate("window.__sameDocument = true")

    # Active search: the results change as the PNR is typed, without leaving the page.
    page.get_by_label("Reference, PNR, phone or email").fill(pnr)
    results = page.get_by_role("table", name="1 booking found")
    expect(results).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
    expect(results.get_by_role("row", name=re.compile(reference))).to_contain_text(pnr)
    results.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", name=reference, level=1)).to_be_visible()
    payment = page.get_by_role("article", name=re.compile(tran_id))
    expect(payment).to_contain_text("Paid")
    messages = payment.get_by_role("table", name=re.compile("What the gateway said"))
    validation = messages.get_by_role("row").filter(has_text="validation").first
    validation.get_by_text("Show the raw message").click()
    expect(validation.locator("pre")).to_be_visible()
    expect(validation.locator("pre")).to_contain_text('"val_id"')

    # The passenger of the first seat no longer travels: cancelled, every taka back.
    cancel = page.get_by_role("region", name="Cancel on the customer's behalf")
    choices = cancel.get_by_role("group", name="What to cancel")
    choices.get_by_role("checkbox", name=re.compile(rf"^{re.escape(seat)} ")).check()
    cancel.get_by_label("Refund in full, whatever the policy").check()
    cancel.get_by_role("button", name="Cancel the chosen items").click()

    expect(page.get_by_text("Cancelled. Any refund is listed under Refunds.")).to_be_visible()
    expect(page.locator("#booking-status")).to_have_text("Partly cancelled")
    items = page.get_by_role("table", name=re.compile("^Seats and tickets"))
    cancelled_row = items.get_by_role("row", name=re.compile(rf"^{re.escape(seat)} "))
    expect(cancelled_row).to_contain_text("Cancelled")
    fare = cancelled_row.get_by_role("cell").nth(1).inner_text()  # the price column (after the passenger)
    refunds = page.get_by_role("table", name=re.compile("^Money asked back"))
    expect(refunds.get_by_role("row")).to_have_count(2)  # the header and the one refund
    expect(refunds).to_contain_text(fare)
    expect(refunds).to_contain_text(f"By staff: cancelled: {seat}")
    expect(refunds).to_contain_text("ops@rail.example.com")
    expect(page.get_by_role("table", name=re.compile("^Who did what"))).to_contain_text("booking.cancelled")
