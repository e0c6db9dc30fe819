"""Opening a gate (its name and what it admits), closing it, and the gate's scope as scans need it.

A scope is frozen from the database once and kept per process for SCOPE_TTL seconds, so a scan
costs no lookup of its gate; closing a gate reaches every process within that time."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.base import utcnow
from models.events import Event, TimeSlot
from models.gate import Gate
from models.people import StaffMember
from models.rail import Station, Train, Trip, TripStop
from services import audit, tenant_db, transactions
from services.errors import ServiceError
from services.gate.scope import GateScope, Window
from services.rail.trip_stops import tenant_zone

SCOPE_TTL = 10
DOORS_OPEN = timedelta(hours=1)  # an event's gate admits from an hour before it starts
_scopes: dict[tuple[str, int], tuple[float, GateScope]] = {}


class GateError(ServiceError):
    """A gate that cannot be opened as asked (the message says why), or is closed."""


@dataclass(frozen=True)
class GateSetup:
    name: str
    kind: str  # event | timed | trip
    event_id: int | None = None
    day: date | None = None
    current_slot_only: bool = False
    grace_minutes: int = 15
    trip_id: int | None = None
    board_seq: int | None = None
    allows_exit: bool = False


def open_gate(setup: GateSetup, staff: StaffMember, actor) -> Gate:
    """A new gate for this staff member, admitting what `setup` says (each scan names its device)."""
    def unit():
        if setup.kind == "trip":
            stop = db.session.get(TripStop, (setup.trip_id or 0, setup.board_seq if setup.board_seq is not None
                                             else -1))
            if stop is None or stop.departs_at is None:
                raise GateError(_l("Choose a trip and a station where it takes passengers on."), "board_seq")
        elif db.session.get(Event, setup.event_id or 0) is None:
            raise GateError(_l("Choose an event."), "event_id")
        if setup.kind == "timed" and setup.day is None:
            raise GateError(_l("Choose the day this gate admits."), "day")
        gate = Gate(name=setup.name.strip(), staff_id=staff.id, kind=setup.kind,
                    event_id=setup.event_id if setup.kind != "trip" else None,
                    day=setup.day if setup.kind == "timed" else None,
                    current_slot_only=setup.kind == "timed" and setup.current_slot_only,
                    grace_minutes=setup.grace_minutes, trip_id=setup.trip_id if setup.kind == "trip" else None,
                    board_seq=setup.board_seq if setup.kind == "trip" else None, allows_exit=setup.allows_exit)
        db.session.add(gate)
        db.session.flush()
        audit.record(actor, "gate.open", "gate", gate.id, after={"name": gate.name, "kind": gate.kind})
        transactions.commit()
        return gate

    return transactions.run(unit)


def close_gate(gate_id: int, actor) -> None:
    def unit():
        gate = db.session.get(Gate, gate_id)
        if gate is not None and gate.closed_at is None:
            gate.closed_at = utcnow()
            audit.record(actor, "gate.close", "gate", gate.id, after={"name": gate.name})
        transactions.commit()

    transactions.run(unit)
    _scopes.pop((tenant_db.require_tenant().slug, gate_id), None)


def scope_of(gate_id: int) -> GateScope | None:
    """The gate's scope (None: no such gate), cached for SCOPE_TTL seconds."""
    key = (tenant_db.require_tenant().slug, gate_id)
    found = _scopes.get(key)
    if found is None or found[0] < time.monotonic():
        gate = db.session.get(Gate, gate_id)
        found = (time.monotonic() + SCOPE_TTL, build_scope(gate) if gate is not None else None)
        _scopes[key] = found
    return found[1]


