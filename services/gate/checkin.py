"""One scan at a gate: read and verify the ticket, check it against the gate's scope, then the
check-in itself — one conditional UPDATE of the ticket (valid -> used, or back in after an exit)
and the scan's row, in one transaction. Two gates scanning one ticket at once: the row lock makes
the second UPDATE wait for the first and then find it used, so exactly one is admitted and the
other is told where and when. Every scan is recorded, refused ones too.

Offline scans arrive later in batches (`sync`): each is recorded once (device, client id), the
device's verdict is kept as what happened at the gate, and the server's own verdict is written as
the conflict when they differ. The first admission wins: a ticket admitted at two gates offline is
checked in at the earlier scan, and the later one is the conflict the admin report shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingItem, Ticket
from models.gate import Gate, Scan
from models.people import StaffMember
from services import tenant_db, transactions
from services.gate.gates import scope_of
from services.gate.scope import GateScope, check
from services.tickets import keys, payload
from services.tickets.payload import InvalidTicket, TicketClaims

CODE_MAX = 200
SYNC_MAX = 500  # scans in one sync request
# The hot path speaks to the tables (Core), not the ORM: no unit of work, no identity map.
TICKETS, SCANS = Ticket.__table__, Scan.__table__
ENTRY_OPEN = sa.or_(TICKETS.c.status == "valid",
                    sa.and_(TICKETS.c.status == "used", TICKETS.c.exited_at.is_not(None)))


class GateClosed(Exception):
    """The gate does not exist or was closed: its console must be opened again."""


@dataclass(frozen=True)
class FirstScan:
    """Where and when a used ticket went in: 'already used at North gate, 07:02, by Karim'."""

    gate: str
    at: datetime
    by: str


@dataclass
class Outcome:
    result: str  # admitted | rejected | exited
    reason: str | None = None
    ticket_id: int | None = None
    number: str | None = None
    claims: TicketClaims | None = None
    holder: str | None = None
    first: FirstScan | None = None
    scan_id: int | None = None
    conflict: bool = False  # an offline admission the server disagrees with
    client_id: str | None = None
    facts: dict = field(default_factory=dict)  # for the message: the station, the day, the slot


@dataclass(frozen=True)
class OfflineScan:
    client_id: str
    code: str
    direction: str
    scanned_at: datetime
    result: str  # what the device showed: admitted | rejected | exited
    reason: str | None


def open_scope(gate_id: int) -> GateScope:
    """The gate's scope, or GateClosed: it does not exist, or was closed."""
    scope = scope_of(gate_id)
    if scope is None or scope.closed:
        raise GateClosed(gate_id)
    return scope


def _read(code: str) -> tuple[TicketClaims | None, int | None, str | None, str | None]:
    """(claims, ticket id, ticket number, reason): a signed payload verified with the tenant's keys,
    or a typed ticket number looked up (its stored payload is ours)."""
    code = (code or "").strip()
    if code.upper().startswith(payload.PREFIX):
        try:
            claims = payload.verify(code, keys.cached_public_keys(), tenant_db.require_tenant().id)
        except InvalidTicket as exc:
            return None, None, None, exc.reason
        return claims, claims.ticket_id, None, None
    row = db.session.execute(sa.select(Ticket.id, Ticket.qr_payload).where(Ticket.number == code.upper()[:32])).first()
    if row is None or not row.qr_payload:
        return None, None, None, "unknown_ticket"
    return payload.read(row.qr_payload)[0], row.id, code.upper(), None


def _facts(claims: TicketClaims | None, scope: GateScope, reason: str | None) -> dict:
    if claims is None or reason is None:
        return {}
    if reason == "wrong_station":
        return {"station": scope.stations.get(claims.board_seq, "")}
    if reason == "wrong_date":
        return {"day": claims.day}
    if reason in ("wrong_slot", "not_yet_open"):
        window = scope.slots.get(claims.slot_id or 0)
        if window is not None:
            return {"starts_at": window.starts_at, "ends_at": window.ends_at}
        if scope.opens_at is not None:
            return {"starts_at": scope.opens_at}
    return {}


