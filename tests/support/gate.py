"""Gates and the tickets they scan, for gate tests: tickets bought through the shop (gateway
simulator and all), a gate staff member, and gates opened through the service."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from models import db
from models.bookings import Booking, Ticket
from models.people import StaffMember
from services.audit import Actor
from services.gate import gates
from services.tickets import issue
from tests.support.people import make_staff

SOON = timedelta(minutes=30)  # an event starting soon: its gate is open now (doors an hour before)


@dataclass(frozen=True)
class SoldTicket:
    id: int
    number: str
    code: str  # the QR payload
    booking_id: int
    event_id: int | None


def sold_tickets(shop, tenant, quantity: int = 2, *, starts_in=SOON) -> list[SoldTicket]:
    """A paid booking of `quantity` admissions to a new event starting in `starts_in`."""
    bought = shop.buy_tickets(tenant, quantity=quantity, starts_in=starts_in)
    shop.come_back(bought, shop.pay(bought))
    with shop.in_tenant(tenant):
        issue.complete(bought.booking_id)
        event_id = db.session.get(Booking, bought.booking_id).event_id
        rows = db.session.execute(sa.select(Ticket.id, Ticket.number, Ticket.qr_payload)
                                  .where(Ticket.booking_id == bought.booking_id).order_by(Ticket.id)).all()
        return [SoldTicket(i, n, p, bought.booking_id, event_id) for i, n, p in rows]


def gate_staff(in_tenant, tenant, role: str = "gate", email: str | None = None) -> tuple[int, str]:
    return make_staff(in_tenant, tenant, role, email=email)


def open_gate(in_tenant, tenant, staff_id: int, name: str = "North gate", kind: str = "event", **setup) -> int:
    with in_tenant(tenant):
        member = db.session.get(StaffMember, staff_id)
        gate = gates.open_gate(gates.GateSetup(name=name, kind=kind, **setup), member, "test-device",
                               Actor.system("test"))
        return gate.id


def ticket_status(in_tenant, tenant, ticket_id: int) -> tuple[str, int | None]:
    with in_tenant(tenant):
        db.session.rollback()
        row = db.session.execute(sa.select(Ticket.status, Ticket.used_gate_id).where(Ticket.id == ticket_id)).one()
        return tuple(row)
