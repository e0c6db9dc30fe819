"""The gate: a gate as a staff member opened it (its name, what it admits), and every scan
made there, admitted or not. A ticket's check-in is its row in `tickets` turning valid -> used in
the same transaction as its scan row (services/gate/checkin.py).

  gate kinds: event (an event, whole) | timed (an event's day, optionally only the current slot) |
              trip (a train trip, boarding at one station)
  scan results: admitted | rejected | exited (an exit scan, where the venue allows re-entry)
"""
from __future__ import annotations

import sqlalchemy as sa

from models.base import TenantModel, UTCDateTime, utcnow
from models.bookings import BIGID

GATE_KINDS = ("event", "timed", "trip")
DIRECTIONS = ("entry", "exit")
SCAN_RESULTS = ("admitted", "rejected", "exited")
CONFLICT = "result = 'admitted' AND reason IS NOT NULL"  # an offline admission the server disagrees with


class Gate(TenantModel):
    __tablename__ = "gates"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(60), nullable=False)  # "North gate", "Platform 3"
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id", ondelete="RESTRICT"), nullable=False)
    kind = sa.Column(sa.String(8), nullable=False)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"))
    day = sa.Column(sa.Date)  # timed entry: the day it admits
    current_slot_only = sa.Column(sa.Boolean, nullable=False, default=False)
    grace_minutes = sa.Column(sa.Integer, nullable=False, default=15)
    trip_id = sa.Column(sa.Integer, sa.ForeignKey("trips.id", ondelete="CASCADE"))
    board_seq = sa.Column(sa.Integer)  # trip: the boarding stop it admits at
    allows_exit = sa.Column(sa.Boolean, nullable=False, default=False)  # exit scans, and re-entry after them
    opened_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    closed_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {GATE_KINDS}", name="kind_known"),
        sa.CheckConstraint("kind = 'trip' OR (event_id IS NOT NULL AND trip_id IS NULL)", name="event_named"),
        sa.CheckConstraint("kind <> 'trip' OR (trip_id IS NOT NULL AND board_seq IS NOT NULL AND event_id IS NULL)",
                           name="trip_named"),
        sa.CheckConstraint("kind <> 'timed' OR day IS NOT NULL", name="timed_has_day"),
        sa.CheckConstraint("grace_minutes BETWEEN 0 AND 240", name="grace_range"),
        sa.Index("ix_gates_opened", "opened_at"),
    )


class Scan(TenantModel):
    __tablename__ = "scans"

    id = sa.Column(BIGID, primary_key=True)
    gate_id = sa.Column(sa.Integer, sa.ForeignKey("gates.id", ondelete="CASCADE"), nullable=False)
    device_id = sa.Column(sa.String(36), nullable=False)
    staff_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id", ondelete="RESTRICT"), nullable=False)
    ticket_id = sa.Column(BIGID, sa.ForeignKey("tickets.id", ondelete="CASCADE"))  # none: unreadable or forged
    direction = sa.Column(sa.String(5), nullable=False, default="entry")
    result = sa.Column(sa.String(8), nullable=False)
    reason = sa.Column(sa.String(20))  # why it was refused; on an admitted offline scan, the conflict
    scanned_at = sa.Column(UTCDateTime(), nullable=False)  # the device's clock (offline scans sync later)
    recorded_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    offline = sa.Column(sa.Boolean, nullable=False, default=False)
    client_id = sa.Column(sa.String(36))  # the device's id for an offline scan: a replayed sync records once
    code = sa.Column(sa.String(200), nullable=False, default="")  # what was scanned or typed, cut

    __table_args__ = (
        sa.CheckConstraint(f"direction IN {DIRECTIONS}", name="direction_known"),
        sa.CheckConstraint(f"result IN {SCAN_RESULTS}", name="result_known"),
        sa.CheckConstraint("result <> 'rejected' OR reason IS NOT NULL", name="rejection_has_reason"),
        # Partial indexes: an online scan (no client id, no conflict) adds no entry to them, so the
        # hot path maintains three indexes, not five.
        sa.Index("uq_scans_device_client", "device_id", "client_id", unique=True,
                 postgresql_where=sa.text("client_id IS NOT NULL"), sqlite_where=sa.text("client_id IS NOT NULL")),
        sa.Index("ix_scans_gate_result", "gate_id", "result", "reason"),
        sa.Index("ix_scans_ticket", "ticket_id"),
        sa.Index("ix_scans_conflicts", "recorded_at", postgresql_where=sa.text(CONFLICT),
                 sqlite_where=sa.text(CONFLICT)),
    )
