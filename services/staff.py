"""Staff accounts: create, authenticate, change role, deactivate. Every change is audited."""
from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from models import db
from models.people import STAFF_ROLES, StaffMember
from services import audit, passwords
from services.audit import Actor
from models.base import utcnow


class StaffError(ValueError):
    """Refused; the message is fit to show."""


class InvalidCredentials(StaffError):
    def __init__(self):
        super().__init__("That email and password do not match an active staff account.")


def normalise_email(email: str) -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise StaffError(f"Enter a valid email address ({exc}).") from None


def _snapshot(member: StaffMember) -> dict:
    return {"email": member.email, "name": member.name, "role": member.role, "is_active": member.is_active}


def create_staff(email: str, name: str, role: str, password: str, *, actor: Actor) -> StaffMember:
    email = normalise_email(email)
    if role not in STAFF_ROLES:
        raise StaffError(f"Role must be one of: {', '.join(STAFF_ROLES)}.")
    if not (name or "").strip():
        raise StaffError("Enter the person's name.")
    problem = passwords.password_problem(password)
    if problem:
        raise StaffError(problem)
    member = StaffMember(email=email, name=name.strip(), role=role, password_hash=passwords.hash_password(password),
                         permissions={}, is_active=True, session_version=1)
    db.session.add(member)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise StaffError("A staff account with that email exists already.") from None
    audit.record(actor, "staff.create", "staff_member", member.id, after=_snapshot(member))
    db.session.commit()
    return member


def authenticate(email: str, password: str, *, actor: Actor) -> StaffMember:
    """The active staff member with these credentials; audited either way."""
    try:
        email = normalise_email(email)
    except StaffError:
        email = (email or "").strip().lower()
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.email == email))
    ok = passwords.verify_password(member.password_hash if member else None, password)
    if not ok or not member.is_active:
        audit.record(Actor(actor.type, member.id if member else None, email, actor.ip, actor.user_agent),
                     "staff.login_failed", "staff_member", member.id if member else None, commit=True)
        raise InvalidCredentials()
    if passwords.needs_rehash(member.password_hash):
        member.password_hash = passwords.hash_password(password)
    member.last_login_at = utcnow()
    audit.record(Actor("staff", member.id, member.email, actor.ip, actor.user_agent),
                 "staff.login", "staff_member", member.id)
    db.session.commit()
    return member


def get_active(member_id: int, session_version: int) -> StaffMember | None:
    member = db.session.get(StaffMember, member_id)
    if member is None or not member.is_active or member.session_version != session_version:
        return None
    return member
