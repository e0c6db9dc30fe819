"""A customer's saved passengers: people they often book for, picked at checkout."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from models import db
from models.base import utcnow
from models.customers import DOCUMENT_KINDS, GENDERS, SavedPassenger
from models.people import User
from services import crypto
from services.customers import CustomerError, normalise_nid

MAX_SAVED = 20
DOCUMENT_CONTEXT = "passenger-document"
_PASSPORT = re.compile(r"^[A-Z0-9]{6,12}$")


def list_for(user_id: int) -> list[SavedPassenger]:
    return list(db.session.scalars(sa.select(SavedPassenger).where(SavedPassenger.user_id == user_id)
                                   .order_by(SavedPassenger.name, SavedPassenger.id)))


def document_of(passenger: SavedPassenger) -> str | None:
    if not passenger.document_number_encrypted:
        return None
    return crypto.open_sealed(passenger.document_number_encrypted, DOCUMENT_CONTEXT)


def _document(kind: str | None, number: str | None) -> tuple[str | None, str | None]:
    number = re.sub(r"[\s\-]", "", number or "").upper()
    kind = kind or None
    if not number:
        return None, None
    if kind not in DOCUMENT_KINDS:
        raise CustomerError(_("Choose whether the number is a national ID or a passport."), "document_kind")
    if kind == "nid":
        try:
            return kind, normalise_nid(number)
        except CustomerError as exc:
            raise CustomerError(str(exc), "document_number") from None
    if not _PASSPORT.match(number):
        raise CustomerError(_("A passport number has 6 to 12 letters and digits."), "document_number")
    return kind, number


def add(user_id: int, *, name: str, date_of_birth: date | None, gender: str | None,
        document_kind: str | None, document_number: str | None) -> SavedPassenger:
    name = (name or "").strip()
    if not name:
        raise CustomerError(_("Enter the passenger's name."), "name")
    if date_of_birth is not None and (date_of_birth > utcnow().date() or date_of_birth.year < 1900):
        raise CustomerError(_("Enter a date of birth in the past."), "date_of_birth")
    gender = gender or None
    if gender is not None and gender not in GENDERS:
        raise CustomerError(_("Choose a gender from the list."), "gender")
    kind, number = _document(document_kind, document_number)
    # Lock the account row so two concurrent adds cannot both pass the limit.
    db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    count = db.session.scalar(sa.select(sa.func.count()).select_from(SavedPassenger)
                              .where(SavedPassenger.user_id == user_id))
    if count >= MAX_SAVED:
        db.session.rollback()
        raise CustomerError(_("You can keep up to %(n)s saved passengers. Remove one first.", n=MAX_SAVED), "name")
    passenger = SavedPassenger(user_id=user_id, name=name, date_of_birth=date_of_birth, gender=gender,
                               document_kind=kind,
                               document_number_encrypted=crypto.seal(number, DOCUMENT_CONTEXT) if number else None)
    db.session.add(passenger)
    db.session.commit()
    return passenger


def remove(user_id: int, passenger_id: int) -> bool:
    """Delete one of this customer's saved passengers; False if there is no such passenger of theirs."""
    deleted = db.session.execute(sa.delete(SavedPassenger).where(SavedPassenger.id == passenger_id,
                                                                 SavedPassenger.user_id == user_id))
    db.session.commit()
    return deleted.rowcount == 1


def age_on(date_of_birth: date | None, day: date) -> int | None:
    """Whole years from the date of birth to `day` (what a ticket's age field asks)."""
    if date_of_birth is None:
        return None
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
