"""Trips: a train on a service date (the local date it leaves its origin), generated from the
train's operating days for a date range; delays and cancellations.

Generation is idempotent because `uq_trips_train_date` decides (INSERT ... ON CONFLICT DO NOTHING,
never check-then-insert), and transactional per trip: each trip commits on its own, so a run that
stops half-way leaves whole trips and the next run fills in the rest.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from models import db
from models.base import utcnow
from models.rail import Train, Trip, TripGeneration
from services import tenant_db
from services.audit import Actor
from services.rail import cache
from services.rail.errors import RailError
from services.rail.network import check_route, commit_change, runs_on

MAX_RANGE_DAYS = 366
BACKGROUND_OVER_DAYS = 31  # longer ranges run as a background job with visible progress
PROGRESS_EVERY = 100


def tenant_zone() -> ZoneInfo:
    return ZoneInfo(tenant_db.require_tenant().setting("timezone") or "Asia/Dhaka")


def local_today() -> date:
    return datetime.now(tenant_zone()).date()


def service_dates(run_days: int, start: date, end: date) -> list[date]:
    """The dates in [start, end] on which a train with weekday mask `run_days` leaves its origin."""
    days = (end - start).days + 1
    return [d for d in (start + timedelta(days=i) for i in range(max(days, 0))) if runs_on(run_days, d.weekday())]


def stop_instant(service_date: date, at: time, day_offset: int, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of a local wall-clock time at a stop, `day_offset` days after the
    service date."""
    local = datetime.combine(service_date + timedelta(days=day_offset), at, tzinfo=zone)
    return local.astimezone(timezone.utc)


def check_train_ready(train: Train) -> None:
    """A train can run once it has a route of two or more stops with times, and coaches."""
    stops = train.stops
    if len(stops) < 2:
        raise RailError(_("Train %(number)s %(name)s needs at least two stops before trips can be generated.",
                          number=train.number, name=train.name), "train_ids")
    if stops[0].departure_time is None:
        raise RailError(_("Train %(number)s needs a departure time at its first stop.", number=train.number), "train_ids")
    if stops[-1].arrival_time is None:
        raise RailError(_("Train %(number)s needs an arrival time at its last stop.", number=train.number), "train_ids")
    check_route(stops)
    if not train.coaches:
        raise RailError(_("Train %(number)s %(name)s has no coaches: add coaches before generating trips.",
                          number=train.number, name=train.name), "train_ids")


def start_generation(train_ids: list[int], start: date, end: date, *, actor: Actor) -> TripGeneration:
    """Validate and record a generation run, then run it: inline for a short range, as a
    background job (progress in its row) for a long one."""
    if not train_ids:
        raise RailError(_("Choose at least one train."), "train_ids")
    if end < start:
        raise RailError(_("The last date is before the first date."), "end_date")
    if start < local_today():
        raise RailError(_("Trips can only be generated from today on."), "start_date")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise RailError(_("Generate at most %(n)s days at a time.", n=MAX_RANGE_DAYS), "end_date")
    trains = list(db.session.scalars(sa.select(Train).where(Train.id.in_(train_ids)).order_by(Train.number)))
    if len(trains) != len(set(train_ids)):
        raise RailError(_("One of the chosen trains no longer exists."), "train_ids")
    for train in trains:
        check_train_ready(train)
    run = TripGeneration(train_ids=[t.id for t in trains], start_date=start, end_date=end, status="queued",
                         total=sum(len(service_dates(t.run_days, start, end)) for t in trains),
                         requested_by=actor.label)
    db.session.add(run)
    commit_change(actor, "trips.generate", "trip_generation", lambda: run.id,
                  after={"trains": [t.number for t in trains], "start": str(start), "end": str(end)})
    run_id = run.id
    if (end - start).days + 1 > BACKGROUND_OVER_DAYS:
        from jobs.queue import enqueue

        enqueue("services.rail.trips.run_generation", run_id, tenant=tenant_db.require_tenant().slug,
                job_timeout=3600)
    else:
        run_generation(run_id)
    db.session.expire_all()
    return db.session.get(TripGeneration, run_id)


