"""A trip's own stops, frozen when the trip is generated (`trip_stops`).

A route (`route_stops`) is the template for trips still to be made. When a trip is generated its
stops are copied with the trip's actual arrival and departure instants; seat claims point at those
rows (foreign keys), so what a booking covers never moves when the route is edited later.

A route edit carries over to the train's trips that have not left yet and have no claims (held or
sold, even an expired hold): their stops are replaced in the same transaction, numbered after the
old ones so a (trip, seq) pair never names a different station. Trips with claims keep the stops
they were sold with. If a claim arrives while the stops are being replaced, the database refuses
one of the two (foreign key, trigger): never a claim on stops the trip no longer has.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError

from models import db
from models.base import utcnow
from models.rail import SeatClaim, Trip, TripStop
from services import tenant_db, transactions
from services.rail.errors import RailError

CHUNK = 500  # ids per IN (...) list: well under SQLite's limit on bound parameters


@dataclass(frozen=True)
class RouteFollow:
    """What a route edit did to trips already generated: `followed` unsold trips now run the new
    route; `kept` trips with claims keep their stops; `waiting` unsold trips keep theirs because
    the route cannot be run as it is (fewer than two stops, no departure or arrival time)."""

    followed: int = 0
    kept: int = 0
    waiting: int = 0


def tenant_zone() -> ZoneInfo:
    return ZoneInfo(tenant_db.require_tenant().setting("timezone") or "Asia/Dhaka")


def stop_instant(service_date: date, at: time, day_offset: int, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of a local wall-clock time at a stop, `day_offset` days after the
    service date."""
    local = datetime.combine(service_date + timedelta(days=day_offset), at, tzinfo=zone)
    return local.astimezone(timezone.utc)


def runnable(route) -> bool:
    """A route trips can follow: two or more stops, leaving the first and arriving at the last."""
    return len(route) >= 2 and route[0].departure_time is not None and route[-1].arrival_time is not None


def origin_departure(route, service_date: date, zone: ZoneInfo) -> datetime:
    origin = route[0]
    return stop_instant(service_date, origin.departure_time, origin.day_offset, zone)


def frozen_stops(route, service_date: date, zone: ZoneInfo, *, first_seq: int = 0) -> list[dict]:
    """The rows of a trip's stops on `service_date` from `route` (RouteStop rows in order, or
    anything with their attributes), numbered from `first_seq`."""
    rows = []
    for i, stop in enumerate(route):
        rows.append({
            "seq": first_seq + i, "station_id": stop.station_id, "distance_km": stop.distance_km,
            "arrives_at": None if stop.arrival_time is None else stop_instant(
                service_date, stop.arrival_time, stop.day_offset, zone),
            "departs_at": None if stop.departure_time is None else stop_instant(
                service_date, stop.departure_time, stop.day_offset, zone),
        })
    return rows


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def follow_route(train_id: int, route, *, now: datetime | None = None) -> RouteFollow:
    """Inside a route edit's transaction (the train row locked): give the train's trips that have
    not left and have no claims the stops of `route`; leave the others. Raises RailError when a
    claim on one of those trips arrived meanwhile (the database refused; nothing is changed)."""
    now = now or utcnow()
    claimed = sa.exists().where(SeatClaim.trip_id == Trip.id)
    rows = db.session.execute(sa.select(Trip.id, Trip.service_date, claimed.label("claimed"))
                              .where(Trip.train_id == train_id, Trip.departs_at > now)).all()
    kept = sum(1 for r in rows if r.claimed)
    unsold = [(r.id, r.service_date) for r in rows if not r.claimed]
    if not unsold:
        return RouteFollow(kept=kept)
    if not runnable(route):
        return RouteFollow(kept=kept, waiting=len(unsold))
    zone = tenant_zone()
    try:
        with db.session.no_autoflush:
            last = {}
            for ids in _chunks([trip_id for trip_id, _day in unsold]):
                last.update(db.session.execute(sa.select(TripStop.trip_id, sa.func.max(TripStop.seq))
                                               .where(TripStop.trip_id.in_(ids)).group_by(TripStop.trip_id)).all())
                # The triggers and the claims' foreign keys refuse this if a claim came in meanwhile.
                db.session.execute(sa.delete(TripStop).where(TripStop.trip_id.in_(ids))
                                   .execution_options(synchronize_session=False))
            new_stops, departures = [], []
            for trip_id, day in unsold:
                first = last.get(trip_id, -1) + 1
                new_stops += [{"trip_id": trip_id, **row} for row in frozen_stops(route, day, zone, first_seq=first)]
                departures.append({"id": trip_id, "departs_at": origin_departure(route, day, zone)})
            db.session.execute(sa.insert(TripStop), new_stops)
            db.session.execute(sa.update(Trip), departures)
    except DBAPIError as exc:  # a violation, or a deadlock with the claim's own foreign-key checks
        if not isinstance(exc, IntegrityError) and not transactions.is_retryable(exc):
            raise
        db.session.rollback()
        raise RailError(_("Seats were just held or sold on one of this train’s trips while the route was being "
                          "changed. Nothing was changed: please try again.")) from None
    return RouteFollow(followed=len(unsold), kept=kept)


def stations_of(trip_id: int) -> list[TripStop]:
    """A trip's stops in order, with their stations."""
    return list(db.session.scalars(sa.select(TripStop).where(TripStop.trip_id == trip_id).order_by(TripStop.seq)))
