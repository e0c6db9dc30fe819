"""Bangladeshi mobile numbers: one canonical form (+8801XXXXXXXXX) whatever way they were typed."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from services.errors import ServiceError

# Operator prefixes in use: 013/017 Grameenphone, 014/019 Banglalink, 015 Teletalk, 016/018 Robi.
OPERATOR_PREFIXES = ("13", "14", "15", "16", "17", "18", "19")
_SEPARATORS = re.compile(r"[\s\-().]")
_BANGLA_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")


class PhoneError(ServiceError):
    """Not a Bangladeshi mobile number; the message is fit to show."""

    def __str__(self) -> str:
        return str(self.args[0])


def normalise_phone(raw: str) -> str:
    """`01712-345678`, `+880 1712 345678`, `8801712345678` (or in Bangla digits) -> `+8801712345678`."""
    text = _SEPARATORS.sub("", (raw or "").strip().translate(_BANGLA_DIGITS))
    if text.startswith("+880"):
        local = text[4:]
    elif text.startswith("00880"):
        local = text[5:]
    elif text.startswith("880"):
        local = text[3:]
    elif text.startswith("0"):
        local = text[1:]
    else:
        raise PhoneError(_l("Enter a Bangladeshi mobile number such as 01712-345678."))
    if not local.isdigit() or not local.isascii():
        raise PhoneError(_l("A mobile number has digits only (spaces and dashes are fine)."))
    if len(local) != 10:
        raise PhoneError(_l("A Bangladeshi mobile number has 11 digits, starting with 01."))
    if local[:2] not in OPERATOR_PREFIXES:
        raise PhoneError(_l("That is not a Bangladeshi mobile number: it should start with 013 to 019."))
    return f"+880{local}"


_PHONE_LIKE = re.compile(r"[+0-9০-৯ ()-]{6,20}")  # Bangla digits too, as normalise_phone reads them


def searched_phone(text: str) -> str | None:
    """The canonical number a search box's text names, in any usual spelling; None when it is not
    a phone number (the caller searches the text's other meanings)."""
    if not _PHONE_LIKE.fullmatch(text or ""):
        return None
    try:
        return normalise_phone(text)
    except PhoneError:
        return None


def is_phone(identifier: str) -> bool:
    """Whether a login identifier looks like a phone number rather than an email address."""
    return "@" not in (identifier or "")


def display_phone(canonical: str | None) -> str:
    """+8801712345678 -> 01712-345678, the way people write it."""
    if not canonical:
        return ""
    local = "0" + canonical[4:]
    return f"{local[:5]}-{local[5:]}"
