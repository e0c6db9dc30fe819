"""signed tickets and messages: ticket signing keys, each ticket's signed QR payload and drawing,
the notifications log (claims, retries, provider answers, resends) and the tenant's message templates

Revision ID: t0010_tickets_messages
Revises: t0009_bookings_payments
Create Date: 2026-12-05 03:40:00
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = "t0010_tickets_messages"
down_revision = "t0009_bookings_payments"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "ticket_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'retired')", name=op.f("ck_ticket_keys_status_known")),
        sa.CheckConstraint("id BETWEEN 1 AND 65535", name=op.f("ck_ticket_keys_kid_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_keys")),
    )
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f("ck_message_templates_channel_known")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["staff_members.id"],
                                name=op.f("fk_message_templates_updated_by_id_staff_members"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("kind", "channel", "language", name=op.f("uq_message_templates_kind_channel_language")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_code", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_bookings_link_code"), ["link_code"])
        batch_op.create_index(batch_op.f("ix_bookings_starts"), ["starts_at"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("qr_payload", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("qr_svg", sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_tickets_key_id_ticket_keys"), "ticket_keys", ["key_id"], ["id"])
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(length=80), type_=sa.String(length=120),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("attachment", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("resent_from_id", BIGID, nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("provider_answer", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_notifications_resent_from_id_notifications"), "notifications",
                                    ["resent_from_id"], ["id"], ondelete="SET NULL")
        batch_op.drop_constraint(batch_op.f("ck_notifications_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_notifications_status_known"),
                                         "status IN ('queued', 'sending', 'sent', 'failed')")
        batch_op.create_index(batch_op.f("ix_notifications_created"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_created"))
        batch_op.drop_constraint(batch_op.f("ck_notifications_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_notifications_status_known"),
                                         "status IN ('queued', 'sent', 'failed')")
        batch_op.drop_constraint(batch_op.f("fk_notifications_resent_from_id_notifications"), type_="foreignkey")
        for column in ("provider_answer", "claimed_at", "next_attempt_at", "resent_from_id", "attachment",
                       "sensitive", "language"):
            batch_op.drop_column(column)
        batch_op.alter_column("key", existing_type=sa.String(length=120), type_=sa.String(length=80),
                              existing_nullable=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_key_id_ticket_keys"), type_="foreignkey")
        batch_op.drop_column("qr_svg")
        batch_op.drop_column("qr_payload")
        batch_op.drop_column("key_id")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_starts"))
        batch_op.drop_constraint(batch_op.f("uq_bookings_link_code"), type_="unique")
        batch_op.drop_column("link_code")
    op.drop_table("message_templates")
    op.drop_table("ticket_keys")
