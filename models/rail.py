"""Rail (seed 001): stations, trains and their routes, coach classes and layouts, coaches and seats,
fares, trips (a train on a date), and the per-seat, per-stretch claims that sales write.

Times on a route are local wall-clock times (tenant time zone) plus a day offset from the day the
train leaves its origin; a trip's departure instant is stored as aware UTC.

A route is a template for trips still to be made. Each trip keeps its own stops (`trip_stops`), frozen
when it is generated, and seat claims point at those rows, so editing a route can never move what a
sold or held seat covers: the database refuses to delete or renumber a stop a claim stands on.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from models.base import JSONType, TenantModel, Timestamps, UTCDateTime, utcnow

TRAIN_TYPES = ("intercity", "mail", "commuter", "local")
TRIP_STATUSES = ("scheduled", "delayed", "cancelled")
CLAIM_STATUSES = ("held", "sold", "blocked")  # blocked: kept back by staff, never expires
SEAT_KINDS = ("seat", "berth")
JOB_STATUSES = ("queued", "running", "done", "failed")
ALL_DAYS = 0b1111111  # bit 0 = Monday ... bit 6 = Sunday (Python's date.weekday())


class CoachClass(TenantModel):
    """A class of travel with its distance fare: rate per km, a minimum fare, VAT on AC classes."""

    __tablename__ = "coach_classes"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(16), nullable=False, unique=True)  # AC_B, S_CHAIR, SHOVAN...
    name = sa.Column(sa.String(80), nullable=False)
    is_ac = sa.Column(sa.Boolean, nullable=False, default=False)
    rate_per_km = sa.Column(sa.Numeric(8, 4), nullable=False, default=0)
    minimum_fare = sa.Column(sa.Numeric(10, 2), nullable=False, default=0)
    vat_percent = sa.Column(sa.Numeric(5, 2), nullable=False, default=0)
    position = sa.Column(sa.Integer, nullable=False, default=0)

    __table_args__ = (
        sa.CheckConstraint("rate_per_km >= 0 AND minimum_fare >= 0", name="fare_not_negative"),
        sa.CheckConstraint("vat_percent >= 0 AND vat_percent <= 100", name="vat_percent_range"),
    )


class Station(Timestamps, TenantModel):
    __tablename__ = "stations"

    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(8), nullable=False, unique=True)
    name_en = sa.Column(sa.String(80), nullable=False)
    name_bn = sa.Column(sa.String(80), nullable=False)
    city = sa.Column(sa.String(80), nullable=False)
    latitude = sa.Column(sa.Numeric(9, 6))
    longitude = sa.Column(sa.Numeric(9, 6))
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)

    __table_args__ = (sa.CheckConstraint("code = upper(code)", name="code_upper"),)


class LayoutTemplate(Timestamps, TenantModel):
    """A reusable coach layout drawn as a grid: `cells` is one string per row, one letter per
    column: S seat, B berth, A aisle, X unavailable (a seat position that is never sold)."""

    __tablename__ = "layout_templates"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False, unique=True)
    rows = sa.Column(sa.Integer, nullable=False)
    cols = sa.Column(sa.Integer, nullable=False)
    cells = sa.Column(JSONType(), nullable=False, default=list)
    seat_count = sa.Column(sa.Integer, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("rows BETWEEN 1 AND 40 AND cols BETWEEN 1 AND 12", name="grid_size"),
        sa.CheckConstraint("seat_count > 0", name="has_seats"),
    )


class Train(Timestamps, TenantModel):
    __tablename__ = "trains"

    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(10), nullable=False, unique=True)
    name = sa.Column(sa.String(80), nullable=False)
    train_type = sa.Column(sa.String(16), nullable=False, default="intercity")
    run_days = sa.Column(sa.Integer, nullable=False, default=ALL_DAYS)  # weekday bitmask
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)

    stops = relationship("RouteStop", order_by="RouteStop.seq", cascade="all, delete-orphan",
                         back_populates="train")
    coaches = relationship("Coach", order_by="Coach.position", cascade="all, delete-orphan",
                           back_populates="train")

    __table_args__ = (
        sa.CheckConstraint(f"train_type IN {TRAIN_TYPES}", name="train_type_known"),
        sa.CheckConstraint("run_days > 0 AND run_days <= 127", name="runs_some_day"),
    )


class RouteStop(TenantModel):
    """One stop of a train's route: what trips generated from now on will run. `seq` orders the
    stops from 0 (renumbered when a stop is removed; nothing sold refers to it: claims refer to the
    trip's own frozen stops). Distance is from the origin, for distance fares."""

    __tablename__ = "route_stops"

    id = sa.Column(sa.Integer, primary_key=True)
    train_id = sa.Column(sa.Integer, sa.ForeignKey("trains.id", ondelete="CASCADE"), nullable=False)
    seq = sa.Column(sa.Integer, nullable=False)
    station_id = sa.Column(sa.Integer, sa.ForeignKey("stations.id"), nullable=False)
    arrival_time = sa.Column(sa.Time)  # none at the origin
    departure_time = sa.Column(sa.Time)  # none at the terminus
    day_offset = sa.Column(sa.Integer, nullable=False, default=0)
    distance_km = sa.Column(sa.Numeric(7, 1), nullable=False, default=0)

    train = relationship("Train", back_populates="stops")
    station = relationship("Station", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("train_id", "seq", name="uq_route_stops_train_seq"),
        sa.UniqueConstraint("train_id", "station_id", name="uq_route_stops_train_station"),
        sa.CheckConstraint("day_offset BETWEEN 0 AND 3", name="day_offset_range"),
        sa.CheckConstraint("distance_km >= 0", name="distance_not_negative"),
        sa.CheckConstraint("arrival_time IS NOT NULL OR departure_time IS NOT NULL", name="has_a_time"),
        sa.Index("ix_route_stops_station", "station_id"),
    )


class Coach(TenantModel):
    """A coach in a train's formation, in order; its seats are made from a layout when added."""

    __tablename__ = "coaches"

    id = sa.Column(sa.Integer, primary_key=True)
    train_id = sa.Column(sa.Integer, sa.ForeignKey("trains.id", ondelete="CASCADE"), nullable=False)
    position = sa.Column(sa.Integer, nullable=False)
    code = sa.Column(sa.String(8), nullable=False)  # KA, KHA, GA... as on the coach
    coach_class_id = sa.Column(sa.Integer, sa.ForeignKey("coach_classes.id"), nullable=False)
    layout_id = sa.Column(sa.Integer, sa.ForeignKey("layout_templates.id"), nullable=False)

    train = relationship("Train", back_populates="coaches")
    coach_class = relationship("CoachClass", lazy="joined")
    layout = relationship("LayoutTemplate")
    seats = relationship("Seat", order_by="Seat.id", cascade="all, delete-orphan", back_populates="coach")

    __table_args__ = (
        sa.UniqueConstraint("train_id", "position", name="uq_coaches_train_position"),
        sa.UniqueConstraint("train_id", "code", name="uq_coaches_train_code"),
    )


class Seat(TenantModel):
    __tablename__ = "seats"

    id = sa.Column(sa.Integer, primary_key=True)
    coach_id = sa.Column(sa.Integer, sa.ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False)
    label = sa.Column(sa.String(8), nullable=False)
    row = sa.Column(sa.Integer, nullable=False)
    col = sa.Column(sa.Integer, nullable=False)
    kind = sa.Column(sa.String(8), nullable=False, default="seat")

    coach = relationship("Coach", back_populates="seats")

    __table_args__ = (
        sa.UniqueConstraint("coach_id", "label", name="uq_seats_coach_label"),
        sa.CheckConstraint(f"kind IN {SEAT_KINDS}", name="kind_known"),
    )


class SegmentFare(TenantModel):
    """An explicit fare between two stations for a class: overrides the distance fare (VAT included)."""

    __tablename__ = "segment_fares"

    id = sa.Column(sa.Integer, primary_key=True)
    from_station_id = sa.Column(sa.Integer, sa.ForeignKey("stations.id", ondelete="CASCADE"), nullable=False)
    to_station_id = sa.Column(sa.Integer, sa.ForeignKey("stations.id", ondelete="CASCADE"), nullable=False)
    coach_class_id = sa.Column(sa.Integer, sa.ForeignKey("coach_classes.id", ondelete="CASCADE"), nullable=False)
    amount = sa.Column(sa.Numeric(10, 2), nullable=False)

    from_station = relationship("Station", foreign_keys=[from_station_id], lazy="joined")
    to_station = relationship("Station", foreign_keys=[to_station_id], lazy="joined")
    coach_class = relationship("CoachClass", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("from_station_id", "to_station_id", "coach_class_id", name="uq_segment_fares_pair_class"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("from_station_id <> to_station_id", name="two_stations"),
    )


class Trip(TenantModel):
    """A train on a service date (the local date it leaves its origin)."""

    __tablename__ = "trips"

    id = sa.Column(sa.Integer, primary_key=True)
    train_id = sa.Column(sa.Integer, sa.ForeignKey("trains.id", ondelete="CASCADE"), nullable=False)
    service_date = sa.Column(sa.Date, nullable=False)
    departs_at = sa.Column(UTCDateTime(), nullable=False)  # scheduled departure from the origin
    status = sa.Column(sa.String(12), nullable=False, default="scheduled")
    delay_minutes = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    train = relationship("Train")
    stops = relationship("TripStop", order_by="TripStop.seq", viewonly=True)

    __table_args__ = (
        # Makes generation idempotent: a second run for the same dates adds nothing.
        sa.UniqueConstraint("train_id", "service_date", name="uq_trips_train_date"),
        sa.CheckConstraint(f"status IN {TRIP_STATUSES}", name="status_known"),
        sa.CheckConstraint("delay_minutes >= 0", name="delay_not_negative"),
        sa.Index("ix_trips_service_date", "service_date"),
    )


class TripStop(TenantModel):
    """One stop of one trip, copied from the route when the trip is generated and never changed:
    the station and the trip's actual arrival and departure instants (aware UTC), and the distance
    from the origin for fares.

    `seq` orders a trip's stops. It is never reused within a trip: when an unsold trip is given a
    changed route, its new stops are numbered after the old ones, so a (trip, seq) pair names one
    station forever and a stale request for an old stretch fails on the foreign key instead of
    landing on another station. Triggers (migration t0007, PostgreSQL and SQLite) refuse to change
    a row's trip, seq or station, and to delete the stops of a trip with claims; the claims' foreign
    keys refuse it as well, under any concurrency.
    """

    __tablename__ = "trip_stops"

    trip_id = sa.Column(sa.Integer, sa.ForeignKey("trips.id", ondelete="CASCADE"), primary_key=True)
    seq = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    station_id = sa.Column(sa.Integer, sa.ForeignKey("stations.id"), nullable=False)
    arrives_at = sa.Column(UTCDateTime())  # none at the origin
    departs_at = sa.Column(UTCDateTime())  # none at the terminus
    distance_km = sa.Column(sa.Numeric(7, 1), nullable=False)

    station = relationship("Station", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("trip_id", "station_id", name="uq_trip_stops_trip_station"),
        sa.CheckConstraint("seq >= 0", name="seq_not_negative"),
        sa.CheckConstraint("arrives_at IS NOT NULL OR departs_at IS NOT NULL", name="has_a_time"),
        sa.CheckConstraint("departs_at >= arrives_at", name="departs_after_arrival"),
        sa.CheckConstraint("distance_km >= 0", name="distance_not_negative"),
        # Search: the trips that leave a station within a day.
        sa.Index("ix_trip_stops_station_departs", "station_id", "departs_at"),
    )


class SeatClaim(TenantModel):
    """A seat held or sold on one trip for the stretches [board_seq, alight_seq) between two of
    the trip's own stops (`trip_stops.seq`): both ends are foreign keys to those rows, so a claim
    always names stops the trip runs, and those stops cannot be deleted or renumbered under it.
    Resolve the sequence numbers from the trip's stops (by station) in the transaction that
    inserts the claim.

    On PostgreSQL the migration adds `ex_seat_claims_no_overlap`, an exclusion constraint (gist,
    btree_gist) that makes two claims of one seat on overlapping stretches of one trip impossible;
    it is created in the migration only (Alembic does not compare exclusion constraints). On SQLite
    the trigger `tg_seat_claims_no_overlap` (migration t0008) refuses the same. Expired holds are
    taken over (deleted) by the inventory service before their seats are claimed again.
    """

    __tablename__ = "seat_claims"

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    # No cascades: a trip, coach or seat with claims (sold tickets) cannot be deleted by accident.
    trip_id = sa.Column(sa.Integer, sa.ForeignKey("trips.id"), nullable=False)
    seat_id = sa.Column(sa.Integer, sa.ForeignKey("seats.id"), nullable=False)
    board_seq = sa.Column(sa.Integer, nullable=False)
    alight_seq = sa.Column(sa.Integer, nullable=False)
    status = sa.Column(sa.String(8), nullable=False)
    expires_at = sa.Column(UTCDateTime())
    hold_id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), sa.ForeignKey("holds.id"))
    reason = sa.Column(sa.String(200))  # why staff blocked the seat
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("board_seq >= 0 AND board_seq < alight_seq", name="stretch_forward"),
        sa.CheckConstraint(f"status IN {CLAIM_STATUSES}", name="status_known"),
        sa.CheckConstraint("status <> 'held' OR (expires_at IS NOT NULL AND hold_id IS NOT NULL)",
                           name="held_by_a_hold"),
        sa.CheckConstraint("status <> 'blocked' OR reason IS NOT NULL", name="blocked_has_reason"),
        sa.Index("ix_seat_claims_trip_seat", "trip_id", "seat_id"),
        sa.Index("ix_seat_claims_hold", "hold_id"),
        sa.ForeignKeyConstraint(["trip_id", "board_seq"], ["trip_stops.trip_id", "trip_stops.seq"],
                                name="fk_seat_claims_board_stop"),
        sa.ForeignKeyConstraint(["trip_id", "alight_seq"], ["trip_stops.trip_id", "trip_stops.seq"],
                                name="fk_seat_claims_alight_stop"),
    )


class TripGeneration(TenantModel):
    """One run of trip generation over a date range, with its progress (polled by the admin page)."""

    __tablename__ = "trip_generations"

    id = sa.Column(sa.Integer, primary_key=True)
    train_ids = sa.Column(JSONType(), nullable=False, default=list)
    start_date = sa.Column(sa.Date, nullable=False)
    end_date = sa.Column(sa.Date, nullable=False)
    status = sa.Column(sa.String(8), nullable=False, default="queued")
    total = sa.Column(sa.Integer, nullable=False, default=0)  # train-days to look at
    done = sa.Column(sa.Integer, nullable=False, default=0)
    created = sa.Column(sa.Integer, nullable=False, default=0)  # trips that did not exist before
    error = sa.Column(sa.Text)
    requested_by = sa.Column(sa.String(254))
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(f"status IN {JOB_STATUSES}", name="status_known"),
        sa.CheckConstraint("start_date <= end_date", name="range_forward"),
    )
