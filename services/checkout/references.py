"""Booking references and PNRs.

A reference is the tenant's prefix, the year and the booking's own id: `ZOO-2026-001234`. The id
comes from the database's sequence, so references never collide and need no counter row that
every checkout would queue on. A PNR (rail) is 10 characters drawn at random from an alphabet
without look-alikes (no 0/O, 1/I/L); the unique constraint has the last word, and a clash (about
one in 10^15 per pair) is drawn again.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime

from services import tenant_db

PNR_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PNR_LENGTH = 10
REFERENCE_RE = re.compile(r"^[A-Z0-9]{2,6}-\d{4}-\d{6,}$")
PNR_RE = re.compile(rf"^[{PNR_ALPHABET}]{{{PNR_LENGTH}}}$")


def prefix() -> str:
    """The tenant's `booking_prefix` setting, else its slug: uppercase letters and digits, 2-6 of them."""
    tenant = tenant_db.require_tenant()
    raw = tenant.setting("booking_prefix") or tenant.slug
    cleaned = re.sub(r"[^A-Z0-9]", "", str(raw).upper())[:6]
    return cleaned if len(cleaned) >= 2 else (cleaned + "BK")[:2]


def reference(booking_id: int, when: datetime, *, tenant_prefix: str | None = None) -> str:
    return f"{tenant_prefix or prefix()}-{when.year:04d}-{booking_id:06d}"


def new_pnr() -> str:
    return "".join(secrets.choice(PNR_ALPHABET) for _ in range(PNR_LENGTH))
