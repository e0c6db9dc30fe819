"""Platform administrators: the people who run Jatra itself (registry database)."""
from __future__ import annotations

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.platform import PlatformAdmin
from services import passwords, transactions
from services.errors import ServiceError
from services.staff import StaffError, normalise_email


class PlatformAdminError(ServiceError):
    """Refused; the message is fit to show."""


class InvalidCredentials(PlatformAdminError):
    def __init__(self):
        super().__init__("That email and password do not match an active platform admin.")


def create_admin(email: str, name: str, password: str) -> PlatformAdmin:
    try:
        email = normalise_email(email)
    except StaffError as exc:
        raise PlatformAdminError(str(exc)) from None
    if not (name or "").strip():
        raise PlatformAdminError("Enter the person's name.")
    problem = passwords.password_problem(password)
    if problem:
        raise PlatformAdminError(problem)
    admin = PlatformAdmin(email=email, name=name.strip(), password_hash=passwords.hash_password(password),
                          is_active=True, session_version=1)
    db.session.add(admin)
    transactions.commit({"uq_platform_admins_email": ("A platform admin with that email exists already.", "email")},
                        error=PlatformAdminError)
    return admin


def authenticate(email: str, password: str) -> PlatformAdmin:
    email = (email or "").strip().lower()
    admin = db.session.scalar(sa.select(PlatformAdmin).where(PlatformAdmin.email == email))
    ok = passwords.verify_password(admin.password_hash if admin else None, password)
    if not ok or not admin.is_active:
        raise InvalidCredentials()
    admin.last_login_at = utcnow()
    db.session.commit()
    return admin
