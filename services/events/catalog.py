"""Venues, zones and events: create, change, publish; what customers may see."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from models import db
from models.base import utcnow
from models.events import ADMISSIONS, Event, Venue, Zone
from services import audit, transactions
from services.audit import Actor
from services.events import EventsError, NotFound
from services.events.sales import LISTED_STATUSES, VISIBLE_STATUSES

# Which status changes staff may make; sold_out is also set by the inventory when nothing is left.
TRANSITIONS = {
    "draft": {"published", "cancelled"},
    "published": {"sold_out", "cancelled", "completed"},
    "sold_out": {"published", "cancelled", "completed"},
    "cancelled": set(),
    "completed": set(),
}

VENUE_FIELDS = ("name", "address", "city", "latitude", "longitude", "capacity", "amenities")
EVENT_FIELDS = ("title", "description", "category", "venue_id", "zone_id", "starts_at", "ends_at", "admission")


@dataclass
class VenueData:
    name: str
    address: str = ""
    city: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    capacity: int | None = None
    amenities: list[str] = field(default_factory=list)


@dataclass
class EventData:
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    category: str = ""
    venue_id: int | None = None
    zone_id: int | None = None
    admission: str = "general"


def snapshot(obj, fields) -> dict:
    """Plain values for the audit log."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else (
            str(value) if isinstance(value, Decimal) else value)
    return out


def commit_or_explain(messages: transactions.Messages):
    """Commit; a constraint the database refused becomes the matching message (an EventsError)."""
    transactions.commit(messages, error=EventsError)


def flush_or_explain(messages: transactions.Messages):
    transactions.flush(messages, error=EventsError)


# --- venues and zones ----------------------------------------------------------------------------

_VENUE_MESSAGES = {"uq_venues_name": _l("A venue with this name already exists.")}
_ZONE_MESSAGES = {"uq_venue_zones_venue_id_name": _l("This venue already has a zone with this name.")}

def list_venues() -> list[Venue]:
    return list(db.session.scalars(sa.select(Venue).options(selectinload(Venue.zones)).order_by(Venue.name)))


def get_venue(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(str(_l("No such venue.")))
    return venue


def save_venue(data: VenueData, *, actor: Actor, venue_id: int | None = None) -> Venue:
    """Create a venue, or change one (its events' search text follows the new name)."""
    venue = Venue() if venue_id is None else get_venue(venue_id)
    before = None if venue_id is None else snapshot(venue, VENUE_FIELDS)
    for name in VENUE_FIELDS:
        setattr(venue, name, getattr(data, name))
    db.session.add(venue)
    flush_or_explain(_VENUE_MESSAGES)
    if venue_id is not None:
        for event in db.session.scalars(sa.select(Event).where(Event.venue_id == venue.id)):
            event.search_extra = _search_extra(event.category, venue)
    audit.record(actor, "venue.created" if venue_id is None else "venue.updated", "venue", venue.id,
                 before=before, after=snapshot(venue, VENUE_FIELDS))
    commit_or_explain(_VENUE_MESSAGES)
    return venue


def add_zone(venue_id: int, name: str, capacity: int | None, *, actor: Actor) -> Zone:
    venue = get_venue(venue_id)
    zone = Zone(venue=venue, name=name.strip(), capacity=capacity)
    db.session.add(zone)
    flush_or_explain(_ZONE_MESSAGES)
    audit.record(actor, "zone.created", "zone", zone.id, after={"venue_id": venue.id, "name": zone.name,
                                                                 "capacity": capacity})
    commit_or_explain(_ZONE_MESSAGES)
    return zone


# --- events --------------------------------------------------------------------------------------

def _search_extra(category: str, venue: Venue | None) -> str:
    parts = [category or ""]
    if venue is not None:
        parts += [venue.name, venue.city or ""]
    return " ".join(p for p in parts if p)


def _check_event(data: EventData) -> tuple[Venue | None, Zone | None]:
    if not data.title.strip():
        raise EventsError(str(_l("Give the event a title.")), "title")
    if data.ends_at <= data.starts_at:
        raise EventsError(str(_l("The event must end after it starts.")), "ends_at")
    if data.admission not in ADMISSIONS:
        raise EventsError(str(_l("Choose how people are admitted.")), "admission")
    venue = get_venue(data.venue_id) if data.venue_id else None
    zone = None
    if data.zone_id:
        zone = db.session.get(Zone, data.zone_id)
        if zone is None or venue is None or zone.venue_id != venue.id:
            raise EventsError(str(_l("That zone is not part of the chosen venue.")), "zone_id")
    return venue, zone


def create_event(data: EventData, *, actor: Actor) -> Event:
    """A new event starts as a draft: customers see it once it is published."""
    venue, _zone = _check_event(data)
    event = Event(status="draft", images=[], details={}, search_extra=_search_extra(data.category, venue))
    for name in EVENT_FIELDS:
        setattr(event, name, getattr(data, name))
    event.title = event.title.strip()
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "event.created", "event", event.id, after=snapshot(event, EVENT_FIELDS))
    commit_or_explain({})
    return event


