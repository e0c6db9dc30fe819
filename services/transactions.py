"""Committing a unit of work: constraint violations become messages, concurrency failures are retried.

The database has the last word on invariants (unique, check, exclusion constraints); services name
the constraints they expect and the message each one means:

    transactions.commit({"uq_venues_name": _l("A venue with this name already exists.")}, error=EventsError)

A violation of a named constraint rolls back and raises `error(message, field)`; any other violation
is a bug and is raised as it is. PostgreSQL names the violated constraint (`diag.constraint_name`);
SQLite names the columns of a UNIQUE constraint and the name of a CHECK, and the name is found from
the models' metadata.

A deadlock (40P01) or serialization failure (40001) on PostgreSQL, or a SQLite database still
locked after its busy timeout, means concurrent work got in the way and nothing was changed:
`run(unit)` runs the unit again a few times; `commit`/`flush` alone raise `Retryable` (a
ServiceError with a message to show), never a bare database error.
"""
from __future__ import annotations

import logging
import re
import time
from functools import lru_cache
from typing import Callable, Mapping, TypeVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, IntegrityError

from models import db, platform_metadata, tenant_metadata
from services.errors import Retryable, ServiceError

T = TypeVar("T")
log = logging.getLogger(__name__)

DEADLOCK, SERIALIZATION_FAILURE = "40P01", "40001"
RETRYABLE_SQLSTATES = (DEADLOCK, SERIALIZATION_FAILURE)
SQLITE_BUSY = 5  # the primary code; extended codes (BUSY_SNAPSHOT 517...) share its low byte
ATTEMPTS = 3
RETRY_MESSAGE = _l("Someone else was changing the same thing at that moment. Nothing was saved: please try again.")

# Constraint name -> a message, a (message, form field) pair, or a ready ServiceError.
Messages = Mapping[str, "str | tuple[str, str | None] | ServiceError"]
# The key for "whatever the constraint": for violations a database does not name (SQLite's
# foreign keys), or a change that can break only one.
ANY_CONSTRAINT = "*"

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
# Triggers standing in for constraints SQLite lacks say RAISE(ABORT, '<constraint name>: <why>').
_SQLITE_TRIGGER = re.compile(r"^((?:ex|tg|ck|uq)_\w+): ")


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint the database refused, on PostgreSQL and on SQLite."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return diag.constraint_name
    text = str(exc.orig).strip()
    match = _SQLITE_TRIGGER.match(text)
    if match:
        return match.group(1)
    match = _SQLITE_CHECK.search(text)
    if match:
        return match.group(1)
    match = _SQLITE_UNIQUE.search(text)
    if match:
        columns = tuple(part.strip() for part in match.group(1).split(","))  # "t.a, t.b"
        return _sqlite_unique_names().get(columns)
    return None


@lru_cache(maxsize=None)
def _sqlite_unique_names() -> dict[tuple[str, ...], str]:
    """("table.a", "table.b") -> the name of the unique constraint (or index) on those columns."""
    names = {}
    for metadata in (tenant_metadata, platform_metadata):
        for table in metadata.tables.values():
            uniques = [c for c in table.constraints if isinstance(c, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))]
            uniques += [i for i in table.indexes if i.unique]
            for unique in uniques:
                if unique.name:
                    names[tuple(f"{table.name}.{column.name}" for column in unique.columns)] = str(unique.name)
    return names


def insert_or_skip(model, *index_elements: str, where=None):
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING for the engine `model` lives on
    (PostgreSQL or SQLite): a row that is there already stays as it is, with no error. `where`:
    the predicate of a partial unique index on those columns."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind(mapper=sa.inspect(model)).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing(index_elements=list(index_elements), index_where=where)


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a database left locked (SQLite)."""
    orig = getattr(exc, "orig", None)
    if not isinstance(exc, DBAPIError) or orig is None:
        return False
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_BUSY


def explain(exc: IntegrityError, messages: Messages, error: type[ServiceError] = ServiceError) -> ServiceError | None:
    """The error a violation of one of `messages`' constraints means; None for any other."""
    name = constraint_name(exc)
    message = messages.get(name) if name is not None else None
    if message is None:
        message = messages.get(ANY_CONSTRAINT)
    if message is None or isinstance(message, ServiceError):
        return message
    message, field = message if isinstance(message, tuple) else (message, None)
    return error(str(message), field)


def _finish(action: Callable[[], None], messages: Messages | None, error: type[ServiceError]) -> None:
    try:
        action()
    except IntegrityError as exc:
        db.session.rollback()
        explained = explain(exc, messages or {}, error)
        if explained is None:
            raise
        raise explained from None
    except DBAPIError as exc:
        if not is_retryable(exc):
            raise
        db.session.rollback()
        raise Retryable(str(RETRY_MESSAGE)) from exc


def commit(messages: Messages | None = None, *, error: type[ServiceError] = ServiceError) -> None:
    """Commit the session. A violation of a constraint named in `messages` rolls back and raises
    `error(message, field)`; a deadlock or serialization failure rolls back and raises Retryable."""
    _finish(db.session.commit, messages, error)


def flush(messages: Messages | None = None, *, error: type[ServiceError] = ServiceError) -> None:
    """Like `commit`, for a flush inside a unit of work (to learn ids, or to fail early)."""
    _finish(db.session.flush, messages, error)


def run(unit: Callable[[], T], *, attempts: int = ATTEMPTS, backoff: float = 0.05) -> T:
    """Run a unit of work that ends in its own commit; run it again (after a rollback) when
    concurrent work made the database give up on it, up to `attempts` times in all.
    The unit must start from what is in the database, not from objects it was handed."""
    for attempt in range(1, attempts + 1):
        try:
            return unit()
        except Retryable as exc:
            cause = exc.__cause__
            if attempt == attempts:
                raise
        except DBAPIError as exc:
            db.session.rollback()
            if not is_retryable(exc):
                raise
            cause = exc
            if attempt == attempts:
                raise Retryable(str(RETRY_MESSAGE)) from exc
        except BaseException:
            # A refusal (or a bug) part-way: nothing of the unit stays, locks are let go now.
            db.session.rollback()
            raise
        log.info("retrying after %s (attempt %d of %d)", type(cause).__name__, attempt, attempts)
        time.sleep(backoff * attempt)
    raise AssertionError("unreachable")
