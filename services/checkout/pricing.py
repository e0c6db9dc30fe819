"""What a hold costs: one line per rail seat (its fare on the stretch), plan seat (its category's
price) or quantity of a ticket type, then VAT and the service charge as the tenant configures them
(`vat_percent` on the subtotal; `service_charge_per_ticket` in taka and `service_charge_percent`).
Rail fares already include VAT on AC classes (services.rail.fares), so rail tenants leave
`vat_percent` at 0."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from models.sales import Hold
from services import tenant_db

PAISA = Decimal("0.01")


@dataclass
class QuoteLine:
    kind: str  # seat | plan_seat | admission
    label: str  # "KA-12", "Centre A5", "Adult"
    unit_price: Decimal
    quantity: int = 1
    seat_id: int | None = None
    plan_seat_id: int | None = None
    ticket_type_id: int | None = None
    time_slot_id: int | None = None
    fare_class: str | None = None
    when: datetime | None = None  # an entry slot's start

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass
class Quote:
    lines: list[QuoteLine]
    title: str
    starts_at: datetime
    subtotal: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    service_charge: Decimal = Decimal("0.00")
    vat_percent: Decimal = Decimal("0")
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.vat + self.service_charge

    @property
    def tickets(self) -> int:
        return sum(line.quantity for line in self.lines)


def _setting(name: str) -> Decimal:
    return Decimal(str(tenant_db.require_tenant().setting(name) or 0))


def _paisa(value: Decimal) -> Decimal:
    return value.quantize(PAISA, rounding=ROUND_HALF_UP)


def add_charges(quote: Quote) -> Quote:
    """Subtotal, VAT and service charge from the lines and the tenant's settings."""
    quote.subtotal = _paisa(sum((line.amount for line in quote.lines), Decimal(0)))
    quote.vat_percent = _setting("vat_percent")
    quote.vat = _paisa(quote.subtotal * quote.vat_percent / 100)
    quote.service_charge = _paisa(_setting("service_charge_per_ticket") * quote.tickets
                                  + quote.subtotal * _setting("service_charge_percent") / 100)
    return quote


def price_hold(hold: Hold, now: datetime) -> Quote:
    """The quote for everything the hold keeps now."""
    quote = _rail_quote(hold) if hold.trip_id is not None else _event_quote(hold, now)
    return add_charges(quote)


def _rail_quote(hold: Hold) -> Quote:
    from services.inventory import rail

    stretch = rail.stretch_of(hold.trip_id, hold.board_seq, hold.alight_seq)
    seats = rail.held_seats(hold, rail.stretch_fares(stretch))
    train = stretch.trip.train
    title = f"{train.number} {train.name}, {stretch.board.station.name_en} → {stretch.alight.station.name_en}"
    lines = [QuoteLine("seat", s.label, s.fare, seat_id=s.seat_id, fare_class=s.fare_class) for s in seats]
    return Quote(lines, title, stretch.departs_at)


def _event_quote(hold: Hold, now: datetime) -> Quote:
    from models import db
    from models.events import Event
    from services.inventory.event_offer import hold_offer

    event = db.session.get(Event, hold.event_id)
    offer = hold_offer(hold, now)
    lines = [QuoteLine("admission", line.ticket_type.name, line.ticket_type.price, line.quantity,
                       ticket_type_id=line.ticket_type.id, time_slot_id=line.slot.id if line.slot else None,
                       when=line.slot.starts_at if line.slot else None) for line in offer.lines]
    lines += [QuoteLine("plan_seat", s.label, s.amount, plan_seat_id=s.seat_id) for s in offer.seats]
    starts = min((line.when for line in lines if line.when), default=event.starts_at)
    return Quote(lines, event.title, starts)
