"""login sessions for platform admins

Revision ID: p0003_login_sessions
Revises: p0002_admin_sessions
Create Date: 2026-12-01 23:30:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = 'p0003_login_sessions'
down_revision = 'p0002_admin_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "platform_admin_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("account_version", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["platform_admins.id"],
                                name=op.f("fk_platform_admin_sessions_account_id_platform_admins"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_admin_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_platform_admin_sessions_key_hash")),
    )
    op.create_index(op.f("ix_platform_admin_sessions_account_id"), "platform_admin_sessions", ["account_id"],
                    unique=False)


def downgrade():
    op.drop_index(op.f("ix_platform_admin_sessions_account_id"), table_name="platform_admin_sessions")
    op.drop_table("platform_admin_sessions")
