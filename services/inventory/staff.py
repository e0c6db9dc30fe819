"""For staff: a trip's or event's occupancy, and seats blocked for operational use.

A blocked seat is a claim like any other (status `blocked`, no hold, a reason, no expiry), so the
same constraints that keep two customers off one seat keep customers off a blocked one: blocking
a seat someone holds or bought is refused by `ex_seat_claims_no_overlap` (rail) or
`uq_event_seat_claims_seat_id` (plan seats), never by a check in Python. Expired holds standing in
the way are taken over first, as a customer's hold would. Every block and unblock is audited in its
own transaction and published to the live seat maps (and the rail search counts) after commit.

Rail occupancy is per stretch, and an operator asks two questions of it, so both are answered:
- how full is the train? Each seat is counted once, by the strongest claim it has anywhere on the
  journey (sold, then blocked, then held); `free` seats have no claim at all and can be sold end to
  end; `partly` counts the claimed seats that are still free on some stretch (sellable there).
- where is it full? `legs`: for each stretch between two consecutive stops, the seats sold, blocked,
  held and free on it (the load a guard or planner looks at: full out of Dhaka, half empty after
  Bhairab).
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from models import db
from models.base import utcnow
from models.events import Event, PlanSeat, SeatPlan, SeatSection
from models.rail import Coach, CoachClass, Seat, SeatClaim, Trip, TripStop
from models.sales import EventSeatClaim
from services import audit, tenant_db, transactions
from services.audit import Actor
from services.inventory import InventoryError, SeatsTaken
from services.inventory import events as event_inventory
from services.inventory import rail
from services.inventory.holds import Changes, take_over_expired

REASON_MAX = 200  # seat_claims.reason / event_seat_claims.reason
MAX_SEATS_PER_BLOCK = 1000  # a whole long train at once, not an unbounded list from a form
CLAIM_STATES = ("sold", "blocked", "held")  # strongest first: what a seat counts as when it has several


def _reason(text: str | None) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise InventoryError(str(_l("Say why the seats are blocked.")), "reason")
    if len(reason) > REASON_MAX:
        raise InventoryError(str(_l("Keep the reason to %(num)d characters.", num=REASON_MAX)), "reason")
    return reason


def _seat_ids(seat_ids) -> list[int]:
    try:
        chosen = sorted({int(s) for s in seat_ids or ()})
    except (TypeError, ValueError):
        raise InventoryError(str(_l("Choose seats from the map.")), "seat") from None
    if not chosen:
        raise InventoryError(str(_l("Choose at least one seat.")), "seat")
    if len(chosen) > MAX_SEATS_PER_BLOCK:
        raise InventoryError(str(_l("Block at most %(num)d seats at a time.", num=MAX_SEATS_PER_BLOCK)), "seat")
    return chosen


def _refused_message(named: list[str]) -> str:
    return ngettext("%(seats)s is already held, sold or blocked: nothing was blocked.",
                    "%(seats)s are already held, sold or blocked: nothing was blocked.",
                    len(named), seats=", ".join(named))


# --- rail: occupancy --------------------------------------------------------------------------

@dataclass
class SeatCounts:
    total: int = 0
    sold: int = 0
    held: int = 0
    blocked: int = 0
    free: int = 0  # no live claim on any stretch: sellable end to end
    partly: int = 0  # of the claimed seats, those still free on some stretch

    def count(self, state: str | None, partly: bool) -> None:
        self.total += 1
        setattr(self, state or "free", getattr(self, state or "free") + 1)
        self.partly += bool(state and partly)


@dataclass
class LegLoad:
    """Seats on one stretch between two consecutive stops."""

    board: TripStop
    alight: TripStop
    total: int = 0
    sold: int = 0
    held: int = 0
    blocked: int = 0

    @property
    def free(self) -> int:
        return self.total - self.sold - self.held - self.blocked


@dataclass
class CoachOccupancy:
    coach: Coach
    counts: SeatCounts = field(default_factory=SeatCounts)


@dataclass
class ClassOccupancy:
    coach_class: CoachClass
    counts: SeatCounts = field(default_factory=SeatCounts)
    coaches: list[CoachOccupancy] = field(default_factory=list)
    legs: list[LegLoad] = field(default_factory=list)


@dataclass
class TripOccupancy:
    trip: Trip
    stops: list[TripStop]
    classes: list[ClassOccupancy]
    totals: SeatCounts
    legs: list[LegLoad]


def trip_stops(trip_id: int) -> list[TripStop]:
    return list(db.session.scalars(sa.select(TripStop).where(TripStop.trip_id == trip_id).order_by(TripStop.seq)))


def get_trip(trip_id: int) -> Trip:
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise InventoryError(str(_l("That trip no longer exists.")))
    return trip


def trip_occupancy(trip_id: int, now: datetime | None = None) -> TripOccupancy:
    """Seats of the trip by class and coach, and the load on each stretch; holds that have
    expired count for nothing (their `expires_at` is compared with now, before any sweep)."""
    now = now or utcnow()
    trip = get_trip(trip_id)
    stops = trip_stops(trip_id)
    legs = list(itertools.pairwise(stops))
    claims: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for seat_id, board, alight, status in db.session.execute(
            sa.select(SeatClaim.seat_id, SeatClaim.board_seq, SeatClaim.alight_seq, SeatClaim.status)
            .where(SeatClaim.trip_id == trip_id, rail.live_claim(now))):
        claims[seat_id].append((board, alight, status))
    coaches = list(db.session.scalars(sa.select(Coach).where(Coach.train_id == trip.train_id).order_by(Coach.position)))
    seats_by_coach: dict[int, list[int]] = defaultdict(list)
    for seat_id, coach_id in db.session.execute(
            sa.select(Seat.id, Seat.coach_id).join(Coach, Coach.id == Seat.coach_id)
            .where(Coach.train_id == trip.train_id).order_by(Seat.id)):
        seats_by_coach[coach_id].append(seat_id)

    totals = SeatCounts()
    train_legs = [LegLoad(a, b) for a, b in legs]
    classes: dict[int, ClassOccupancy] = {}
    for coach in coaches:
        klass = classes.get(coach.coach_class_id)
        if klass is None:
            klass = classes[coach.coach_class_id] = ClassOccupancy(coach.coach_class,
                                                                   legs=[LegLoad(a, b) for a, b in legs])
        line = CoachOccupancy(coach)
        klass.coaches.append(line)
        for seat_id in seats_by_coach[coach.id]:
            mine = claims.get(seat_id, [])
            on_leg = [next((status for board, alight, status in mine if board <= a.seq and alight >= b.seq), None)
                      for a, b in legs]
            state = min((status for _, _, status in mine), key=CLAIM_STATES.index, default=None)
            partly = None in on_leg
            for counts in (line.counts, klass.counts, totals):
                counts.count(state, partly)
            for i, leg_state in enumerate(on_leg):
                for load in (klass.legs[i], train_legs[i]):
                    load.total += 1
                    if leg_state:
                        setattr(load, leg_state, getattr(load, leg_state) + 1)
    return TripOccupancy(trip, stops, list(classes.values()), totals, train_legs)


@dataclass
class BlockedSeat:
    seat_id: int
    label: str
    board: TripStop
    alight: TripStop
    reason: str
    since: datetime


def trip_blocks(trip_id: int) -> list[BlockedSeat]:
    """The trip's blocked seats with their stretches and reasons, in coach and seat order."""
    stops = {s.seq: s for s in trip_stops(trip_id)}
    rows = db.session.execute(
        sa.select(SeatClaim.seat_id, Coach.code, Seat.label, SeatClaim.board_seq, SeatClaim.alight_seq,
                  SeatClaim.reason, SeatClaim.created_at)
        .join(Seat, Seat.id == SeatClaim.seat_id).join(Coach, Coach.id == Seat.coach_id)
        .where(SeatClaim.trip_id == trip_id, SeatClaim.status == "blocked")
        .order_by(Coach.position, Seat.id, SeatClaim.board_seq))
    return [BlockedSeat(seat_id, f"{code}-{label}", stops[board], stops[alight], reason, since)
            for seat_id, code, label, board, alight, reason, since in rows]


