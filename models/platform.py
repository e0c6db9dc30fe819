"""The platform registry: which tenants exist, where their data lives, how they look."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from models.base import JSONType, Timestamps, UTCDateTime, db, utcnow

TENANT_KINDS = ("rail", "events")
TENANT_STATUSES = ("active", "suspended", "maintenance")
TENANT_TIERS = ("basic", "standard", "premium", "enterprise")


class Tenant(Timestamps, db.Model):
    __tablename__ = "tenants"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(32), nullable=False, unique=True)
    name = sa.Column(sa.String(120), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="active")
    tier = sa.Column(sa.String(16), nullable=False, default="standard")
    # A host of its own besides <slug>.<PLATFORM_DOMAIN>, e.g. tickets.dhakazoo.gov.bd.
    custom_domain = sa.Column(sa.String(253), unique=True)
    # Database URL without its password; the password is sealed separately (AES-256-GCM).
    db_url = sa.Column(sa.Text, nullable=False)
    db_password_encrypted = sa.Column(sa.Text)
    max_events = sa.Column(sa.Integer)
    monthly_cost_bdt = sa.Column(sa.Numeric(12, 2))

    config = relationship("TenantConfig", back_populates="tenant", uselist=False, cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {TENANT_KINDS}", name="kind_known"),
        sa.CheckConstraint(f"status IN {TENANT_STATUSES}", name="status_known"),
        sa.CheckConstraint(f"tier IN {TENANT_TIERS}", name="tier_known"),
    )

    def __repr__(self) -> str:
        return f"<Tenant {self.slug} {self.status}>"


class TenantConfig(db.Model):
    __tablename__ = "tenant_configs"

    id = sa.Column(sa.Integer, primary_key=True)
    tenant_id = sa.Column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, unique=True)
    # name, colours, logo, tagline
    branding = sa.Column(JSONType(), nullable=False, default=dict)
    # gateway name -> {"enabled": bool, "credentials": sealed string}
    payment_gateways = sa.Column(JSONType(), nullable=False, default=dict)
    # "sms" -> {"provider", "url", "sender_id", "credentials": sealed}; "email" -> SMTP settings
    message_channels = sa.Column(JSONType(), nullable=False, default=dict)
    features = sa.Column(JSONType(), nullable=False, default=dict)
    validation_rules = sa.Column(JSONType(), nullable=False, default=dict)
    pricing_rules = sa.Column(JSONType(), nullable=False, default=dict)
    # operational settings: hold minutes, advance-sales days, seats per booking, time zone...
    settings = sa.Column(JSONType(), nullable=False, default=dict)
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    tenant = relationship("Tenant", back_populates="config")


class TenantHealth(db.Model):
    __tablename__ = "tenant_health"

    id = sa.Column(sa.Integer, primary_key=True)
    tenant_id = sa.Column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    check_type = sa.Column(sa.String(16), nullable=False)
    status = sa.Column(sa.String(16), nullable=False)
    response_time_ms = sa.Column(sa.Integer)
    details = sa.Column(JSONType(), nullable=False, default=dict)
    checked_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("status IN ('healthy', 'degraded', 'critical')", name="status_known"),
        sa.Index("ix_tenant_health_tenant_checked", "tenant_id", "checked_at"),
    )


class PlatformAdmin(Timestamps, db.Model):
    __tablename__ = "platform_admins"

    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    name = sa.Column(sa.String(120), nullable=False)
    password_hash = sa.Column(sa.String(255), nullable=False)
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)
    # Bumped to end every session of this admin at once (as for tenant accounts).
    session_version = sa.Column(sa.Integer, nullable=False, default=1, server_default="1")
    last_login_at = sa.Column(UTCDateTime())
