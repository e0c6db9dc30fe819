"""The notifications log as an outbox: a message is a row written in the transaction that makes it
due (a booking confirmed, a refund made, a code asked for); a job sends it afterwards.

Sending twice is prevented twice over. Each row has a key (what it is about, once): writing the
same message again inserts nothing. A job claims its row before sending (queued -> sending, a
conditional update committed first), so a job that runs again, or two at once, find nothing to
send. A failure that may pass (a timeout, a 4xx) puts the row back to queued with a later
`next_attempt_at`, exponential backoff, and a job scheduled for then (RQ's enqueue_in); after
MAX_ATTEMPTS, or a refusal that will not pass, it is `failed`, with the provider's answer in the
log. A worker that dies mid-send leaves its row `sending`: after LEASE the sweep sends it again only
through a provider that refuses a repeated message id; otherwise it marks it failed ("may have
arrived") for an operator to resend, rather than risk a second copy.
"""
from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext as _

from models import db
from models.base import utcnow
from models.bookings import Booking, Notification
from services import audit, crypto, tenant_db, transactions
from services.errors import ServiceError
from services.notify import context, templates
from services.notify.senders import DeliveryError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)  # longer than a send can take (SMTP and HTTP time out well before)
ATTACH_TICKETS = {"booking_confirmed"}


class CannotResend(ServiceError):
    pass


def _write(values: dict) -> int | None:
    return db.session.scalar(transactions.insert_or_skip(Notification, "key")
                             .values(**{"status": "queued", "attempts": 0, "sensitive": False, **values})
                             .returning(Notification.id))


def queue(booking: Booking, kind: str, now: datetime, *, amount: Decimal | None = None, key_suffix: str = "",
          hold_until: datetime | None = None) -> list[int]:
    """Write the message to the booking's phone (SMS) and email, in its language, in the current
    transaction; the ids written (none when the same message was written before)."""
    language = booking.language or "en"
    with force_locale(language):
        variables = context.for_booking(booking, amount=amount, hold_until=hold_until)
        ids = []
        for channel, recipient in (("sms", booking.contact_phone), ("email", booking.contact_email)):
            if not recipient:
                continue
            subject, body = templates.render(kind, channel, language, variables)
            new_id = _write({
                "key": f"{kind}:{booking.id}:{channel}{':' + key_suffix if key_suffix else ''}", "kind": kind,
                "channel": channel, "recipient": recipient, "language": language, "subject": subject[:200],
                "body": body, "booking_id": booking.id, "created_at": now,
                "attachment": "tickets" if channel == "email" and kind in ATTACH_TICKETS else None})
            if new_id is not None:
                ids.append(new_id)
    return ids


def _seal_context(key: str) -> str:
    return f"notification:{tenant_db.require_tenant().slug}:{key}"


def post(kind: str, channel: str, recipient: str, subject: str, body: str, *, sensitive: bool = False,
         language: str | None = None) -> int:
    """A message that is about no booking (a one-time code, an account notice), in the current
    transaction. A sensitive body is sealed: the log never shows it."""
    key = f"{kind}:{secrets.token_hex(12)}"
    return _write({"key": key, "kind": kind, "channel": channel, "recipient": recipient, "language": language,
                   "subject": subject[:200], "sensitive": sensitive, "created_at": utcnow(),
                   "body": crypto.seal(body, context=_seal_context(key)) if sensitive else body})