@dataclass
class CoachGrid:
    """One coach drawn from its layout with each seat's state on a stretch (for the staff map)."""

    coach: Coach
    rows: list[list[rail.SeatCell | None]]


def coach_grid(trip: Trip, coach_id: int | None, board_seq: int, alight_seq: int,
               now: datetime | None = None) -> CoachGrid | None:
    """The coach (the train's first when `coach_id` is not one of its coaches), its seats free,
    held, sold or blocked on the stretch."""
    now = now or utcnow()
    coaches = list(db.session.scalars(sa.select(Coach).where(Coach.train_id == trip.train_id).order_by(Coach.position)))
    coach = next((c for c in coaches if c.id == coach_id), coaches[0] if coaches else None)
    if coach is None:
        return None
    states = rail.seat_states(trip.id, coach.id, board_seq, alight_seq, None, now)
    by_place = {(s.row, s.col): s for s in coach.seats}
    rows = []
    for r, line in enumerate(coach.layout.cells, start=1):
        cells = []
        for c, _cell in enumerate(line, start=1):
            seat = by_place.get((r, c))
            cells.append(None if seat is None else rail.SeatCell(seat.id, seat.label, seat.kind, "",
                                                                 states.get(seat.id, "free")))
        rows.append(cells)
    return CoachGrid(coach, rows)


