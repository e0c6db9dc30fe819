"""Trips: a train on a service date (the local date it leaves its origin), generated from the
train's operating days for a date range; delays and cancellations.

Generation is idempotent because `uq_trips_train_date` decides (INSERT ... ON CONFLICT DO NOTHING,
never check-then-insert), and every trip commits together with its frozen stops (`trip_stops`,
copied from the route as it is at that moment, the train row share-locked so a concurrent route
edit comes wholly before or after), a batch of trips per transaction: a run that stops half-way
leaves whole trips and the next run fills in the rest.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import redis
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from models import db
from models.base import utcnow
from models.rail import RouteStop, Train, Trip, TripGeneration, TripStop
from services import tenant_db
from services.audit import Actor
from services.rail import cache
from services.rail.errors import RailError
from services.rail.network import check_route, commit_change, runs_on
from services.rail.trip_stops import frozen_stops, origin_departure, runnable
from services.rail.trip_stops import stop_instant, tenant_zone  # noqa: F401 (also known as trips.*)

MAX_RANGE_DAYS = 366
BACKGROUND_OVER_DAYS = 31  # longer ranges run as a background job with visible progress
BATCH = 50  # trips per transaction (each commits whole, with its stops); progress is updated after each
log = logging.getLogger(__name__)


def local_today() -> date:
    return datetime.now(tenant_zone()).date()


def service_dates(run_days: int, start: date, end: date) -> list[date]:
    """The dates in [start, end] on which a train with weekday mask `run_days` leaves its origin."""
    days = (end - start).days + 1
    return [d for d in (start + timedelta(days=i) for i in range(max(days, 0))) if runs_on(run_days, d.weekday())]


def check_train_ready(train: Train) -> None:
    """A train can run once it has a route of two or more stops with times, and coaches."""
    stops = train.stops
    if len(stops) < 2:
        raise RailError(_("Train %(number)s %(name)s needs at least two stops before trips can be generated.",
                          number=train.number, name=train.name), "train_ids")
    if stops[0].departure_time is None:
        raise RailError(_("Train %(number)s needs a departure time at its first stop.", number=train.number),
                        "train_ids")
    if stops[-1].arrival_time is None:
        raise RailError(_("Train %(number)s needs an arrival time at its last stop.", number=train.number),
                        "train_ids")
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
    db.session.commit()  # no transaction of ours stays open while the run writes (SQLite has one writer)
    if (end - start).days + 1 > BACKGROUND_OVER_DAYS:
        _start_job(run_id)
    else:
        try:
            run_generation(run_id)
        except Exception:  # the run's row says it failed and why; the operator sees it there
            log.exception("trip generation %s failed", run_id)
            db.session.rollback()
    db.session.expire_all()
    return db.session.get(TripGeneration, run_id)


def _start_job(run_id: int) -> None:
    """Enqueue the run; if the queue cannot be reached, the run fails at once with a message the
    operator sees (never a 500, never a run left `queued` that nothing will ever pick up)."""
    from jobs.queue import enqueue

    try:
        enqueue("services.rail.trips.run_generation", run_id, tenant=tenant_db.require_tenant().slug,
                job_timeout=3600)
    except (redis.RedisError, OSError):
        log.warning("trip generation %s: could not enqueue the job", run_id, exc_info=True)
        run = db.session.get(TripGeneration, run_id)
        run.status, run.finished_at = "failed", utcnow()
        run.error = _("Could not start the background job: the job queue is not answering. Nothing was generated; "
                      "please try again in a moment.")
        db.session.commit()


def run_generation(run_id: int) -> int:
    """The job: create the missing trips of a recorded run with their frozen stops, one
    transaction per trip, updating its progress as it goes. Safe to run twice. Returns the number
    of trips created."""
    run = db.session.get(TripGeneration, run_id)
    if run is None or run.status == "done":
        return 0
    trains = [(t.id, t.run_days) for t in db.session.scalars(sa.select(Train).where(Train.id.in_(run.train_ids)))]
    start, end = run.start_date, run.end_date
    # End the session's read before writing through a connection of our own. Not close(): the
    # request that runs a short range inline still renders objects of its session (the nav's user).
    db.session.commit()
    zone = tenant_zone()
    engine = tenant_db.current_engine()
    progress = TripGeneration.__table__
    trips_table = Trip.__table__
    created = done = 0
    try:
        with engine.connect() as conn:
            conn.execute(progress.update().where(progress.c.id == run_id).values(status="running"))
            conn.commit()
            for train_id, run_days in trains:
                days = service_dates(run_days, start, end)
                have = set(conn.scalars(sa.select(trips_table.c.service_date).where(
                    trips_table.c.train_id == train_id, trips_table.c.service_date.between(start, end))))
                conn.rollback()
                missing = [day for day in days if day not in have]  # ON CONFLICT still decides
                done += len(days) - len(missing)
                for batch in (missing[i:i + BATCH] for i in range(0, len(missing), BATCH)):
                    created += _make_trips(conn, train_id, batch, zone)
                    done += len(batch)
                    conn.execute(progress.update().where(progress.c.id == run_id).values(done=done, created=created))
                    conn.commit()
            conn.execute(progress.update().where(progress.c.id == run_id)
                         .values(status="done", done=done, created=created, finished_at=utcnow()))
            conn.commit()
    except Exception as exc:
        with engine.connect() as conn:
            conn.execute(progress.update().where(progress.c.id == run_id)
                         .values(status="failed", done=done, created=created, error=str(exc)[:500],
                                 finished_at=utcnow()))
            conn.commit()
        raise
    finally:
        cache.schedules_changed()
    return created


def _make_trips(conn: sa.Connection, train_id: int, days: list[date], zone) -> int:
    """One transaction: the train's trips on `days` that do not exist yet, each with its stops,
    from the route as it is now. Returns how many were created."""
    stops, trains_table, table = RouteStop.__table__, Train.__table__, Trip.__table__
    route = conn.execute(sa.select(stops).join(trains_table, trains_table.c.id == stops.c.train_id)
                         .where(stops.c.train_id == train_id).order_by(stops.c.seq)
                         .with_for_update(read=True, of=trains_table)).all()  # waits for a route edit
    if not runnable(route):  # the route was cut down since the run was checked: no trips
        conn.rollback()
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    now = utcnow()
    made = conn.execute(dialect.insert(table)
                        .values([{"train_id": train_id, "service_date": day, "status": "scheduled", "delay_minutes": 0,
                                  "departs_at": origin_departure(route, day, zone), "created_at": now} for day in days])
                        .on_conflict_do_nothing(index_elements=["train_id", "service_date"])
                        .returning(table.c.id, table.c.service_date)).all()
    if made:
        conn.execute(TripStop.__table__.insert(),
                     [{"trip_id": trip_id, **row} for trip_id, day in made for row in frozen_stops(route, day, zone)])
    conn.commit()
    return len(made)


def get_generation(run_id: int) -> TripGeneration | None:
    return db.session.get(TripGeneration, run_id)


def recent_generations(limit: int = 5) -> list[TripGeneration]:
    return list(db.session.scalars(sa.select(TripGeneration).order_by(TripGeneration.id.desc()).limit(limit)))


def trips_on(day: date) -> list[Trip]:
    return list(db.session.scalars(sa.select(Trip).join(Train).where(Trip.service_date == day)
                                   .options(selectinload(Trip.stops)).order_by(Trip.departs_at, Train.number)))


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
