"""Customer accounts: register, log in, verify a contact, reset a password, edit the profile, end
every session. Logins, failed logins and account changes go to the audit log."""
from __future__ import annotations

import json
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from models import db
from models.base import utcnow
from models.people import User
from services import audit, crypto, notifications, otp, passwords, transactions
from services.audit import Actor
from services.errors import ServiceError
from services.phones import PhoneError, display_phone, is_phone, normalise_phone
from services.tenant_db import require_tenant

RESET_LINK_SECONDS = 3600
NID_CONTEXT = "nid"
_NID = re.compile(r"^(\d{10}|\d{13}|\d{17})$")


class CustomerError(ServiceError):
    """Refused; the message is fit to show, next to `field` when it names one."""


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


_DUPLICATES = {
    "uq_users_phone": (_l("An account with this mobile number exists already. Log in instead."), "phone"),
    "uq_users_email": (_l("An account with this email exists already. Log in instead."), "email"),
}


def _snapshot(user: User) -> dict:
    return {"name": user.name, "email": user.email, "phone": user.phone,
            "nid": "set" if user.nid_encrypted else None}


def _as(user: User, actor: Actor) -> Actor:
    return Actor("customer", user.id, user.email or user.phone, actor.ip, actor.user_agent)


def display_contact(contact: str) -> str:
    """A phone as people write it (01712-345678), an email as it is."""
    return display_phone(contact) if is_phone(contact) else contact


def contact_to_verify(user: User) -> str | None:
    """The phone (or, without one, the email) still waiting for its code."""
    if user.phone and user.phone_verified_at is None:
        return user.phone
    if not user.phone and user.email and user.email_verified_at is None:
        return user.email
    return None


def _contact_details(name: str, email: str | None, phone: str | None, *,
                     missing: str) -> tuple[str, str | None, str | None]:
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


def _new_user(name: str, email: str | None, phone: str | None, password_hash: str) -> User:
    user = User(name=name, email=email, phone=phone, password_hash=password_hash, is_active=True, session_version=1)
    db.session.add(user)
    return user


def create_account(name: str, email: str | None, phone: str | None, password: str, *, actor: Actor) -> User:
    """An account made directly, contacts unverified (for scripts and tests; people register with
    `start_registration`). Says plainly when a contact is taken: only the operator sees it."""
    name, email, phone = _contact_details(name, email, phone,
                                          missing=_("Enter a mobile number or an email address (or both)."))
    _check_password(password)
    user = _new_user(name, email, phone, passwords.hash_password(password))
    transactions.flush(_DUPLICATES, error=CustomerError)
    audit.record(_as(user, actor), "customer.register", "user", user.id, after=_snapshot(user))
    db.session.commit()
    return user


# Registration creates nothing until the contact is proved with a code, and answers the same whether
# or not an account has the contact already: a code goes to a free contact, a notice ("someone tried
# to register with your number") to the owner of a taken one. So registering never tells anyone which
# accounts exist, and no account exists that someone could log in to without owning its contact.

REGISTRATION_SECONDS = 3600


@dataclass(frozen=True)
class Registration:
    """A registration waiting for its code, kept sealed (AES-GCM) in the registrant's session."""

    name: str
    email: str | None
    phone: str | None
    password_hash: str
    started_at: float

    @property
    def destination(self) -> str:
        """Where the code goes: the phone, or the email when there is no phone."""
        return self.phone or self.email

    def seal(self) -> str:
        data = {"n": self.name, "e": self.email, "p": self.phone, "h": self.password_hash, "t": self.started_at}
        return crypto.seal(json.dumps(data), _registration_context())

    @classmethod
    def open(cls, sealed: str | None) -> Registration | None:
        """The registration, or None if it is not one of this site's or is older than an hour."""
        if not sealed:
            return None
        try:
            data = json.loads(crypto.open_sealed(sealed, _registration_context()))
        except (crypto.DecryptionError, ValueError):
            return None
        if time.time() - data["t"] > REGISTRATION_SECONDS:
            return None
        return cls(data["n"], data["e"], data["p"], data["h"], data["t"])


def _registration_context() -> str:
    return f"registration:{require_tenant().slug}"


def start_registration(name: str, email: str | None, phone: str | None, password: str, *,
                       actor: Actor) -> Registration:
    """Check the details and send the code (see above). Refuses only input that is wrong whoever
    owns what, never a contact for being taken."""
    name, email, phone = _contact_details(name, email, phone,
                                          missing=_("Enter a mobile number or an email address (or both)."))
    _check_password(password)
    registration = Registration(name, email, phone, passwords.hash_password(password), time.time())
    with suppress(otp.OtpCooldown):  # a code went to this contact a moment ago (this registration's or another's)
        send_registration_code(registration, actor=actor)
    return registration


