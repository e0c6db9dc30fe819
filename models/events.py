"""Events and attractions: venues and zones, events, ticket types, timed-entry slots, seat plans.

Capacity lives in the rows the inventory area sells against with atomic conditional updates:
`ticket_types.quantity` and `time_slots.capacity`, each with `sold` and `held` counters that the
database keeps within the limit (CHECK sold + held <= limit), so "how many are left" is real.

Full-text search needs per-dialect objects the models do not declare (a generated tsvector column
with a GIN index on PostgreSQL, an FTS5 table with triggers on SQLite); the migration creates them
and `migrations.env_common.include_object` keeps them out of model comparisons.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from models.base import JSONType, TenantModel, Timestamps, UTCDateTime

EVENT_STATUSES = ("draft", "published", "sold_out", "cancelled", "completed")
# general: ticket types with quantities; timed: entry per day and time slot; seated: a seat plan.
ADMISSIONS = ("general", "timed", "seated")
TICKET_KINDS = ("adult", "child", "student", "senior", "vip", "group", "general")
SEAT_STATUSES = ("available", "blocked")  # blocked: an aisle, a pillar, a broken seat


class Venue(Timestamps, TenantModel):
    __tablename__ = "venues"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(160), nullable=False, unique=True)
    address = sa.Column(sa.String(300), nullable=False, default="")
    city = sa.Column(sa.String(80), nullable=False, default="")
    latitude = sa.Column(sa.Numeric(9, 6))
    longitude = sa.Column(sa.Numeric(9, 6))
    capacity = sa.Column(sa.Integer)
    amenities = sa.Column(JSONType(), nullable=False, default=list)  # ["parking", "wheelchair access", ...]

    zones = relationship("Zone", back_populates="venue", order_by="Zone.name", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        sa.CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
    )


class Zone(TenantModel):
    """A part of a venue (the bird park, the lake, the open-air stage), with its own capacity."""

    __tablename__ = "venue_zones"

    id = sa.Column(sa.Integer, primary_key=True)
    venue_id = sa.Column(sa.Integer, sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False)
    name = sa.Column(sa.String(120), nullable=False)
    capacity = sa.Column(sa.Integer)

    venue = relationship("Venue", back_populates="zones")

    __table_args__ = (
        sa.UniqueConstraint("venue_id", "name"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )


class Event(Timestamps, TenantModel):
    __tablename__ = "events"

    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    category = sa.Column(sa.String(60), nullable=False, default="")
    venue_id = sa.Column(sa.Integer, sa.ForeignKey("venues.id", ondelete="RESTRICT"))
    zone_id = sa.Column(sa.Integer, sa.ForeignKey("venue_zones.id", ondelete="SET NULL"))
    starts_at = sa.Column(UTCDateTime(), nullable=False)
    ends_at = sa.Column(UTCDateTime(), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="draft")
    admission = sa.Column(sa.String(16), nullable=False, default="general")
    images = sa.Column(JSONType(), nullable=False, default=list)  # paths under the tenant's media folder
    details = sa.Column(JSONType(), nullable=False, default=dict)  # free metadata (age limits, language...)
    # Venue name and category words, kept by services.events.catalog: the full-text document's
    # third weight (a generated column cannot read the venue table).
    search_extra = sa.Column(sa.Text, nullable=False, default="")

    venue = relationship("Venue")
    zone = relationship("Zone")
    ticket_types = relationship("TicketType", back_populates="event", order_by="[TicketType.position, TicketType.id]",
                                cascade="all, delete-orphan")
    seat_plan = relationship("SeatPlan", back_populates="event", uselist=False, cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint(f"status IN {EVENT_STATUSES}", name="status_known"),
        sa.CheckConstraint(f"admission IN {ADMISSIONS}", name="admission_known"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_events_status_starts_at", "status", "starts_at"),
        sa.Index("ix_events_category", "category"),
    )


class TicketType(Timestamps, TenantModel):
    """What a buyer picks: adult, child, VIP... with a price, a quantity and a sales window.

    `quantity` NULL means the type has no limit of its own (a timed entry's slots or a seat plan
    limit the sale instead)."""

    __tablename__ = "ticket_types"

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    name = sa.Column(sa.String(80), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False, default="general")
    price = sa.Column(sa.Numeric(10, 2), nullable=False)
    quantity = sa.Column(sa.Integer)
    sold = sa.Column(sa.Integer, nullable=False, default=0)
    held = sa.Column(sa.Integer, nullable=False, default=0)
    min_per_order = sa.Column(sa.Integer, nullable=False, default=1)
    max_per_order = sa.Column(sa.Integer, nullable=False, default=10)
    sales_start = sa.Column(UTCDateTime())
    sales_end = sa.Column(UTCDateTime())
    position = sa.Column(sa.Integer, nullable=False, default=0)

    event = relationship("Event", back_populates="ticket_types")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "name"),
        sa.CheckConstraint(f"kind IN {TICKET_KINDS}", name="kind_known"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint("sold >= 0 AND held >= 0", name="counts_not_negative"),
        sa.CheckConstraint("quantity IS NULL OR sold + held <= quantity", name="no_oversell"),
        sa.CheckConstraint("min_per_order >= 1 AND max_per_order >= min_per_order", name="order_limits"),
        sa.CheckConstraint("sales_start IS NULL OR sales_end IS NULL OR sales_end > sales_start",
                           name="sales_window_order"),
    )


class TimeSlot(TenantModel):
    """One entry window of a timed attraction (the zoo, 10:00-11:00 on a day), with its capacity."""

    __tablename__ = "time_slots"

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    starts_at = sa.Column(UTCDateTime(), nullable=False)
    ends_at = sa.Column(UTCDateTime(), nullable=False)
    capacity = sa.Column(sa.Integer, nullable=False)
    sold = sa.Column(sa.Integer, nullable=False, default=0)
    held = sa.Column(sa.Integer, nullable=False, default=0)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "starts_at"),  # generation is idempotent
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("sold >= 0 AND held >= 0", name="counts_not_negative"),
        sa.CheckConstraint("sold + held <= capacity", name="no_oversell"),
    )


class SeatPlan(Timestamps, TenantModel):
    """The seats of one seated event, drawn as a grid of sections, rows and seats."""

    __tablename__ = "event_seat_plans"

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, unique=True)

    event = relationship("Event", back_populates="seat_plan")
    categories = relationship("PriceCategory", back_populates="seat_plan", order_by="PriceCategory.price.desc()",
                              cascade="all, delete-orphan")
    sections = relationship("SeatSection", back_populates="seat_plan",
                            order_by="[SeatSection.position, SeatSection.id]", cascade="all, delete-orphan")


class PriceCategory(TenantModel):
    __tablename__ = "event_price_categories"

    id = sa.Column(sa.Integer, primary_key=True)
    seat_plan_id = sa.Column(sa.Integer, sa.ForeignKey("event_seat_plans.id", ondelete="CASCADE"), nullable=False)
    name = sa.Column(sa.String(60), nullable=False)
    price = sa.Column(sa.Numeric(10, 2), nullable=False)
    color = sa.Column(sa.String(9), nullable=False, default="#0b6e4f")

    seat_plan = relationship("SeatPlan", back_populates="categories")

    __table_args__ = (
        sa.UniqueConstraint("seat_plan_id", "name"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
    )


class SeatSection(TenantModel):
    __tablename__ = "event_seat_sections"

    id = sa.Column(sa.Integer, primary_key=True)
    seat_plan_id = sa.Column(sa.Integer, sa.ForeignKey("event_seat_plans.id", ondelete="CASCADE"), nullable=False)
    name = sa.Column(sa.String(60), nullable=False)
    rows = sa.Column(sa.Integer, nullable=False)
    seats_per_row = sa.Column(sa.Integer, nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)

    seat_plan = relationship("SeatPlan", back_populates="sections")
    seats = relationship("PlanSeat", back_populates="section", order_by="[PlanSeat.row, PlanSeat.number]",
                         cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("seat_plan_id", "name"),
        sa.CheckConstraint("rows BETWEEN 1 AND 100 AND seats_per_row BETWEEN 1 AND 200", name="grid_size"),
    )


class PlanSeat(TenantModel):
    """A cell of a section's grid: row 1 is labelled A, seats are numbered from 1."""

    __tablename__ = "event_seats"

    id = sa.Column(sa.Integer, primary_key=True)
    section_id = sa.Column(sa.Integer, sa.ForeignKey("event_seat_sections.id", ondelete="CASCADE"), nullable=False)
    row = sa.Column(sa.Integer, nullable=False)
    number = sa.Column(sa.Integer, nullable=False)
    label = sa.Column(sa.String(16), nullable=False)
    category_id = sa.Column(sa.Integer, sa.ForeignKey("event_price_categories.id", ondelete="SET NULL"))
    status = sa.Column(sa.String(12), nullable=False, default="available")

    section = relationship("SeatSection", back_populates="seats")
    category = relationship("PriceCategory")

    __table_args__ = (
        sa.UniqueConstraint("section_id", "row", "number"),
        sa.CheckConstraint(f"status IN {SEAT_STATUSES}", name="status_known"),
        sa.Index("ix_event_seats_category_id", "category_id"),
    )
