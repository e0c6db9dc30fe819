"""Event holds: quantities of ticket types (general admission) or of entry slots (timed), and
seats of a seated event's plan.

Quantities are taken with one conditional update per counter row (`held = held + n WHERE sold +
held + n <= limit`), rows in id order: the row lock makes concurrent holds queue, and the CHECK
constraint stands behind it. When a row is full, expired holds on it are taken over in the same
transaction and the update is tried once more. Plan seats are claimed under a unique constraint.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from models import db
from models.base import utcnow
from models.events import Event, PlanSeat, SeatPlan, SeatSection, TicketType, TimeSlot
from models.sales import EventSeatClaim, Hold, HoldItem
from services import transactions
from services.events import sales
from services.inventory import (HoldLimit, InventoryError, NotOnSale, Owner, SeatsTaken, SoldOut, event_seat_limit,
                                hold_ttl, new_token)
from services.inventory.holds import Changes, is_postgres, owned_by, take_over_expired

SEAT_CONSTRAINTS = ("uq_event_seat_claims_seat_id",)


def _event_on_sale(event_id: int, now: datetime) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or event.status not in sales.VISIBLE_STATUSES:
        raise InventoryError(str(_l("No such event.")))
    state = sales.sale_state(event_status=event.status, now=now, sales_end=event.ends_at)
    if not state.on_sale:
        raise NotOnSale(str(_l("Tickets for this event are not on sale: %(state)s.", state=state.label)))
    return event


def _lock_owner(owner: Owner) -> None:
    """One owner's holds on an event queue here (PostgreSQL; SQLite writers take turns anyway)."""
    if not is_postgres():
        return
    if owner.customer_id is not None:
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": owner.customer_id})
    else:
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": owner.guest_key})


def _open_hold(owner: Owner, event_id: int, now: datetime) -> Hold:
    hold = db.session.scalar(sa.select(Hold).where(owned_by(owner), Hold.event_id == event_id,
                                                   Hold.status == "active", Hold.expires_at > now)
                             .order_by(Hold.id).limit(1).with_for_update())
    if hold is None:
        token, tag = new_token()
        hold = Hold(token=token, tag=tag, customer_id=owner.customer_id,
                    guest_key=None if owner.customer_id is not None else owner.guest_key, event_id=event_id,
                    status="active", expires_at=now + hold_ttl(), extensions=0, created_at=now)
        db.session.add(hold)
        db.session.flush()
    return hold


# --- quantities -------------------------------------------------------------------------------

def hold_quantities(event_id: int, quantities: dict[int, int], *, owner: Owner, slot_id: int | None = None,
                    now: datetime | None = None) -> Hold:
    """Set how many of each ticket type the owner holds (for the slot, on a timed event): more
    are taken, fewer given back, 0 lets a type go. All or nothing. Raises SoldOut, NotOnSale."""
    now = now or utcnow()
    wanted = {int(k): int(v) for k, v in quantities.items()}
    if any(v < 0 for v in wanted.values()):
        raise InventoryError(str(_l("Quantities cannot be negative.")))
    changes = Changes()

    def unit():
        event = _event_on_sale(event_id, now)
        if event.admission == "seated":
            raise InventoryError(str(_l("Choose seats on the seat plan for this event.")))
        types = {t.id: t for t in event.ticket_types}
        if set(wanted) - set(types):
            raise InventoryError(str(_l("That ticket type is not sold for this event.")))
        slot = _slot_on_sale(event, slot_id, now)
        for type_id, count in wanted.items():
            ticket_type = types[type_id]
            state = sales.ticket_type_state(event, ticket_type, now)
            if count and state.code in ("not_started", "closed", "unavailable"):
                raise NotOnSale(str(_l("%(name)s: %(state)s.", name=ticket_type.name, state=state.label)))
            if count and not ticket_type.min_per_order <= count <= ticket_type.max_per_order:
                raise HoldLimit(str(_l("%(name)s: choose from %(min)s to %(max)s tickets.", name=ticket_type.name,
                                       min=ticket_type.min_per_order, max=ticket_type.max_per_order)),
                                f"qty-{type_id}")
        _lock_owner(owner)
        hold = _open_hold(owner, event.id, now)
        lines = {(i.ticket_type_id, i.time_slot_id): i for i in hold.items}
        slot_key = slot.id if slot is not None else None
        deltas = {t: n - (lines[(t, slot_key)].quantity if (t, slot_key) in lines else 0) for t, n in wanted.items()}
        if not any(wanted.values()) and not lines:
            raise InventoryError(str(_l("Choose how many tickets you want.")))
        for type_id in sorted(t for t, d in deltas.items() if d > 0):
            _take(TicketType, types[type_id], deltas[type_id], now, changes)
        more_in_slot = sum(d for d in deltas.values() if d > 0)
        if slot is not None and more_in_slot:
            _take(TimeSlot, slot, more_in_slot, now, changes)
        _give_back(deltas, types, slot, event.id, changes)
        for type_id, count in wanted.items():
            line = lines.get((type_id, slot_key))
            if count and line is None:
                hold.items.append(HoldItem(ticket_type_id=type_id, time_slot_id=slot_key, quantity=count))
            elif count:
                line.quantity = count
            elif line is not None:
                hold.items.remove(line)
        db.session.flush()
        if not hold.items and not _has_seats(hold):
            hold.status, hold.ended_at = "released", now
        transactions.commit()
        return hold

    hold = transactions.run(unit)
    changes.publish()
    return hold


