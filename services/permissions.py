"""What each staff role may do. One table, used by every staff view and by the matrix test."""
from __future__ import annotations

PERMISSIONS = {
    "dashboard.view": "See the staff dashboard",
    "staff.manage": "Create staff, change roles, deactivate accounts",
    "audit.view": "Browse the audit log",
    "schedules.manage": "Stations, trains, routes, coaches, fares, trips",
    "events.manage": "Venues, events, ticket types, slots, seat plans",
    "bookings.view": "See bookings and customers",
    "bookings.manage": "Cancel and refund bookings",
    "reports.view": "Sales and occupancy reports",
    "gate.scan": "Scan tickets at the gate",
    "settings.manage": "Tenant settings, branding, gateways",
}

READ_ONLY = {"dashboard.view", "audit.view", "bookings.view", "reports.view"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "operator": frozenset({"dashboard.view", "schedules.manage", "events.manage", "bookings.view",
                           "bookings.manage", "reports.view", "gate.scan"}),
    "gate": frozenset({"dashboard.view", "gate.scan"}),  # every role has a page to land on after login
    "viewer": frozenset(READ_ONLY),
}


def role_allows(role: str, permission: str, extra: dict | None = None) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if permission in ROLE_PERMISSIONS.get(role, frozenset()):
        return True
    # Per-person grants (staff_members.permissions) add to the role, never take from it.
    return bool(extra and extra.get(permission) is True)
