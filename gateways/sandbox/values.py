"""Wire formats both simulated gateways share: money strings, Dhaka time, unguessable ids."""
from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

PAISA = Decimal("0.01")
DHAKA = timezone(timedelta(hours=6), "Asia/Dhaka")  # Bangladesh has no daylight saving time
_ID_ALPHABET = string.ascii_uppercase + string.digits


def parse_money(text) -> Decimal | None:
    """A positive amount with at most two decimals ("1040", "1040.5", "1040.00"), else None."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(PAISA):
        return None
    return value.quantize(PAISA)


def money(value: Decimal) -> str:
    """The wire form of an amount: two decimals, no grouping ("1040.00")."""
    return f"{value.quantize(PAISA):f}"


def dhaka_now() -> datetime:
    return datetime.now(DHAKA)


def new_id(prefix: str = "", length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))
