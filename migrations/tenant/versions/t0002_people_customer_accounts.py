"""customer accounts: saved passengers and one-time codes

Revision ID: t0002_people
Revises: t0001_people_audit
"""

from alembic import op
import sqlalchemy as sa
import models.base


revision = "t0002_people"
down_revision = "t0001_people_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "otp_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("consumed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('verify', 'reset')", name=op.f("ck_otp_codes_purpose_known")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_otp_codes_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_otp_codes")),
        sa.UniqueConstraint("purpose", "destination", name=op.f("uq_otp_codes_purpose_destination")),
    )
    op.create_table(
        "saved_passengers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=8), nullable=True),
        sa.Column("document_kind", sa.String(length=8), nullable=True),
        sa.Column("document_number_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "gender IS NULL OR gender IN ('female', 'male', 'other')", name=op.f("ck_saved_passengers_gender_known")
        ),
        sa.CheckConstraint(
            "document_kind IS NULL OR document_kind IN ('nid', 'passport')",
            name=op.f("ck_saved_passengers_document_kind_known"),
        ),
        sa.CheckConstraint(
            "(document_kind IS NULL) = (document_number_encrypted IS NULL)",
            name=op.f("ck_saved_passengers_document_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_passengers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_passengers")),
    )
    with op.batch_alter_table("saved_passengers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_passengers_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("saved_passengers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_passengers_user_id"))
    op.drop_table("saved_passengers")
    op.drop_table("otp_codes")