def whole_journey(trip_id: int) -> tuple[int, int]:
    """(first stop's seq, last stop's seq) of the trip."""
    first, last = db.session.execute(sa.select(sa.func.min(TripStop.seq), sa.func.max(TripStop.seq))
                                     .where(TripStop.trip_id == trip_id)).one()
    if first is None or first == last:
        raise InventoryError(str(_l("This trip has no stops to block seats between.")))
    return first, last


# --- rail: blocking ---------------------------------------------------------------------------

def block_trip_seats(trip_id: int, seat_ids, board_seq: int | None = None, alight_seq: int | None = None, *,
                     reason: str, actor: Actor, now: datetime | None = None) -> list[int]:
    """Block these seats of the trip on [board_seq, alight_seq) (the whole journey by default),
    all or none. Refused with SeatsTaken naming the seats held, sold or blocked on the stretch.
    Returns the new claims' ids."""
    now = now or utcnow()
    reason = _reason(reason)
    chosen = _seat_ids(seat_ids)
    changes = Changes()

    def unit():
        get_trip(trip_id)
        board, alight = whole_journey(trip_id)
        board = board if board_seq is None else board_seq
        alight = alight if alight_seq is None else alight_seq
        rail.stretch_of(trip_id, board, alight)
        labels = rail.seats_of_train(db.session.get(Trip, trip_id).train_id, chosen)
        rail.lock_seats(trip_id, chosen)  # the same locks, in the same order, as a customer's hold
        expired = db.session.scalars(sa.select(SeatClaim.hold_id).where(
            SeatClaim.trip_id == trip_id, SeatClaim.seat_id.in_(chosen), SeatClaim.status == "held",
            SeatClaim.expires_at <= now, rail.overlapping(board, alight)))
        take_over_expired(expired, now, changes)
        try:
            ids = list(db.session.scalars(sa.insert(SeatClaim).returning(SeatClaim.id), [
                {"trip_id": trip_id, "seat_id": s, "board_seq": board, "alight_seq": alight, "status": "blocked",
                 "expires_at": None, "hold_id": None, "reason": reason, "created_at": now} for s in chosen]))
        except IntegrityError as exc:
            if transactions.constraint_name(exc) not in rail.OVERLAP_CONSTRAINTS:
                raise
            db.session.rollback()
            changes.by_channel.clear()
            taken = rail.taken_now(trip_id, chosen, board, alight, now)
            named = [labels[s] for s in taken] or [labels[s] for s in chosen]
            raise SeatsTaken(_refused_message(named), named, taken) from None
        audit.record(actor, "seats.block", "trip", trip_id,
                     after={"seats": [labels[s] for s in chosen], "board_seq": board, "alight_seq": alight,
                            "reason": reason})
        for s in chosen:
            changes.add(f"trip:{trip_id}", seat=s, board=board, alight=alight, state="blocked", tag=None)
        transactions.commit()
        return ids

    ids = transactions.run(unit)
    changes.publish()
    return ids


def unblock_trip_seat(trip_id: int, seat_id: int, board_seq: int | None = None, alight_seq: int | None = None, *,
                      actor: Actor) -> int:
    """Free a blocked seat of the trip: its blocks overlapping [board_seq, alight_seq) (every
    block of the seat when no stretch is given). Returns how many blocks ended."""
    changes = Changes()

    def unit():
        get_trip(trip_id)
        query = sa.delete(SeatClaim).where(SeatClaim.trip_id == trip_id, SeatClaim.seat_id == seat_id,
                                           SeatClaim.status == "blocked")
        if board_seq is not None and alight_seq is not None:
            query = query.where(rail.overlapping(board_seq, alight_seq))
        gone = db.session.execute(query.returning(SeatClaim.board_seq, SeatClaim.alight_seq, SeatClaim.reason)).all()
        if not gone:
            raise InventoryError(str(_l("That seat is not blocked: nothing was changed.")))
        label = rail.seat_labels([seat_id]).get(seat_id, str(seat_id))
        audit.record(actor, "seats.unblock", "trip", trip_id,
                     before={"seat": label, "blocks": [{"board_seq": b, "alight_seq": a, "reason": r}
                                                       for b, a, r in gone]})
        for board, alight, _reason_text in gone:
            changes.add(f"trip:{trip_id}", seat=seat_id, board=board, alight=alight, state="free", tag=None)
        transactions.commit()
        return len(gone)

    count = transactions.run(unit)
    changes.publish()
    return count


