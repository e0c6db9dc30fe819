"""Timed entry: an attraction sells entry per day and per time slot, each slot with its capacity.

Slots are generated for a date range from opening hours (like trips from routes); generating twice
adds nothing (unique event + start, inserted with ON CONFLICT DO NOTHING)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.events import TimeSlot
from services import audit, transactions
from services.audit import Actor
from services.events import EventsError
from services.events.catalog import get_event
from services.events.times import day_bounds

MAX_DAYS = 366


@dataclass(frozen=True)
class SlotPlan:
    first_day: date
    last_day: date
    opens: time
    closes: time
    every_minutes: int
    capacity: int
    weekdays: frozenset[int] = frozenset(range(7))  # Monday 0 ... Sunday 6


def plan_slots(plan: SlotPlan, tz: str) -> list[tuple[datetime, datetime]]:
    """(start, end) in UTC of every slot: from opening, one every `every_minutes`, the last one
    ending at or before closing, on each chosen weekday of the range (local wall-clock times, so
    a daylight-saving change, where a zone has one, keeps 9:00 at 9:00)."""
    if plan.last_day < plan.first_day:
        raise EventsError(str(_l("The last day must not be before the first day.")), "last_day")
    if (plan.last_day - plan.first_day).days >= MAX_DAYS:
        raise EventsError(str(_l("Generate at most %(n)s days at a time.", n=MAX_DAYS)), "last_day")
    if plan.closes <= plan.opens:
        raise EventsError(str(_l("Closing time must be after opening time.")), "closes")
    if not 5 <= plan.every_minutes <= 24 * 60:
        raise EventsError(str(_l("A slot lasts between 5 minutes and a day.")), "every_minutes")
    if plan.capacity < 1:
        raise EventsError(str(_l("Each slot needs a capacity of at least 1.")), "capacity")
    zone = ZoneInfo(tz)
    step = timedelta(minutes=plan.every_minutes)
    out = []
    day = plan.first_day
    while day <= plan.last_day:
        if day.weekday() in plan.weekdays:
            start = datetime.combine(day, plan.opens)
            closing = datetime.combine(day, plan.closes)
            while start + step <= closing:
                end = start + step
                out.append((start.replace(tzinfo=zone).astimezone(timezone.utc),
                            end.replace(tzinfo=zone).astimezone(timezone.utc)))
                start = end
        day += timedelta(days=1)
    return out


def generate_slots(event_id: int, plan: SlotPlan, *, tz: str, actor: Actor) -> int:
    """Create the plan's slots that do not exist yet; returns how many were added."""
    event = get_event(event_id)
    if event.admission != "timed":
        raise EventsError(str(_l("Only a timed-entry event has time slots.")))
    windows = plan_slots(plan, tz)
    if not windows:
        raise EventsError(str(_l("These hours make no slot: make the slot shorter or the hours longer.")))
    rows = [{"event_id": event.id, "starts_at": s, "ends_at": e, "capacity": plan.capacity, "sold": 0, "held": 0}
            for s, e in windows]
    before = db.session.scalar(sa.select(sa.func.count()).where(TimeSlot.event_id == event.id))
    db.session.execute(transactions.insert_or_skip(TimeSlot, "event_id", "starts_at"), rows)
    added = db.session.scalar(sa.select(sa.func.count()).where(TimeSlot.event_id == event.id)) - before
    # Slots widen the event's dates when they fall outside them.
    first, last = windows[0][0], windows[-1][1]
    if first < event.starts_at:
        event.starts_at = first
    if last > event.ends_at:
        event.ends_at = last
    audit.record(actor, "slots.generated", "event", event.id,
                 after={"first_day": plan.first_day.isoformat(), "last_day": plan.last_day.isoformat(),
                        "opens": plan.opens.isoformat(), "closes": plan.closes.isoformat(),
                        "every_minutes": plan.every_minutes, "capacity": plan.capacity, "added": added})
    db.session.commit()
    return added


def slots_on(event_id: int, day: date, tz: str) -> list[TimeSlot]:
    start, end = day_bounds(day, tz)
    return list(db.session.scalars(
        sa.select(TimeSlot).where(TimeSlot.event_id == event_id, TimeSlot.starts_at >= start,
                                  TimeSlot.starts_at < end).order_by(TimeSlot.starts_at)))


def days_with_slots(event_id: int, tz: str, *, after: datetime, limit: int = 60) -> list[date]:
    """Local days that still have slots ending after `after`, soonest first."""
    starts = db.session.scalars(
        sa.select(TimeSlot.starts_at).where(TimeSlot.event_id == event_id, TimeSlot.ends_at > after)
        .order_by(TimeSlot.starts_at))
    zone = ZoneInfo(tz)
    days: list[date] = []
    for start in starts:
        day = start.astimezone(zone).date()
        if not days or days[-1] != day:
            days.append(day)
            if len(days) >= limit:
                break
    return days


def slot_summary(event_id: int) -> dict:
    """For staff: how many slots, from when to when, total capacity and sold."""
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(TimeSlot.starts_at), sa.func.max(TimeSlot.ends_at),
                  sa.func.coalesce(sa.func.sum(TimeSlot.capacity), 0), sa.func.coalesce(sa.func.sum(TimeSlot.sold), 0))
        .where(TimeSlot.event_id == event_id)).one()
    return {"count": row[0], "first": row[1], "last": row[2], "capacity": row[3], "sold": row[4]}
