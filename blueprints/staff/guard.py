"""The one permission check every staff view goes through."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import UserMixin, current_user

from models.people import StaffMember
from services import permissions
from blueprints.auth import account_loader
from services import staff as staff_service


class StaffUser(UserMixin):
    """The logged-in staff member as Flask-Login sees it."""

    kind = "staff"

    def __init__(self, member: StaffMember):
        self.member = member
        self.id = member.id
        self.name = member.name
        self.email = member.email
        self.role = member.role

    def get_id(self) -> str:
        return f"staff:{self.member.id}:{self.member.session_version}"

    def can(self, permission: str) -> bool:
        return permissions.role_allows(self.member.role, permission, self.member.permissions)


@account_loader("staff")
def _load_staff(member_id: int, version: int):
    member = staff_service.get_active(member_id, version)
    return StaffUser(member) if member else None


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