@dataclass
class TripDay:
    trip: Trip
    total: int
    claimed: int  # seats with a live claim somewhere on the journey

    @property
    def free(self) -> int:
        return self.total - self.claimed


def trips_with_load(day: date, now: datetime | None = None) -> list[TripDay]:
    """The trips of a service date with their seats and how many have a claim, for the overview."""
    from services.rail import trips as trip_service

    now = now or utcnow()
    day_trips = trip_service.trips_on(day)
    ids = [t.id for t in day_trips]
    claimed = dict(db.session.execute(
        sa.select(SeatClaim.trip_id, sa.func.count(sa.distinct(SeatClaim.seat_id)))
        .where(SeatClaim.trip_id.in_(ids), rail.live_claim(now)).group_by(SeatClaim.trip_id)).all()) if ids else {}
    seats = dict(db.session.execute(
        sa.select(Coach.train_id, sa.func.count(Seat.id)).join(Seat, Seat.coach_id == Coach.id)
        .where(Coach.train_id.in_({t.train_id for t in day_trips})).group_by(Coach.train_id)).all()) if ids else {}
    return [TripDay(t, int(seats.get(t.train_id, 0)), int(claimed.get(t.id, 0))) for t in day_trips]


# --- events: occupancy ------------------------------------------------------------------------

@dataclass
class CounterLine:
    """A ticket type or a time slot: its limit (None: unlimited), sold, held live, left."""

    row: object
    limit: int | None
    sold: int
    held: int
    left: int | None


@dataclass
class SectionLine:
    section: SeatSection
    total: int = 0
    sold: int = 0
    held: int = 0
    blocked: int = 0
    unavailable: int = 0  # cells the seat plan marks as no seat (aisle, pillar): never sold
    free: int = 0


@dataclass
class PlanCell:
    seat: PlanSeat
    state: str  # free | held | sold | blocked | unavailable


@dataclass
class PlanBlock:
    seat_id: int
    label: str
    reason: str
    since: datetime


@dataclass
class EventOccupancy:
    event: Event
    ticket_types: list[CounterLine]
    day: date | None = None
    days: list[date] = field(default_factory=list)  # the coming days with slots, to pick from
    slots: list[CounterLine] = field(default_factory=list)
    sections: list[SectionLine] = field(default_factory=list)
    section_totals: SectionLine | None = None
    grid: list[tuple[SeatSection, list[list[PlanCell]]]] = field(default_factory=list)
    blocks: list[PlanBlock] = field(default_factory=list)


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise InventoryError(str(_l("No such event.")))
    return event


def event_occupancy(event_id: int, *, day: date | None = None, now: datetime | None = None) -> EventOccupancy:
    """Ticket types; for timed entry the slots of `day` (today, else the next day with slots);
    for a seated event each section of the plan and the seats drawn row by row. Expired holds
    count for nothing (`stale_held` takes them back out of the `held` counters)."""
    from services.events import slots as slot_service

    now = now or utcnow()
    event = get_event(event_id)
    stale_types, stale_slots = event_inventory.stale_held(event.id, now)
    types = [CounterLine(t, t.quantity, t.sold, t.held - stale_types.get(t.id, 0),
                         event_inventory.left_of_type(t, stale_types)) for t in event.ticket_types]
    occupancy = EventOccupancy(event, types)
    if event.admission == "timed":
        tz = tenant_db.require_tenant().setting("timezone")
        occupancy.days = slot_service.days_with_slots(event.id, tz, after=now, limit=14)
        today = now.astimezone(_zone(tz)).date()
        occupancy.day = day or (today if today in occupancy.days or not occupancy.days else occupancy.days[0])
        occupancy.slots = [CounterLine(s, s.capacity, s.sold, s.held - stale_slots.get(s.id, 0),
                                       event_inventory.left_of_slot(s, stale_slots))
                           for s in slot_service.slots_on(event.id, occupancy.day, tz)]
    elif event.admission == "seated":
        _plan_occupancy(occupancy, now)
    return occupancy


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _plan_occupancy(occupancy: EventOccupancy, now: datetime) -> None:
    from services.events import seat_plans

    plan = seat_plans.get_plan(occupancy.event.id)
    if plan is None:
        return
    states = event_inventory.plan_seat_states(occupancy.event.id, None, now)
    totals = SectionLine(None)
    for section in plan.sections:
        line = SectionLine(section)
        rows: dict[int, list[PlanCell]] = defaultdict(list)
        for seat in section.seats:
            state = "unavailable" if seat.status != "available" else states.get(seat.id, "free")
            rows[seat.row].append(PlanCell(seat, state))
            for counts in (line, totals):
                counts.total += 1
                setattr(counts, state, getattr(counts, state) + 1)
        occupancy.sections.append(line)
        occupancy.grid.append((section, [rows[r] for r in sorted(rows)]))
    occupancy.section_totals = totals
    labels = event_inventory.plan_seat_labels
    blocked = db.session.execute(
        sa.select(EventSeatClaim.seat_id, EventSeatClaim.reason, EventSeatClaim.created_at)
        .where(EventSeatClaim.event_id == occupancy.event.id, EventSeatClaim.status == "blocked")
        .order_by(EventSeatClaim.seat_id)).all()
    names = labels([seat_id for seat_id, _, _ in blocked]) if blocked else {}
    occupancy.blocks = [PlanBlock(seat_id, names.get(seat_id, str(seat_id)), reason, since)
                        for seat_id, reason, since in blocked]