def _has_seats(hold: Hold) -> bool:
    return db.session.scalar(sa.select(EventSeatClaim.id).where(EventSeatClaim.hold_id == hold.id).limit(1)) is not None


def _slot_on_sale(event: Event, slot_id: int | None, now: datetime) -> TimeSlot | None:
    if event.admission != "timed":
        return None
    slot = db.session.get(TimeSlot, slot_id) if slot_id else None
    if slot is None or slot.event_id != event.id:
        raise InventoryError(str(_l("Choose an entry time.")), "slot")
    if now >= slot.ends_at:
        raise NotOnSale(str(_l("That entry time is over: choose a later one.")), "slot")
    return slot


def _limit_condition(model, n: int):
    if model is TicketType:
        return sa.or_(TicketType.quantity.is_(None), TicketType.sold + TicketType.held + n <= TicketType.quantity)
    return TimeSlot.sold + TimeSlot.held + n <= TimeSlot.capacity


def _take(model, row, n: int, now: datetime, changes: Changes) -> None:
    """held += n on one counter row if that stays within its limit; when it would not, take over
    the expired holds on the row and try once more; else SoldOut."""
    update = sa.update(model).where(model.id == row.id, _limit_condition(model, n)).values(held=model.held + n)
    if db.session.execute(update, execution_options={"synchronize_session": False}).rowcount == 1:
        _note(model, row, changes)
        return
    column = HoldItem.ticket_type_id if model is TicketType else HoldItem.time_slot_id
    expired = db.session.scalars(sa.select(HoldItem.hold_id).join(Hold, Hold.id == HoldItem.hold_id).where(
        column == row.id, Hold.status == "active", Hold.expires_at <= now))
    take_over_expired(expired, now, changes)
    if db.session.execute(update, execution_options={"synchronize_session": False}).rowcount == 1:
        _note(model, row, changes)
        return
    db.session.rollback()
    changes.by_channel.clear()
    left = _left_now(model, row.id, now)
    if model is TicketType:
        what = row.name
        field = f"qty-{row.id}"
    else:
        what, field = str(_l("this entry time")), "slot"
    if left:
        message = ngettext("Only %(num)d left for %(what)s.", "Only %(num)d left for %(what)s.", left, what=what)
    else:
        message = str(_l("Sold out: %(what)s.", what=what))
    raise SoldOut(message, left, field)


def _note(model, row, changes: Changes) -> None:
    key = "ticket_type" if model is TicketType else "slot"
    changes.add(f"event:{row.event_id}", **{key: row.id, "left": None})


