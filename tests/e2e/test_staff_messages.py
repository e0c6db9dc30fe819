"""An operator opens the message log, filters it to the failed messages, opens one and sends it again;
an admin rewrites a message template, watching the preview follow the typing, and saves it as the
tenant's own wording."""
import re
from datetime import timedelta

from playwright.sync_api import expect

from models.base import utcnow
from services import staff
from services.audit import Actor
from tests.support.messages import make_booking, make_notification
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _log_in(page, live_server, site, email, password):
    page.goto(live_server.url(site, "/staff/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_an_operator_filters_the_log_to_failed_messages_and_resends_one(page, live_server, make_tenant, in_tenant):
    zoo = make_tenant("zoo")
    with in_tenant(zoo):
        staff.create_staff("ops@zoo.example.com", "Nasrin", "operator", "ops-pass-123", actor=Actor.system("test"))
        booking = make_booking(reference="ZOO-2026-000321", phone="+8801711000002")
        start = utcnow() - timedelta(hours=2)
        make_notification(booking=booking, status="sent", created_at=start)
        make_notification(booking=booking, channel="email", recipient="guest@example.com", subject="Your tickets",
                          body="Dear Karim", status="sent", created_at=start + timedelta(minutes=1))
        make_notification(kind="reminder", booking=booking, status="failed", attempts=5,
                          body="Reminder: Evening concert tomorrow.", last_error="provider said: number barred",
                          created_at=start + timedelta(minutes=2))
        make_notification(kind="reminder", recipient="+8801811000003", status="queued",
                          created_at=start + timedelta(minutes=3))

    _log_in(page, live_server, zoo, "ops@zoo.example.com", "ops-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Messages", exact=True).click()
    expect(page.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Messages by status")).to_contain_text("Failed: 1")
    results = page.get_by_role("table", name="Messages, newest first")
    expect(results.get_by_role("row")).to_have_count(5)  # the header and four messages
    page.wait_for_load_state()  # htmx (a deferred script) is listening from here on
    page.evaluate("window.__sameDocument = true")

    # Filtering: the results change as the status is chosen, without leaving the page.
    page.get_by_label("Status", exact=True).select_option(label="Failed")
    expect(results.get_by_role("row")).to_have_count(2)
    assert page.evaluate("window.__sameDocument === true")
    failed = results.get_by_role("row").nth(1)
    expect(failed).to_contain_text("Reminder, 24 hours before")
    expect(failed).to_contain_text("provider said: number barred")
    expect(failed.get_by_role("link", name="ZOO-2026-000321")).to_be_visible()
    failed.get_by_role("link").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Reminder, 24 hours before: SMS to 01711-000002")
    expect(page.locator("#message-status")).to_have_text("Failed")
    expect(page.locator("#message-text")).to_contain_text("Reminder: Evening concert tomorrow.")
    old_url = page.url
    resend = page.get_by_role("region", name="Send it again")
    resend.get_by_role("button", name="Resend").click()

    expect(page.get_by_text("Sent again: this is the new message.")).to_be_visible()
    assert page.url != old_url
    facts = page.locator("#message-facts")
    expect(facts).to_contain_text("Sent again from")
    expect(page.locator("#message-text")).to_contain_text("Reminder: Evening concert tomorrow.")
    chain = page.get_by_role("table", name=re.compile("^The first message and every resend"))
    expect(chain.get_by_role("row")).to_have_count(3)  # the header, the failed one and the new one
    facts.get_by_role("link", name=re.compile(r"^Message \d+$")).click()
    expect(page.locator("#message-status")).to_have_text("Failed")  # the old one stays as it was


def test_an_admin_rewrites_an_sms_template_with_a_live_preview(page, live_server, make_tenant, in_tenant):
    zoo = make_tenant("zoo")
    with in_tenant(zoo):
        staff.create_staff("boss@zoo.example.com", "Farhana", "admin", "boss-pass-123", actor=Actor.system("test"))

    _log_in(page, live_server, zoo, "boss@zoo.example.com", "boss-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Message templates").click()
    expect(page.get_by_role("heading", name="Message templates", level=1)).to_be_visible()
    confirmed = page.get_by_role("region", name="Booking confirmed (with the tickets)")
    expect(confirmed.get_by_role("row", name=re.compile("^SMS in English"))).to_contain_text("Built-in")
    confirmed.get_by_role("link", name="SMS in English").click()

    expect(page.get_by_role("heading", name="Booking confirmed (with the tickets): SMS in English",
                            level=1)).to_be_visible()
    expect(page.locator("#template-status")).to_have_text("The built-in wording")
    variables = page.get_by_role("table", name="What this message can say")
    expect(variables.get_by_role("row", name=re.compile(r"tickets_link"))).to_contain_text("The tickets page")
    page.wait_for_load_state()
    page.evaluate("window.__sameDocument = true")

    body = page.get_by_label("Text of the SMS")
    preview = page.get_by_role("region", name="Preview")
    body.fill("{{ reference }}: {{ nobody }}")
    expect(preview).to_contain_text("Unknown variable: nobody")
    body.fill("{{ reference }} is confirmed, {{ name }}. Tickets: {{ tickets_link }}")
    expect(preview.locator("#preview-body")).to_have_text(
        "RAIL-2026-000123 is confirmed, Rahima Khatun. Tickets: https://rail.example/bookings/…/tickets")
    expect(preview).to_contain_text("characters")
    expect(preview).to_contain_text("Unicode")  # the "…" of the sample link
    assert page.evaluate("window.__sameDocument === true")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: these messages now use your wording.")).to_be_visible()
    expect(page.locator("#template-status")).to_have_text("Your own wording")
    expect(page.get_by_label("Text of the SMS")).to_have_value(
        "{{ reference }} is confirmed, {{ name }}. Tickets: {{ tickets_link }}")

    page.get_by_role("link", name="← Message templates").click()
    confirmed = page.get_by_role("region", name="Booking confirmed (with the tickets)")
    expect(confirmed.get_by_role("row", name=re.compile("^SMS in English"))).to_contain_text("Your own wording")
    expect(confirmed.get_by_role("row", name=re.compile("^SMS in Bangla"))).to_contain_text("Built-in")
