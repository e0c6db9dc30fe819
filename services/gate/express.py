"""The scan's express lane on PostgreSQL: the common scan — a QR code signed for this gate, at the
entrance — in one statement that is its own transaction: the conditional UPDATE that checks the
ticket in and the INSERT of its scan row, together (a data-modifying CTE). When the UPDATE admits
nobody, a second statement reads why afresh (the first one's snapshot may predate the scan that
won) and records the refusal with it. Both run on a tenant's autocommit pool, compiled once.

Anything else — an unreadable, forged or wrong ticket, a typed number, an exit, SQLite, a closed
gate — answers None: the caller takes the full path (services/gate/checkin.scan), which handles
every case and records it. The two lanes share the check (scope.check), the UPDATE's condition and
the refusal's reasons (checkin.ENTRY_OPEN, checkin.refusal_facts); this module only joins them.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models.base import UTCDateTime, utcnow
from services import tenant_db
from services.gate import checkin
from services.gate.checkin import ENTRY_OPEN, SCANS, TICKETS, Outcome, first_scan, holder_of_ticket, refusal_facts
from services.gate.gates import scope_of
from services.gate.scope import check
from services.tickets import keys, payload
from services.tickets.payload import InvalidTicket

SCAN_COLUMNS = ("gate_id", "device_id", "staff_id", "ticket_id", "direction", "result", "reason", "scanned_at",
                "recorded_at", "offline", "code")


VARIABLES = {"ticket": sa.BigInteger(), "now": UTCDateTime(), "gate": sa.Integer(), "device": sa.String(),
             "staff": sa.Integer(), "code": sa.String()}


def _var(name: str):
    # Typed, so that PostgreSQL casts it even in a SELECT list; a placeholder value lets the statement
    # compile with its IN lists expanded (the real values come with each scan).
    return sa.bindparam(name, value=None, type_=VARIABLES[name])


def _scan_row(result, reason):
    """The scan row's values, as a SELECT list over the CTE that decides whether there is one."""
    return (_var("gate"), _var("device"), _var("staff"), _var("ticket"), sa.literal("entry"), result, reason,
            _var("now"), _var("now"), sa.false(), _var("code"))


@lru_cache(maxsize=1)
def _statements() -> tuple[tuple[str, dict], tuple[str, dict]]:
    """The admit and refuse statements, each (SQL, its constant parameters), compiled for psycopg
    once per process."""
    admitted = (sa.update(TICKETS).where(TICKETS.c.id == _var("ticket"), ENTRY_OPEN)
                .values(status="used", used_at=_var("now"), used_gate_id=_var("gate"), exited_at=None)
                .returning(TICKETS.c.number, holder_of_ticket().label("holder")).cte("admitted"))
    admit_recorded = (sa.insert(SCANS).from_select(SCAN_COLUMNS, sa.select(
        *_scan_row(sa.literal("admitted"), sa.null())).select_from(admitted)).returning(SCANS.c.id)
        .cte("recorded"))
    admit = sa.select(admitted.c.number, admitted.c.holder, admit_recorded.c.id).select_from(
        admitted.join(admit_recorded, sa.true()))

    found = refusal_facts(_var("ticket")).cte("found")
    refuse_recorded = (sa.insert(SCANS).from_select(SCAN_COLUMNS, sa.select(
        *_scan_row(sa.literal("rejected"), found.c.reason)).select_from(found)).returning(SCANS.c.id)
        .cte("recorded"))
    refuse = sa.select(found.c.reason, found.c.number, found.c.holder, found.c.used_at, found.c.gate,
                       found.c.staff, refuse_recorded.c.id).select_from(found.join(refuse_recorded, sa.true()))

    dialect = postgresql.psycopg.dialect()
    compiled = []
    for statement in (admit, refuse):
        done = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        constants = {k: v for k, v in done.params.items() if k not in VARIABLES}
        compiled.append((str(done), constants))
    return compiled[0], compiled[1]


def scan(gate_id: int, code: str, *, device: str, now: datetime | None = None) -> Outcome | None:
    """The outcome of an entry scan of a signed code, or None for the full path to take it (the
    tenant bound, on PostgreSQL)."""
    info = tenant_db.require_tenant()
    if info.database_url.get_backend_name() != "postgresql" or not code.startswith(payload.PREFIX):
        return None
    scope = scope_of(gate_id)
    if scope is None or scope.closed:
        return None
    now = now or utcnow()
    try:
        claims = payload.verify(code, keys.cached_public_keys(), info.id)
    except InvalidTicket:
        return None
    if check(claims, scope, now) is not None:
        return None
    (admit, admit_constants), (refuse, refuse_constants) = _statements()
    values = {"ticket": claims.ticket_id, "now": now, "gate": gate_id, "device": device[:36],
              "staff": scope.staff_id, "code": code[:checkin.CODE_MAX]}
    with tenant_db.autocommit_pool(info).connection() as connection:
        row = connection.execute(admit, {**admit_constants, **values}).fetchone()
        if row is not None:
            number, holder, scan_id = row
            return Outcome("admitted", None, claims.ticket_id, number, claims, holder=holder, scan_id=scan_id)
        row = connection.execute(refuse, {**refuse_constants, **values}).fetchone()
    if row is None:
        return None  # no such ticket: the full path records it
    reason, number, holder, used_at, gate, staff, scan_id = row
    first = first_scan(gate, used_at, staff) if reason == "already_used" else None
    return Outcome("rejected", reason, claims.ticket_id, number, claims, holder=holder, first=first, scan_id=scan_id)
