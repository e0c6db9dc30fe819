"""audit log guard: refuse TRUNCATE; app role grants

The row trigger of t0001 refuses UPDATE and DELETE on audit_logs; TRUNCATE fires no row trigger,
so a statement trigger refuses it too. The privileges that keep the app itself from disabling the
triggers (it must not own the tables) are granted by `services.schema.grant_app_role`.
SQLite has no TRUNCATE, and its DELETE without WHERE still fires the row trigger (SQLite skips
its truncate shortcut on a table with triggers): nothing to add there.

Revision ID: t0006_audit_guard
Revises: t0005_login_sessions
Create Date: 2026-12-01 23:30:00
"""
from alembic import op


revision = 't0006_audit_guard'
down_revision = 't0005_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_context().dialect.name == "postgresql":
        # The same function as the row trigger: it only raises, so it serves a statement trigger too.
        op.execute("""
            CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
            FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_append_only();
        """)


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_logs_no_truncate ON audit_logs")
