"""Whether something is on sale now: the event's status, the sales window and what is left.

Pure functions over values, so every page and the inventory step decide the same way."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

# Statuses a customer may see; drafts never appear outside the staff area.
VISIBLE_STATUSES = ("published", "sold_out", "cancelled", "completed")
LISTED_STATUSES = ("published", "sold_out")  # what browsing and search show


@dataclass(frozen=True)
class SaleState:
    code: str  # on_sale | not_started | closed | sold_out | unavailable
    label: object  # lazy text, translated when shown
    opens_at: datetime | None = None

    @property
    def on_sale(self) -> bool:
        return self.code == "on_sale"


def remaining(limit: int | None, sold: int, held: int) -> int | None:
    """How many are left under a limit (None: no limit of its own)."""
    return None if limit is None else max(limit - sold - held, 0)


def sale_state(*, event_status: str, now: datetime, sales_start: datetime | None = None,
               sales_end: datetime | None = None, left: int | None = None) -> SaleState:
    """The one rule: not on sale unless the event is published, the window is open (start
    inclusive, end exclusive) and something is left."""
    if event_status == "sold_out":
        return SaleState("sold_out", _l("Sold out"))
    if event_status == "cancelled":
        return SaleState("unavailable", _l("Cancelled"))
    if event_status != "published":
        return SaleState("unavailable", _l("Not on sale"))
    if sales_start is not None and now < sales_start:
        return SaleState("not_started", _l("Sales not open yet"), opens_at=sales_start)
    if sales_end is not None and now >= sales_end:
        return SaleState("closed", _l("Sales closed"))
    if left is not None and left <= 0:
        return SaleState("sold_out", _l("Sold out"))
    return SaleState("on_sale", _l("On sale"))


def ticket_type_state(event, ticket_type, now: datetime) -> SaleState:
    """A ticket type sells until its own sales end, else until the event ends."""
    return sale_state(event_status=event.status, now=now, sales_start=ticket_type.sales_start,
                      sales_end=ticket_type.sales_end or event.ends_at,
                      left=remaining(ticket_type.quantity, ticket_type.sold, ticket_type.held))


def slot_state(event, slot, now: datetime) -> SaleState:
    """A time slot sells until it ends (late arrivals may still enter)."""
    return sale_state(event_status=event.status, now=now, sales_end=slot.ends_at,
                      left=remaining(slot.capacity, slot.sold, slot.held))
