"""Accounts that live in a tenant's database: customers, staff, and the audit trail."""
from __future__ import annotations

import sqlalchemy as sa

from models.base import JSONType, TenantModel, Timestamps, UTCDateTime, utcnow

STAFF_ROLES = ("admin", "operator", "gate", "viewer")


class User(Timestamps, TenantModel):
    """A customer of this tenant (a passenger or visitor)."""

    __tablename__ = "users"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    email = sa.Column(sa.String(254), unique=True)
    phone = sa.Column(sa.String(14), unique=True)  # canonical +8801XXXXXXXXX
    password_hash = sa.Column(sa.String(255), nullable=False)
    nid_encrypted = sa.Column(sa.Text)
    email_verified_at = sa.Column(UTCDateTime())
    phone_verified_at = sa.Column(UTCDateTime())
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)
    # Bumped by "log out everywhere" and password changes: older sessions stop working.
    session_version = sa.Column(sa.Integer, nullable=False, default=1)
    last_login_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="email_or_phone"),
    )


class StaffMember(Timestamps, TenantModel):
    """An operator's employee: admin, operator, gate or viewer."""

    __tablename__ = "staff_members"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    name = sa.Column(sa.String(120), nullable=False)
    password_hash = sa.Column(sa.String(255), nullable=False)
    role = sa.Column(sa.String(16), nullable=False)
    permissions = sa.Column(JSONType(), nullable=False, default=dict)  # per-person grants beyond the role
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)
    session_version = sa.Column(sa.Integer, nullable=False, default=1)
    last_login_at = sa.Column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint(f"role IN {STAFF_ROLES}", name="role_known"),)


class AuditLog(TenantModel):
    """Append-only: rows are inserted, never updated or deleted (a trigger enforces it on PostgreSQL)."""

    __tablename__ = "audit_logs"

    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    actor_type = sa.Column(sa.String(16), nullable=False)  # staff | customer | system
    actor_id = sa.Column(sa.Integer)
    actor_label = sa.Column(sa.String(254))
    action = sa.Column(sa.String(64), nullable=False)
    resource = sa.Column(sa.String(64), nullable=False)
    resource_id = sa.Column(sa.String(64))
    changes = sa.Column(JSONType(), nullable=False, default=dict)  # {"before": {...}, "after": {...}}
    ip_address = sa.Column(sa.String(45))
    user_agent = sa.Column(sa.Text)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("actor_type IN ('staff', 'customer', 'system')", name="actor_type_known"),
        sa.Index("ix_audit_logs_created_at", "created_at"),
        sa.Index("ix_audit_logs_resource", "resource", "resource_id"),
    )