def build_scope(gate: Gate) -> GateScope:
    common = dict(gate_id=gate.id, name=gate.name, kind=gate.kind, grace=timedelta(minutes=gate.grace_minutes),
                  allows_exit=gate.allows_exit, staff_id=gate.staff_id, closed=gate.closed_at is not None,
                  current_slot_only=gate.current_slot_only)
    if gate.kind == "trip":
        stops = db.session.execute(sa.select(TripStop.seq, TripStop.departs_at, Station.name_en).join(
            Station, Station.id == TripStop.station_id).where(TripStop.trip_id == gate.trip_id)).all()
        departs = next((d for seq, d, _ in stops if seq == gate.board_seq), None)
        day = departs.astimezone(tenant_zone()).date() if departs else None
        return GateScope(subject_id=gate.trip_id, day=day, board_seq=gate.board_seq,
                         stations={seq: name for seq, _, name in stops}, **common)
    event = db.session.get(Event, gate.event_id)
    slots = {}
    if gate.kind == "timed":
        zone = tenant_zone()
        start = datetime.combine(gate.day, datetime.min.time(), tzinfo=zone)
        rows = db.session.execute(sa.select(TimeSlot.id, TimeSlot.starts_at, TimeSlot.ends_at).where(
            TimeSlot.event_id == gate.event_id, TimeSlot.starts_at >= start,
            TimeSlot.starts_at < start + timedelta(days=1)))
        slots = {slot_id: Window(starts, ends) for slot_id, starts, ends in rows}
    opens_at = event.starts_at - DOORS_OPEN if gate.kind == "event" and event is not None else None
    return GateScope(subject_id=gate.event_id, day=gate.day, opens_at=opens_at, slots=slots, **common)


def subject_title(gate: Gate) -> str:
    """What the gate admits, in a few words: 'Zoo entry, 6 Dec' or '701 Subarna Express from Dhaka'."""
    if gate.kind == "trip":
        row = db.session.execute(sa.select(Train.number, Train.name, Station.name_en).select_from(Trip).join(
            Train, Train.id == Trip.train_id).join(TripStop, sa.and_(TripStop.trip_id == Trip.id,
                                                                     TripStop.seq == gate.board_seq))
            .join(Station, Station.id == TripStop.station_id).where(Trip.id == gate.trip_id)).first()
        return f"{row[0]} {row[1]} · {row[2]}" if row else ""
    event = db.session.get(Event, gate.event_id)
    return event.title if event else ""


def my_open_gates(staff_id: int, since: datetime) -> list[Gate]:
    return list(db.session.scalars(sa.select(Gate).where(Gate.staff_id == staff_id, Gate.closed_at.is_(None),
                                                         Gate.opened_at >= since).order_by(Gate.id.desc())))


@dataclass(frozen=True)
class Choices:
    events: list[tuple[int, str]]  # (event id, title)
    boardings: list[tuple[str, str]]  # ("trip:seq", "701 Subarna Express · Dhaka 07:00, 6 Dec")


def choices(now: datetime, kind: str, fmt) -> Choices:
    """What a gate can be opened for now: events not over, or trips leaving a station from six
    hours ago to thirty hours ahead (`fmt` writes a departure's local time)."""
    if kind == "rail":
        rows = db.session.execute(
            sa.select(TripStop.trip_id, TripStop.seq, TripStop.departs_at, Train.number, Train.name, Station.name_en)
            .join(Trip, Trip.id == TripStop.trip_id).join(Train, Train.id == Trip.train_id)
            .join(Station, Station.id == TripStop.station_id)
            .where(TripStop.departs_at.between(now - timedelta(hours=6), now + timedelta(hours=30)),
                   Trip.status != "cancelled")
            .order_by(TripStop.departs_at, Train.number)).all()
        return Choices([], [(f"{trip}:{seq}", f"{number} {name} · {station} {fmt(departs)}")
                            for trip, seq, departs, number, name, station in rows])
    rows = db.session.execute(sa.select(Event.id, Event.title).where(
        Event.status.in_(("published", "sold_out")), Event.ends_at >= now - timedelta(days=1))
        .order_by(Event.starts_at, Event.title)).all()
    return Choices([(event_id, title) for event_id, title in rows], [])
