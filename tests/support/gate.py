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


def sold_tickets(shop, tenant, quantity: int = 2, *, starts_in=SOON, **hold_options) -> list[SoldTicket]:
    """A paid booking of `quantity` admissions to a new event starting in `starts_in`."""
    bought = shop.buy_tickets(tenant, quantity=quantity, starts_in=starts_in, **hold_options)
    shop.come_back(bought, shop.pay(bought))
    return _issued(shop, tenant, bought.booking_id)


def gate_staff(in_tenant, tenant, role: str = "gate", email: str | None = None) -> tuple[int, str]:
    return make_staff(in_tenant, tenant, role, email=email)


def open_gate(in_tenant, tenant, staff_id: int, name: str = "North gate", kind: str = "event", **setup) -> int:
    with in_tenant(tenant):
        member = db.session.get(StaffMember, staff_id)
        gate = gates.open_gate(gates.GateSetup(name=name, kind=kind, **setup), member, Actor.system("test"))
        return gate.id


def ticket_status(in_tenant, tenant, ticket_id: int) -> tuple[str, int | None]:
    with in_tenant(tenant):
        db.session.rollback()
        row = db.session.execute(sa.select(Ticket.status, Ticket.used_gate_id).where(Ticket.id == ticket_id)).one()
        return tuple(row)


def timed_tickets(shop, tenant, day, quantity: int = 1) -> list[SoldTicket]:
    """A paid booking of `quantity` admissions to a timed-entry event, in its 09:00 slot on `day`."""
    return sold_tickets(shop, tenant, quantity, timed_day=day)


def train_tickets(shop, tenant, seats: int = 2) -> tuple[list[SoldTicket], int]:
    """A paid booking of `seats` seats from Dhaka (stop 0) to Chattogram, three days ahead; and the trip."""
    bought = shop.buy_seats(tenant, seats=seats)
    shop.come_back(bought, shop.pay(bought))
    return _issued(shop, tenant, bought.booking_id), bought.trip_id


def _issued(shop, tenant, booking_id: int) -> list[SoldTicket]:
    with shop.in_tenant(tenant):
        issue.complete(booking_id)
        booking = db.session.get(Booking, booking_id)
        rows = db.session.execute(sa.select(Ticket.id, Ticket.number, Ticket.qr_payload)
                                  .where(Ticket.booking_id == booking_id).order_by(Ticket.id)).all()
        return [SoldTicket(i, n, p, booking_id, booking.event_id) for i, n, p in rows]
