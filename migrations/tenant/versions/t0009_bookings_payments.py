"""bookings and payments: bookings with items and tickets, payments with the gateways' raw messages,
refunds, purchase attempts, and the notifications outbox a confirmation writes

Revision ID: t0009_bookings_payments
Revises: t0008_holds
Create Date: 2026-12-05 00:15:34.365231
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = "t0009_bookings_payments"
down_revision = "t0008_holds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bookings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=True),
        sa.Column("pnr", sa.String(length=10), nullable=True),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("hold_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("guest_key", sa.String(length=64), nullable=True),
        sa.Column("trip_id", sa.Integer(), nullable=True),
        sa.Column("board_seq", sa.Integer(), nullable=True),
        sa.Column("alight_seq", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_phone", sa.String(length=14), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("service_charge", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending_payment', 'confirmed', 'partially_cancelled', 'cancelled', 'expired', 'failed')",
            name=op.f("ck_bookings_status_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending_payment', 'expired', 'failed') OR reference IS NOT NULL",
            name=op.f("ck_bookings_confirmed_has_reference"),
        ),
        sa.CheckConstraint("(trip_id IS NULL) <> (event_id IS NULL)", name=op.f("ck_bookings_trip_or_event")),
        sa.CheckConstraint(
            "contact_phone IS NOT NULL OR contact_email IS NOT NULL", name=op.f("ck_bookings_has_contact")
        ),
        sa.CheckConstraint(
            "subtotal >= 0 AND vat >= 0 AND service_charge >= 0 AND total = subtotal + vat + service_charge",
            name=op.f("ck_bookings_total_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_bookings_customer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_bookings_event_id_events")),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"], name=op.f("fk_bookings_hold_id_holds")),
        sa.ForeignKeyConstraint(["trip_id"], ["trips.id"], name=op.f("fk_bookings_trip_id_trips")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_bookings_hold_id")),
        sa.UniqueConstraint("pnr", name=op.f("uq_bookings_pnr")),
        sa.UniqueConstraint("reference", name=op.f("uq_bookings_reference")),
        sa.UniqueConstraint("token", name=op.f("uq_bookings_token")),
    )
    op.create_index("ix_bookings_contact_email", "bookings", ["contact_email"], unique=False)
    op.create_index("ix_bookings_contact_phone", "bookings", ["contact_phone"], unique=False)
    op.create_index("ix_bookings_customer", "bookings", ["customer_id", "created_at"], unique=False)
    op.create_index("ix_bookings_status_created", "bookings", ["status", "created_at"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f("ck_notifications_channel_known")),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name=op.f("ck_notifications_status_known")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_notifications_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
    )
    op.create_index(op.f("ix_notifications_booking_id"), "notifications", ["booking_id"], unique=False)
    op.create_index("ix_notifications_status_created", "notifications", ["status", "created_at"], unique=False)
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("tran_id", sa.String(length=30), nullable=False),
        sa.Column("gateway_ref", sa.String(length=100), nullable=True),
        sa.Column("gateway_txn", sa.String(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("failure_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('initiated', 'succeeded', 'succeeded_late', 'failed', 'cancelled', 'partially_refunded', 'refunded')",  # noqa: E501
            name=op.f("ck_payments_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= coalesce(paid_amount, amount)",
            name=op.f("ck_payments_refund_within_paid"),
        ),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_payments_booking_id_bookings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("tran_id", name=op.f("uq_payments_tran_id")),
    )
    op.create_index(op.f("ix_payments_booking_id"), "payments", ["booking_id"], unique=False)
    op.create_index("ix_payments_gateway_ref", "payments", ["gateway", "gateway_ref"], unique=False)
    op.create_index("ix_payments_status_created", "payments", ["status", "created_at"], unique=False)
    op.create_table(
        "booking_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("failure_reason", sa.String(length=300), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "result IN ('started', 'paid', 'failed', 'abandoned')", name=op.f("ck_booking_attempts_result_known")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_attempts_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_booking_attempts_customer_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_booking_attempts_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_attempts")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_booking_attempts_payment_id")),
    )
    op.create_index(op.f("ix_booking_attempts_booking_id"), "booking_attempts", ["booking_id"], unique=False)
    op.create_index("ix_booking_attempts_result_created", "booking_attempts", ["result", "created_at"], unique=False)
    op.create_table(
        "booking_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seat_id", sa.Integer(), nullable=True),
        sa.Column("plan_seat_id", sa.Integer(), nullable=True),
        sa.Column("ticket_type_id", sa.Integer(), nullable=True),
        sa.Column("time_slot_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("fare_class", sa.String(length=8), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("passenger_name", sa.String(length=120), nullable=True),
        sa.Column("passenger_age", sa.Integer(), nullable=True),
        sa.Column("passenger_gender", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancelled_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refund_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.CheckConstraint(
            "fare_class IS NULL OR fare_class IN ('ac', 'first', 'other')",
            name=op.f("ck_booking_items_fare_class_known"),
        ),
        sa.CheckConstraint(
            "kind <> 'admission' OR ticket_type_id IS NOT NULL", name=op.f("ck_booking_items_admission_typed")
        ),
        sa.CheckConstraint(
            "kind <> 'plan_seat' OR plan_seat_id IS NOT NULL", name=op.f("ck_booking_items_plan_seat_named")
        ),
        sa.CheckConstraint(
            "kind <> 'seat' OR (seat_id IS NOT NULL AND passenger_name IS NOT NULL)",
            name=op.f("ck_booking_items_seat_has_passenger"),
        ),
        sa.CheckConstraint("kind IN ('seat', 'plan_seat', 'admission')", name=op.f("ck_booking_items_kind_known")),
        sa.CheckConstraint(
            "passenger_gender IS NULL OR passenger_gender IN ('female', 'male', 'other')",
            name=op.f("ck_booking_items_gender_known"),
        ),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f("ck_booking_items_status_known")),
        sa.CheckConstraint(
            "passenger_age IS NULL OR passenger_age BETWEEN 0 AND 120", name=op.f("ck_booking_items_age_range")
        ),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0 AND amount = unit_price * quantity",
            name=op.f("ck_booking_items_amount_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_items_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["plan_seat_id"], ["event_seats.id"], name=op.f("fk_booking_items_plan_seat_id_event_seats")
        ),
        sa.ForeignKeyConstraint(["seat_id"], ["seats.id"], name=op.f("fk_booking_items_seat_id_seats")),
        sa.ForeignKeyConstraint(
            ["ticket_type_id"], ["ticket_types.id"], name=op.f("fk_booking_items_ticket_type_id_ticket_types")
        ),
        sa.ForeignKeyConstraint(
            ["time_slot_id"], ["time_slots.id"], name=op.f("fk_booking_items_time_slot_id_time_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_items")),
    )
    op.create_index(op.f("ix_booking_items_booking_id"), "booking_items", ["booking_id"], unique=False)
    op.create_table(
        "payment_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("gateway", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("payload", models.base.JSONType(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('start', 'return', 'ipn', 'validation', 'query', 'refund', 'refund_status')",
            name=op.f("ck_payment_messages_kind_known"),
        ),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_payment_messages_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_messages")),
    )
    op.create_index(op.f("ix_payment_messages_payment_id"), "payment_messages", ["payment_id"], unique=False)
    op.create_table(
        "refunds",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("gateway_ref", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('cancellation', 'late_payment', 'amount_mismatch', 'duplicate', 'staff')", name=op.f("ck_refunds_kind_known")  # noqa: E501
        ),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name=op.f("ck_refunds_status_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_refunds_booking_id_bookings")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("key", name=op.f("uq_refunds_key")),
    )
    op.create_index(op.f("ix_refunds_booking_id"), "refunds", ["booking_id"], unique=False)
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"], unique=False)
    op.create_index("ix_refunds_status", "refunds", ["status"], unique=False)
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booking_item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('valid', 'used', 'cancelled', 'expired')", name=op.f("ck_tickets_status_known")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_tickets_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["booking_item_id"],
            ["booking_items.id"],
            name=op.f("fk_tickets_booking_item_id_booking_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    op.create_index(op.f("ix_tickets_booking_id"), "tickets", ["booking_id"], unique=False)
    op.create_index(op.f("ix_tickets_booking_item_id"), "tickets", ["booking_item_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_tickets_booking_item_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_booking_id"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_index("ix_refunds_status", table_name="refunds")
    op.drop_index(op.f("ix_refunds_payment_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_booking_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_payment_messages_payment_id"), table_name="payment_messages")
    op.drop_table("payment_messages")
    op.drop_index(op.f("ix_booking_items_booking_id"), table_name="booking_items")
    op.drop_table("booking_items")
    op.drop_index("ix_booking_attempts_result_created", table_name="booking_attempts")
    op.drop_index(op.f("ix_booking_attempts_booking_id"), table_name="booking_attempts")
    op.drop_table("booking_attempts")
    op.drop_index("ix_payments_status_created", table_name="payments")
    op.drop_index("ix_payments_gateway_ref", table_name="payments")
    op.drop_index(op.f("ix_payments_booking_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index("ix_notifications_status_created", table_name="notifications")
    op.drop_index(op.f("ix_notifications_booking_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_bookings_status_created", table_name="bookings")
    op.drop_index("ix_bookings_customer", table_name="bookings")
    op.drop_index("ix_bookings_contact_phone", table_name="bookings")
    op.drop_index("ix_bookings_contact_email", table_name="bookings")
    op.drop_table("bookings")