def send_registration_code(registration: Registration, *, actor: Actor) -> None:
    """A code to the registration's contact, or a notice to its owner when an account has it; the
    same cooldown either way (OtpCooldown). The code is issued in both cases, so trying codes
    counts attempts the same way; only its owner's phone or inbox could ever see it."""
    destination = registration.destination
    code = otp.issue("verify", destination)
    owner = _find(None, destination) if destination == registration.phone else _find(destination, None)
    if owner is None:
        otp.deliver("verify", destination, code)
    else:
        _tell_owner(owner, destination, actor)
    if registration.phone and registration.email:
        email_owner = _find(registration.email, None)
        if email_owner is not None:
            _tell_owner(email_owner, registration.email, actor)


def _tell_owner(owner: User, contact: str, actor: Actor) -> None:
    site = require_tenant().name
    notifications.send_to(contact, _("Someone tried to register at %(site)s", site=site),
                          _("Someone tried to create a %(site)s account with %(contact)s, which has an account "
                            "already. If it was you, log in, or reset your password if you forgot it. "
                            "If not, you can ignore this message.", site=site, contact=display_contact(contact)))
    audit.record(Actor("customer", None, contact, actor.ip, actor.user_agent), "customer.register_existing",
                 "user", owner.id, commit=True)


def finish_registration(registration: Registration, code: str, *, actor: Actor) -> User:
    """The new account, its contact verified by `code` (OtpError if it is not the right one). An
    email that another account has meanwhile is left off (its owner was told at registration)."""
    destination = registration.destination
    otp.check("verify", destination, code)
    email = registration.email
    if email and registration.phone and _find(email, None) is not None:
        email = None
    user = _new_user(registration.name, email, registration.phone, registration.password_hash)
    now = utcnow()
    if destination == registration.phone:
        user.phone_verified_at = now
    else:
        user.email_verified_at = now
    user.last_login_at = now
    # The right code came from the contact's owner, who has an account already.
    taken = CustomerError(_("%(contact)s has an account already: log in, or reset your password if you "
                            "forgot it.", contact=display_contact(destination)), "code")
    transactions.flush({"uq_users_phone": taken, "uq_users_email": taken}, error=CustomerError)
    audit.record(_as(user, actor), "customer.register", "user", user.id,
                 after={**_snapshot(user), "verified": destination})
    db.session.commit()
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


def end_all_sessions(user: User, *, actor: Actor) -> User:
    """Log out everywhere: every session and remember-me cookie of this account stops working."""
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    audit.record(_as(user, actor), "customer.logout_everywhere", "user", user.id)
    db.session.commit()
    db.session.refresh(user)
    return user


# Profile changes: the name and NID are saved at once; a new phone or email only once its code comes
# back. Like registration, asking for a contact answers the same whether or not another account has
# it: a code goes to a free contact, a notice to the owner of a taken one, and nothing changes.

CONTACT_CHANGE_SECONDS = 3600


class ContactTaken(CustomerError):
    """The contact was given to another account while its code was on the way."""


_TAKEN_MEANWHILE = {
    "uq_users_phone": (_l("Another account got this mobile number before you entered the code. "
                          "Nothing was changed."), "code"),
    "uq_users_email": (_l("Another account got this email before you entered the code. Nothing was changed."),
                       "code"),
}


@dataclass(frozen=True)
class ContactChange:
    """A new phone or email for an account, waiting for its code; kept sealed in the customer's session."""

    user_id: int
    contact: str  # canonical phone or email
    started_at: float

    @property
    def is_phone(self) -> bool:
        return is_phone(self.contact)

    def seal(self) -> str:
        data = {"u": self.user_id, "c": self.contact, "t": self.started_at}
        return crypto.seal(json.dumps(data), _contact_change_context())

    @classmethod
    def open(cls, sealed: str | None, user: User | None) -> ContactChange | None:
        """The change, or None if it is not this site's and this user's, or is older than an hour."""
        if not sealed or user is None:
            return None
        try:
            data = json.loads(crypto.open_sealed(sealed, _contact_change_context()))
        except (crypto.DecryptionError, ValueError):
            return None
        if data["u"] != user.id or time.time() - data["t"] > CONTACT_CHANGE_SECONDS:
            return None
        return cls(data["u"], data["c"], data["t"])


def _contact_change_context() -> str:
    return f"contact-change:{require_tenant().slug}"