def _give_back(deltas: dict[int, int], types: dict, slot, event_id: int, changes: Changes) -> None:
    fewer = {t: -d for t, d in deltas.items() if d < 0}
    for type_id in sorted(fewer):
        db.session.execute(sa.update(TicketType).where(TicketType.id == type_id)
                           .values(held=TicketType.held - fewer[type_id]))
        changes.add(f"event:{event_id}", ticket_type=type_id, left=None)
    if slot is not None and fewer:
        db.session.execute(sa.update(TimeSlot).where(TimeSlot.id == slot.id)
                           .values(held=TimeSlot.held - sum(fewer.values())))
        changes.add(f"event:{event_id}", slot=slot.id, left=None)


def stale_held(event_id: int, now: datetime) -> tuple[dict[int, int], dict[int, int]]:
    """Quantities still counted in `held` by holds whose time is up but that no sweep has ended:
    ({ticket type: n}, {slot: n}). What is left adds them back: expired holds count for nothing."""
    per_type, per_slot = defaultdict(int), defaultdict(int)
    rows = db.session.execute(
        sa.select(HoldItem.ticket_type_id, HoldItem.time_slot_id, HoldItem.quantity)
        .join(Hold, Hold.id == HoldItem.hold_id)
        .where(Hold.event_id == event_id, Hold.status == "active", Hold.expires_at <= now))
    for type_id, slot_id, quantity in rows:
        per_type[type_id] += quantity
        if slot_id is not None:
            per_slot[slot_id] += quantity
    return dict(per_type), dict(per_slot)


def left_of_type(ticket_type: TicketType, stale: dict[int, int]) -> int | None:
    if ticket_type.quantity is None:
        return None
    return max(ticket_type.quantity - ticket_type.sold - ticket_type.held + stale.get(ticket_type.id, 0), 0)


def left_of_slot(slot: TimeSlot, stale: dict[int, int]) -> int:
    return max(slot.capacity - slot.sold - slot.held + stale.get(slot.id, 0), 0)


def _left_now(model, row_id: int, now: datetime) -> int:
    row = db.session.get(model, row_id)
    types, slots = stale_held(row.event_id, now)
    if model is TicketType:
        return left_of_type(row, types) or 0
    return left_of_slot(row, slots)


def fill_left(changes: list[dict]) -> list[dict]:
    """Counter changes are published with what is left now, read after the commit."""
    now = utcnow()
    out = []
    for change in changes:
        if change.get("left", 0) is None:
            if "ticket_type" in change:
                row = db.session.get(TicketType, change["ticket_type"])
                left = None if row is None else left_of_type(row, stale_held(row.event_id, now)[0])
            else:
                row = db.session.get(TimeSlot, change["slot"])
                left = None if row is None else left_of_slot(row, stale_held(row.event_id, now)[1])
            change = {**change, "left": left}
        if change not in out:
            out.append(change)
    return out


# --- plan seats -------------------------------------------------------------------------------

def plan_seat_labels(seat_ids) -> dict[int, str]:
    rows = db.session.execute(sa.select(PlanSeat.id, SeatSection.name, PlanSeat.label)
                              .join(SeatSection, SeatSection.id == PlanSeat.section_id)
                              .where(PlanSeat.id.in_(list(seat_ids))))
    return {seat_id: f"{section} {label}" for seat_id, section, label in rows}


