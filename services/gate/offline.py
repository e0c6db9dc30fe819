"""What a gate console keeps so that it can go on validating without the network: the tenant's
public keys, what the gate admits, the tickets it expects (for typed numbers), those already in
(where and when) and those cancelled, refunded or expired. The browser checks signatures itself
(static/js/gate-rules.js, used by static/js/gate.js); this is its copy of the rest."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import BookingItem, Ticket
from models.gate import Gate
from models.people import StaffMember
from services import tenant_db
from services.gate.checkin import holder_of_ticket
from services.gate.counters import in_scope
from services.gate.scope import GateScope
from services.rail.trip_stops import tenant_zone
from services.tickets import keys


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def gate_json(scope: GateScope) -> dict:
    """The offline data's "gate": what static/js/gate-rules.js judges claims against (times in ms)."""
    return {"id": scope.gate_id, "name": scope.name, "kind": scope.kind, "subject_id": scope.subject_id,
            "day": scope.day.isoformat() if scope.day else None,
            "slots": {str(i): [_ms(w.starts_at), _ms(w.ends_at)] for i, w in scope.slots.items()},
            "current_slot_only": scope.current_slot_only, "grace_ms": int(scope.grace.total_seconds() * 1000),
            "board_seq": scope.board_seq, "opens_at": _ms(scope.opens_at), "allows_exit": scope.allows_exit,
            "stations": {str(seq): name for seq, name in scope.stations.items()}}


def data(scope: GateScope) -> dict:
    zone = tenant_zone()
    item = sa.orm.aliased(BookingItem)  # its own join: in_scope() may join booking_items too
    rows = db.session.execute(in_scope(scope, sa.select(
        Ticket.id, Ticket.number, Ticket.status, holder_of_ticket(), Ticket.used_at, Ticket.exited_at,
        item.refund_amount, item.label, item.time_slot_id, Gate.name, StaffMember.name)
        .select_from(Ticket).join(item, item.id == Ticket.booking_item_id)
        .outerjoin(Gate, Gate.id == Ticket.used_gate_id).outerjoin(StaffMember, StaffMember.id == Gate.staff_id))).all()
    expected, used, revoked = [], {}, {}
    for ticket_id, number, status, holder, used_at, exited_at, refunded, label, slot_id, gate, staff in rows:
        if status in ("valid", "used"):
            expected.append({"id": ticket_id, "number": number, "label": label or "", "holder": holder or "",
                             "slot": slot_id})
        if status == "used" and exited_at is None:
            used[str(ticket_id)] = {"gate": gate or "", "at": used_at.astimezone(zone).strftime("%H:%M"),
                                    "by": staff or ""}
        elif status == "cancelled":
            revoked[str(ticket_id)] = "refunded" if refunded else "cancelled"
        elif status == "expired":
            revoked[str(ticket_id)] = "expired"
    return {
        "tenant_id": tenant_db.require_tenant().id,
        "zone": zone.key,
        "keys": [{"kid": int(k["kid"]), "x": k["x"]} for k in keys.jwks()["keys"]],
        "gate": gate_json(scope),
        "revoked": revoked, "used": used, "expected": expected, "generated_at": _ms(utcnow()),
    }
