"""A confirmed booking's tickets as documents, on PostgreSQL with bookings bought through checkout
and paid at the gateway simulator: the PDF (read back with pypdf: the reference, every ticket
number, a page per ticket, Bangla for a Bangla booking, the phone layout narrower), the calendar
file (parsed with icalendar: local times in Asia/Dhaka with their VTIMEZONE, the place), and the
pages that serve them, which show nothing for an unknown or unconfirmed booking."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from icalendar import Calendar
from pypdf import PdfReader

from models import db
from models.bookings import Booking, Ticket
from models.events import Event
from services.checkout.start import CheckoutDetails, Passenger
from services.inventory import Owner
from services.inventory import events as event_inventory
from services.tickets import calendar, details, pdf
from tests.support import payments as pay
from tests.support.events import make_event, make_venue
from tests.support.people import bulk_customers
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

DHAKA = ZoneInfo("Asia/Dhaka")
MM = 72 / 25.4  # PDF points per millimetre
NAMES = ("Rahima Khatun", "Nasrin Akter", "Mita Das")


@dataclass(frozen=True)
class Bought:
    tenant: object  # TenantInfo
    booking_id: int
    token: str
    reference: str
    pnr: str | None
    numbers: list[str]


class Buyer:
    """Bookings bought through the checkout services and paid at the simulator (its IPN confirms)."""

    def __init__(self, app, make_tenant, in_tenant, sandbox, port):
        self.app, self.make_tenant, self.in_tenant, self.sandbox, self.port = app, make_tenant, in_tenant, sandbox, port

    def seats(self, *, language: str = "en", seats: int = 2, pay_now: bool = True) -> Bought:
        """Seats on a train from Dhaka (07:00) to Chattogram (12:00) three days ahead."""
        rail = pay.with_gateways(self.app, self.make_tenant("rail", "rail"), names=("sslcommerz",))
        with self.in_tenant(rail):
            customer_id = bulk_customers(1)[0]
            hold, seat_ids = pay.rail_hold(customer_id, seats=seats)
            who = {s: Passenger(name, 30 + i, "female")
                   for i, (s, name) in enumerate(zip(seat_ids[:seats], NAMES[:seats], strict=True))}
            details = CheckoutDetails("Rahima Khatun", "+8801711000001", None, language, who)
            return self._pay(rail, hold, Owner(customer_id=customer_id), details, pay_now)

    def entries(self, *, language: str = "en", quantity: int = 2, pay_now: bool = True) -> Bought:
        """General admissions to an event at a venue with an address, three days ahead."""
        zoo = pay.with_gateways(self.app, self.make_tenant("zoo", "events"), names=("sslcommerz",))
        with self.in_tenant(zoo):
            venue_id = make_venue("Dhaka Zoo", address="Zoo Road, Mirpur 1", city="Dhaka")
            event_id = make_event("Elephant bath", venue_id=venue_id, tickets=[("Adult", "100", 50)])
            type_id = db.session.get(Event, event_id).ticket_types[0].id
            owner = Owner(guest_key=f"guest-{event_id}-{quantity}")
            hold = event_inventory.hold_quantities(event_id, {type_id: quantity}, owner=owner)
            details = CheckoutDetails("Karim Uddin", "+8801711000002", "karim@example.com", language)
            return self._pay(zoo, hold, owner, details, pay_now)

    def _pay(self, tenant, hold, owner, details, pay_now) -> Bought:
        started = pay.start(tenant, hold, owner, details, port=self.port)
        booking_id = started.booking.id
        if pay_now:
            self.sandbox.pay(started.payment.gateway_ref)
        db.session.rollback()
        booking = db.session.get(Booking, booking_id)
        assert booking.status == ("confirmed" if pay_now else "pending_payment")
        numbers = list(db.session.scalars(sa.select(Ticket.number).where(Ticket.booking_id == booking_id)
                                          .order_by(Ticket.id)))
        return Bought(tenant, booking_id, booking.token, booking.reference, booking.pnr, numbers)


@pytest.fixture
def buyer(app, make_tenant, in_tenant, sandbox, app_server):
    return Buyer(app, make_tenant, in_tenant, sandbox, app_server)


def pdf_of(in_tenant, bought: Bought, layout: str = "a4") -> bytes:
    with in_tenant(bought.tenant):
        return pdf.tickets_pdf(bought.booking_id, layout)


def texts(data: bytes) -> list[str]:
    """Each page's text. Shaped Bangla comes back with stray control characters where a glyph stands
    for part of a cluster: dropped, so the words read as they were written."""
    return [re.sub(r"[\x00-\x09\x0b-\x1f]", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def ics_of(in_tenant, bought: Bought) -> Calendar:
    with in_tenant(bought.tenant):
        return Calendar.from_ical(calendar.booking_ics(bought.booking_id))


# --- the PDF ---------------------------------------------------------------------------------------------

def test_the_pdf_has_a_page_per_ticket_with_the_reference_pnr_number_passenger_seat_and_stations(buyer, in_tenant):
    bought = buyer.seats(seats=2)
    data = pdf_of(in_tenant, bought)
    assert data.startswith(b"%PDF-")
    pages = texts(data)
    assert len(pages) == len(bought.numbers) == 2
    for page, number, passenger in zip(pages, bought.numbers, NAMES[:2], strict=True):
        assert bought.reference in page and bought.pnr in page and number in page
        assert passenger in page and "Dhaka" in page and "Chattogram" in page
        assert "Seat" in page and "Passenger" in page
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title.startswith(bought.reference)


def test_an_event_pdf_names_the_venue_with_its_address_and_the_ticket_type(buyer, in_tenant):
    bought = buyer.entries(quantity=3)
    pages = texts(pdf_of(in_tenant, bought))
    assert len(pages) == 3
    for page, number in zip(pages, bought.numbers, strict=True):
        assert bought.reference in page and number in page
        assert "Dhaka Zoo, Zoo Road, Mirpur 1, Dhaka" in page and "Adult" in page and "Karim Uddin" in page


def test_a_bangla_booking_has_its_pdf_in_bangla(buyer, in_tenant):
    bought = buyer.seats(language="bn", seats=1)
    with in_tenant(bought.tenant):
        starts = db.session.get(Booking, bought.booking_id).starts_at.astimezone(DHAKA)
    [page] = texts(pdf_of(in_tenant, bought))
    assert bought.reference in page and bought.numbers[0] in page
    words = re.sub(r"\s", "", page)  # where a line is read as broken, between the glyphs of a word
    assert "টিকিটনম্বর" in words and "যাত্রী" in words  # the labels: "Ticket number", "Passenger"
    assert "ঢাকা" in words and "চট্টগ্রাম" in words  # the stations' Bangla names
    assert format_date(starts, "MMMM", locale="bn") in words  # the month, in Bangla


def test_the_phone_layout_is_a_narrow_page_per_ticket(buyer, in_tenant):
    bought = buyer.entries(quantity=2)
    a4 = PdfReader(io.BytesIO(pdf_of(in_tenant, bought, "a4")))
    phone = PdfReader(io.BytesIO(pdf_of(in_tenant, bought, "phone")))
    assert len(a4.pages) == len(phone.pages) == 2
    assert round(float(a4.pages[0].mediabox.width) / MM) == 210
    assert round(float(phone.pages[0].mediabox.width) / MM) == 80
    assert float(phone.pages[0].mediabox.height) > float(phone.pages[0].mediabox.width)
    for page, number in zip(texts(pdf_of(in_tenant, bought, "phone")), bought.numbers, strict=True):
        assert number in page and bought.reference in page


def test_a_pdf_is_kept_and_drawn_again_only_when_its_tickets_change(buyer, in_tenant, monkeypatch):
    bought = buyer.entries(quantity=2)
    first = pdf_of(in_tenant, bought)
    drawn = []
    monkeypatch.setattr(pdf, "render", lambda *args: drawn.append(args) or b"%PDF-redrawn")
    assert pdf_of(in_tenant, bought) == first and drawn == []  # from the cache (Redis)
    with in_tenant(bought.tenant):
        db.session.execute(sa.update(Ticket).where(Ticket.number == bought.numbers[1]).values(status="cancelled"))
        db.session.commit()
    assert pdf_of(in_tenant, bought) == b"%PDF-redrawn" and len(drawn) == 1
    assert pdf_of(in_tenant, bought, "phone") == b"%PDF-redrawn" and len(drawn) == 2  # a layout of its own


def test_a_cancelled_ticket_is_printed_as_not_valid(buyer, in_tenant):
    bought = buyer.entries(quantity=2)
    with in_tenant(bought.tenant):
        db.session.execute(sa.update(Ticket).where(Ticket.number == bought.numbers[1]).values(status="cancelled"))
        db.session.commit()
    kept, cancelled = texts(pdf_of(in_tenant, bought))
    assert "CANCELLED" in cancelled and bought.numbers[1] in cancelled
    assert "CANCELLED" not in kept


def test_every_ticket_is_signed_and_drawn_once_by_the_first_document(buyer, in_tenant):
    bought = buyer.entries(quantity=2)
    with in_tenant(bought.tenant):
        db.session.execute(sa.update(Ticket).where(Ticket.booking_id == bought.booking_id).values(qr_svg=None))
        db.session.commit()
        details.of(db.session.get(Booking, bought.booking_id), "en")  # what the page, the PDF and the .ics do first
    with in_tenant(bought.tenant):
        drawn = list(db.session.scalars(sa.select(Ticket.qr_svg).where(Ticket.booking_id == bought.booking_id)))
    assert len(drawn) == 2 and all(svg and svg.startswith("<svg") for svg in drawn)


# --- the calendar file ----------------------------------------------------------------------------------

def test_a_journey_in_the_calendar_runs_from_departure_to_arrival_in_dhaka_time(buyer, in_tenant):
    bought = buyer.seats(seats=2)
    cal = ics_of(in_tenant, bought)
    assert cal["PRODID"] and cal["VERSION"] == "2.0"
    [zone] = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Dhaka"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{bought.reference}@{bought.tenant.slug}.localhost"
    start, end = event["DTSTART"], event["DTEND"]
    assert start.params["TZID"] == end.params["TZID"] == "Asia/Dhaka"
    assert (start.dt.hour, start.dt.minute, end.dt.hour, end.dt.minute) == (7, 0, 12, 0)
    assert start.dt.utcoffset() == timedelta(hours=6)
    assert str(event["LOCATION"]) == "Dhaka"
    description = str(event["DESCRIPTION"])
    assert bought.reference in description and bought.pnr in description
    assert all(number in description for number in bought.numbers)
    assert str(event["URL"]).endswith(f"/bookings/{bought.token}")
    assert f"/bookings/{bought.token}/tickets" in description


def test_an_event_in_the_calendar_is_at_its_venue_until_its_end(buyer, in_tenant):
    bought = buyer.entries(quantity=1)
    with in_tenant(bought.tenant):
        booking = db.session.get(Booking, bought.booking_id)
        event_row = db.session.get(Event, booking.event_id)
        starts, ends = booking.starts_at, event_row.ends_at
    [event] = ics_of(in_tenant, bought).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Dhaka"
    assert event["DTSTART"].dt == starts and event["DTEND"].dt == ends
    assert event["DTSTART"].dt.replace(tzinfo=None) == starts.astimezone(DHAKA).replace(tzinfo=None)
    assert str(event["LOCATION"]) == "Dhaka Zoo, Zoo Road, Mirpur 1, Dhaka"
    assert str(event["SUMMARY"]).startswith("Elephant bath")


# --- the pages --------------------------------------------------------------------------------------------

def test_the_tickets_page_shows_each_ticket_with_its_qr_code_named_for_screen_readers(buyer, client_for):
    bought = buyer.entries(quantity=2)
    response = client_for(bought.tenant).get(f"/bookings/{bought.token}/tickets")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<svg role="img"') == 2
    for number in bought.numbers:
        assert f'aria-label="QR code of ticket {number}"' in html
    assert "css/tickets.css" in html and "<style" not in html
    booking_page = client_for(bought.tenant).get(f"/bookings/{bought.token}").get_data(as_text=True)
    for path in ("/tickets", "/tickets.pdf", "/calendar.ics"):
        assert f'href="/bookings/{bought.token}{path}"' in booking_page


def test_the_pdf_and_calendar_download_as_attachments_named_after_the_reference(buyer, client_for):
    bought = buyer.entries(quantity=1)
    client = client_for(bought.tenant)
    response = client.get(f"/bookings/{bought.token}/tickets.pdf?layout=phone")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{bought.reference}-tickets.pdf"'
    assert bought.reference in texts(response.data)[0]
    response = client.get(f"/bookings/{bought.token}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{bought.reference}.ics"'
    assert Calendar.from_ical(response.data).walk("VEVENT")
    assert client.get(f"/bookings/{bought.token}/tickets.pdf?layout=poster").status_code == 404


@pytest.mark.parametrize("path", ["/tickets", "/tickets.pdf", "/calendar.ics"])
def test_an_unknown_or_unpaid_booking_has_no_tickets(buyer, client_for, path):
    unpaid = buyer.entries(quantity=1, pay_now=False)
    client = client_for(unpaid.tenant)
    assert client.get(f"/bookings/{unpaid.token}{path}").status_code == 404
    assert client.get(f"/bookings/{'x' * 43}{path}").status_code == 404


def test_the_tickets_page_shows_local_times_and_the_stations(buyer, client_for):
    bought = buyer.seats(seats=1)
    html = client_for(bought.tenant).get(f"/bookings/{bought.token}/tickets").get_data(as_text=True)
    assert re.search(r"<dd>7:00\sAM</dd>", html), "departure at 07:00 Dhaka time"
    assert re.search(r"Chattogram \(arrives 12:00\sPM\)", html)
    assert "<dd>Dhaka</dd>" in html and "Rahima Khatun, 30" in html
