"""Customer accounts: register, log in, verify a contact, reset a password, edit the profile, end
every session. Logins, failed logins and account changes go to the audit log."""
from __future__ import annotations

import re
from typing import Callable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from models import db
from models.base import utcnow
from models.people import User
from services import audit, crypto, notifications, otp, passwords
from services.audit import Actor
from services.phones import PhoneError, is_phone, normalise_phone
from services.tenant_db import require_tenant

RESET_LINK_SECONDS = 3600
NID_CONTEXT = "nid"
_NID = re.compile(r"^(\d{10}|\d{13}|\d{17})$")


class CustomerError(ValueError):
    """Refused; the message is fit to show, next to `field` when it names one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class InvalidCredentials(CustomerError):
    def __init__(self):
        super().__init__(_("That mobile number or email and password do not match an account."), "password")


def normalise_email(email: str, field: str = "email") -> str:
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise CustomerError(_("Enter a valid email address, such as name@example.com."), field) from None


def normalise_contact(value: str, field: str) -> tuple[str | None, str | None]:
    """(email, phone) from one value the person typed; empty gives (None, None)."""
    value = (value or "").strip()
    if not value:
        return None, None
    if is_phone(value):
        try:
            return None, normalise_phone(value)
        except PhoneError as exc:
            raise CustomerError(str(exc), field) from None
    return normalise_email(value, field), None


def normalise_nid(nid: str | None) -> str | None:
    digits = re.sub(r"[\s\-]", "", nid or "")
    if not digits:
        return None
    if not _NID.match(digits):
        raise CustomerError(_("A national ID number has 10, 13 or 17 digits."), "nid")
    return digits


def _check_password(password: str, field: str = "password") -> None:
    problem = passwords.password_problem(password)
    if problem:
        raise CustomerError(_(problem), field)


def _duplicate(exc: IntegrityError) -> CustomerError:
    text = str(exc.orig).lower()
    if "phone" in text:
        return CustomerError(_("An account with this mobile number exists already. Log in instead."), "phone")
    return CustomerError(_("An account with this email exists already. Log in instead."), "email")


def _snapshot(user: User) -> dict:
    return {"name": user.name, "email": user.email, "phone": user.phone,
            "nid": "set" if user.nid_encrypted else None}


def _as(user: User, actor: Actor) -> Actor:
    return Actor("customer", user.id, user.email or user.phone, actor.ip, actor.user_agent)


def contact_to_verify(user: User) -> str | None:
    """The phone (or, without one, the email) still waiting for its code."""
    if user.phone and user.phone_verified_at is None:
        return user.phone
    if not user.phone and user.email and user.email_verified_at is None:
        return user.email
    return None


def _contact_details(name: str, email: str | None, phone: str | None, *, missing: str) -> tuple[str, str | None, str | None]:
    """Name, canonical email and phone; at least one way to reach the customer."""
    name = (name or "").strip()
    if not name:
        raise CustomerError(_("Enter your name."), "name")
    email = normalise_email(email) if (email or "").strip() else None
    try:
        phone = normalise_phone(phone) if (phone or "").strip() else None
    except PhoneError as exc:
        raise CustomerError(str(exc), "phone") from None
    if not email and not phone:
        raise CustomerError(missing, "phone")
    return name, email, phone


def register(name: str, email: str | None, phone: str | None, password: str, *, actor: Actor) -> User:
    name, email, phone = _contact_details(name, email, phone,
                                          missing=_("Enter a mobile number or an email address (or both)."))
    _check_password(password)
    user = User(name=name, email=email, phone=phone, password_hash=passwords.hash_password(password),
                is_active=True, session_version=1)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise _duplicate(exc) from None
    audit.record(_as(user, actor), "customer.register", "user", user.id, after=_snapshot(user))
    db.session.commit()
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    """Send a code to the contact still unverified; a resend within the cooldown raises OtpCooldown."""
    destination = contact_to_verify(user)
    if destination:
        otp.send("verify", destination)


def verify_contact(user: User, code: str, *, actor: Actor) -> User:
    destination = contact_to_verify(user)
    if destination is None:
        return user
    otp.check("verify", destination, code)
    if destination == user.phone:
        user.phone_verified_at = utcnow()
    else:
        user.email_verified_at = utcnow()
    audit.record(_as(user, actor), "customer.verify", "user", user.id, after={"verified": destination})
    db.session.commit()
    return user


def _find(email: str | None, phone: str | None) -> User | None:
    if phone:
        return db.session.scalar(sa.select(User).where(User.phone == phone))
    if email:
        return db.session.scalar(sa.select(User).where(User.email == email))
    return None


def authenticate(identifier: str, password: str, *, actor: Actor) -> User:
    """The active customer with this phone or email and password; audited either way. Unknown
    identifiers cost the same time as wrong passwords."""
    try:
        email, phone = normalise_contact(identifier, "identifier")
    except CustomerError:
        email, phone = None, None
    user = _find(email, phone)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or not user.is_active:
        label = (email or phone or (identifier or "").strip())[:254]
        audit.record(Actor("customer", user.id if user else None, label, actor.ip, actor.user_agent),
                     "customer.login_failed", "user", user.id if user else None, commit=True)
        raise InvalidCredentials()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    audit.record(_as(user, actor), "customer.login", "user", user.id)
    db.session.commit()
    return user


def get_active(user_id: int, session_version: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != session_version:
        return None
    return user


def end_all_sessions(user: User, *, actor: Actor) -> User:
    """Log out everywhere: every session and remember-me cookie of this account stops working."""
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    audit.record(_as(user, actor), "customer.logout_everywhere", "user", user.id)
    db.session.commit()
    db.session.refresh(user)
    return user


def update_profile(user: User, *, name: str, email: str | None, phone: str | None, nid: str | None,
                   actor: Actor) -> User:
    before = _snapshot(user)
    name, email, phone = _contact_details(name, email, phone,
                                          missing=_("Keep a mobile number or an email address (or both)."))
    nid = normalise_nid(nid)
    if phone != user.phone:
        user.phone, user.phone_verified_at = phone, None
    if email != user.email:
        user.email, user.email_verified_at = email, None
    user.name = name
    user.nid_encrypted = crypto.seal(nid, NID_CONTEXT) if nid else None
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise _duplicate(exc) from None
    audit.record(_as(user, actor), "customer.profile_update", "user", user.id, before=before, after=_snapshot(user))
    db.session.commit()
    return user


def nid_of(user: User) -> str | None:
    return crypto.open_sealed(user.nid_encrypted, NID_CONTEXT) if user.nid_encrypted else None


# Forgotten passwords: a code by SMS for a phone, a signed link by email for an email address.

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"password-reset:{require_tenant().slug}")


def start_reset(identifier: str, *, reset_link: Callable[[str], str]) -> tuple[str, str]:
    """Send a reset code (phone) or link (email) if such an account exists. Returns (kind,
    canonical identifier) either way, so the answer does not reveal which accounts exist."""
    email, phone = normalise_contact(identifier, "identifier")
    if not email and not phone:
        raise CustomerError(_("Enter your mobile number or email address."), "identifier")
    user = _find(email, phone)
    if phone:
        if user is not None and user.is_active:
            otp.send("reset", phone)
        return "phone", phone
    if user is not None and user.is_active:
        token = _reset_serializer().dumps({"u": user.id, "v": user.session_version})
        site = require_tenant().name
        notifications.send_email(email, _("Reset your %(site)s password", site=site),
                                 _("Open this link within an hour to choose a new password: %(link)s\n"
                                   "If you did not ask for it, ignore this message.", link=reset_link(token)))
    return "email", email


def _set_password(user: User, password: str, actor: Actor, how: str) -> User:
    user.password_hash = passwords.hash_password(password)
    user.session_version = User.session_version + 1  # every other session ends
    audit.record(_as(user, actor), "customer.password_reset", "user", user.id, after={"by": how})
    db.session.commit()
    db.session.refresh(user)
    return user


def reset_with_code(phone: str, code: str, password: str, *, actor: Actor) -> User:
    try:
        phone = normalise_phone(phone)
    except PhoneError as exc:
        raise CustomerError(str(exc), "phone") from None
    _check_password(password)
    otp.check("reset", phone, code)  # codes are only ever sent to existing accounts
    user = _find(None, phone)
    if user is None or not user.is_active:
        db.session.rollback()
        raise CustomerError(_("This code has expired or has been used. Ask for a new code."), "code")
    user.phone_verified_at = user.phone_verified_at or utcnow()  # the code proves the phone is theirs
    return _set_password(user, password, actor, "sms code")


def reset_with_token(token: str, password: str, *, actor: Actor) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=RESET_LINK_SECONDS)
    except SignatureExpired:
        raise CustomerError(_("This link has expired. Ask for a new one."), "password") from None
    except BadSignature:
        raise CustomerError(_("This link is not valid. Ask for a new one."), "password") from None
    _check_password(password)
    user = db.session.get(User, data.get("u"))
    if user is None or not user.is_active or user.session_version != data.get("v"):
        raise CustomerError(_("This link has been used already. Ask for a new one."), "password")
    user.email_verified_at = user.email_verified_at or utcnow()
    return _set_password(user, password, actor, "email link")


def check_reset_token(token: str) -> bool:
    try:
        _reset_serializer().loads(token, max_age=RESET_LINK_SECONDS)
        return True
    except BadSignature:
        return False
