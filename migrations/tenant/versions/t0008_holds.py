"""holds: the cart that owns seat claims, plan-seat claims and quantities; SQLite refuses overlaps

`holds` owns what a customer (or a guest's browser session) keeps for a few minutes: rail seat
claims (`seat_claims.hold_id`), plan seats of a seated event (`event_seat_claims`, one claim per
seat) and quantities (`hold_items`, counted in the ticket types' and slots' `held` counters).
Claims gain `blocked` (kept back by staff, with a reason, never expiring).

On SQLite the trigger `tg_seat_claims_no_overlap` refuses a claim overlapping another claim of the
same seat on the same trip, as the exclusion constraint does on PostgreSQL. SQLite rebuilds
`seat_claims` here, so the trip-stop triggers (whose bodies read it) are dropped and made again.

Revision ID: t0008_holds
Revises: t0007_trip_stops
Create Date: 2026-12-02 01:30:00
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa

import models.base


revision = 't0008_holds'
down_revision = 't0007_trip_stops'
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OVERLAP = "ex_seat_claims_no_overlap: this seat is already held or sold on an overlapping stretch"


def _t0007():
    path = Path(__file__).with_name("t0007_trip_stops.py")
    spec = importlib.util.spec_from_file_location("t0007_trip_stops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    op.create_table(
        "holds",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("tag", sa.String(length=12), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("guest_key", sa.String(length=64), nullable=True),
        sa.Column("trip_id", sa.Integer(), nullable=True),
        sa.Column("board_seq", sa.Integer(), nullable=True),
        sa.Column("alight_seq", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'released', 'expired', 'checked_out')",
                           name=op.f("ck_holds_status_known")),
        sa.CheckConstraint("(trip_id IS NULL) <> (event_id IS NULL)", name=op.f("ck_holds_trip_or_event")),
        sa.CheckConstraint("customer_id IS NOT NULL OR guest_key IS NOT NULL", name=op.f("ck_holds_has_owner")),
        sa.CheckConstraint("trip_id IS NULL OR (board_seq IS NOT NULL AND board_seq < alight_seq)",
                           name=op.f("ck_holds_rail_stretch")),
        sa.CheckConstraint("extensions >= 0", name=op.f("ck_holds_extensions_not_negative")),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], name=op.f("fk_holds_customer_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_holds_event_id_events")),
        sa.ForeignKeyConstraint(["trip_id"], ["trips.id"], name=op.f("fk_holds_trip_id_trips")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        sa.UniqueConstraint("token", name=op.f("uq_holds_token")),
    )
    op.create_index("ix_holds_status_expires_at", "holds", ["status", "expires_at"])
    op.create_index("ix_holds_trip_customer", "holds", ["trip_id", "customer_id"])
    op.create_index("ix_holds_event_owner", "holds", ["event_id", "customer_id", "guest_key"])

    op.create_table(
        "hold_items",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("hold_id", BIGID, nullable=False),
        sa.Column("ticket_type_id", sa.Integer(), nullable=False),
        sa.Column("time_slot_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_hold_items_quantity_positive")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_hold_items_hold_id_holds"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_type_id"], ["ticket_types.id"],
                                name=op.f("fk_hold_items_ticket_type_id_ticket_types")),
        sa.ForeignKeyConstraint(["time_slot_id"], ["time_slots.id"],
                                name=op.f("fk_hold_items_time_slot_id_time_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_items")),
    )
    op.create_index("ix_hold_items_hold_id", "hold_items", ["hold_id"])
    op.create_index("ix_hold_items_ticket_type", "hold_items", ["ticket_type_id"])
    op.create_index("ix_hold_items_time_slot", "hold_items", ["time_slot_id"])

    op.create_table(
        "event_seat_claims",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", BIGID, nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('held', 'sold', 'blocked')", name=op.f("ck_event_seat_claims_status_known")),
        sa.CheckConstraint("status <> 'held' OR (expires_at IS NOT NULL AND hold_id IS NOT NULL)",
                           name=op.f("ck_event_seat_claims_held_by_a_hold")),
        sa.CheckConstraint("status <> 'blocked' OR reason IS NOT NULL",
                           name=op.f("ck_event_seat_claims_blocked_has_reason")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_seat_claims_event_id_events")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_event_seat_claims_hold_id_holds")),
        sa.ForeignKeyConstraint(["seat_id"], ["event_seats.id"], name=op.f("fk_event_seat_claims_seat_id_event_seats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_seat_claims")),
        sa.UniqueConstraint("seat_id", name=op.f("uq_event_seat_claims_seat_id")),
    )
    op.create_index("ix_event_seat_claims_event", "event_seat_claims", ["event_id"])
    op.create_index("ix_event_seat_claims_hold", "event_seat_claims", ["hold_id"])

    if op.get_context().dialect.name == "postgresql":
        _alter_claims_postgresql()
    else:
        _rebuild_claims_sqlite()
    op.create_index("ix_seat_claims_hold", "seat_claims", ["hold_id"])


def _claim_checks():
    return [
        sa.CheckConstraint("board_seq >= 0 AND board_seq < alight_seq", name=op.f("ck_seat_claims_stretch_forward")),
        sa.CheckConstraint("status IN ('held', 'sold', 'blocked')", name=op.f("ck_seat_claims_status_known")),
        sa.CheckConstraint("status <> 'held' OR (expires_at IS NOT NULL AND hold_id IS NOT NULL)",
                           name=op.f("ck_seat_claims_held_by_a_hold")),
        sa.CheckConstraint("status <> 'blocked' OR reason IS NOT NULL", name=op.f("ck_seat_claims_blocked_has_reason")),
    ]


def _alter_claims_postgresql():
    op.add_column("seat_claims", sa.Column("hold_id", BIGID, nullable=True))
    op.add_column("seat_claims", sa.Column("reason", sa.String(length=200), nullable=True))
    op.create_foreign_key(op.f("fk_seat_claims_hold_id_holds"), "seat_claims", "holds", ["hold_id"], ["id"])
    # Claims held before holds existed belong to no hold: they were test data; let them lapse.
    op.execute("DELETE FROM seat_claims WHERE status = 'held'")
    for name in ("ck_seat_claims_held_expires", "ck_seat_claims_status_known"):
        op.drop_constraint(op.f(name), "seat_claims", type_="check")
    op.create_check_constraint(op.f("ck_seat_claims_status_known"), "seat_claims",
                               "status IN ('held', 'sold', 'blocked')")
    op.create_check_constraint(op.f("ck_seat_claims_held_by_a_hold"), "seat_claims",
                               "status <> 'held' OR (expires_at IS NOT NULL AND hold_id IS NOT NULL)")
    op.create_check_constraint(op.f("ck_seat_claims_blocked_has_reason"), "seat_claims",
                               "status <> 'blocked' OR reason IS NOT NULL")


def _claims_table(name):
    return op.create_table(
        name,
        sa.Column("id", BIGID, nullable=False),
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.Integer(), nullable=False),
        sa.Column("board_seq", sa.Integer(), nullable=False),
        sa.Column("alight_seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_id", BIGID, nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        *_claim_checks(),
        sa.ForeignKeyConstraint(["seat_id"], ["seats.id"], name=op.f("fk_seat_claims_seat_id_seats")),
        sa.ForeignKeyConstraint(["trip_id"], ["trips.id"], name=op.f("fk_seat_claims_trip_id_trips")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_seat_claims_hold_id_holds")),
        sa.ForeignKeyConstraint(["trip_id", "board_seq"], ["trip_stops.trip_id", "trip_stops.seq"],
                                name="fk_seat_claims_board_stop"),
        sa.ForeignKeyConstraint(["trip_id", "alight_seq"], ["trip_stops.trip_id", "trip_stops.seq"],
                                name="fk_seat_claims_alight_stop"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_claims")),
    )


def _rebuild_claims_sqlite():
    op.execute("DROP TRIGGER IF EXISTS tg_trip_stops_sold")
    op.execute("DROP TRIGGER IF EXISTS tg_trip_stops_frozen")
    _claims_table("seat_claims_t0008")
    op.execute("INSERT INTO seat_claims_t0008 (id, trip_id, seat_id, board_seq, alight_seq, status, expires_at, "
               "created_at) SELECT id, trip_id, seat_id, board_seq, alight_seq, status, expires_at, created_at "
               "FROM seat_claims WHERE status = 'sold'")
    op.drop_table("seat_claims")
    op.rename_table("seat_claims_t0008", "seat_claims")
    op.create_index("ix_seat_claims_trip_seat", "seat_claims", ["trip_id", "seat_id"])
    _t0007().create_triggers()
    create_overlap_triggers()


def create_overlap_triggers():
    """SQLite's version of ex_seat_claims_no_overlap (PostgreSQL has the exclusion constraint)."""
    overlapping = ("EXISTS (SELECT 1 FROM seat_claims c WHERE c.trip_id = NEW.trip_id AND c.seat_id = NEW.seat_id "
                   "AND c.board_seq < NEW.alight_seq AND c.alight_seq > NEW.board_seq{extra})")
    op.execute(f"""
        CREATE TRIGGER tg_seat_claims_no_overlap BEFORE INSERT ON seat_claims
        FOR EACH ROW WHEN {overlapping.format(extra="")}
        BEGIN SELECT RAISE(ABORT, '{OVERLAP}'); END""")
    op.execute(f"""
        CREATE TRIGGER tg_seat_claims_no_overlap_update BEFORE UPDATE OF trip_id, seat_id, board_seq, alight_seq
        ON seat_claims
        FOR EACH ROW WHEN {overlapping.format(extra=" AND c.id <> NEW.id")}
        BEGIN SELECT RAISE(ABORT, '{OVERLAP}'); END""")


