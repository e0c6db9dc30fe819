"""Stations, trains, operating days and each train's route (its ordered stops)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from models import db
from models.rail import ALL_DAYS, TRAIN_TYPES, RouteStop, Station, Train
from services import audit, transactions
from services.audit import Actor
from services.rail import cache
from services.rail.errors import RailError
from services.rail.trip_stops import RouteFollow, follow_route

# Python's weekday(): Monday 0 ... Sunday 6. Bangladesh's weekend is Friday and Saturday.
WEEKDAYS = (0, 1, 2, 3, 6)
WEEKEND = (4, 5)
DAY_MODES = ("daily", "weekdays", "weekends", "chosen", "off_days")


def snapshot(obj, fields) -> dict:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value if value is None or isinstance(value, (int, str, bool)) else str(value)
    return out


def commit_change(actor: Actor, action: str, resource: str, obj_id, *, before=None, after=None,
                  conflict: RailError | transactions.Messages | None = None) -> None:
    """Audit and commit one staff change. A constraint violation becomes `conflict` (nothing changes):
    {constraint name: message or RailError}, or one RailError whatever the constraint."""
    messages = {transactions.ANY_CONSTRAINT: conflict} if isinstance(conflict, RailError) else conflict
    transactions.flush(messages, error=RailError)
    audit.record(actor, action, resource, obj_id() if callable(obj_id) else obj_id, before=before, after=after)
    transactions.commit(messages, error=RailError)
    cache.schedules_changed()


# --- stations ---------------------------------------------------------------------------------

STATION_FIELDS = ("code", "name_en", "name_bn", "city", "latitude", "longitude", "is_active")


def list_stations() -> list[Station]:
    return list(db.session.scalars(sa.select(Station).order_by(Station.name_en)))


def save_station(data: dict, *, actor: Actor, station_id: int | None = None) -> Station:
    """Create a station, or update `station_id`. `data` has the STATION_FIELDS."""
    code = (data.get("code") or "").strip().upper()
    if not code:
        raise RailError(_("Give the station a code."), "code")
    station = db.session.get(Station, station_id) if station_id else Station()
    if station is None:
        raise RailError(_("That station no longer exists."))
    before = snapshot(station, STATION_FIELDS) if station_id else None
    station.code = code
    station.name_en = data["name_en"].strip()
    station.name_bn = data["name_bn"].strip()
    station.city = data["city"].strip()
    station.latitude = data.get("latitude")
    station.longitude = data.get("longitude")
    station.is_active = data.get("is_active", True)
    if station_id is None:
        db.session.add(station)
    commit_change(actor, "station.update" if station_id else "station.create", "station", lambda: station.id,
                  before=before, after=snapshot(station, STATION_FIELDS),
                  conflict=RailError(_("A station with code %(code)s already exists.", code=code), "code"))
    return station


def suggest_stations(text: str, limit: int = 8) -> list[Station]:
    """Stations whose code, English or Bangla name or city contains `text` (active search)."""
    text = (text or "").strip()
    if not text:
        return []
    like = f"%{text}%"
    starts = f"{text}%"
    query = (sa.select(Station).where(Station.is_active.is_(True))
             .where(sa.or_(Station.code.ilike(like), Station.name_en.ilike(like), Station.name_bn.like(like),
                           Station.city.ilike(like)))
             .order_by(sa.case((Station.code.ilike(text), 0), (Station.name_en.ilike(starts), 1),
                               (Station.name_bn.like(starts), 1), else_=2), Station.name_en)
             .limit(limit))
    return list(db.session.scalars(query))


def resolve_station(text: str) -> Station | None:
    """The station a person means by a code or a name: exact code, then exact English or Bangla
    name, then exact city, then a unique name prefix."""
    text = (text or "").strip()
    if not text:
        return None
    active = sa.select(Station).where(Station.is_active.is_(True)).order_by(Station.id)
    for condition in (sa.func.upper(Station.code) == text.upper(),
                      sa.func.lower(Station.name_en) == text.lower(), Station.name_bn == text,
                      sa.func.lower(Station.city) == text.lower()):
        station = db.session.scalars(active.where(condition).limit(1)).first()
        if station is not None:
            return station
    matches = list(db.session.scalars(active.where(sa.or_(Station.name_en.ilike(f"{text}%"),
                                                           Station.name_bn.like(f"{text}%"))).limit(2)))
    return matches[0] if len(matches) == 1 else None


# --- trains and operating days ----------------------------------------------------------------

TRAIN_FIELDS = ("number", "name", "train_type", "run_days", "is_active")


def run_days_mask(mode: str, days: list[int] | None = None) -> int:
    """The weekday bitmask for an operating pattern: every day, weekdays (Sun-Thu), weekends
    (Fri-Sat), chosen weekdays, or every day except the chosen off-days."""
    days = sorted({int(d) for d in (days or []) if 0 <= int(d) <= 6})
    if mode == "daily":
        return ALL_DAYS
    if mode == "weekdays":
        return sum(1 << d for d in WEEKDAYS)
    if mode == "weekends":
        return sum(1 << d for d in WEEKEND)
    if mode == "chosen":
        if not days:
            raise RailError(_("Choose the days the train runs."), "days")
        return sum(1 << d for d in days)
    if mode == "off_days":
        if not days or len(days) == 7:
            raise RailError(_("Choose the train's off-days (at least one, not all seven)."), "days")
        return ALL_DAYS & ~sum(1 << d for d in days)
    raise RailError(_("Unknown operating pattern."), "mode")


def runs_on(mask: int, weekday: int) -> bool:
    return bool(mask & (1 << weekday))


def list_trains() -> list[Train]:
    return list(db.session.scalars(sa.select(Train).order_by(Train.number)))


def get_train(train_id: int) -> Train:
    train = db.session.get(Train, train_id)
    if train is None:
        raise RailError(_("That train no longer exists."))
    return train


def save_train(data: dict, *, actor: Actor, train_id: int | None = None) -> Train:
    """Create a train or update one: number, name, type, and its operating days
    (`mode` and `days` as `run_days_mask` takes them)."""
    number = (data.get("number") or "").strip()
    if data.get("train_type") not in TRAIN_TYPES:
        raise RailError(_("Unknown train type."), "train_type")
    mask = run_days_mask(data.get("mode") or "daily", data.get("days"))
    train = get_train(train_id) if train_id else Train()
    before = snapshot(train, TRAIN_FIELDS) if train_id else None
    train.number, train.name, train.train_type, train.run_days = number, data["name"].strip(), data["train_type"], mask
    train.is_active = data.get("is_active", True)
    if train_id is None:
        db.session.add(train)
    commit_change(actor, "train.update" if train_id else "train.create", "train", lambda: train.id,
                  before=before, after=snapshot(train, TRAIN_FIELDS),
                  conflict=RailError(_("A train numbered %(number)s already exists.", number=number), "number"))
    return train


# --- route stops ------------------------------------------------------------------------------

STOP_FIELDS = ("seq", "station_id", "arrival_time", "departure_time", "day_offset", "distance_km")


def _minutes(t: time | None, offset: int) -> int | None:
    return None if t is None else offset * 1440 + t.hour * 60 + t.minute


def check_route(stops: list[RouteStop]) -> None:
    """Times never go backwards along the route (day offsets make overnight runs explicit), and
    distances from the origin never shrink. Raises RailError naming the first offending stop."""
    previous = None  # (station name, minutes of departure, distance)
    for stop in stops:
        name = stop.station.name_en if stop.station else "?"
        arrive = _minutes(stop.arrival_time, stop.day_offset)
        depart = _minutes(stop.departure_time, stop.day_offset)
        if arrive is not None and depart is not None and depart < arrive:
            raise RailError(_("At %(station)s the departure (%(dep)s) is before the arrival (%(arr)s).",
                              station=name, dep=stop.departure_time.strftime("%H:%M"),
                              arr=stop.arrival_time.strftime("%H:%M")), "departure_time")
        if previous is not None:
            first = arrive if arrive is not None else depart
            if previous[1] is not None and first is not None and first < previous[1]:
                raise RailError(_("Times go backwards: %(station)s (%(time)s, day +%(offset)s) comes before the "
                                  "departure from %(prev)s. For an overnight run, raise the day offset.",
                                  station=name, time=(stop.arrival_time or stop.departure_time).strftime("%H:%M"),
                                  offset=stop.day_offset, prev=previous[0]), "arrival_time")
            if Decimal(stop.distance_km or 0) < previous[2]:
                raise RailError(_("The distance to %(station)s is shorter than to %(prev)s: distances are counted "
                                  "from the origin.", station=name, prev=previous[0]), "distance_km")
        previous = (name, depart if depart is not None else arrive, Decimal(stop.distance_km or 0))


@dataclass(frozen=True)
class RouteChange:
    """A saved route edit and what it did to trips already generated (see trip_stops.follow_route)."""

    follow: RouteFollow


def _train_for_route_edit(train_id: int) -> Train:
    # Route edits of one train take turns (the row lock), and trip generation waits for them.
    train = db.session.get(Train, train_id, with_for_update=True, populate_existing=True)
    if train is None:
        raise RailError(_("That train no longer exists."))
    db.session.expire(train, ["stops"])
    return train


def add_stop(train_id: int, data: dict, *, actor: Actor) -> RouteChange:
    """Append a stop to the train's route (validated against the stops before it); unsold trips
    not yet departed follow the new route, trips with claims keep their stops."""
    train = _train_for_route_edit(train_id)
    station = db.session.get(Station, data["station_id"])
    if station is None:
        raise RailError(_("Choose a station."), "station_id")
    if any(s.station_id == station.id for s in train.stops):
        raise RailError(_("%(station)s is already a stop of this train: a stop can be listed only once.",
                          station=station.name_en), "station_id")
    if data.get("arrival_time") is None and data.get("departure_time") is None:
        raise RailError(_("Give an arrival or a departure time."), "departure_time")
    stop = RouteStop(seq=(train.stops[-1].seq + 1) if train.stops else 0, station=station,
                     arrival_time=data.get("arrival_time"), departure_time=data.get("departure_time"),
                     day_offset=data.get("day_offset") or 0, distance_km=data.get("distance_km") or 0)
    with db.session.no_autoflush:
        check_route([*train.stops, stop])
    train.stops.append(stop)
    listed_once = {transactions.ANY_CONSTRAINT: RailError(
        _("%(station)s is already a stop of this train: a stop can be listed only once.", station=station.name_en),
        "station_id")}
    transactions.flush(listed_once, error=RailError)
    follow = follow_route(train.id, train.stops)
    commit_change(actor, "route_stop.create", "train", train.id,
                  after={**snapshot(stop, STOP_FIELDS), **_follow_audit(follow)}, conflict=listed_once)
    return RouteChange(follow)


def remove_stop(train_id: int, stop_id: int, *, actor: Actor) -> RouteChange:
    """Remove a stop; the later stops move up so sequence numbers stay 0..n-1. Trips already sold
    are not touched (their stops are their own, and the database keeps them); unsold trips not yet
    departed follow the new route. All in one transaction."""
    train = _train_for_route_edit(train_id)
    stop = next((s for s in train.stops if s.id == stop_id), None)
    if stop is None:
        raise RailError(_("That stop is no longer on the route."))
    before = snapshot(stop, STOP_FIELDS)
    remaining = [s for s in train.stops if s.id != stop_id]
    with db.session.no_autoflush:
        check_route(remaining)
    train.stops.remove(stop)
    db.session.flush()
    _renumber(remaining)
    follow = follow_route(train.id, remaining)
    commit_change(actor, "route_stop.delete", "train", train.id, before=before, after=_follow_audit(follow))
    return RouteChange(follow)


def _follow_audit(follow: RouteFollow) -> dict:
    return {"trips_following": follow.followed, "trips_keeping_stops": follow.kept + follow.waiting}


def _renumber(stops: list[RouteStop]) -> None:
    # Two passes through negative numbers: the (train, seq) unique constraint holds at every step.
    for i, stop in enumerate(stops):
        stop.seq = -1 - i
    db.session.flush()
    for i, stop in enumerate(stops):
        stop.seq = i
    db.session.flush()
