"""The logged-in customer, and the guard for customer-only pages."""
from __future__ import annotations

from functools import wraps

from flask import redirect, request, url_for
from flask_login import UserMixin, current_user

from blueprints.auth import account_loader
from models.people import User
from services import customers


class CustomerUser(UserMixin):
    """A customer as Flask-Login sees it; never a staff member, even with the same id."""

    kind = "customer"

    def __init__(self, user: User):
        self.user = user
        self.id = user.id
        self.name = user.name
        self.email = user.email

    def get_id(self) -> str:
        return f"customer:{self.user.id}:{self.user.session_version}"


@account_loader("customer")
def _load_customer(user_id: int, version: int):
    user = customers.get_active(user_id, version)
    return CustomerUser(user) if user else None


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
