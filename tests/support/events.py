"""Factories for events tests: staff accounts, venues and events made through the services."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models.base import utcnow
from services import staff
from services.audit import Actor
from services.events import catalog, ticket_types
from services.events.catalog import EventData, VenueData
from services.events.ticket_types import TicketTypeData

ACTOR = Actor.system("test")
STAFF_PASSWORD = "staff-pass-123"


def make_staff(role: str = "operator", email: str | None = None) -> str:
    email = email or f"{role}@events.example.com"
    staff.create_staff(email, f"Test {role}", role, STAFF_PASSWORD, actor=ACTOR)
    return email


def login_staff(client, email: str):
    return client.post("/staff/login", data={"email": email, "password": STAFF_PASSWORD})


def make_venue(name: str = "Lake Park", **fields) -> int:
    return catalog.save_venue(VenueData(name=name, **fields), actor=ACTOR).id


def make_event(title: str = "Evening concert", *, description: str = "", category: str = "Music",
               venue_id: int | None = None, status: str = "published", admission: str = "general",
               starts_in: timedelta = timedelta(days=3), hours: int = 2,
               tickets: list[tuple[str, str, int | None]] | None = (("Adult", "100", 50),), **ticket_fields) -> int:
    """An event with ticket types (name, price, quantity), moved to `status` through the services."""
    start = utcnow().replace(microsecond=0) + starts_in
    event = catalog.create_event(EventData(title=title, description=description, category=category,
                                           venue_id=venue_id, admission=admission, starts_at=start,
                                           ends_at=start + timedelta(hours=hours)), actor=ACTOR)
    for name, price, quantity in tickets or ():
        ticket_types.add_ticket_type(event.id, TicketTypeData(name=name, price=Decimal(price), quantity=quantity,
                                                              kind="general", **ticket_fields), actor=ACTOR)
    path = {"draft": [], "published": ["published"], "sold_out": ["published", "sold_out"],
            "cancelled": ["published", "cancelled"]}[status]
    for step in path:
        catalog.set_status(event.id, step, actor=ACTOR)
    return event.id