def update_event(event_id: int, data: EventData, *, actor: Actor) -> Event:
    event = get_event(event_id)
    venue, _zone = _check_event(data)
    if data.admission != event.admission and event.status != "draft":
        raise EventsError(str(_l("Admission can only change while the event is a draft.")), "admission")
    before = snapshot(event, EVENT_FIELDS)
    for name in EVENT_FIELDS:
        setattr(event, name, getattr(data, name))
    event.title = event.title.strip()
    event.search_extra = _search_extra(data.category, venue)
    audit.record(actor, "event.updated", "event", event.id, before=before, after=snapshot(event, EVENT_FIELDS))
    commit_or_explain({})
    return event


def set_status(event_id: int, status: str, *, actor: Actor) -> Event:
    """Move an event along draft → published → sold_out / cancelled / completed."""
    event = db.session.scalar(sa.select(Event).where(Event.id == event_id).with_for_update())
    if event is None:
        raise NotFound(str(_l("No such event.")))
    if status not in TRANSITIONS.get(event.status, set()):
        raise EventsError(str(_l("An event that is %(old)s cannot become %(new)s.", old=event.status, new=status)))
    if status == "published":
        _check_publishable(event)
    before = event.status
    event.status = status
    audit.record(actor, "event.status", "event", event.id, before={"status": before}, after={"status": status})
    commit_or_explain({})
    return event


def _check_publishable(event: Event) -> None:
    """Publishing something nobody can buy helps no one: it needs what its admission sells."""
    if not event.ticket_types and event.admission != "seated":
        raise EventsError(str(_l("Add at least one ticket type before publishing.")))
    if event.admission == "seated" and (event.seat_plan is None or not event.seat_plan.sections):
        raise EventsError(str(_l("Draw the seat plan before publishing.")))


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(str(_l("No such event.")))
    return event


def list_events_for_staff(status: str | None = None) -> list[Event]:
    query = sa.select(Event).options(selectinload(Event.venue)).order_by(Event.starts_at.desc())
    if status:
        query = query.where(Event.status == status)
    return list(db.session.scalars(query))


def get_public_event(event_id: int) -> Event:
    """An event as a customer may see it: never a draft."""
    event = db.session.scalar(
        sa.select(Event).where(Event.id == event_id, Event.status.in_(VISIBLE_STATUSES))
        .options(selectinload(Event.ticket_types), selectinload(Event.venue)))
    if event is None:
        raise NotFound(str(_l("No such event.")))
    return event


def upcoming(limit: int = 6, *, now: datetime | None = None) -> list[Event]:
    """Published or sold-out events that have not ended, soonest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(Event).where(Event.status.in_(LISTED_STATUSES), Event.ends_at > now)
        .options(selectinload(Event.ticket_types), selectinload(Event.venue))
        .order_by(Event.starts_at, Event.id).limit(limit)))


def categories() -> list[str]:
    """Categories of listed events, for the customer's filter."""
    return list(db.session.scalars(
        sa.select(Event.category).where(Event.status.in_(LISTED_STATUSES), Event.category != "")
        .distinct().order_by(Event.category)))


def add_image(event_id: int, path: str, *, actor: Actor) -> Event:
    event = get_event(event_id)
    event.images = [*event.images, path]
    audit.record(actor, "event.image_added", "event", event.id, after={"image": path})
    commit_or_explain({})
    return event


def remove_image(event_id: int, path: str, *, actor: Actor) -> Event:
    event = get_event(event_id)
    if path not in event.images:
        raise EventsError(str(_l("That image is not part of this event.")))
    event.images = [p for p in event.images if p != path]
    audit.record(actor, "event.image_removed", "event", event.id, before={"image": path})
    commit_or_explain({})
    return event
