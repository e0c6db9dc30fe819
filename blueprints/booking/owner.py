"""Who is holding: the logged-in customer, or a guest's browser session (events only)."""
from __future__ import annotations

import secrets

from flask import abort, session

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


def owned_hold_or_404(token: str):
    """(hold, owner): the visitor's own hold with this token in any state, else 404."""
    from services.inventory import holds

    owner = current_owner()
    hold = holds.owned(token[:64], owner) if owner is not None else None
    if hold is None:
        abort(404)
    return hold, owner
