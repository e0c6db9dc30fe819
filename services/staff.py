"""Staff accounts: create, authenticate, change role, deactivate. Every change is audited."""
from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from models import db
from models.people import STAFF_ROLES, StaffMember
from services import audit, login_sessions, passwords, transactions
from services.audit import Actor
from services.errors import ServiceError
from models.base import utcnow


class StaffError(ServiceError):
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
    transactions.flush({"uq_staff_members_email": ("A staff account with that email exists already.", "email")},
                       error=StaffError)
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


def end_all_sessions(member: StaffMember, *, actor: Actor) -> None:
    """Log out everywhere: every session and remember-me cookie of this member stops working."""
    db.session.execute(sa.update(StaffMember).where(StaffMember.id == member.id)
                       .values(session_version=StaffMember.session_version + 1)
                       .execution_options(synchronize_session=False))
    login_sessions.forget_all("staff", member.id)
    audit.record(actor, "staff.logout_everywhere", "staff_member", member.id)
    db.session.commit()


def list_staff() -> list[StaffMember]:
    return list(db.session.scalars(sa.select(StaffMember).order_by(StaffMember.is_active.desc(), StaffMember.name)))


def _lock_for_change(member_id: int) -> tuple[StaffMember, int]:
    """The member to change and how many active admins there are, with those rows locked so two
    admins demoting each other at once cannot leave the tenant without one."""
    active_admins = list(db.session.scalars(
        sa.select(StaffMember.id).where(StaffMember.role == "admin", StaffMember.is_active.is_(True))
        .with_for_update()))
    member = db.session.scalar(sa.select(StaffMember).where(StaffMember.id == member_id).with_for_update())
    if member is None:
        db.session.rollback()
        raise StaffError("There is no such staff member.")
    return member, len(active_admins)


def _keeps_an_admin(member: StaffMember, admins: int, role: str, active: bool) -> None:
    losing_admin = member.role == "admin" and member.is_active and (role != "admin" or not active)
    if losing_admin and admins <= 1:
        db.session.rollback()
        raise StaffError("Keep at least one active admin: make someone else admin first.")


def change_role(member_id: int, role: str, *, actor: Actor) -> StaffMember:
    if role not in STAFF_ROLES:
        raise StaffError(f"Role must be one of: {', '.join(STAFF_ROLES)}.")
    member, admins = _lock_for_change(member_id)
    if member.role == role:
        db.session.rollback()
        return member
    _keeps_an_admin(member, admins, role, member.is_active)
    before = _snapshot(member)
    member.role = role
    audit.record(actor, "staff.role_change", "staff_member", member.id, before=before, after=_snapshot(member))
    db.session.commit()
    return member


def set_active(member_id: int, active: bool, *, actor: Actor) -> StaffMember:
    """Deactivate (every session ends at once) or reactivate a staff account."""
    member, admins = _lock_for_change(member_id)
    if member.is_active == active:
        db.session.rollback()
        return member
    if not active and actor.type == "staff" and actor.id == member.id:
        db.session.rollback()
        raise StaffError("You cannot deactivate your own account.")
    _keeps_an_admin(member, admins, member.role, active)
    before = _snapshot(member)
    member.is_active = active
    member.session_version = StaffMember.session_version + 1
    audit.record(actor, "staff.activate" if active else "staff.deactivate", "staff_member", member.id,
                 before=before, after={**before, "is_active": active})
    db.session.commit()
    return member