def _record(scope: GateScope, device: str, ticket_id: int | None, direction: str, result: str, reason: str | None,
            scanned_at: datetime, code: str, *, offline: bool = False, client_id: str | None = None) -> int:
    return db.session.execute(sa.insert(SCANS).values(
        gate_id=scope.gate_id, device_id=device[:36], staff_id=scope.staff_id, ticket_id=ticket_id,
        direction=direction, result=result, reason=reason, scanned_at=scanned_at, recorded_at=utcnow(),
        offline=offline, client_id=client_id, code=(code or "")[:CODE_MAX]).returning(SCANS.c.id)).scalar_one()


def holder_of_ticket():
    """The ticket's holder: the passenger on a rail ticket, else the booking's contact."""
    bookings = Booking.__table__
    contact = (sa.select(bookings.c.contact_name).where(bookings.c.id == TICKETS.c.booking_id)
               .correlate_except(bookings).scalar_subquery())
    return sa.func.coalesce(TICKETS.c.holder, contact)


def _admit(ticket_id: int, scope: GateScope, at: datetime):
    """The check-in: one conditional UPDATE. The row (number, holder) when this scan admitted it."""
    return db.session.execute(
        sa.update(TICKETS).where(TICKETS.c.id == ticket_id, ENTRY_OPEN)
        .values(status="used", used_at=at, used_gate_id=scope.gate_id, exited_at=None)
        .returning(TICKETS.c.number, holder_of_ticket())).first()


def _let_out(ticket_id: int, at: datetime):
    return db.session.execute(
        sa.update(TICKETS).where(TICKETS.c.id == ticket_id, TICKETS.c.status == "used", TICKETS.c.exited_at.is_(None))
        .values(exited_at=at).returning(TICKETS.c.number, holder_of_ticket())).first()


def refusal_reason(ticket, item):
    """Why an entry scan that the conditional UPDATE did not admit is refused, from the ticket's row
    as it is now (SQL, so that the express lane says it in the same statement that records it)."""
    return sa.case(
        (sa.and_(ticket.c.status == "used", ticket.c.exited_at.is_(None)), "already_used"),
        (sa.and_(ticket.c.status == "cancelled", item.c.refund_amount > 0), "refunded"),
        (ticket.c.status.in_(("cancelled", "expired")), ticket.c.status),
        else_="not_inside")


def refusal_facts(ticket_id):
    """(reason, number, holder, used at, first gate, its staff) of a ticket, read afresh."""
    items, gates, staff = BookingItem.__table__, Gate.__table__, StaffMember.__table__
    return (sa.select(refusal_reason(TICKETS, items).label("reason"), TICKETS.c.number,
                      holder_of_ticket().label("holder"), TICKETS.c.used_at, gates.c.name.label("gate"),
                      staff.c.name.label("staff"))
            .select_from(TICKETS.join(items, items.c.id == TICKETS.c.booking_item_id)
                         .outerjoin(gates, gates.c.id == TICKETS.c.used_gate_id)
                         .outerjoin(staff, staff.c.id == gates.c.staff_id))
            .where(TICKETS.c.id == ticket_id))


def first_scan(gate: str | None, at: datetime | None, by: str | None) -> FirstScan | None:
    return FirstScan(gate or "", at, by or "") if at is not None else None


def _why_not(ticket_id: int) -> tuple[str, str | None, str | None, FirstScan | None, datetime | None]:
    """(reason, number, holder, first scan, used at) for a ticket the UPDATE did not admit."""
    row = db.session.execute(refusal_facts(ticket_id)).first()
    if row is None:
        return "unknown_ticket", None, None, None, None
    first = first_scan(row.gate, row.used_at, row.staff) if row.reason == "already_used" else None
    return row.reason, row.number, row.holder, first, row.used_at


def scan(gate_id: int, code: str, *, device: str, direction: str = "entry", now: datetime | None = None) -> Outcome:
    """Scan `code` (a QR payload or a typed ticket number) at the gate, now. GateClosed if the
    gate is not open."""
    now = now or utcnow()
    scope = open_scope(gate_id)
    direction = direction if scope.allows_exit and direction == "exit" else "entry"
    claims, ticket_id, number, reason = _read(code)
    if reason is None:
        reason = check(claims, scope, now) if direction == "entry" else None

    def unit() -> Outcome:
        outcome = Outcome("rejected", reason, ticket_id, number, claims, facts=_facts(claims, scope, reason))
        if reason is None:
            row = _admit(ticket_id, scope, now) if direction == "entry" else _let_out(ticket_id, now)
            if row is not None:
                outcome.result = "admitted" if direction == "entry" else "exited"
                outcome.number, outcome.holder = row
            else:
                outcome.reason, outcome.number, outcome.holder, outcome.first, _ = _why_not(ticket_id)
        outcome.scan_id = _record(scope, device, ticket_id, direction, outcome.result, outcome.reason, now, code)
        transactions.commit()
        return outcome

    return transactions.run(unit)


