"""Who is holding: the logged-in customer, or a guest's browser session (events only)."""
from __future__ import annotations

import secrets

from flask import session

from blueprints.account.guard import current_customer
from services.inventory import Owner


def current_owner(*, create: bool = False) -> Owner | None:
    """The customer, else this browser's guest key (made when `create`: only a hold needs one)."""
    customer = current_customer()
    if customer is not None:
        return Owner(customer_id=customer.account.id)
    key = session.get("guest")
    if key is None and create:
        key = session["guest"] = secrets.token_urlsafe(24)
    return Owner(guest_key=key) if key else None
