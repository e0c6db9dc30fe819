"""Bounds on what comes in through URLs, query strings and forms, so that no value reaches the
database or the calendar beyond what they hold.

Our ids are PostgreSQL `integer` (int4): `/events/2147483648` must be "not found", not an
out-of-range error from the database. Nothing addressed by URL needs a bigger id (the two bigint
tables, audit logs and seat claims, are never in a path). Form numbers get the same bounds through
`NumberRange(max=...)`, money the bound of `Numeric(10, 2)`, and dates `DateRange`."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
MONEY_MAX = Decimal("99999999.99")  # Numeric(10, 2)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:x>` everywhere: ASCII digits only, at most INT4_MAX unless a rule says `int(max=...)`."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=INT4_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(text: str, *, lo: int = 0, hi: int = INT4_MAX) -> int:
    """For `request.args.get(name, type=bounded_int)`: a ValueError (so the default) unless `text`
    is a whole number from `lo` to `hi`."""
    value = int(text)
    if not lo <= value <= hi:
        raise ValueError(f"{value} is out of range")
    return value


class DateRange:
    """A WTForms validator: the date (or date and time) lies from FIRST_DAY to LAST_DAY. Beyond,
    a date of year 1 or 9999 cannot even be moved to UTC and back (times.OutOfRange)."""

    def __init__(self, first: date = FIRST_DAY, last: date = LAST_DAY):
        self.first, self.last = first, last

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        day = value.date() if hasattr(value, "date") else value
        if not self.first <= day <= self.last:
            raise ValidationError(_l("Choose a date from %(first)s to %(last)s.", first=self.first.isoformat(),
                                     last=self.last.isoformat()))


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: rules pick their converters when they are added."""
    app.url_map.converters["int"] = BoundedIntegerConverter
