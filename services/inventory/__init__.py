"""Inventory: what is free, and holds that can never oversell (rules 1-3, 6 of DESIGN.md).

The database has the last word: rail claims of one seat on overlapping stretches of one trip are
refused by `ex_seat_claims_no_overlap` (PostgreSQL) or `tg_seat_claims_no_overlap` (SQLite); plan
seats by `uq_event_seat_claims_seat_id`; quantities by conditional updates of the `held` counters
under `CHECK (sold + held <= limit)`. The services here take locks in one order (the owner, then
seats sorted) so concurrent holds queue instead of deadlocking, turn a violation into `SeatsTaken`
or `SoldOut`, and publish what changed after the commit for live seat maps.

- `rail`: hold seats of a trip for a stretch, the coach map.
- `events`: hold ticket quantities (general admission, timed slots) and plan seats; what is left.
- `holds`: a hold's life: find, release (a seat or all), extend once, expire (the periodic sweep).
- `staff`: occupancy, and seats blocked for operational use.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from services import tenant_db
from services.errors import ServiceError

DEFAULT_HOLD_MINUTES = 5
DEFAULT_RAIL_LIMIT = 4
DEFAULT_EVENT_SEAT_LIMIT = 10


class InventoryError(ServiceError):
    """A hold was refused; the message says why, fit to show."""


class SeatsTaken(InventoryError):
    """Some of the chosen seats were held or sold by someone else first: `labels` names them."""

    def __init__(self, message: str, labels: list[str] | None = None, seat_ids: list[int] | None = None, *,
                 states: dict[int, str] | None = None, stretch=None):
        super().__init__(message)
        self.labels = labels or []
        self.seat_ids = seat_ids or []
        self.states = states  # {seat id: held | sold | blocked | mine} when known
        self.stretch = stretch


class SoldOut(InventoryError):
    """Not as many left as were asked for (`left` says how many are)."""

    def __init__(self, message: str, left: int = 0, field: str | None = None):
        super().__init__(message, field)
        self.left = left


class HoldLimit(InventoryError):
    """More than a customer may hold (per booking, or on one trip across holds)."""


class NotOnSale(InventoryError):
    """The trip or event cannot be sold now: cancelled, departed, outside the sales window."""


class HoldNotFound(InventoryError):
    """No such active hold of this customer (released, expired, or someone else's)."""


@dataclass(frozen=True)
class Owner:
    """Who a hold belongs to: a logged-in customer, or a guest's browser session (events only)."""

    customer_id: int | None = None
    guest_key: str | None = None

    def __post_init__(self):
        if self.customer_id is None and not self.guest_key:
            raise ValueError("a hold needs an owner")


def hold_ttl() -> timedelta:
    minutes = tenant_db.require_tenant().setting("hold_minutes") or DEFAULT_HOLD_MINUTES
    return timedelta(minutes=max(int(minutes), 1))


def rail_seat_limit() -> int:
    return max(int(tenant_db.require_tenant().setting("max_seats_per_booking") or DEFAULT_RAIL_LIMIT), 1)


def event_seat_limit() -> int:
    return max(int(tenant_db.require_tenant().setting("max_event_seats_per_order") or DEFAULT_EVENT_SEAT_LIMIT), 1)


def new_token() -> tuple[str, str]:
    """(token, tag): the hold's public token for URLs, and a short tag live updates carry so a
    page can tell its own seats from others' without learning anyone's token."""
    return secrets.token_urlsafe(32), secrets.token_hex(6)
