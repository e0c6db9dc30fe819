"""Local wall-clock times of a tenant (Asia/Dhaka) to and from the aware UTC times we store."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive local time (from a form) in zone `tz`, as aware UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(timezone.utc)


def to_local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants where local day `day` starts and the next one starts."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(tz))
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)
