"""One-time codes: 6 digits, 5 minutes, at most 5 attempts, one resend a minute, stored hashed.

A code belongs to a purpose ("verify" a contact, "reset" a password) and a destination (a canonical
phone number or an email address). There is one row per purpose and destination; reissuing and
checking are conditional UPDATEs on it, so limits hold under concurrent requests.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from models import db
from models.base import utcnow
from models.customers import OtpCode
from services import notifications, transactions
from services.errors import ServiceError
from services.tenant_db import require_tenant

CODE_DIGITS = 6
LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_COOLDOWN = timedelta(seconds=60)


class OtpError(ServiceError):
    """The code was not accepted (or not sent); the message is fit to show."""


class OtpCooldown(OtpError):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(ngettext("A code was sent a moment ago. You can ask for another in %(num)d second.",
                                  "A code was sent a moment ago. You can ask for another in %(num)d seconds.",
                                  retry_after))


class OtpWrong(OtpError):
    def __init__(self, attempts_left: int):
        self.attempts_left = attempts_left
        super().__init__(ngettext("That code is not right. %(num)d attempt left.",
                                  "That code is not right. %(num)d attempts left.", attempts_left))


class OtpUnusable(OtpError):
    def __init__(self, message: str | None = None):
        super().__init__(message or _("This code has expired or has been used. Ask for a new code."))


@dataclass(frozen=True)
class CodeState:
    """What a person waiting for a code may be told truthfully: is there a code they can still enter,
    and how long until a new one can be sent (0: now)."""

    status: str  # "usable" | "none" (never sent) | "used" | "expired" | "used_up" (no attempts left)
    resend_in: int
    expires_at: datetime | None = None
    attempts_left: int = 0

    @property
    def usable(self) -> bool:
        return self.status == "usable"


def _cooldown_left(sent_at: datetime, now: datetime) -> int:
    return max(0, math.ceil((sent_at + RESEND_COOLDOWN - now).total_seconds()))


def state(purpose: str, destination: str, *, now: datetime | None = None) -> CodeState:
    now = now or utcnow()
    row = db.session.scalar(sa.select(OtpCode).where(_same(purpose, destination)))
    if row is None:
        return CodeState("none", 0)
    resend_in = _cooldown_left(row.sent_at, now)
    if row.consumed_at is not None:
        status = "used"
    elif row.attempts >= MAX_ATTEMPTS:
        status = "used_up"
    elif row.expires_at <= now:
        status = "expired"
    else:
        status = "usable"
    return CodeState(status, resend_in, row.expires_at, max(0, MAX_ATTEMPTS - row.attempts))


def _hash(purpose: str, destination: str, code: str) -> str:
    key = hashlib.sha256(b"jatra-otp:" + current_app.config["SECRET_KEY"].encode()).digest()
    message = f"{require_tenant().slug}:{purpose}:{destination}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _same(purpose: str, destination: str):
    return sa.and_(OtpCode.purpose == purpose, OtpCode.destination == destination)


def issue(purpose: str, destination: str, *, now: datetime | None = None) -> str:
    """A fresh code for this purpose and destination (committed); OtpCooldown within a minute of the last."""
    now = now or utcnow()
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    values = {"code_hash": _hash(purpose, destination, code), "sent_at": now, "expires_at": now + LIFETIME,
              "attempts": 0, "consumed_at": None}
    reissued = db.session.execute(
        sa.update(OtpCode).where(_same(purpose, destination), OtpCode.sent_at <= now - RESEND_COOLDOWN)
        .values(**values).execution_options(synchronize_session=False))
    if reissued.rowcount == 0:
        last_sent = db.session.scalar(sa.select(OtpCode.sent_at).where(_same(purpose, destination)))
        if last_sent is not None:
            db.session.rollback()
            raise OtpCooldown(max(1, _cooldown_left(last_sent, now)))
        db.session.add(OtpCode(purpose=purpose, destination=destination, **values))
        # A concurrent request issued the first code: that one stands.
        transactions.flush({"uq_otp_codes_purpose_destination": OtpCooldown(int(RESEND_COOLDOWN.total_seconds()))})
    db.session.commit()
    return code


def send(purpose: str, destination: str, *, now: datetime | None = None) -> None:
    """Issue a code and send it by SMS (phone) or email."""
    deliver(purpose, destination, issue(purpose, destination, now=now))


def deliver(purpose: str, destination: str, code: str) -> None:
    """Send an issued code to its destination."""
    site = require_tenant().name
    minutes = int(LIFETIME.total_seconds() // 60)
    if purpose == "reset":
        text = _("%(code)s is your %(site)s code to reset your password. It expires in %(m)s minutes. "
                 "If you did not ask for it, ignore this message.", code=code, site=site, m=minutes)
    else:
        text = _("%(code)s is your %(site)s verification code. It expires in %(m)s minutes.",
                 code=code, site=site, m=minutes)
    notifications.send_to(destination, _("Your %(site)s code", site=site), text, kind="otp", sensitive=True)


def check(purpose: str, destination: str, code: str, *, now: datetime | None = None) -> None:
    """Accept the code (marked used in the current transaction; the caller commits with what it
    unlocks) or raise OtpWrong / OtpUnusable (the counted attempt is committed)."""
    now = now or utcnow()
    row = db.session.scalar(sa.select(OtpCode).where(_same(purpose, destination)))
    if row is None or row.consumed_at is not None or row.expires_at <= now:
        raise OtpUnusable()
    attempts = db.session.scalar(
        sa.update(OtpCode).where(OtpCode.id == row.id, OtpCode.attempts < MAX_ATTEMPTS,
                                 OtpCode.consumed_at.is_(None), OtpCode.expires_at > now)
        .values(attempts=OtpCode.attempts + 1).returning(OtpCode.attempts)
        .execution_options(synchronize_session=False))
    if attempts is None:
        db.session.rollback()
        raise OtpUnusable(_("Too many wrong codes. Ask for a new code."))
    code = (code or "").strip()
    if not hmac.compare_digest(row.code_hash, _hash(purpose, destination, code)):
        attempts_left = MAX_ATTEMPTS - attempts
        db.session.commit()
        if attempts_left <= 0:
            raise OtpUnusable(_("Too many wrong codes. Ask for a new code."))
        raise OtpWrong(attempts_left)
    used = db.session.execute(
        sa.update(OtpCode).where(OtpCode.id == row.id, OtpCode.consumed_at.is_(None),
                                 OtpCode.code_hash == row.code_hash)
        .values(consumed_at=now).execution_options(synchronize_session=False))
    if used.rowcount == 0:  # used or reissued by a concurrent request
        db.session.rollback()
        raise OtpUnusable()
    db.session.expire(row)
