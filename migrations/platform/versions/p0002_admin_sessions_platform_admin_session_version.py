"""platform admin session version

Revision ID: p0002_admin_sessions
Revises: p0001_registry
"""

from alembic import op
import sqlalchemy as sa


revision = "p0002_admin_sessions"
down_revision = "p0001_registry"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("platform_admins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("platform_admins", schema=None) as batch_op:
        batch_op.drop_column("session_version")
