"""trip stops: each trip's stops frozen when the trip is made

Every trip gets its own copy of its route's stops (`trip_stops`), and seat claims point at them with
two composite foreign keys, so a route edit can never move what a sold or held seat covers. Triggers
(PostgreSQL and SQLite) refuse to change a trip stop's trip, seq or station, and to delete the stops
of a trip that has claims. Existing trips get their stops from their routes as they are now.

SQLite drops a table's triggers when the table is rebuilt: a later migration that batch-alters
`trip_stops` must create them again (`create_triggers`).

Revision ID: t0007_trip_stops
Revises: t0006_audit_guard
Create Date: 2026-12-01 23:30:00
"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa

import models.base


revision = 't0007_trip_stops'
down_revision = 't0006_audit_guard'
branch_labels = None
depends_on = None

FROZEN = "a trip''s stops are frozen: its trip, seq and station never change"
SOLD = "seats are held or sold on this trip: its stops cannot be deleted"


def upgrade():
    op.create_table(
        "trip_stops",
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("arrives_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("departs_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("distance_km", sa.Numeric(precision=7, scale=1), nullable=False),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_trip_stops_seq_not_negative")),
        sa.CheckConstraint("arrives_at IS NOT NULL OR departs_at IS NOT NULL", name=op.f("ck_trip_stops_has_a_time")),
        sa.CheckConstraint("departs_at >= arrives_at", name=op.f("ck_trip_stops_departs_after_arrival")),
        sa.CheckConstraint("distance_km >= 0", name=op.f("ck_trip_stops_distance_not_negative")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_trip_stops_station_id_stations")),
        sa.ForeignKeyConstraint(["trip_id"], ["trips.id"], name=op.f("fk_trip_stops_trip_id_trips"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trip_id", "seq", name=op.f("pk_trip_stops")),
        sa.UniqueConstraint("trip_id", "station_id", name="uq_trip_stops_trip_station"),
    )
    with op.batch_alter_table("trip_stops", schema=None) as batch_op:
        batch_op.create_index("ix_trip_stops_station_departs", ["station_id", "departs_at"], unique=False)

    _backfill()

    with op.batch_alter_table("seat_claims", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_seat_claims_board_stop", "trip_stops", ["trip_id", "board_seq"],
                                    ["trip_id", "seq"])
        batch_op.create_foreign_key("fk_seat_claims_alight_stop", "trip_stops", ["trip_id", "alight_seq"],
                                    ["trip_id", "seq"])
    create_triggers()


def _minutes(at, day_offset):
    return day_offset * 1440 + at.hour * 60 + at.minute + at.second / 60


def _instant(departs_at, origin_minutes, at, day_offset):
    return None if at is None else departs_at + timedelta(minutes=_minutes(at, day_offset) - origin_minutes)


def _backfill():
    """Each existing trip's stops from its route as it is now. The origin's instant is the trip's
    `departs_at`; every other stop is as many minutes after it as the timetable says (no time zone
    needed here, and exact in zones without daylight saving, such as Asia/Dhaka)."""
    conn = op.get_bind()
    trips = sa.table("trips", sa.column("id", sa.Integer), sa.column("train_id", sa.Integer),
                     sa.column("departs_at", models.base.UTCDateTime()))
    route_stops = sa.table("route_stops", sa.column("train_id", sa.Integer), sa.column("seq", sa.Integer),
                           sa.column("station_id", sa.Integer), sa.column("arrival_time", sa.Time()),
                           sa.column("departure_time", sa.Time()), sa.column("day_offset", sa.Integer),
                           sa.column("distance_km", sa.Numeric(7, 1)))
    trip_stops = sa.table("trip_stops", sa.column("trip_id", sa.Integer), sa.column("seq", sa.Integer),
                          sa.column("station_id", sa.Integer), sa.column("arrives_at", models.base.UTCDateTime()),
                          sa.column("departs_at", models.base.UTCDateTime()),
                          sa.column("distance_km", sa.Numeric(7, 1)))
    routes = {}
    for stop in conn.execute(sa.select(route_stops).order_by(route_stops.c.train_id, route_stops.c.seq)):
        routes.setdefault(stop.train_id, []).append(stop)
    rows = []
    for trip in conn.execute(sa.select(trips).order_by(trips.c.id)):
        route = routes.get(trip.train_id) or []
        if not route or route[0].departure_time is None:
            continue  # generation never made such a trip
        origin = _minutes(route[0].departure_time, route[0].day_offset)
        rows += [{"trip_id": trip.id, "seq": stop.seq, "station_id": stop.station_id,
                  "arrives_at": _instant(trip.departs_at, origin, stop.arrival_time, stop.day_offset),
                  "departs_at": _instant(trip.departs_at, origin, stop.departure_time, stop.day_offset),
                  "distance_km": stop.distance_km}
                 for stop in route]
        if len(rows) >= 5000:
            op.bulk_insert(trip_stops, rows)
            rows = []
    if rows:
        op.bulk_insert(trip_stops, rows)


def create_triggers():
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION trip_stops_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF NEW.trip_id IS DISTINCT FROM OLD.trip_id OR NEW.seq IS DISTINCT FROM OLD.seq
                       OR NEW.station_id IS DISTINCT FROM OLD.station_id THEN
                        RAISE EXCEPTION '{FROZEN}' USING ERRCODE = 'integrity_constraint_violation',
                            CONSTRAINT = 'tg_trip_stops_frozen';
                    END IF;
                    RETURN NEW;
                END IF;
                IF EXISTS (SELECT 1 FROM seat_claims WHERE trip_id = OLD.trip_id) THEN
                    RAISE EXCEPTION '{SOLD}' USING ERRCODE = 'integrity_constraint_violation',
                        CONSTRAINT = 'tg_trip_stops_sold';
                END IF;
                RETURN OLD;
            END $$""")
        op.execute("CREATE TRIGGER tg_trip_stops_frozen BEFORE UPDATE OR DELETE ON trip_stops "
                   "FOR EACH ROW EXECUTE FUNCTION trip_stops_frozen()")
    else:
        op.execute(f"""
            CREATE TRIGGER tg_trip_stops_frozen BEFORE UPDATE OF trip_id, seq, station_id ON trip_stops
            FOR EACH ROW WHEN NEW.trip_id IS NOT OLD.trip_id OR NEW.seq IS NOT OLD.seq
                              OR NEW.station_id IS NOT OLD.station_id
            BEGIN SELECT RAISE(ABORT, 'tg_trip_stops_frozen: {FROZEN}'); END""")
        op.execute(f"""
            CREATE TRIGGER tg_trip_stops_sold BEFORE DELETE ON trip_stops
            FOR EACH ROW WHEN EXISTS (SELECT 1 FROM seat_claims WHERE trip_id = OLD.trip_id)
            BEGIN SELECT RAISE(ABORT, 'tg_trip_stops_sold: {SOLD}'); END""")


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tg_trip_stops_frozen ON trip_stops")
        op.execute("DROP FUNCTION IF EXISTS trip_stops_frozen()")
    with op.batch_alter_table("seat_claims", schema=None) as batch_op:
        batch_op.drop_constraint("fk_seat_claims_alight_stop", type_="foreignkey")
        batch_op.drop_constraint("fk_seat_claims_board_stop", type_="foreignkey")
    with op.batch_alter_table("trip_stops", schema=None) as batch_op:
        batch_op.drop_index("ix_trip_stops_station_departs")
    op.drop_table("trip_stops")  # SQLite drops the table's triggers with it