# --- events: blocking plan seats --------------------------------------------------------------

def block_plan_seats(event_id: int, seat_ids, *, reason: str, actor: Actor, now: datetime | None = None) -> list[int]:
    """Block these seats of a seated event's plan, all or none. Refused with SeatsTaken naming
    the seats held, sold or blocked already. Returns the new claims' ids."""
    now = now or utcnow()
    reason = _reason(reason)
    chosen = _seat_ids(seat_ids)
    changes = Changes()

    def unit():
        event = get_event(event_id)
        if event.admission != "seated":
            raise InventoryError(str(_l("This event has no seat plan.")))
        seats = dict(db.session.execute(
            sa.select(PlanSeat.id, PlanSeat.status).join(SeatSection, SeatSection.id == PlanSeat.section_id)
            .join(SeatPlan, SeatPlan.id == SeatSection.seat_plan_id)
            .where(SeatPlan.event_id == event.id, PlanSeat.id.in_(chosen))).all())
        if set(seats) != set(chosen):
            raise InventoryError(str(_l("Some of the chosen seats are not in this event's plan.")), "seat")
        labels = event_inventory.plan_seat_labels(chosen)
        no_seat = [labels[s] for s in chosen if seats[s] != "available"]
        if no_seat:
            raise InventoryError(str(_l("%(seats)s: not a seat in the plan (marked unavailable), so never sold.",
                                        seats=", ".join(no_seat))), "seat")
        expired = db.session.scalars(sa.select(EventSeatClaim.hold_id).where(
            EventSeatClaim.seat_id.in_(chosen), EventSeatClaim.status == "held", EventSeatClaim.expires_at <= now))
        take_over_expired(expired, now, changes)
        try:
            ids = list(db.session.scalars(sa.insert(EventSeatClaim).returning(EventSeatClaim.id), [
                {"event_id": event.id, "seat_id": s, "hold_id": None, "status": "blocked", "expires_at": None,
                 "reason": reason, "created_at": now} for s in chosen]))
        except IntegrityError as exc:
            if transactions.constraint_name(exc) not in event_inventory.SEAT_CONSTRAINTS:
                raise
            db.session.rollback()
            changes.by_channel.clear()
            taken = event_inventory.plan_seats_taken(chosen, now)
            named = [labels[s] for s in taken] or [labels[s] for s in chosen]
            raise SeatsTaken(_refused_message(named), named, taken) from None
        audit.record(actor, "seats.block", "event", event.id,
                     after={"seats": [labels[s] for s in chosen], "reason": reason})
        for s in chosen:
            changes.add(f"event:{event.id}", seat=s, state="blocked", tag=None)
        transactions.commit()
        return ids

    ids = transactions.run(unit)
    changes.publish()
    return ids


def unblock_plan_seat(event_id: int, seat_id: int, *, actor: Actor) -> None:
    """Free a blocked seat of the event's plan."""
    changes = Changes()

    def unit():
        get_event(event_id)
        gone = db.session.execute(sa.delete(EventSeatClaim).where(
            EventSeatClaim.event_id == event_id, EventSeatClaim.seat_id == seat_id,
            EventSeatClaim.status == "blocked").returning(EventSeatClaim.reason)).all()
        if not gone:
            raise InventoryError(str(_l("That seat is not blocked: nothing was changed.")))
        label = event_inventory.plan_seat_labels([seat_id]).get(seat_id, str(seat_id))
        audit.record(actor, "seats.unblock", "event", event_id, before={"seat": label, "reason": gone[0][0]})
        changes.add(f"event:{event_id}", seat=seat_id, state="free", tag=None)
        transactions.commit()

    transactions.run(unit)
    changes.publish()
