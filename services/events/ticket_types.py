"""Ticket types of an event: adult, child, student, VIP... with price, quantity and sales window."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.events import TICKET_KINDS, TicketType
from services import audit
from services.audit import Actor
from services.events import EventsError, NotFound
from services.events.catalog import commit_or_explain, flush_or_explain, get_event, snapshot

FIELDS = ("name", "kind", "price", "quantity", "min_per_order", "max_per_order", "sales_start", "sales_end")
_MESSAGES = {
    "uq_ticket_types_event_id_name": _l("This event already has a ticket type with this name."),
    "ck_ticket_types_no_oversell": _l("The quantity cannot be less than what is already sold or held."),
}


@dataclass
class TicketTypeData:
    name: str
    price: Decimal
    kind: str = "general"
    quantity: int | None = None
    min_per_order: int = 1
    max_per_order: int = 10
    sales_start: datetime | None = None
    sales_end: datetime | None = None


def _check(data: TicketTypeData) -> None:
    if not data.name.strip():
        raise EventsError(str(_l("Give the ticket type a name.")), "name")
    if data.kind not in TICKET_KINDS:
        raise EventsError(str(_l("Choose a kind of ticket.")), "kind")
    if data.price is None or data.price < 0:
        raise EventsError(str(_l("The price cannot be negative.")), "price")
    if data.quantity is not None and data.quantity < 0:
        raise EventsError(str(_l("The quantity cannot be negative.")), "quantity")
    if data.min_per_order < 1 or data.max_per_order < data.min_per_order:
        raise EventsError(str(_l("The most per order must be at least the least per order (1 or more).")),
                          "max_per_order")
    if data.sales_start and data.sales_end and data.sales_end <= data.sales_start:
        raise EventsError(str(_l("Sales must end after they start.")), "sales_end")


def add_ticket_type(event_id: int, data: TicketTypeData, *, actor: Actor) -> TicketType:
    event = get_event(event_id)
    _check(data)
    if event.status in ("cancelled", "completed"):
        raise EventsError(str(_l("This event is closed: its tickets cannot change.")))
    position = db.session.scalar(sa.select(sa.func.count()).where(TicketType.event_id == event.id)) or 0
    ticket_type = TicketType(event=event, sold=0, held=0, position=position)
    for name in FIELDS:
        setattr(ticket_type, name, getattr(data, name))
    ticket_type.name = ticket_type.name.strip()
    db.session.add(ticket_type)
    flush_or_explain(_MESSAGES)
    audit.record(actor, "ticket_type.created", "ticket_type", ticket_type.id,
                 after={"event_id": event.id, **snapshot(ticket_type, FIELDS)})
    commit_or_explain(_MESSAGES)
    return ticket_type


def update_ticket_type(ticket_type_id: int, data: TicketTypeData, *, actor: Actor) -> TicketType:
    """Change a ticket type; lowering the quantity below what is sold or held is refused by the
    database (CHECK sold + held <= quantity), not by a racy check here."""
    ticket_type = get_ticket_type(ticket_type_id)
    _check(data)
    before = snapshot(ticket_type, FIELDS)
    for name in FIELDS:
        setattr(ticket_type, name, getattr(data, name))
    ticket_type.name = ticket_type.name.strip()
    audit.record(actor, "ticket_type.updated", "ticket_type", ticket_type.id, before=before,
                 after=snapshot(ticket_type, FIELDS))
    commit_or_explain(_MESSAGES)
    return ticket_type


def delete_ticket_type(ticket_type_id: int, *, actor: Actor) -> int:
    """Remove a ticket type nobody has bought or holds; returns its event's id."""
    ticket_type = get_ticket_type(ticket_type_id)
    event_id, before = ticket_type.event_id, snapshot(ticket_type, FIELDS)
    deleted = db.session.execute(
        sa.delete(TicketType).where(TicketType.id == ticket_type.id, TicketType.sold == 0, TicketType.held == 0))
    if deleted.rowcount != 1:
        db.session.rollback()
        raise EventsError(str(_l("Tickets of this type are sold or held: it cannot be removed.")))
    audit.record(actor, "ticket_type.deleted", "ticket_type", ticket_type_id, before=before)
    commit_or_explain({})
    db.session.expire_all()
    return event_id


def get_ticket_type(ticket_type_id: int) -> TicketType:
    ticket_type = db.session.get(TicketType, ticket_type_id)
    if ticket_type is None:
        raise NotFound(str(_l("No such ticket type.")))
    return ticket_type