def hold_plan_seats(event_id: int, seat_ids: list[int], *, owner: Owner, now: datetime | None = None) -> Hold:
    """Hold these seats of a seated event's plan, all or none, adding them to the owner's hold."""
    now = now or utcnow()
    seat_ids = sorted({int(s) for s in seat_ids})
    if not seat_ids:
        raise InventoryError(str(_l("Choose at least one seat.")))
    limit = event_seat_limit()
    changes = Changes()

    def unit():
        event = _event_on_sale(event_id, now)
        if event.admission != "seated":
            raise InventoryError(str(_l("This event has no seat plan.")))
        seats = db.session.execute(
            sa.select(PlanSeat.id, PlanSeat.status).join(SeatSection, SeatSection.id == PlanSeat.section_id)
            .join(SeatPlan, SeatPlan.id == SeatSection.seat_plan_id)
            .where(SeatPlan.event_id == event.id, PlanSeat.id.in_(seat_ids))).all()
        labels = plan_seat_labels(seat_ids)
        if len(seats) != len(seat_ids):
            raise InventoryError(str(_l("Some of the chosen seats are not in this event's plan.")))
        unavailable = [labels[s] for s, status in seats if status != "available"]
        if unavailable:
            raise SeatsTaken(str(_l("%(seats)s cannot be sold.", seats=", ".join(unavailable))), unavailable)
        _lock_owner(owner)
        already = db.session.scalar(
            sa.select(sa.func.count(EventSeatClaim.id)).join(Hold, Hold.id == EventSeatClaim.hold_id)
            .where(Hold.event_id == event.id, owned_by(owner), Hold.status == "active", Hold.expires_at > now)) or 0
        if already + len(seat_ids) > limit:
            raise HoldLimit(ngettext("You can hold at most %(num)d seat for this event; you already hold %(held)d.",
                                     "You can hold at most %(num)d seats for this event; you already hold %(held)d.",
                                     limit, held=already))
        expired = db.session.scalars(sa.select(EventSeatClaim.hold_id).where(
            EventSeatClaim.seat_id.in_(seat_ids), EventSeatClaim.status == "held", EventSeatClaim.expires_at <= now))
        take_over_expired(expired, now, changes)
        hold = _open_hold(owner, event.id, now)
        try:
            db.session.execute(sa.insert(EventSeatClaim), [
                {"event_id": event.id, "seat_id": s, "hold_id": hold.id, "status": "held",
                 "expires_at": hold.expires_at, "created_at": now} for s in seat_ids])
        except IntegrityError as exc:
            if transactions.constraint_name(exc) not in SEAT_CONSTRAINTS:
                raise
            db.session.rollback()
            changes.by_channel.clear()
            taken = plan_seats_taken(seat_ids, now)
            names = [labels[s] for s in taken] or [labels[s] for s in seat_ids]
            raise SeatsTaken(ngettext("Seat %(seats)s was just taken by someone else. Choose another seat.",
                                      "Seats %(seats)s were just taken by someone else. Choose other seats.",
                                      len(names), seats=", ".join(names)), names, taken) from None
        for s in seat_ids:
            changes.add(f"event:{event.id}", seat=s, state="held", tag=hold.tag)
        transactions.commit()
        return hold

    hold = transactions.run(unit)
    changes.publish()
    return hold


def plan_seats_taken(seat_ids, now: datetime) -> list[int]:
    """Which of these plan seats someone holds (not expired), bought or has blocked now."""
    return sorted(set(db.session.scalars(sa.select(EventSeatClaim.seat_id).where(
        EventSeatClaim.seat_id.in_(list(seat_ids)),
        sa.or_(EventSeatClaim.status != "held", EventSeatClaim.expires_at > now)))))


def plan_seat_states(event_id: int, owner: Owner | None, now: datetime | None = None) -> dict[int, str]:
    """{plan seat id: held | sold | blocked | mine} for the seats that are not free (operator-
    unavailable seats are `PlanSeat.status` and shown from the plan itself)."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(EventSeatClaim.seat_id, EventSeatClaim.status, Hold.customer_id, Hold.guest_key)
        .outerjoin(Hold, Hold.id == EventSeatClaim.hold_id)
        .where(EventSeatClaim.event_id == event_id,
               sa.or_(EventSeatClaim.status != "held", EventSeatClaim.expires_at > now)))
    states = {}
    for seat_id, status, customer_id, guest_key in rows:
        mine = status == "held" and owner is not None and (
            (owner.customer_id is not None and customer_id == owner.customer_id)
            or (owner.customer_id is None and customer_id is None and guest_key == owner.guest_key))
        states[seat_id] = "mine" if mine else status
    return states
