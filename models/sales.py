"""Sales (rule 3): a hold is the customer's cart. One `holds` row owns what it keeps: rail seat
claims (`seat_claims.hold_id`), plan seats of a seated event (`event_seat_claims`) and quantities of
ticket types or time slots (`hold_items`, counted in the `held` counters), so checkout can take the
whole hold over later.

A hold is active until `expires_at`; after that it counts for nothing even before the sweep
(`services.inventory.expiry`) marks it expired and gives back what it kept. States:
active -> checked_out | expired | released.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from models.base import TenantModel, UTCDateTime, utcnow

HOLD_STATUSES = ("active", "released", "expired", "checked_out")
PLAN_CLAIM_STATUSES = ("held", "sold", "blocked")


class Hold(TenantModel):
    __tablename__ = "holds"

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    token = sa.Column(sa.String(43), nullable=False, unique=True)  # public: in URLs, never a secret
    tag = sa.Column(sa.String(12), nullable=False)  # short public id in live updates ("mine")
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"))
    guest_key = sa.Column(sa.String(64))  # a guest's browser session (events only)
    trip_id = sa.Column(sa.Integer, sa.ForeignKey("trips.id"))
    board_seq = sa.Column(sa.Integer)
    alight_seq = sa.Column(sa.Integer)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id"))
    status = sa.Column(sa.String(12), nullable=False, default="active")
    expires_at = sa.Column(UTCDateTime(), nullable=False)
    extensions = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    ended_at = sa.Column(UTCDateTime())

    items = relationship("HoldItem", order_by="HoldItem.id", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint(f"status IN {HOLD_STATUSES}", name="status_known"),
        sa.CheckConstraint("(trip_id IS NULL) <> (event_id IS NULL)", name="trip_or_event"),
        sa.CheckConstraint("customer_id IS NOT NULL OR guest_key IS NOT NULL", name="has_owner"),
        sa.CheckConstraint("trip_id IS NULL OR (board_seq IS NOT NULL AND board_seq < alight_seq)",
                           name="rail_stretch"),
        sa.CheckConstraint("extensions >= 0", name="extensions_not_negative"),
        sa.Index("ix_holds_status_expires_at", "status", "expires_at"),
        sa.Index("ix_holds_trip_customer", "trip_id", "customer_id"),
        sa.Index("ix_holds_event_owner", "event_id", "customer_id", "guest_key"),
    )


class HoldItem(TenantModel):
    """A quantity a hold keeps: of a ticket type, within a time slot for timed entry."""

    __tablename__ = "hold_items"

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    hold_id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                        sa.ForeignKey("holds.id", ondelete="CASCADE"), nullable=False, index=True)
    ticket_type_id = sa.Column(sa.Integer, sa.ForeignKey("ticket_types.id"), nullable=False)
    time_slot_id = sa.Column(sa.Integer, sa.ForeignKey("time_slots.id"))
    quantity = sa.Column(sa.Integer, nullable=False)

    ticket_type = relationship("TicketType", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_hold_items_ticket_type", "ticket_type_id"),
        sa.Index("ix_hold_items_time_slot", "time_slot_id"),
    )


class EventSeatClaim(TenantModel):
    """A seat of a seated event's plan held, sold or blocked by staff: at most one claim per seat
    (`uq_event_seat_claims_seat_id`; a plan belongs to one event). An expired hold's claim is
    deleted (taken over) in the transaction that claims the seat again."""

    __tablename__ = "event_seat_claims"

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id"), nullable=False)
    seat_id = sa.Column(sa.Integer, sa.ForeignKey("event_seats.id"), nullable=False, unique=True)
    hold_id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), sa.ForeignKey("holds.id"))
    status = sa.Column(sa.String(8), nullable=False)
    expires_at = sa.Column(UTCDateTime())
    reason = sa.Column(sa.String(200))
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {PLAN_CLAIM_STATUSES}", name="status_known"),
        sa.CheckConstraint("status <> 'held' OR (expires_at IS NOT NULL AND hold_id IS NOT NULL)",
                           name="held_by_a_hold"),
        sa.CheckConstraint("status <> 'blocked' OR reason IS NOT NULL", name="blocked_has_reason"),
        sa.Index("ix_event_seat_claims_event", "event_id"),
        sa.Index("ix_event_seat_claims_hold", "hold_id"),
    )
