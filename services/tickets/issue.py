"""Issuing a booking's tickets: each gets a signed payload in the confirming transaction (signing
is cheap), and its QR drawing afterwards (about 10 ms a code: a job after the commit, or the first
page that shows the ticket), stored once."""
from __future__ import annotations

import sqlalchemy as sa

from models import db
from models.bookings import Booking, BookingItem, Ticket
from services import tenant_db, transactions
from services.rail.trip_stops import tenant_zone
from services.tickets import keys, payload, qr


def _claims(booking: Booking, item: BookingItem, ticket_id: int, key_id: int) -> payload.TicketClaims:
    rail = booking.trip_id is not None
    if item.kind == "seat":
        tag = payload.passenger_tag(item.passenger_name, item.passenger_age)
    else:
        tag = payload.passenger_tag(booking.contact_name)
    return payload.TicketClaims(
        key_id=key_id, tenant_id=tenant_db.require_tenant().id, ticket_id=ticket_id, kind=item.kind,
        subject_id=booking.trip_id if rail else booking.event_id,
        day=booking.starts_at.astimezone(tenant_zone()).date(), slot_id=item.time_slot_id,
        board_seq=booking.board_seq if rail else None, alight_seq=booking.alight_seq if rail else None,
        label=item.label, tag=tag)


def sign(booking: Booking, tickets: list[tuple[int, BookingItem]]) -> None:
    """Sign (ticket id, its item) pairs in the current transaction."""
    if not tickets:
        return
    key = keys.signing_key()
    private = keys.private_key(key)
    rows = [{"id": ticket_id, "key_id": key.id,
             "qr_payload": payload.sign(_claims(booking, item, ticket_id, key.id), private)}
            for ticket_id, item in tickets]
    db.session.execute(sa.update(Ticket), rows)  # by primary key, one statement for all


def complete(booking_id: int) -> None:
    """Every ticket of the booking signed and drawn (harmless twice, or alongside another run):
    only tickets still missing their payload or drawing are written."""
    def unit():
        booking = db.session.get(Booking, booking_id)
        if booking is None:
            return
        unsigned = db.session.execute(sa.select(Ticket.id, BookingItem).join(BookingItem, BookingItem.id ==
                                                                             Ticket.booking_item_id)
                                      .where(Ticket.booking_id == booking_id, Ticket.qr_payload.is_(None))
                                      .order_by(Ticket.id)).all()
        sign(booking, [(ticket_id, item) for ticket_id, item in unsigned])
        undrawn = db.session.execute(sa.select(Ticket.id, Ticket.number, Ticket.qr_payload).where(
            Ticket.booking_id == booking_id, Ticket.qr_svg.is_(None)).order_by(Ticket.id)).all()
        for ticket_id, number, text in undrawn:
            db.session.execute(sa.update(Ticket).where(Ticket.id == ticket_id, Ticket.qr_svg.is_(None))
                               .values(qr_svg=qr.svg(text, title=number)),
                               execution_options={"synchronize_session": False})
        transactions.commit()

    if db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.booking_id == booking_id, sa.or_(Ticket.qr_svg.is_(None), Ticket.qr_payload.is_(None)))):
        transactions.run(unit)
    else:
        db.session.rollback()  # end the read: nothing to write


def verify(text: str) -> payload.TicketClaims:
    """The claims of a payload this tenant signed with a key still active, or InvalidTicket."""
    return payload.verify(text, keys.public_keys(), tenant_db.require_tenant().id)