def sync(gate_id: int, device: str, scans: list[OfflineScan]) -> list[Outcome]:
    """Record scans a device made offline, each once, in the order they were made."""
    scope = open_scope(gate_id)
    return [_sync_one(scope, device, item) for item in sorted(scans[:SYNC_MAX], key=lambda s: s.scanned_at)]


def _sync_one(scope: GateScope, device: str, item: OfflineScan) -> Outcome:
    direction = item.direction if scope.allows_exit and item.direction == "exit" else "entry"
    claims, ticket_id, number, reason = _read(item.code)
    if reason is None and direction == "entry":
        reason = check(claims, scope, item.scanned_at)

    def unit() -> Outcome:
        inserted = db.session.execute(
            transactions.insert_or_skip(Scan, "device_id", "client_id", where=Scan.client_id.is_not(None)).values(
                gate_id=scope.gate_id, device_id=device[:36], staff_id=scope.staff_id, ticket_id=ticket_id,
                direction=direction, result="rejected", reason=reason or item.reason or "unreadable",
                scanned_at=item.scanned_at, recorded_at=utcnow(), offline=True, client_id=item.client_id[:36],
                code=(item.code or "")[:CODE_MAX]).returning(Scan.id)).scalar()
        if inserted is None:  # a replayed sync: tell what was recorded the first time
            db.session.rollback()
            return _recorded(device, item.client_id)
        outcome = Outcome(item.result, reason, ticket_id, number, claims, client_id=item.client_id, scan_id=inserted)
        if item.result == "admitted" and ticket_id is not None and reason is None:
            outcome.reason, outcome.first = _admit_offline(ticket_id, scope, item.scanned_at)
        elif item.result == "exited" and ticket_id is not None:
            outcome.result = "exited" if _let_out(ticket_id, item.scanned_at) is not None else "rejected"
            outcome.reason = None if outcome.result == "exited" else "not_inside"
        elif item.result == "rejected":
            outcome.reason = reason or item.reason or "unreadable"
        outcome.conflict = outcome.result == "admitted" and outcome.reason is not None
        db.session.execute(sa.update(Scan).where(Scan.id == inserted).values(result=outcome.result,
                                                                            reason=outcome.reason))
        transactions.commit()
        return outcome

    return transactions.run(unit)


def _admit_offline(ticket_id: int, scope: GateScope, at: datetime) -> tuple[str | None, FirstScan | None]:
    """Check a ticket in at an offline scan's time; the conflict's reason (and the admission that
    came first) if it was not ours to admit. The earlier admission wins: if the ticket went in
    later elsewhere, this scan becomes its check-in and that later admission the conflict."""
    if _admit(ticket_id, scope, at) is not None:
        return None, None
    reason, _, _, first, used_at = _why_not(ticket_id)
    if reason == "already_used" and used_at is not None and at < used_at:
        db.session.execute(sa.update(Ticket).where(Ticket.id == ticket_id, Ticket.used_at == used_at)
                           .values(used_at=at, used_gate_id=scope.gate_id),
                           execution_options={"synchronize_session": False})
        db.session.execute(sa.update(Scan).where(Scan.ticket_id == ticket_id, Scan.result == "admitted",
                                                 Scan.direction == "entry", Scan.reason.is_(None),
                                                 Scan.scanned_at == used_at).values(reason="already_used"))
        return None, None
    return reason, first


def _recorded(device: str, client_id: str) -> Outcome:
    row = db.session.execute(sa.select(Scan).where(Scan.device_id == device[:36],
                                                   Scan.client_id == client_id[:36])).scalar_one()
    number = db.session.scalar(sa.select(Ticket.number).where(Ticket.id == row.ticket_id)) if row.ticket_id else None
    outcome = Outcome(row.result, row.reason, row.ticket_id, number, client_id=client_id, scan_id=row.id,
                      conflict=row.result == "admitted" and row.reason is not None)
    db.session.rollback()
    return outcome
