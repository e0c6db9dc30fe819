"""The logged-in customer, and the guard for customer-only pages."""
from __future__ import annotations

from functools import wraps

from flask import redirect, request, url_for
from flask_login import current_user

from blueprints.auth import SessionUser, account_kind


@account_kind
class CustomerUser(SessionUser):
    """A customer as Flask-Login sees it; never a staff member, even with the same id."""

    kind = "customer"

    @property
    def user(self):
        return self.account


def current_customer() -> CustomerUser | None:
    return current_user if getattr(current_user, "kind", None) == "customer" else None


def customer_required(view):
    """A logged-in customer of this tenant; anyone else goes to the customer login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_customer() is None:
            return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper
