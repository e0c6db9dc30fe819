"""Server-side login sessions: open one at login, find the account behind a session key on every
request, end it at logout.

The key is 32 random bytes that only the browser holds (in its session and remember-me cookies);
the database keeps its SHA-256 hash, so a copy of the table opens no session. A session ends when
its row is deleted (log out), when the account's `session_version` moves on (log out everywhere,
deactivation, a password reset), when the account is deactivated, or after IDLE_LIMIT unused.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from models import db
from models.base import utcnow
from models.people import StaffMember, User
from models.platform import PlatformAdmin
from models.sessions import LoginSession, PlatformAdminSession

# A session unused this long is over, remember-me or not.
IDLE_LIMIT = timedelta(days=30)
# last_seen_at is written at most this often per session, so most requests only read.
TOUCH_EVERY = timedelta(minutes=5)
_USER_AGENT_MAX = 512
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Kind:
    account: type  # the account model: has id, is_active, session_version
    table: type  # where its sessions live
    tagged: bool  # the table holds several kinds of account (a `kind` column)


KINDS = {
    "customer": _Kind(User, LoginSession, True),
    "staff": _Kind(StaffMember, LoginSession, True),
    "platform_admin": _Kind(PlatformAdmin, PlatformAdminSession, False),
}


TENANT_KINDS = ("customer", "staff")
PLATFORM_KINDS = ("platform_admin",)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _of_kind(kind: str, spec: _Kind) -> list:
    return [spec.table.kind == kind] if spec.tagged else []


def open_session(kind: str, account, *, ip: str | None = None, user_agent: str | None = None,
                 now: datetime | None = None) -> str:
    """Record a new session for `account`; returns the key for the cookie (shown nowhere else)."""
    spec = KINDS[kind]
    key = secrets.token_urlsafe(32)
    now = now or utcnow()
    row = spec.table(account_id=account.id, key_hash=_hash(key), account_version=account.session_version,
                     created_at=now, last_seen_at=now, ip_address=ip, user_agent=(user_agent or "")[:_USER_AGENT_MAX])
    if spec.tagged:
        row.kind = kind
    db.session.add(row)
    db.session.commit()
    return key


def account_for(kind: str, key: str, *, now: datetime | None = None):
    """The active account whose live session has this key, or None. One indexed lookup; every
    TOUCH_EVERY it also notes the session's use and commits, so call it before the request does
    work of its own (auth loads the user first thing in each request)."""
    spec = KINDS.get(kind)
    if spec is None or not key:
        return None
    now = now or utcnow()
    found = db.session.execute(
        sa.select(spec.account, spec.table.id, spec.table.last_seen_at)
        .join_from(spec.table, spec.account, spec.table.account_id == spec.account.id)
        .where(spec.table.key_hash == _hash(key), *_of_kind(kind, spec),
               spec.table.account_version == spec.account.session_version,
               spec.account.is_active.is_(True),
               spec.table.last_seen_at > now - IDLE_LIMIT)
    ).first()
    if found is None:
        return None
    account, session_id, last_seen_at = found
    if last_seen_at <= now - TOUCH_EVERY:
        try:
            db.session.execute(sa.update(spec.table).where(spec.table.id == session_id).values(last_seen_at=now)
                               .execution_options(synchronize_session=False))
            db.session.commit()
        except DBAPIError:  # busy with a concurrent writer: last_seen_at is a hint, the request goes on
            db.session.rollback()
            log.info("login session %s: last_seen_at not updated (database busy)", session_id)
    return account


def close_session(kind: str, key: str) -> None:
    """Log out: this session's key opens nothing any more, on any copy of its cookies."""
    spec = KINDS[kind]
    db.session.execute(sa.delete(spec.table).where(spec.table.key_hash == _hash(key), *_of_kind(kind, spec)))
    db.session.commit()


def forget_all(kind: str, account_id: int) -> int:
    """Delete every session row of one account, in the caller's transaction (which commits)."""
    spec = KINDS[kind]
    result = db.session.execute(sa.delete(spec.table).where(spec.table.account_id == account_id,
                                                            *_of_kind(kind, spec)))
    return result.rowcount


def count_live(kind: str, account) -> int:
    """How many devices this account is logged in on."""
    spec = KINDS[kind]
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(spec.table)
        .where(spec.table.account_id == account.id, *_of_kind(kind, spec),
               spec.table.account_version == account.session_version,
               spec.table.last_seen_at > utcnow() - IDLE_LIMIT))


def purge_stale(kinds: tuple[str, ...] = TENANT_KINDS, *, now: datetime | None = None) -> int:
    """Delete the session rows that can never open a session again (idle past the limit, or from
    before their account's last "log out everywhere"): the bound tenant's by default, the
    registry's with PLATFORM_KINDS. Safe to run any time, and twice."""
    now = now or utcnow()
    deleted = 0
    for kind in kinds:
        spec = KINDS[kind]
        version = (sa.select(spec.account.session_version).where(spec.account.id == spec.table.account_id)
                   .scalar_subquery())
        deleted += db.session.execute(
            sa.delete(spec.table).where(*_of_kind(kind, spec), sa.or_(
                spec.table.last_seen_at <= now - IDLE_LIMIT,
                sa.func.coalesce(version, -1) != spec.table.account_version))).rowcount
    db.session.commit()
    return deleted
