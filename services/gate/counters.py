"""How a gate is doing: admitted, expected, exits and refusals by reason, per gate and for
everything its scope admits; every gate open today for the admin; and the conflicts of offline
scans (a ticket admitted twice, or admitted offline though the server knew better)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from models import db
from models.bookings import Booking, BookingItem, Ticket
from models.gate import CONFLICT, Gate, Scan
from models.people import StaffMember
from services.gate.scope import GateScope

HELD = ("valid", "used")  # tickets a gate expects to see


@dataclass
class GateCounts:
    gate_id: int
    admitted: int = 0
    exited: int = 0
    rejected: Counter = field(default_factory=Counter)
    last_scan_at: datetime | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass
class ScopeCounts:
    expected: int  # tickets for what the gate admits, not cancelled
    admitted: int  # of them, checked in (at any gate)
    gate: GateCounts


def in_scope(scope: GateScope, query):
    """`query` (over tickets) narrowed to the tickets the scope admits."""
    query = query.join(Booking, Booking.id == Ticket.booking_id)
    if scope.kind == "trip":
        return query.where(Booking.trip_id == scope.subject_id, Booking.board_seq == scope.board_seq)
    query = query.where(Booking.event_id == scope.subject_id)
    if scope.kind == "timed" and scope.slots:
        query = query.join(BookingItem, BookingItem.id == Ticket.booking_item_id).where(
            BookingItem.time_slot_id.in_(list(scope.slots)))
    return query


def per_gate(gate_ids: list[int]) -> dict[int, GateCounts]:
    counts = {gate_id: GateCounts(gate_id) for gate_id in gate_ids}
    rows = db.session.execute(sa.select(Scan.gate_id, Scan.result, Scan.reason, sa.func.count(),
                                        sa.func.max(Scan.scanned_at))
                              .where(Scan.gate_id.in_(gate_ids)).group_by(Scan.gate_id, Scan.result, Scan.reason))
    for gate_id, result, reason, count, last in rows:
        gate = counts[gate_id]
        if result == "admitted":
            gate.admitted += count
        elif result == "exited":
            gate.exited += count
        else:
            gate.rejected[reason] += count
        gate.last_scan_at = max(filter(None, (gate.last_scan_at, last)), default=None)
    return counts


def of_scope(scope: GateScope) -> ScopeCounts:
    expected, admitted = db.session.execute(in_scope(scope, sa.select(
        sa.func.count(), sa.func.count().filter(Ticket.status == "used")).select_from(Ticket))
        .where(Ticket.status.in_(HELD))).one()
    return ScopeCounts(expected, admitted, per_gate([scope.gate_id])[scope.gate_id])


@dataclass(frozen=True)
class GateRow:
    gate: Gate
    staff: str
    counts: GateCounts


def overview(since: datetime) -> list[GateRow]:
    """Every gate opened since `since` (open ones first), with its counts."""
    rows = db.session.execute(sa.select(Gate, StaffMember.name).join(StaffMember, StaffMember.id == Gate.staff_id)
                              .where(Gate.opened_at >= since)
                              .order_by(Gate.closed_at.is_not(None), Gate.opened_at.desc())).all()
    counts = per_gate([gate.id for gate, _ in rows])
    return [GateRow(gate, staff, counts[gate.id]) for gate, staff in rows]


@dataclass(frozen=True)
class Conflict:
    ticket: str
    reason: str
    first_gate: str | None  # where the ticket is checked in (the first admission)
    first_at: datetime | None
    second_gate: str
    second_by: str
    second_at: datetime
    recorded_at: datetime  # when the offline scan reached the server


def conflict_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Scan).where(sa.text(CONFLICT)))


def conflicts(limit: int = 200) -> list[Conflict]:
    """Offline admissions the server disagrees with, newest first."""
    second_gate, first_gate = sa.orm.aliased(Gate), sa.orm.aliased(Gate)
    rows = db.session.execute(
        sa.select(Ticket.number, Scan.reason, first_gate.name, Ticket.used_at, second_gate.name, StaffMember.name,
                  Scan.scanned_at, Scan.recorded_at)
        .join(Ticket, Ticket.id == Scan.ticket_id).join(second_gate, second_gate.id == Scan.gate_id)
        .join(StaffMember, StaffMember.id == Scan.staff_id).outerjoin(first_gate, first_gate.id == Ticket.used_gate_id)
        .where(sa.text(CONFLICT))  # the partial index ix_scans_conflicts
        .order_by(Scan.recorded_at.desc()).limit(limit)).all()
    return [Conflict(*row) for row in rows]
