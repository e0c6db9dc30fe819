"""Coach classes by the names travellers know, in the reader's language.

A class's name (`CoachClass.name`) is the operator's data; its code (`AC_S`) is for links and
staff pages only. Every rail tenant starts with the classes of migration t0003 under Bangladesh
Railway's names; those are marked here for translation so a Bangla reader sees "শোভন চেয়ার". A name
the operator wrote themselves is shown as they wrote it.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STANDARD_NAMES = {  # the English names of migration t0003's classes, as msgids
    "AC berth": _l("AC berth"),
    "AC seat": _l("AC seat"),
    "Snigdha": _l("Snigdha"),
    "First class berth": _l("First class berth"),
    "First class seat": _l("First class seat"),
    "Shovan chair": _l("Shovan chair"),
    "Shovan": _l("Shovan"),
}


def traveller_name(name: str) -> str:
    """The class's name as a customer reads it: translated when it is a standard name."""
    standard = STANDARD_NAMES.get(name)
    return name if standard is None else str(standard)
