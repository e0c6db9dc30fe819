"""Server-side login sessions: one row per logged-in device, so logging out ends a session for good.

The cookie carries a random key; only its SHA-256 hash is stored. Customers and staff of a tenant
have theirs in the tenant's database (`login_sessions`), platform admins in the registry
(`platform_admin_sessions`). A row is valid while its `account_version` equals the account's
`session_version`: bumping that (log out everywhere, deactivation, a password reset) ends every
session of the account at once, without touching the rows.
"""
from __future__ import annotations

import sqlalchemy as sa

from models.base import TenantModel, UTCDateTime, db, utcnow

LOGIN_SESSION_KINDS = ("customer", "staff")


class _LoginSessionColumns:
    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    key_hash = sa.Column(sa.String(64), nullable=False, unique=True)  # hex SHA-256 of the cookie's key
    account_version = sa.Column(sa.Integer, nullable=False)  # the account's session_version at login
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    ip_address = sa.Column(sa.String(45))
    user_agent = sa.Column(sa.String(512))


class LoginSession(_LoginSessionColumns, TenantModel):
    """A customer's or a staff member's session on one device (tenant database)."""

    __tablename__ = "login_sessions"

    kind = sa.Column(sa.String(16), nullable=False)
    account_id = sa.Column(sa.Integer, nullable=False)  # users.id or staff_members.id, by kind

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {LOGIN_SESSION_KINDS}", name="kind_known"),
        sa.Index("ix_login_sessions_account", "kind", "account_id"),
    )


class PlatformAdminSession(_LoginSessionColumns, db.Model):
    """A platform admin's session on one device (platform registry)."""

    __tablename__ = "platform_admin_sessions"

    account_id = sa.Column(sa.ForeignKey("platform_admins.id", ondelete="CASCADE"), nullable=False, index=True)
