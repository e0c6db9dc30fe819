"""Ticket signing keys and the tenant's own message templates.

`ticket_keys`: the tenant's Ed25519 key pairs for QR tickets. The id is the key id (`kid`) a payload
names; the private key is sealed with services.crypto; a retired key signs nothing and admits nobody.
`message_templates`: a tenant's wording for one message (kind, channel, language); where there is
none, the built-in wording is used (services/notify/builtin.py).
"""
from __future__ import annotations

import sqlalchemy as sa

from models.base import TenantModel, UTCDateTime, utcnow

KEY_STATUSES = ("active", "retired")


class TicketKey(TenantModel):
    __tablename__ = "ticket_keys"

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)  # the kid, 1, 2, 3...
    public_key = sa.Column(sa.String(64), nullable=False)  # raw 32 bytes, base64url without padding
    private_key = sa.Column(sa.Text, nullable=False)  # sealed
    status = sa.Column(sa.String(8), nullable=False, default="active")
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    retired_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(f"status IN {KEY_STATUSES}", name="status_known"),
        sa.CheckConstraint("id BETWEEN 1 AND 65535", name="kid_range"),
    )


class MessageTemplate(TenantModel):
    __tablename__ = "message_templates"

    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(32), nullable=False)
    channel = sa.Column(sa.String(8), nullable=False)
    language = sa.Column(sa.String(5), nullable=False)
    subject = sa.Column(sa.String(200), nullable=False, default="")
    body = sa.Column(sa.Text, nullable=False)
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("staff_members.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.UniqueConstraint("kind", "channel", "language"),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="channel_known"),
    )