def update_profile(user: User, *, name: str, email: str | None, phone: str | None, nid: str | None,
                   actor: Actor) -> ContactChange | None:
    """Save the name and NID, remove a contact the customer cleared, and start the change of a new
    phone or email (returned; see above). One new contact at a time, and the account keeps one it
    has until the new one is verified. Refuses only input that is wrong whoever owns what."""
    name, email, phone = _contact_details(name, email, phone,
                                          missing=_("Keep a mobile number or an email address (or both)."))
    nid = normalise_nid(nid)
    new_phone = phone if phone and phone != user.phone else None
    new_email = email if email and email != user.email else None
    if new_phone and new_email:
        raise CustomerError(_("Change one contact at a time: the mobile number first, then the email."), "email")
    kept_phone = None if not phone else user.phone
    kept_email = None if not email else user.email
    if not kept_phone and not kept_email:
        raise CustomerError(_("Keep your current mobile number or email until the new one is verified."),
                            "phone" if new_phone else "email")
    before = _snapshot(user)
    if kept_phone != user.phone:
        user.phone, user.phone_verified_at = None, None
    if kept_email != user.email:
        user.email, user.email_verified_at = None, None
    user.name = name
    user.nid_encrypted = crypto.seal(nid, NID_CONTEXT) if nid else None
    audit.record(_as(user, actor), "customer.profile_update", "user", user.id, before=before, after=_snapshot(user))
    db.session.commit()
    contact = new_phone or new_email
    if contact is None:
        return None
    change = ContactChange(user.id, contact, time.time())
    with suppress(otp.OtpCooldown):  # a code went to this contact a moment ago: it still works
        send_contact_change_code(user, change, actor=actor)
    return change


def send_contact_change_code(user: User, change: ContactChange, *, actor: Actor) -> None:
    """A code to the new contact, or, when another account has it, a notice to that account's owner
    and a code sent nowhere (so cooldown and attempts count the same way); OtpCooldown either way."""
    code = otp.issue("verify", change.contact)
    owner = _find(None, change.contact) if change.is_phone else _find(change.contact, None)
    if owner is None or owner.id == user.id:
        otp.deliver("verify", change.contact, code)
        return
    site = require_tenant().name
    shown = display_contact(change.contact)
    notifications.send_to(change.contact, _("Someone tried to use your contact at %(site)s", site=site),
                          _("Someone tried to add %(contact)s to another %(site)s account. It stays with yours and "
                            "nothing was changed: you do not need to do anything.",
                            site=site, contact=shown))
    audit.record(_as(user, actor), "customer.contact_change_existing", "user", owner.id,
                 after={"contact": change.contact}, commit=True)


def finish_contact_change(user: User, change: ContactChange, code: str, *, actor: Actor) -> User:
    """Give the account the new contact, verified by `code` (OtpError if it is not the right one;
    ContactTaken if another account got the contact meanwhile)."""
    otp.check("verify", change.contact, code)
    before = _snapshot(user)
    if change.is_phone:
        user.phone, user.phone_verified_at = change.contact, utcnow()
    else:
        user.email, user.email_verified_at = change.contact, utcnow()
    transactions.flush(_TAKEN_MEANWHILE, error=ContactTaken)
    audit.record(_as(user, actor), "customer.profile_update", "user", user.id, before=before,
                 after={**_snapshot(user), "verified": change.contact})
    db.session.commit()
    return user


def nid_of(user: User) -> str | None:
    return crypto.open_sealed(user.nid_encrypted, NID_CONTEXT) if user.nid_encrypted else None


# Forgotten passwords: a code by SMS for a phone, a signed link by email for an email address.

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"password-reset:{require_tenant().slug}")


def start_reset(identifier: str, *, reset_link: Callable[[str], str]) -> tuple[str, str]:
    """Send a reset code (phone) or link (email) if such an account exists. Returns (kind,
    canonical identifier) either way, and a second request within the cooldown gets the same
    OtpCooldown either way, so the answer does not reveal which accounts exist."""
    email, phone = normalise_contact(identifier, "identifier")
    if not email and not phone:
        raise CustomerError(_("Enter your mobile number or email address."), "identifier")
    user = _find(email, phone)
    known = user is not None and user.is_active
    if phone:
        # Issued for unknown numbers too (and sent nowhere), so the cooldown and the attempts
        # count the same way whether or not the number has an account.
        code = otp.issue("reset", phone)
        if known:
            otp.deliver("reset", phone, code)
        return "phone", phone
    if known:
        token = _reset_serializer().dumps({"u": user.id, "v": user.session_version})
        site = require_tenant().name
        notifications.send_email(email, _("Reset your %(site)s password", site=site),
                                 _("Open this link within an hour to choose a new password: %(link)s\n"
                                   "If you did not ask for it, ignore this message.", link=reset_link(token)),
                                 kind="password_reset", sensitive=True)
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
