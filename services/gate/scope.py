"""What a gate admits, frozen once per gate (cached per process for a few seconds), and the check
of a ticket's signed claims against it. Pure: no database, so every rejection reason has a unit
test, and static/js/gate-rules.js mirrors it line for line for offline scanning
(tests/unit/test_gate_rules_js.py holds them to the same verdicts)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.tickets.payload import TicketClaims

# Every reason a scan is refused, in the order they are checked.
REASONS = (
    "unreadable", "other_operator", "unknown_key", "bad_signature", "unknown_ticket",
    "wrong_event", "wrong_trip", "wrong_date", "wrong_station", "wrong_slot", "not_yet_open",
    "already_used", "cancelled", "refunded", "expired", "not_inside",
)


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class GateScope:
    gate_id: int
    name: str
    kind: str  # event | timed | trip
    subject_id: int  # the event or the trip
    day: date | None  # timed: the day admitted; trip: its departure day from the boarding stop
    board_seq: int | None = None
    current_slot_only: bool = False
    grace: timedelta = timedelta(0)
    opens_at: datetime | None = None  # event: the doors open
    allows_exit: bool = False
    slots: dict[int, Window] = field(default_factory=dict)  # timed: the day's entry slots
    stations: dict[int, str] = field(default_factory=dict)  # trip: the stops' names by seq
    staff_id: int = 0
    closed: bool = False


def check(claims: TicketClaims, scope: GateScope, now: datetime) -> str | None:
    """The reason `scope` refuses this ticket's claims at `now`, or None: the ticket is for here,
    now. Its status (used, cancelled) is the database's to say."""
    if scope.kind == "trip":
        if claims.kind != "seat" or claims.subject_id != scope.subject_id:
            return "wrong_date" if claims.kind == "seat" and claims.day != scope.day else "wrong_trip"
        if claims.board_seq != scope.board_seq:
            return "wrong_station"
        return None
    if claims.kind == "seat" or claims.subject_id != scope.subject_id:
        return "wrong_event"
    if scope.kind == "timed" and claims.slot_id is not None:
        if claims.day != scope.day:
            return "wrong_date"
        window = scope.slots.get(claims.slot_id)
        if scope.current_slot_only and window is not None:
            if now < window.starts_at - scope.grace:
                return "not_yet_open"
            if now > window.ends_at + scope.grace:
                return "wrong_slot"
    if scope.opens_at is not None and now < scope.opens_at:
        return "not_yet_open"
    return None
