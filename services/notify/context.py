"""What a booking's messages may say, as template variables, in the current locale (the caller
picks the booking's language with force_locale)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from models import db
from models.bookings import Booking, BookingItem, Ticket
from models.events import Event
from services import tenant_db


def booking_link(booking: Booking, suffix: str = "") -> str:
    from services import tenants

    return tenants.tenant_url(tenant_db.require_tenant(), f"/bookings/{booking.token}{suffix}")


def short_link(booking: Booking) -> str:
    """The tickets page by its short link (an SMS is paid by its length), or by the token."""
    from services import tenants

    if not booking.link_code:
        return booking_link(booking, "/tickets")
    return tenants.tenant_url(tenant_db.require_tenant(), f"/t/{booking.link_code}")


def place(booking: Booking) -> str:
    """The boarding station (in the current language), or the venue with its address."""
    from flask_babel import get_locale

    from services.tickets.details import stop_name, venue_of

    if booking.trip_id is not None:
        locale = get_locale()
        return stop_name(booking.trip_id, booking.board_seq, bool(locale and locale.language == "bn"))[0] or ""
    return ", ".join(part for part in venue_of(db.session.get(Event, booking.event_id)) if part)


def _lines(booking: Booking) -> tuple[str, str]:
    """(seats, details): 'KA-12, KA-13' and one line per ticket."""
    rows = db.session.execute(sa.select(Ticket.number, Ticket.status, BookingItem.label, BookingItem.passenger_name)
                              .join(BookingItem, BookingItem.id == Ticket.booking_item_id)
                              .where(Ticket.booking_id == booking.id).order_by(Ticket.id)).all()
    if not rows:  # not issued (yet): the items say what was booked
        rows = [(None, "valid", item.label, item.passenger_name) for item in booking.items
                for _ in range(item.quantity)]
    labels: dict[str, int] = {}
    for _number, status, label, _name in rows:
        if status != "cancelled":
            labels[label] = labels.get(label, 0) + 1
    seats = ", ".join(label if n == 1 else f"{n} x {label}" for label, n in labels.items())
    details = "\n".join(" · ".join(part for part in (number, label, name, _("cancelled") if status == "cancelled"
                                                      else "") if part)
                        for number, status, label, name in rows)
    return seats, details


def for_booking(booking: Booking, *, amount: Decimal | None = None, hold_until: datetime | None = None) -> dict:
    from blueprints.web import money, when

    seats, details = _lines(booking)
    refund = money(amount) if amount else ""
    return {
        "site": tenant_db.require_tenant().name,
        "name": booking.contact_name,
        "reference": booking.reference or "",
        "pnr_note": f" (PNR {booking.pnr})" if booking.pnr else "",
        "title": booking.title,
        "when": when(booking.starts_at, "d MMM, h:mm a"),
        "place": place(booking),
        "seats": seats,
        "details": details,
        "total": money(booking.total),
        "amount": refund,
        "refund_note": " " + _("A refund of %(amount)s is on its way.", amount=refund) if refund else "",
        "hold_until": when(hold_until, "short") if hold_until else "",
        "link": booking_link(booking),
        "tickets_link": short_link(booking),
    }
