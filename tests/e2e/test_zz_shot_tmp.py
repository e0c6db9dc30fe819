from playwright.sync_api import expect
from tests.e2e.test_staff_bookings import _paid_booking
from tests.support import payments as pay
from services import staff
from services.audit import Actor
from tests.support.people import remove_test_tenants  # noqa: F401


def test_shot(page, live_server, make_tenant, in_tenant, client_for, sandbox):
    railway = pay.with_gateways(live_server.app, make_tenant("rail", kind="rail"))
    with in_tenant(railway):
        staff.create_staff("ops@rail.example.com", "Nasrin", "operator", "ops-pass-123", actor=Actor.system("t"))
    reference, pnr, tran_id, seat = _paid_booking(railway, in_tenant, client_for, sandbox, live_server.port)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url(railway, "/staff/login"))
    page.get_by_label("Email").fill("ops@rail.example.com")
    page.get_by_label("Password").fill("ops-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(live_server.url(railway, "/staff/bookings"))
    page.screenshot(path="/tmp/shot_index.png", full_page=True)
    page.goto(live_server.url(railway, "/staff/bookings/1"))
    page.screenshot(path="/tmp/shot_booking.png", full_page=True)
    page.set_viewport_size({"width": 1200, "height": 800})
    page.screenshot(path="/tmp/shot_booking_wide.png", full_page=True)
    page.get_by_label("Amount (BDT)").fill("99999")
    page.get_by_label("Reason").fill("x")
    page.get_by_role("button", name="Refund", exact=True).click()
    page.wait_for_timeout(800)
    page.locator("#refund-section").screenshot(path="/tmp/shot_refund_err.png")
    page.goto(live_server.url(railway, "/staff/bookings/attempts"))
    page.screenshot(path="/tmp/shot_attempts.png", full_page=True)
