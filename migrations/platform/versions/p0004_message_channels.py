"""a tenant's SMS and email providers (message_channels)

Revision ID: p0004_message_channels
Revises: p0003_login_sessions
Create Date: 2026-12-05 03:40:00
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = "p0004_message_channels"
down_revision = "p0003_login_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenant_configs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_channels", models.base.JSONType(), nullable=False,
                                      server_default="{}"))


def downgrade():
    with op.batch_alter_table("tenant_configs", schema=None) as batch_op:
        batch_op.drop_column("message_channels")