def run_generation(run_id: int) -> int:
    """The job: create the missing trips of a recorded run, one transaction per trip, updating
    its progress as it goes. Safe to run twice. Returns the number of trips created."""
    run = db.session.get(TripGeneration, run_id)
    if run is None or run.status == "done":
        return 0
    trains = list(db.session.scalars(sa.select(Train).where(Train.id.in_(run.train_ids))))
    plan = [(train, train.stops[0]) for train in trains if train.stops]
    start, end = run.start_date, run.end_date
    db.session.close()
    zone = tenant_zone()
    engine = tenant_db.current_engine()
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    table = Trip.__table__
    progress = TripGeneration.__table__
    created = done = 0
    try:
        with engine.connect() as conn:
            conn.execute(progress.update().where(progress.c.id == run_id).values(status="running"))
            conn.commit()
            for train, origin in plan:
                for day in service_dates(train.run_days, start, end):
                    stmt = (dialect.insert(table)
                            .values(train_id=train.id, service_date=day, status="scheduled", delay_minutes=0,
                                    departs_at=stop_instant(day, origin.departure_time, origin.day_offset, zone),
                                    created_at=utcnow())
                            .on_conflict_do_nothing(index_elements=["train_id", "service_date"])
                            .returning(table.c.id))
                    created += conn.execute(stmt).scalar() is not None
                    conn.commit()  # one transaction per trip
                    done += 1
                    if done % PROGRESS_EVERY == 0:
                        conn.execute(progress.update().where(progress.c.id == run_id).values(done=done, created=created))
                        conn.commit()
            conn.execute(progress.update().where(progress.c.id == run_id)
                         .values(status="done", done=done, created=created, finished_at=utcnow()))
            conn.commit()
    except Exception as exc:
        with engine.connect() as conn:
            conn.execute(progress.update().where(progress.c.id == run_id)
                         .values(status="failed", done=done, created=created, error=str(exc)[:500], finished_at=utcnow()))
            conn.commit()
        raise
    finally:
        cache.schedules_changed()
    return created


def get_generation(run_id: int) -> TripGeneration | None:
    return db.session.get(TripGeneration, run_id)


def recent_generations(limit: int = 5) -> list[TripGeneration]:
    return list(db.session.scalars(sa.select(TripGeneration).order_by(TripGeneration.id.desc()).limit(limit)))


def trips_on(day: date) -> list[Trip]:
    return list(db.session.scalars(sa.select(Trip).join(Train).where(Trip.service_date == day)
                                   .order_by(Trip.departs_at, Train.number)))


def _trip(trip_id: int) -> Trip:
    trip = db.session.get(Trip, trip_id, with_for_update=True)
    if trip is None:
        raise RailError(_("That trip no longer exists."))
    return trip


def mark_delayed(trip_id: int, new_departure: time, *, actor: Actor) -> Trip:
    """Delay a trip: `new_departure` is the new local departure time from the origin (later the
    same day, or past midnight into the next)."""
    trip = _trip(trip_id)
    if trip.status == "cancelled":
        raise RailError(_("This trip is cancelled."), "new_departure")
    zone = tenant_zone()
    scheduled = trip.departs_at.astimezone(zone)
    new_local = datetime.combine(scheduled.date(), new_departure, tzinfo=zone)
    minutes = int((new_local - scheduled).total_seconds() // 60)
    if minutes < 0:
        minutes += 1440  # a new time earlier than the scheduled one means after midnight
    if minutes == 0:
        raise RailError(_("Give a new departure time later than the scheduled %(time)s.",
                          time=scheduled.strftime("%H:%M")), "new_departure")
    before = {"status": trip.status, "delay_minutes": trip.delay_minutes}
    trip.status, trip.delay_minutes = "delayed", minutes
    commit_change(actor, "trip.delay", "trip", trip.id, before=before,
                  after={"status": trip.status, "delay_minutes": minutes})
    return trip


def cancel_trip(trip_id: int, *, actor: Actor) -> Trip:
    trip = _trip(trip_id)
    before = {"status": trip.status, "delay_minutes": trip.delay_minutes}
    trip.status = "cancelled"
    commit_change(actor, "trip.cancel", "trip", trip.id, before=before, after={"status": "cancelled"})
    return trip
