"""Train search: every trip that stops at `from` before `to` on the date a person boards (its
own frozen stops, `trip_stops`), with times at those two stops, and for each class the seats free
on exactly that stretch and the fare.

Occupancy is per seat per stretch (rule 2): a seat is free for [board, alight) when no live claim
(sold, or held and not yet expired) on that trip overlaps it, so a seat sold Dhaka→Bhairab is free
Bhairab→Chattogram.

A train that has left the boarding station (its departure there plus its delay) is not listed: that
is decided at every search, after the cache, so an answer cached minutes ago still drops it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from models import db
from models.base import utcnow
from models.rail import Coach, CoachClass, Seat, SeatClaim, Station, Train, Trip, TripStop
from services import tenant_db
from services.rail import cache, fares
from services.rail.errors import RailError
from services.rail.network import resolve_station
from services.rail.trips import local_today, tenant_zone

DEPARTURE_WINDOWS = {"morning": (0, 12), "afternoon": (12, 18), "evening": (18, 24)}


@dataclass
class SearchAnswer:
    origin: Station
    destination: Station
    travel_date: date
    results: list[dict] = field(default_factory=list)
    all_left: bool = False  # trains ran that day, and every one has left the boarding station


def window(today: date | None = None) -> tuple[date, date]:
    """The dates on sale: today and the next `advance_sale_days - 1` days."""
    today = today or local_today()
    days = int(tenant_db.require_tenant().setting("advance_sale_days") or 10)
    return today, today + timedelta(days=max(days, 1) - 1)


def search(from_text: str, to_text: str, travel_date: date, *, coach_class: str | None = None,
           departure: str | None = None, now: datetime | None = None) -> SearchAnswer:
    """Resolve the stations, check the date is on sale, and find the trains still to leave the
    boarding station (filtered by class code and departure window, sorted by departure). Raises
    RailError with the field at fault."""
    now = now or utcnow()
    origin = resolve_station(from_text)
    if origin is None:
        raise RailError(_("No station matches “%(text)s”.", text=from_text), "from")
    destination = resolve_station(to_text)
    if destination is None:
        raise RailError(_("No station matches “%(text)s”.", text=to_text), "to")
    if origin.id == destination.id:
        raise RailError(_("From and to are the same station."), "to")
    first, last = window()
    if not first <= travel_date <= last:
        raise RailError(_("Choose a date from %(first)s to %(last)s: tickets are sold up to %(n)s days ahead.",
                          first=first.isoformat(), last=last.isoformat(), n=(last - first).days + 1), "date")
    results = cache.cached((origin.id, destination.id, travel_date.isoformat()), travel_date,
                           lambda: find_trains(origin.id, destination.id, travel_date, now=now))
    # Decided here, not in the cached answer: that may be older than a departure.
    upcoming = [row for row in results
                if not has_left(datetime.fromisoformat(row["departs_local"]), row["delay_minutes"], now)]
    return SearchAnswer(origin, destination, travel_date, filter_results(upcoming, coach_class, departure),
                        all_left=bool(results) and not upcoming)


def has_left(departs: datetime, delay_minutes: int, now: datetime) -> bool:
    """Whether a train has left a station: its departure there, plus the trip's delay, is not in the future."""
    return departs + timedelta(minutes=delay_minutes) <= now


def filter_results(results: list[dict], coach_class: str | None, departure: str | None) -> list[dict]:
    out = []
    hours = DEPARTURE_WINDOWS.get(departure or "")
    for row in results:
        if hours and not hours[0] <= int(row["departs_local"][11:13]) < hours[1]:
            continue
        if coach_class:
            classes = [c for c in row["classes"] if c["code"] == coach_class]
            if not classes:
                continue
            row = {**row, "classes": classes}
        out.append(row)
    return sorted(out, key=lambda r: (r["departs_local"], r["train_number"]))


def find_trains(from_station_id: int, to_station_id: int, travel_date: date, *,
                now: datetime | None = None) -> list[dict]:
    """The uncached search, as JSON-able dicts (what the cache stores). It reads each trip's own
    frozen stops, not the route: a trip sold before a route edit is found with the stops it runs.
    A trip that has left the boarding station is in the answer with no classes (`search` drops it)."""
    now = now or utcnow()
    zone = tenant_zone()
    day_starts = datetime.combine(travel_date, time(0), tzinfo=zone).astimezone(timezone.utc)
    day_ends = datetime.combine(travel_date + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    board, alight = aliased(TripStop), aliased(TripStop)
    rows = db.session.execute(
        sa.select(Trip, Train, board, alight)
        .join(Train, Train.id == Trip.train_id)
        .join(board, board.trip_id == Trip.id)
        .join(alight, sa.and_(alight.trip_id == Trip.id, alight.station_id == to_station_id))
        # Boarded on travel_date: the departure from `from` falls within that local day.
        .where(board.station_id == from_station_id, board.departs_at >= day_starts, board.departs_at < day_ends,
               board.seq < alight.seq, Train.is_active.is_(True))
    ).all()
    if not rows:
        return []
    classes = {c.id: c for c in db.session.scalars(sa.select(CoachClass))}
    explicit = fares.overrides(from_station_id, to_station_id)
    results = []
    for trip, train, b, a in rows:
        departs, arrives = b.departs_at, a.arrives_at or a.departs_at
        departs_local, arrives_local = departs.astimezone(zone), arrives.astimezone(zone)
        distance = Decimal(a.distance_km) - Decimal(b.distance_km)
        left = has_left(departs, trip.delay_minutes, now)
        free = {} if left else free_seats_by_class(trip.id, train.id, b.seq, a.seq, now)  # nothing to sell once left
        results.append({
            "trip_id": trip.id, "train_number": train.number, "train_name": train.name,
            "status": trip.status, "delay_minutes": trip.delay_minutes,
            "departs_local": departs_local.isoformat(), "arrives_local": arrives_local.isoformat(),
            "duration_minutes": int((arrives - departs).total_seconds() // 60),
            "arrives_days_later": (arrives_local.date() - departs_local.date()).days,
            "board_seq": b.seq, "alight_seq": a.seq, "distance_km": str(distance),
            "classes": [
                {"code": classes[cid].code, "name": classes[cid].name, "free": count, "total": total,
                 "fare": str(fares.fare_for(classes[cid], distance, explicit.get(cid)))}
                for cid, (count, total) in sorted(free.items(), key=lambda kv: classes[kv[0]].position)
            ],
        })
    return sorted(results, key=lambda r: (r["departs_local"], r["train_number"]))


def free_seats_by_class(trip_id: int, train_id: int, board_seq: int, alight_seq: int,
                        now: datetime) -> dict[int, tuple[int, int]]:
    """{class id: (seats free on [board_seq, alight_seq), seats in total)} for one trip."""
    taken = (sa.select(SeatClaim.id).where(
        SeatClaim.trip_id == trip_id, SeatClaim.seat_id == Seat.id,
        SeatClaim.board_seq < alight_seq, SeatClaim.alight_seq > board_seq,  # the stretches overlap
        sa.or_(SeatClaim.status == "sold", SeatClaim.expires_at > now)).exists())
    rows = db.session.execute(
        sa.select(Coach.coach_class_id, sa.func.count(Seat.id),
                  sa.func.sum(sa.case((taken, 0), else_=1)))
        .join(Seat, Seat.coach_id == Coach.id).where(Coach.train_id == train_id).group_by(Coach.coach_class_id))
    return {class_id: (int(free or 0), int(total)) for class_id, total, free in rows}
