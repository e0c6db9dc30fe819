"""What a customer keeps with their account: saved passengers and one-time codes."""
from __future__ import annotations

import sqlalchemy as sa

from models.base import TenantModel, Timestamps, UTCDateTime, utcnow

GENDERS = ("female", "male", "other")
DOCUMENT_KINDS = ("nid", "passport")
OTP_PURPOSES = ("verify", "reset")


class SavedPassenger(Timestamps, TenantModel):
    """Someone a customer often travels with, picked at checkout instead of typed again."""

    __tablename__ = "saved_passengers"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = sa.Column(sa.String(120), nullable=False)
    date_of_birth = sa.Column(sa.Date)
    gender = sa.Column(sa.String(8))
    document_kind = sa.Column(sa.String(8))
    document_number_encrypted = sa.Column(sa.Text)  # NID or passport number, sealed (context "passenger-document")

    __table_args__ = (
        sa.CheckConstraint(f"gender IS NULL OR gender IN {GENDERS}", name="gender_known"),
        sa.CheckConstraint(f"document_kind IS NULL OR document_kind IN {DOCUMENT_KINDS}", name="document_kind_known"),
        sa.CheckConstraint("(document_kind IS NULL) = (document_number_encrypted IS NULL)", name="document_complete"),
    )


class OtpCode(TenantModel):
    """The current one-time code for one purpose and destination (a phone or an email address).

    One row per (purpose, destination), reissued in place: the resend cooldown and the attempt limit
    are conditional UPDATEs on this row, so two concurrent requests cannot both pass them."""

    __tablename__ = "otp_codes"

    id = sa.Column(sa.Integer, primary_key=True)
    purpose = sa.Column(sa.String(16), nullable=False)
    destination = sa.Column(sa.String(254), nullable=False)
    code_hash = sa.Column(sa.String(64), nullable=False)  # HMAC-SHA256, never the code itself
    sent_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = sa.Column(UTCDateTime(), nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    consumed_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("purpose", "destination"),
        sa.CheckConstraint(f"purpose IN {OTP_PURPOSES}", name="purpose_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )
