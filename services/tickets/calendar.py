"""A booking as a calendar entry (.ics, RFC 5545): the journey from the boarding station until the
arrival at the alighting one, or the event (its end, else two hours), in the tenant's local time
with its VTIMEZONE, so a phone shows 07:00 in Dhaka wherever it is set. Texts are in the booking's
language."""
from __future__ import annotations

import functools
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask_babel import force_locale, gettext as _
from icalendar import Calendar, Event, Timezone

from models import db
from models.base import utcnow
from models.bookings import Booking
from services.tickets import details as ticket_details

PRODID = "-//Jatra//Tickets//EN"
DEFAULT_LENGTH = timedelta(hours=2)


def _description(d: ticket_details.Details, tickets_link: str) -> str:
    b = d.booking
    lines = [_("Booking reference: %(reference)s", reference=b.reference)]
    if b.pnr:
        lines.append(_("PNR: %(pnr)s", pnr=b.pnr))
    if d.rail and d.board and d.alight:
        lines.append(f"{d.board} → {d.alight}")
    for line in d.lines:
        if line.ticket.status != "cancelled":
            lines.append(" · ".join(p for p in (line.ticket.number, line.item.label, line.holder) if p))
    lines.append(_("Your tickets: %(link)s", link=tickets_link))
    return "\n".join(lines)


def booking_ics(booking_id: int) -> bytes:
    """The booking's calendar file. Needs the tenant bound; LookupError for an unknown booking."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise LookupError(f"no booking {booking_id}")
    language = booking.language or "en"
    with force_locale(language):
        d = ticket_details.of(booking, language)
        link = ticket_details.link(booking)
        start = booking.starts_at.astimezone(d.zone)
        end = (d.ends_at or booking.starts_at + DEFAULT_LENGTH).astimezone(d.zone)
        event = Event()
        event.add("uid", f"{booking.reference}@{urlsplit(link).hostname}")
        event.add("dtstamp", utcnow())
        event.add("dtstart", start)
        event.add("dtend", max(end, start))
        event.add("summary", booking.title)
        if d.place:
            event.add("location", d.place)
        event.add("description", _description(d, ticket_details.link(booking, "/tickets")))
        event.add("url", link)
        event.add("status", "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(Timezone.from_ical(_vtimezone(d.zone.key, start.year)))
    calendar.add_component(event)
    return calendar.to_ical()


@functools.lru_cache(maxsize=16)
def _vtimezone(tzid: str, year: int) -> bytes:
    """The zone's VTIMEZONE for the years around `year`: built once (it is most of the file's cost)."""
    return Timezone.from_tzid(tzid, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1)).to_ical()
