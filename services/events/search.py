"""Finding events: one function, `search_events`, for browsing, filters and full-text search.

Full text is weighted (title above description above venue and category), ranked, and matches
word prefixes so results come as a person types. PostgreSQL uses the generated `search_vector`
column (tsvector, 'simple' configuration, GIN index); SQLite uses the `events_fts` FTS5 table.
Both are created by the migration (t0004_events); Bangla words are kept as written by both."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import selectinload

from models import db
from models.base import utcnow
from models.events import Event, PriceCategory, SeatPlan, TicketType
from services.events.sales import LISTED_STATUSES
from services.events.times import day_bounds

MAX_WORDS, MAX_WORD_LENGTH, MAX_RESULTS = 8, 40, 50


@dataclass(frozen=True)
class EventQuery:
    text: str = ""
    category: str | None = None
    date_from: date | None = None  # local days, inclusive
    date_to: date | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    limit: int = MAX_RESULTS


def words(text: str) -> list[str]:
    """The words of a query: letters, digits and combining marks (Bangla vowel signs are marks,
    so a Bangla word stays whole); everything else separates words and never reaches the
    query syntax of either database."""
    text = unicodedata.normalize("NFC", text or "")
    cleaned = "".join(ch if ch.isalnum() or unicodedata.category(ch).startswith("M") else " " for ch in text)
    out = []
    for word in cleaned.lower().split():
        if word not in out:
            out.append(word[:MAX_WORD_LENGTH])
    return out[:MAX_WORDS]


def search_events(query: EventQuery, *, tz: str, now: datetime | None = None) -> list[Event]:
    """Listed events (published or sold out, not yet ended) matching every word of `query.text`
    as a prefix and every filter given, best match first (soonest first without words)."""
    now = now or utcnow()
    stmt = (sa.select(Event)
            .where(Event.status.in_(LISTED_STATUSES), Event.ends_at > now)
            .options(selectinload(Event.ticket_types), selectinload(Event.venue),
                     selectinload(Event.seat_plan).selectinload(SeatPlan.categories)))
    if query.category:
        stmt = stmt.where(Event.category == query.category)
    if query.date_from:
        stmt = stmt.where(Event.ends_at > day_bounds(query.date_from, tz)[0])
    if query.date_to:
        stmt = stmt.where(Event.starts_at < day_bounds(query.date_to, tz)[1])
    if query.price_min is not None or query.price_max is not None:
        stmt = stmt.where(sa.or_(_has_price(TicketType.price, TicketType.event_id == Event.id, query),
                                 _has_price(PriceCategory.price, sa.and_(PriceCategory.seat_plan_id == SeatPlan.id,
                                                                         SeatPlan.event_id == Event.id), query)))
    terms = words(query.text)
    if not terms:
        stmt = stmt.order_by(Event.starts_at, Event.id)
    elif _dialect() == "postgresql":
        vector = sa.literal_column("events.search_vector", type_=TSVECTOR)
        tsquery = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), " & ".join(f"{t}:*" for t in terms))
        stmt = stmt.where(vector.op("@@")(tsquery)).order_by(sa.func.ts_rank(vector, tsquery).desc(),
                                                              Event.starts_at, Event.id)
    else:
        fts = sa.table("events_fts", sa.column("rowid"))
        match = " AND ".join(f'"{t}"*' for t in terms)
        stmt = (stmt.join(fts, fts.c.rowid == Event.id)
                .where(sa.text("events_fts MATCH :fts_match").bindparams(fts_match=match))
                .order_by(sa.text("bm25(events_fts, 10.0, 4.0, 1.0)"), Event.starts_at, Event.id))
    return list(db.session.scalars(stmt.limit(min(query.limit, MAX_RESULTS))))


def _has_price(price_column, join_condition, query: EventQuery):
    conditions = [join_condition]
    if query.price_min is not None:
        conditions.append(price_column >= query.price_min)
    if query.price_max is not None:
        conditions.append(price_column <= query.price_max)
    return sa.exists().where(*conditions)


def _dialect() -> str:
    return db.session.get_bind(mapper=sa.inspect(Event)).dialect.name


def lowest_price(event: Event) -> Decimal | None:
    """The cheapest ticket or seat of an event ("from ৳50"), None when nothing is priced yet."""
    prices = [t.price for t in event.ticket_types]
    if event.seat_plan is not None:
        prices += [c.price for c in event.seat_plan.categories]
    return min(prices) if prices else None
