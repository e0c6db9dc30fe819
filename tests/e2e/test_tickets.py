"""After buying, in Chromium: the booking page leads to the tickets, each with its QR code drawn
inline and named for screen readers; the PDF and the calendar file download from there."""
from __future__ import annotations

import email
import io
import re
from email import policy
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect
from pypdf import PdfReader

from services import tenants
from services.notify import channels
from tests.e2e.test_purchase import Person, _buys_two_seats_up_to_the_gateway, _rail, _trip
from tests.support.people import make_customer
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


class Traveller(Person):
    """A customer who has bought, with their tickets."""

    def opens_the_tickets(self):
        self.page.get_by_role("link", name="Show tickets").click()
        expect(self.page.get_by_role("heading", name="Your tickets", level=1)).to_be_visible()

    def ticket(self, number: str):
        return self.page.get_by_role("article", name=f"Ticket {number}")

    def downloads(self, link: str) -> tuple[str, bytes]:
        """(the file's suggested name, its bytes) of what the link downloads."""
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name=link, exact=True).click()
        download = info.value
        return download.suggested_filename, Path(download.path()).read_bytes()


def test_a_traveller_finds_the_tickets_with_their_qr_codes_and_downloads_the_pdf_and_calendar_file(
        page, live_server, make_tenant, in_tenant, simulator, sandbox, smtp_server):
    rail = _rail(make_tenant, live_server)
    mailbox, port = smtp_server()
    with live_server.app.app_context():  # the railway's mail goes to a real SMTP server on 127.0.0.1
        tenants.update_config(rail.slug, message_channels={"email": channels.seal_email(
            rail.slug, host="127.0.0.1", port=port, security="none", sender="Rail <tickets@rail.example>")})
    trip_id = _trip(in_tenant, rail)
    _, login = make_customer(in_tenant, rail, email="rahima@example.com")  # prefills the checkout's email
    me = Traveller(page, live_server, rail, login)
    me.logs_in()
    _buys_two_seats_up_to_the_gateway(me, trip_id, simulator[0])
    me.presses_at_the_gateway("Pay")
    reference, pnr = me.sees_confirmed()

    # The tickets: one card each, with its QR code (an inline SVG) named after the ticket.
    me.opens_the_tickets()
    numbers = [f"{reference}-1", f"{reference}-2"]
    for number, seat, passenger in zip(numbers, ("KA-1", "KA-2"), ("Rahima Khatun", "Nasir Ahmed"), strict=True):
        card = me.ticket(number)
        expect(card).to_contain_text(seat)
        expect(card).to_contain_text(passenger)
        expect(card).to_contain_text(pnr)
        qr = card.get_by_role("img", name=f"QR code of ticket {number}")
        expect(qr).to_be_visible()
        assert qr.evaluate("el => el.tagName") == "svg"
        assert qr.bounding_box()["width"] >= 150  # big enough to scan from the screen

    # The PDF: a page per ticket, the reference and ticket numbers in its text.
    name, data = me.downloads("Download PDF")
    assert name == f"{reference}-tickets.pdf" and data.startswith(b"%PDF")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) == 2
    assert all(reference in text and number in text for text, number in zip(pages, numbers, strict=True))

    # The calendar file: the journey, from 07:00 Dhaka time at Dhaka.
    name, data = me.downloads("Add to calendar")
    assert name == f"{reference}.ics"
    [event] = Calendar.from_ical(data).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Dhaka" and event["DTSTART"].dt.hour == 7
    assert str(event["LOCATION"]) == "Dhaka" and reference in str(event["DESCRIPTION"])
    assert re.search(rf"{re.escape(reference)}@", str(event["UID"]))

    # The mail: it arrived, with the tickets attached as a PDF.
    [(_, raw)] = mailbox.wait_for(1)
    mail = email.message_from_bytes(raw, policy=policy.default)
    assert reference in mail["Subject"] and all(number in mail.get_body(("plain",)).get_content() for number in numbers)
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == f"{reference}-tickets.pdf"
    assert reference in PdfReader(io.BytesIO(attached.get_content())).pages[0].extract_text()
