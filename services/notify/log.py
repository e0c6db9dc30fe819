"""Reading the notifications log for staff: one page of it (newest first, filtered, searched), the
counts by status, one message with its resend chain; and which message templates are the tenant's
own. Nothing here writes (resending is outbox.resend, templates are templates.save/reset).

A sensitive message (a one-time code) never leaves this module with its text: `MessageDetails.text`
is None for it, so no page can show the sealed body by mistake."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from models import db
from models.bookings import NOTIFICATION_STATUSES, Booking, Notification
from services.phones import display_phone, searched_phone

PAGE = 50
RESENDABLE = ("sent", "failed")  # queued/sending are still on their way; outbox.resend says the same
_CHAIN_MAX = 50


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    channel: str | None = None
    kind: str | None = None
    text: str = ""
    before: int | None = None  # the id the previous page ended at (keyset paging)


@dataclass(frozen=True)
class LogRow:
    notification: Notification
    reference: str | None  # the booking's, when the message is about one

    @property
    def recipient(self) -> str:
        """A phone number the way people write it (01712-345678), an address as it is."""
        n = self.notification
        return display_phone(n.recipient) if n.channel == "sms" and n.recipient.startswith("+880") else n.recipient

    @property
    def resendable(self) -> bool:
        n = self.notification
        return not n.sensitive and n.status in RESENDABLE


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    counts: dict[str, int]  # every status, 0 included, over the whole log
    kinds: list[str]  # the kinds the log holds (for the filter)
    older: int | None  # `before` for the next page, None on the last one


@dataclass(frozen=True)
class MessageDetails:
    row: LogRow
    text: tuple[str, str] | None  # (subject, body); None for a sensitive message
    chain: list[LogRow] = field(default_factory=list)  # the original and every resend of it, oldest first

    @property
    def notification(self) -> Notification:
        return self.row.notification


def _with_reference():
    return (sa.select(Notification, Booking.reference)
            .outerjoin(Booking, Booking.id == Notification.booking_id))


def _search_condition(text: str):
    """Recipient (a phone in any usual spelling, or an email address) or booking reference, exact."""
    conditions = [sa.func.lower(Notification.recipient) == text.lower(), Booking.reference == text.upper()]
    phone = searched_phone(text)
    if phone:
        conditions.append(Notification.recipient == phone)
    return sa.or_(*conditions)


def counts() -> dict[str, int]:
    found = dict(db.session.execute(sa.select(Notification.status, sa.func.count())
                                    .group_by(Notification.status)).all())
    return {status: found.get(status, 0) for status in NOTIFICATION_STATUSES}


def kinds_in_log() -> list[str]:
    return list(db.session.scalars(sa.select(Notification.kind).distinct().order_by(Notification.kind)))


def search(filters: Filters, *, limit: int = PAGE) -> list[LogRow]:
    """Newest first (ids grow with time), at most `limit`."""
    query = _with_reference().order_by(Notification.id.desc()).limit(limit)
    if filters.status:
        query = query.where(Notification.status == filters.status)
    if filters.channel:
        query = query.where(Notification.channel == filters.channel)
    if filters.kind:
        query = query.where(Notification.kind == filters.kind)
    text = (filters.text or "").strip()
    if text:
        query = query.where(_search_condition(text))
    if filters.before:
        query = query.where(Notification.id < filters.before)
    return [LogRow(n, reference) for n, reference in db.session.execute(query).all()]


def page(filters: Filters | None) -> LogPage:
    """One page of the log; with no filters (the form did not validate) no rows, but the counts."""
    rows = search(filters, limit=PAGE + 1) if filters is not None else []
    older = rows[PAGE - 1].notification.id if len(rows) > PAGE else None
    return LogPage(rows[:PAGE], counts(), kinds_in_log(), older)


def _chain(notification: Notification) -> list[LogRow]:
    """The first message and every resend of it (and of its resends), oldest first."""
    root = notification
    for _ in range(_CHAIN_MAX):
        if root.resent_from_id is None:
            break
        parent = db.session.get(Notification, root.resent_from_id)
        if parent is None:
            break
        root = parent
    ids, frontier = [root.id], [root.id]
    while frontier and len(ids) < _CHAIN_MAX:
        frontier = list(db.session.scalars(sa.select(Notification.id)
                                           .where(Notification.resent_from_id.in_(frontier))))
        ids.extend(frontier)
    if len(ids) == 1:
        return []
    query = _with_reference().where(Notification.id.in_(ids)).order_by(Notification.id)
    return [LogRow(n, reference) for n, reference in db.session.execute(query).all()]


def details(notification_id: int) -> MessageDetails | None:
    found = db.session.execute(_with_reference().where(Notification.id == notification_id)).first()
    if found is None:
        return None
    notification, reference = found
    text = None if notification.sensitive else (notification.subject or "", notification.body)
    return MessageDetails(LogRow(notification, reference), text, _chain(notification))