def enqueue(ids: list[int], *, delay: timedelta | None = None) -> None:
    """A job per message (after the commit that wrote them); the sweep sends what is not enqueued."""
    from jobs.queue import enqueue as enqueue_job, enqueue_in

    slug = tenant_db.require_tenant().slug
    if delay:  # RQ keeps whole seconds and rounds down: a second more, so the job never comes early
        delay = timedelta(seconds=math.ceil(delay.total_seconds()) + 1)
    for notification_id in ids:
        try:
            if delay:
                enqueue_in(delay, "jobs.notify.deliver", notification_id, tenant=slug)
            else:
                enqueue_job("jobs.notify.deliver", notification_id, tenant=slug)
        except Exception:  # Redis away: the sweep sends it within a minute
            log.exception("could not enqueue notification %s; the sweep will", notification_id)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: base, 4 x base, 16 x base... (base 30 s by default)."""
    base = float(current_app.config.get("NOTIFY_RETRY_SECONDS", 30))
    return timedelta(seconds=base * 4 ** (attempts - 1))


def _claim(notification_id: int, now: datetime):
    def unit():
        row = db.session.execute(
            sa.update(Notification).where(
                Notification.id == notification_id, Notification.status == "queued",
                sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .values(status="sending", attempts=Notification.attempts + 1, claimed_at=now)
            .returning(Notification.key, Notification.channel, Notification.recipient, Notification.subject,
                       Notification.body, Notification.sensitive, Notification.attachment, Notification.booking_id,
                       Notification.attempts)).first()
        transactions.commit()
        return row

    return transactions.run(unit)


def _attachments(kind: str | None, booking_id: int | None) -> list:
    if kind != "tickets" or booking_id is None:
        return []
    from services.tickets import issue, pdf

    issue.complete(booking_id)
    booking = db.session.get(Booking, booking_id)
    data = pdf.tickets_pdf(booking_id, "a4")
    db.session.rollback()  # end the reads before the network wait
    return [(f"{booking.reference}-tickets.pdf", data, "application/pdf")]


def _send(row) -> str:
    from services.notify import channels

    body = crypto.open_sealed(row.body, context=_seal_context(row.key)) if row.sensitive else row.body
    sender = channels.sender_for(row.channel)
    if row.channel == "sms":
        return sender.send_sms(row.recipient, body, key=row.key)
    files = _attachments(row.attachment, row.booking_id)
    return sender.send_email(row.recipient, row.subject, body, key=row.key, attachments=files)


def deliver(notification_id: int, *, now: datetime | None = None) -> str:
    """Send one due message: 'sent', 'queued' (to be tried again), 'failed' or 'not due'."""
    now = now or utcnow()
    row = _claim(notification_id, now)
    if row is None:
        return "not due"
    retry_after = None
    try:
        answer = _send(row)
    except DeliveryError as exc:
        status, answer, error = "failed", exc.answer, exc.answer
        if exc.retryable and row.attempts < MAX_ATTEMPTS:
            status, retry_after = "queued", backoff(row.attempts)
    except Exception as exc:  # a bug or an outage of ours (the PDF, the database): tried again all the same
        log.exception("sending notification %s failed", notification_id)
        status, answer, error = "failed", None, f"{type(exc).__name__}: {exc}"
        if row.attempts < MAX_ATTEMPTS:
            status, retry_after = "queued", backoff(row.attempts)
    else:
        status, error = "sent", None
    db.session.rollback()
    finished = utcnow()

    def finish():
        db.session.execute(sa.update(Notification).where(Notification.id == notification_id,
                                                         Notification.status == "sending")
                           .values(status=status, last_error=(error or None) and error[:300],
                                   provider_answer=(answer or None) and str(answer)[:500],
                                   sent_at=finished if status == "sent" else None,
                                   next_attempt_at=finished + retry_after if retry_after else None))
        transactions.commit()

    transactions.run(finish)
    if retry_after:
        enqueue([notification_id], delay=retry_after)
    return status


def due(now: datetime, limit: int = 100) -> list[int]:
    """Queued messages whose job was lost or whose retry time has come (a job normally sends them first)."""
    return list(db.session.scalars(sa.select(Notification.id).where(
        Notification.status == "queued",
        sa.or_(sa.and_(Notification.next_attempt_at.is_(None), Notification.created_at <= now - timedelta(minutes=1)),
               Notification.next_attempt_at <= now - timedelta(seconds=30)))
        .order_by(Notification.id).limit(limit)))


def recover_stale(now: datetime) -> int:
    """Rows left `sending` by a worker that died: sent again where the provider refuses a repeated
    message id, else marked failed for an operator to look at (it may have arrived)."""
    stale = db.session.execute(sa.select(Notification.id, Notification.channel).where(
        Notification.status == "sending", Notification.claimed_at <= now - LEASE)).all()
    for notification_id, channel in stale:
        safe = _provider_drops_repeats(channel)
        values = ({"status": "queued", "next_attempt_at": None,
                   "last_error": "the worker stopped while sending; sent again (the provider drops a repeat)"}
                  if safe else
                  {"status": "failed", "last_error": "the worker stopped while sending: it may have arrived. "
                                                     "Resend it if the customer did not get it."})
        db.session.execute(sa.update(Notification).where(Notification.id == notification_id,
                                                         Notification.status == "sending").values(**values))
    transactions.commit()
    return len(stale)


def _provider_drops_repeats(channel: str) -> bool:
    from services.notify import channels

    try:
        return bool(channels.sender_for(channel).idempotent)
    except DeliveryError:
        return False


def resend(notification_id: int, actor: audit.Actor) -> Notification:
    """A new message with the same text to the same recipient (its own row in the log)."""
    def unit():
        old = db.session.get(Notification, notification_id)
        if old is None:
            raise CannotResend(_("There is no such message."))
        if old.sensitive:
            raise CannotResend(_("A one-time code is never sent again: the customer asks for a new one."))
        if old.status in ("queued", "sending"):
            raise CannotResend(_("This message is still being sent."))
        new_id = _write({"key": f"resend:{old.id}:{secrets.token_hex(6)}", "kind": old.kind, "channel": old.channel,
                         "recipient": old.recipient, "language": old.language, "subject": old.subject,
                         "body": old.body, "attachment": old.attachment, "booking_id": old.booking_id,
                         "resent_from_id": old.id, "created_at": utcnow()})
        audit.record(actor, "notification.resent", "notification", old.id, after={"new": new_id})
        transactions.commit()
        return new_id

    new_id = transactions.run(unit)
    enqueue([new_id])
    return db.session.get(Notification, new_id)
