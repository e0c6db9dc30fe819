"""Sending a one-off SMS or email (a one-time code, an account notice) and the development outbox.

A tenant's message becomes a row of its notifications log and is sent by a job after the commit,
through the tenant's SMS provider or SMTP server (services/notify). The outbox sender keeps the
latest messages in memory, per tenant, instead of sending them: the development page `/dev/outbox`
shows them (tests read one-time codes from it), and it stands in for a tenant with no provider in
development and tests. In production it is never used for a tenant's messages (they fail, visibly,
until a provider is set), and every message stored in it is logged as a warning.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from models.base import utcnow
from services.tenant_db import current_tenant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    channel: str  # sms | email
    to: str
    subject: str
    text: str
    tenant: str | None
    sent_at: object = field(default_factory=utcnow)
    attachments: tuple[str, ...] = ()  # file names only


class Sender(Protocol):
    def send_sms(self, to: str, text: str, *, key: str | None = None) -> str | None: ...

    def send_email(self, to: str, subject: str, text: str, *, key: str | None = None,
                   attachments=()) -> str | None: ...


ANSWER = "kept in the development outbox"


class OutboxSender:
    """Keeps messages in memory instead of sending them (development, tests, embedded default).
    Also the fallback sender of services.notify.channels; `key` is accepted and not needed."""

    idempotent = False  # a message sent again is kept again

    def __init__(self, keep: int = 500, warn: bool = False):
        self._messages: deque[Message] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.warn = warn

    def _store(self, message: Message) -> None:
        with self._lock:
            self._messages.append(message)
        if self.warn:
            log.warning("no %s gateway configured: message to %s kept in the outbox only", message.channel, message.to)

    def send_sms(self, to: str, text: str, *, key: str | None = None) -> str:
        self._store(Message("sms", to, "", text, _tenant_slug()))
        return ANSWER

    def send_email(self, to: str, subject: str, text: str, *, key: str | None = None, attachments=()) -> str:
        names = tuple(name for name, _data, _mime in attachments)
        self._store(Message("email", to, subject, text, _tenant_slug(), attachments=names))
        return ANSWER

    def messages(self, tenant: str | None = None, to: str | None = None) -> list[Message]:
        """Newest first; only the given tenant's (and recipient's) when asked."""
        with self._lock:
            found = list(self._messages)
        return [m for m in reversed(found) if (tenant is None or m.tenant == tenant) and (to is None or m.to == to)]

    def site_messages(self, tenant: str | None) -> list[Message]:
        """Newest first, exactly one site's: a tenant's, or with None the platform's own (never all)."""
        with self._lock:
            found = list(self._messages)
        return [m for m in reversed(found) if m.tenant == tenant]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def _tenant_slug() -> str | None:
    tenant = current_tenant()
    return tenant.slug if tenant else None


_sender: Sender = OutboxSender()


def configure(sender: Sender) -> None:
    global _sender
    _sender = sender


def sender() -> Sender:
    return _sender


def outbox() -> OutboxSender | None:
    """The outbox, when it is the sender in use."""
    return _sender if isinstance(_sender, OutboxSender) else None


def _post(channel: str, to: str, subject: str, text: str, kind: str, sensitive: bool) -> None:
    """A tenant's message becomes a row of its notifications log, sent by a job after this commit
    (services/notify/outbox.py). The platform's own messages (no tenant) go straight to the sender."""
    import secrets

    if current_tenant() is None:
        key = f"platform:{kind}:{secrets.token_hex(8)}"
        if channel == "sms":
            _sender.send_sms(to, text, key=key)
        else:
            _sender.send_email(to, subject, text, key=key)
        return
    from flask_babel import get_locale

    from services import transactions
    from services.notify import outbox

    locale = get_locale()
    ids = [outbox.post(kind, channel, to, subject, text, sensitive=sensitive,
                       language=locale.language if locale else None)]
    transactions.commit()
    outbox.enqueue(ids)


def send_sms(to: str, text: str, *, kind: str = "account", sensitive: bool = False) -> None:
    _post("sms", to, "", text, kind, sensitive)


def send_email(to: str, subject: str, text: str, *, kind: str = "account", sensitive: bool = False) -> None:
    _post("email", to, subject, text, kind, sensitive)


def send_to(contact: str, subject: str, text: str, *, kind: str = "account", sensitive: bool = False) -> None:
    """By SMS to a phone number (the subject is left out), by email to an address."""
    from services.phones import is_phone

    if is_phone(contact):
        send_sms(contact, text, kind=kind, sensitive=sensitive)
    else:
        send_email(contact, subject, text, kind=kind, sensitive=sensitive)
