"""What a booking's tickets say, for every form they take (the tickets page, the PDF, the calendar
entry): the places (boarding and alighting stations in the reader's language, or the venue), the
times (departure and arrival, or the entry and its end), and one line per ticket with its item.

`of()` makes sure every ticket is signed and drawn first (services.tickets.issue), so a page or a
PDF never lacks a QR code, and nothing is drawn per view once it is stored."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.bookings import Booking, BookingItem, Ticket
from models.events import Event, TimeSlot
from models.rail import TripStop
from services import tenant_db
from services.rail.trip_stops import tenant_zone
from services.tenants import TenantInfo

PRINTABLE = ("confirmed", "partially_cancelled")  # bookings whose tickets are shown at all
STATUS_WORDS = {"valid": _l("Valid"), "used": _l("Used"), "cancelled": _l("Cancelled — not valid for entry"),
                "expired": _l("Expired")}
CONDITIONS_RAIL = _l("Valid only for the train, date, seat and stations shown, with a photo ID of the passenger "
                     "named. Show the QR code to the ticket checker.")
CONDITIONS_EVENT = _l("Valid for one entry on the date and time shown. Show the QR code at the gate; a copy "
                      "already scanned is refused.")


@dataclass(frozen=True)
class Line:
    """One ticket and what it admits."""

    ticket: Ticket
    item: BookingItem
    holder: str  # the passenger on a train, else the person who booked
    starts_at: datetime  # aware UTC: the entry slot's start, else the booking's

    @property
    def seated(self) -> bool:
        return self.item.kind != "admission"

    @property
    def valid(self) -> bool:
        return self.ticket.status == "valid"


@dataclass(frozen=True)
class Details:
    booking: Booking
    tenant: TenantInfo
    zone: ZoneInfo
    ends_at: datetime | None  # aware UTC: arrival at the alighting stop, the slot's or event's end
    board: str | None  # station names, rail
    alight: str | None
    venue: str | None  # name, events
    address: str | None  # the venue's address and city
    lines: list[Line]

    @property
    def rail(self) -> bool:
        return self.booking.trip_id is not None

    @property
    def place(self) -> str:
        """Where to go: the boarding station, or the venue with its address."""
        if self.rail:
            return self.board or ""
        return ", ".join(part for part in (self.venue, self.address) if part)

    @property
    def conditions(self) -> str:
        return str(CONDITIONS_RAIL if self.rail else CONDITIONS_EVENT)


def status_word(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def link(booking: Booking, suffix: str = "") -> str:
    """The booking page's absolute link (`suffix`: "/tickets", ...)."""
    from services.notify.context import booking_link

    return booking_link(booking, suffix)


def issued(booking: Booking) -> None:
    """Every ticket of the booking signed and drawn (once; a no-op when they are)."""
    if any(t.qr_svg is None or t.qr_payload is None for t in booking.tickets):
        from services.tickets import issue

        issue.complete(booking.id)
        db.session.expire_all()


def stop_name(trip_id: int, seq: int | None, bangla: bool) -> tuple[str | None, TripStop | None]:
    stop = db.session.get(TripStop, (trip_id, seq)) if seq is not None else None
    if stop is None:
        return None, None
    return (stop.station.name_bn if bangla else stop.station.name_en), stop


def venue_of(event: Event | None) -> tuple[str | None, str | None]:
    """(the venue's name, its address and city)."""
    if event is None or event.venue is None:
        return None, None
    return event.venue.name, ", ".join(p for p in (event.venue.address, event.venue.city) if p) or None


def of(booking: Booking, language: str) -> Details:
    """The details of a confirmed booking, station names in `language` ('bn' or 'en')."""
    issued(booking)
    bangla = language == "bn"
    board = alight = venue = address = None
    ends_at = None
    slots: dict[int, TimeSlot] = {}
    if booking.trip_id is not None:
        board, _ = stop_name(booking.trip_id, booking.board_seq, bangla)
        alight, stop = stop_name(booking.trip_id, booking.alight_seq, bangla)
        ends_at = stop.arrives_at if stop else None
    else:
        event = db.session.get(Event, booking.event_id)
        slot_ids = {i.time_slot_id for i in booking.items if i.time_slot_id}
        if slot_ids:
            slots = {s.id: s for s in db.session.scalars(sa.select(TimeSlot).where(TimeSlot.id.in_(slot_ids)))}
            ends_at = max(s.ends_at for s in slots.values())
        elif event is not None:
            ends_at = event.ends_at
        venue, address = venue_of(event)
    items = {i.id: i for i in booking.items}
    tickets = db.session.scalars(sa.select(Ticket).where(Ticket.booking_id == booking.id).order_by(Ticket.id))
    lines = []
    for ticket in tickets:
        item = items[ticket.booking_item_id]
        slot = slots.get(item.time_slot_id)
        lines.append(Line(ticket, item, ticket.holder or item.passenger_name or booking.contact_name,
                          slot.starts_at if slot else booking.starts_at))
    return Details(booking, tenant_db.require_tenant(), tenant_zone(), ends_at, board, alight, venue, address, lines)