def downgrade():
    op.drop_index("ix_seat_claims_hold", table_name="seat_claims")
    op.execute("DELETE FROM seat_claims WHERE status <> 'sold'")
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("fk_seat_claims_hold_id_holds", "seat_claims", type_="foreignkey")
        for name in ("ck_seat_claims_held_by_a_hold", "ck_seat_claims_blocked_has_reason",
                     "ck_seat_claims_status_known"):
            op.drop_constraint(op.f(name), "seat_claims", type_="check")
        op.drop_column("seat_claims", "reason")
        op.drop_column("seat_claims", "hold_id")
        op.create_check_constraint(op.f("ck_seat_claims_status_known"), "seat_claims", "status IN ('held', 'sold')")
        op.create_check_constraint(op.f("ck_seat_claims_held_expires"), "seat_claims",
                                   "status = 'sold' OR expires_at IS NOT NULL")
    else:
        op.execute("DROP TRIGGER IF EXISTS tg_seat_claims_no_overlap")
        op.execute("DROP TRIGGER IF EXISTS tg_seat_claims_no_overlap_update")
        with op.batch_alter_table("seat_claims", recreate="always") as batch_op:
            batch_op.drop_column("reason")
            batch_op.drop_column("hold_id")
    op.drop_table("event_seat_claims")
    op.drop_table("hold_items")
    op.drop_table("holds")
