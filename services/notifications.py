"""Sending SMS and email through one small interface.

Until real SMS and email gateways are configured (a later area), the sender is the outbox: it keeps
the latest messages in memory, per tenant, and the development page `/dev/outbox` shows them (tests
read one-time codes from it). In production no message would reach anyone that way, so every
message stored there is logged as a warning.
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


class Sender(Protocol):
    def send_sms(self, to: str, text: str) -> None: ...

    def send_email(self, to: str, subject: str, text: str) -> None: ...


class OutboxSender:
    """Keeps messages in memory instead of sending them (development, tests, embedded default)."""

    def __init__(self, keep: int = 500, warn: bool = False):
        self._messages: deque[Message] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.warn = warn

    def _store(self, message: Message) -> None:
        with self._lock:
            self._messages.append(message)
        if self.warn:
            log.warning("no %s gateway configured: message to %s kept in the outbox only", message.channel, message.to)

    def send_sms(self, to: str, text: str) -> None:
        self._store(Message("sms", to, "", text, _tenant_slug()))

    def send_email(self, to: str, subject: str, text: str) -> None:
        self._store(Message("email", to, subject, text, _tenant_slug()))

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


def send_sms(to: str, text: str) -> None:
    _sender.send_sms(to, text)


def send_email(to: str, subject: str, text: str) -> None:
    _sender.send_email(to, subject, text)


def send_to(contact: str, subject: str, text: str) -> None:
    """By SMS to a phone number (the subject is left out), by email to an address."""
    from services.phones import is_phone

    if is_phone(contact):
        send_sms(contact, text)
    else:
        send_email(contact, subject, text)
