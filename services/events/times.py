"""Local wall-clock times of a tenant (Asia/Dhaka) to and from the aware UTC times we store.

Python's datetimes end at year 1 and year 9999: local midnight of 1 January of year 1 in Dhaka is
still year 0 in UTC, and the day after 31 December 9999 does not exist. Day bounds at the ends of
the calendar are clamped to the first and last instant there is, so a search from "0001-01-01" means
"from the beginning"; a single instant that cannot be converted raises OutOfRange (a ValueError)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)


class OutOfRange(ValueError):
    """A time beyond what can be represented once moved to or from UTC."""


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive local time (from a form) in zone `tz`, as aware UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(tz))
    try:
        return local.astimezone(timezone.utc)
    except OverflowError:
        raise OutOfRange(f"{local} has no UTC equivalent") from None


def to_local(value: datetime, tz: str) -> datetime:
    try:
        return value.astimezone(ZoneInfo(tz))
    except OverflowError:
        raise OutOfRange(f"{value} has no local equivalent in {tz}") from None


def _local_midnight(day: date, tz: str) -> datetime:
    try:
        return to_utc(datetime.combine(day, time.min), tz)
    except OutOfRange:
        return EARLIEST if day.year == date.min.year else LATEST


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants where local day `day` starts and the next one starts (clamped to the
    representable range at year 1 and year 9999)."""
    end = LATEST if day == date.max else _local_midnight(day + timedelta(days=1), tz)
    return _local_midnight(day, tz), end
