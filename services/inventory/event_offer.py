"""What a customer can buy on an event page now: ticket types and entry slots with what is left,
the seat plan with every seat's state, and the customer's active hold on the event. Read only.

"Left" never counts holds whose time is up (the sweep may not have run yet), the same rule the
holds themselves use, so the page never shows fewer than a hold would get."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from models import db
from models.base import utcnow
from models.events import Event, PlanSeat, PriceCategory, SeatPlan, SeatSection, TicketType, TimeSlot
from models.sales import EventSeatClaim, Hold
from services.events import sales, seat_plans, slots as slot_service
from services.events.sales import SaleState
from services.events.times import to_local
from services.inventory import Owner, event_seat_limit, holds
from services.inventory.events import left_of_slot, left_of_type, plan_seat_states, stale_held


@dataclass
class TicketOffer:
    ticket_type: TicketType
    state: SaleState
    left: int | None  # None: no limit of its own (the slot or the plan limits the sale)
    mine: int  # how many of it the customer holds (in the chosen slot, on a timed event)

    @property
    def most(self) -> int:
        """The most one may pick: the order limit, within what is left plus what one holds already."""
        most = self.ticket_type.max_per_order
        return most if self.left is None else min(most, self.left + self.mine)


@dataclass
class SlotOffer:
    slot: TimeSlot
    state: SaleState
    left: int
    mine: int  # tickets the customer holds in this slot


@dataclass
class SeatCell:
    id: int
    number: int
    label: str  # "A5": the row's letter and the seat's number
    category_id: int | None
    state: str  # free | held | sold | blocked | mine ("blocked" also for seats the operator took out)
    fixed: bool  # taken out by the operator: no live change applies to it


@dataclass
class SectionOffer:
    section: SeatSection
    rows: list[tuple[str, list[SeatCell]]]


@dataclass
class HoldLine:
    item_id: int
    ticket_type: TicketType
    quantity: int
    slot: TimeSlot | None

    @property
    def amount(self) -> Decimal:
        return self.ticket_type.price * self.quantity


@dataclass
class HeldSeat:
    seat_id: int
    label: str  # "Centre A5"
    category: PriceCategory | None

    @property
    def amount(self) -> Decimal:
        return self.category.price if self.category else Decimal(0)


@dataclass
class HoldOffer:
    hold: Hold
    lines: list[HoldLine]
    seats: list[HeldSeat]
    seconds_left: int

    @property
    def total(self) -> Decimal:
        return sum((x.amount for x in [*self.lines, *self.seats]), Decimal(0))


@dataclass
class EventOffer:
    event: Event
    state: SaleState  # of the event as a whole
    version: int  # the live channel's version, read before anything else (blueprints/live.py)
    now: datetime
    tickets: list[TicketOffer] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    day: date | None = None
    slots: list[SlotOffer] = field(default_factory=list)
    slot: SlotOffer | None = None  # the chosen entry slot
    sections: list[SectionOffer] = field(default_factory=list)
    categories: list[tuple[PriceCategory, int]] = field(default_factory=list)  # (category, seats free)
    hold: HoldOffer | None = None
    seat_limit: int = 0

    @property
    def room(self) -> int | None:
        """Tickets one may hold in the chosen slot, counting those one holds there already."""
        return None if self.slot is None else self.slot.left + self.slot.mine


def event_offer(event: Event, owner: Owner | None, *, tz: str, day: date | None = None, slot_id: int | None = None,
                now: datetime | None = None) -> EventOffer:
    from services import live

    now = now or utcnow()
    version = live.version(live.event_channel(event.id))
    state = sales.sale_state(event_status=event.status, now=now, sales_end=event.ends_at)
    offer = EventOffer(event, state, version, now)
    hold = _active_hold(owner, event.id, now)
    stale_types, stale_slots = stale_held(event.id, now)
    if event.admission == "timed":
        _choose_slot(offer, tz, day, slot_id, stale_slots, hold, now)
    chosen = offer.slot.slot.id if offer.slot else None
    mine = defaultdict(int)
    for line in hold.lines if hold else ():
        if (line.slot.id if line.slot else None) == chosen:
            mine[line.ticket_type.id] += line.quantity
    for ticket_type in event.ticket_types:
        left = left_of_type(ticket_type, stale_types)
        state = sales.sale_state(event_status=event.status, now=now, sales_start=ticket_type.sales_start,
                                 sales_end=ticket_type.sales_end or event.ends_at, left=left)
        offer.tickets.append(TicketOffer(ticket_type, state, left, mine[ticket_type.id]))
    if event.admission == "seated":
        _draw_plan(offer, owner, now)
        offer.seat_limit = event_seat_limit()
    offer.hold = hold
    return offer


def _choose_slot(offer: EventOffer, tz: str, day: date | None, slot_id: int | None, stale: dict[int, int],
                 hold: HoldOffer | None, now: datetime) -> None:
    """The day asked for (else the slot's day, else the first day with slots left), its slots,
    and the slot asked for if it is on that day."""
    offer.days = slot_service.days_with_slots(offer.event.id, tz, after=now)
    if day not in offer.days and slot_id:
        slot = db.session.get(TimeSlot, slot_id)
        if slot is not None and slot.event_id == offer.event.id:
            day = to_local(slot.starts_at, tz).date()
    offer.day = day if day in offer.days else (offer.days[0] if offer.days else None)
    if offer.day is None:
        return
    held_in = defaultdict(int)
    for line in hold.lines if hold else ():
        if line.slot is not None:
            held_in[line.slot.id] += line.quantity
    for slot in slot_service.slots_on(offer.event.id, offer.day, tz):
        left = left_of_slot(slot, stale)
        state = sales.sale_state(event_status=offer.event.status, now=now, sales_end=slot.ends_at, left=left)
        offer.slots.append(SlotOffer(slot, state, left, held_in[slot.id]))
    offer.slot = next((s for s in offer.slots if s.slot.id == slot_id), None)


def _draw_plan(offer: EventOffer, owner: Owner | None, now: datetime) -> None:
    """Sections and categories as objects (a few); the seats as plain rows (hundreds: cheaper)."""
    plan = db.session.scalar(sa.select(SeatPlan).where(SeatPlan.event_id == offer.event.id)
                             .options(selectinload(SeatPlan.categories), selectinload(SeatPlan.sections)))
    if plan is None:
        return
    claimed = plan_seat_states(offer.event.id, owner, now)
    seats = db.session.execute(
        sa.select(PlanSeat.id, PlanSeat.section_id, PlanSeat.row, PlanSeat.number, PlanSeat.label,
                  PlanSeat.category_id, PlanSeat.status)
        .where(PlanSeat.section_id.in_([s.id for s in plan.sections]))
        .order_by(PlanSeat.section_id, PlanSeat.row, PlanSeat.number))
    rows: dict[int, dict[int, list[SeatCell]]] = defaultdict(lambda: defaultdict(list))
    free = defaultdict(int)
    for seat_id, section_id, row, number, label, category_id, status in seats:
        fixed = status != "available"
        state = "blocked" if fixed else claimed.get(seat_id, "free")
        rows[section_id][row].append(SeatCell(seat_id, number, label, category_id, state, fixed))
        if state == "free" and category_id is not None:
            free[category_id] += 1
    for section in plan.sections:
        by_row = rows[section.id]
        offer.sections.append(SectionOffer(section, [(seat_plans.row_label(r), by_row[r]) for r in sorted(by_row)]))
    offer.categories = [(c, free[c.id]) for c in plan.categories]


def _active_hold(owner: Owner | None, event_id: int, now: datetime) -> HoldOffer | None:
    if owner is None:
        return None
    found = holds.active_holds(owner, event_id=event_id, now=now)
    if not found:
        return None
    return hold_offer(found[0], now)  # holds of one owner on one event are kept in one (services.inventory.events)


def hold_offer(hold: Hold, now: datetime) -> HoldOffer:
    """What an event hold keeps: its quantity lines (with their slots) and plan seats, priced."""
    slot_ids = {i.time_slot_id for i in hold.items if i.time_slot_id is not None}
    slots = {s.id: s for s in db.session.scalars(sa.select(TimeSlot).where(TimeSlot.id.in_(slot_ids)))} \
        if slot_ids else {}
    lines = [HoldLine(i.id, i.ticket_type, i.quantity, slots.get(i.time_slot_id)) for i in hold.items]
    lines.sort(key=lambda x: (x.slot.starts_at if x.slot else now, x.ticket_type.position, x.ticket_type.id))
    rows = db.session.execute(
        sa.select(PlanSeat.id, SeatSection.name, PlanSeat.label, PriceCategory)
        .join(EventSeatClaim, EventSeatClaim.seat_id == PlanSeat.id)
        .join(SeatSection, SeatSection.id == PlanSeat.section_id)
        .outerjoin(PriceCategory, PriceCategory.id == PlanSeat.category_id)
        .where(EventSeatClaim.hold_id == hold.id, EventSeatClaim.status == "held")
        .order_by(SeatSection.position, PlanSeat.row, PlanSeat.number))
    seats = [HeldSeat(seat_id, f"{section} {label}", category) for seat_id, section, label, category in rows]
    return HoldOffer(hold, lines, seats, max(int((hold.expires_at - now).total_seconds()), 0))
