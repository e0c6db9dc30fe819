"""The one permission check every staff view goes through."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from blueprints.auth import SessionUser, account_kind
from services import permissions


@account_kind
class StaffUser(SessionUser):
    """The logged-in staff member as Flask-Login sees it."""

    kind = "staff"

    def __init__(self, member, session_key: str | None = None):
        super().__init__(member, session_key)
        self.role = member.role

    @property
    def member(self):
        return self.account

    def can(self, permission: str) -> bool:
        return permissions.role_allows(self.member.role, permission, self.member.permissions)


def current_staff() -> StaffUser | None:
    return current_user if getattr(current_user, "kind", None) == "staff" else None


def staff_required(permission: str = "dashboard.view"):
    """Logged-in staff of this tenant with `permission`; else the login page, or 403."""
    if permission not in permissions.PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view):
        view.staff_permission = permission  # read by the permission matrix test

        @wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
            if not staff.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
