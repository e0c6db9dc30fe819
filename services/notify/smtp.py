"""Email over SMTP (smtplib): STARTTLS on 587, implicit TLS on 465, or plain (a relay on the same
host or network), with a login when a username is set.

The message is UTF-8 throughout (subject, body, file names), its Message-ID is derived from the
notification's key and the sender's domain, so every copy of one notification carries the same id.
SMTP has no idempotency key a server honours: a mail whose answer was lost may arrive twice.

Failures: a 4xx answer, a refused or dropped connection or a timeout may pass (retryable); a 5xx
answer (recipient refused, login refused), a certificate we cannot trust or a server without
STARTTLS will not (permanent).
"""
from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from models.base import utcnow
from services.notify.senders import Attachment, DeliveryError, EmailSender

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    sender: str  # the From address, e.g. "Dhaka Zoo <tickets@dhakazoo.gov.bd>"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0  # seconds per SMTP command


class _KeepsReply:
    """Keeps the server's answer to DATA ("250 2.0.0 Ok: queued as 4F1C2"), for the operator's log."""

    reply: tuple[int, bytes] = (0, b"")

    def data(self, msg):
        self.reply = super().data(msg)
        return self.reply


class _Smtp(_KeepsReply, smtplib.SMTP):
    pass


class _SmtpTls(_KeepsReply, smtplib.SMTP_SSL):
    pass


def message_id(key: str, sender: str, scope: str = "") -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "jatra.invalid"
    digest = hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
    return f"<{digest[:32]}@{domain}>"


def build_message(settings: SmtpSettings, to: str, subject: str, text: str, *, key: str,
                  attachments: list[Attachment] = (), scope: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = to
    msg["Subject"] = " ".join(subject.split())  # a header holds no line breaks
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id(key, settings.sender, scope)
    msg.set_content(text, charset="utf-8")
    for filename, data, mime in attachments:
        maintype, _, subtype = (mime or "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg


def _answer(code: int, text) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"


class SmtpSender(EmailSender):
    idempotent = False

    def __init__(self, settings: SmtpSettings, *, scope: str = "", ssl_context: ssl.SSLContext | None = None):
        if settings.security not in SECURITY:
            raise ValueError(f"security must be one of {', '.join(SECURITY)}")
        self.settings, self.scope = settings, scope
        self.ssl_context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:
        s = self.settings
        return f"<SmtpSender {s.security}://{s.host}:{s.port} from={s.sender}>"

    def send_email(self, to: str, subject: str, text: str, *, key: str,
                   attachments: list[Attachment] = ()) -> str:
        if "@" not in parseaddr(to)[1]:
            raise DeliveryError(f"{to!r} is not an email address", retryable=False)
        msg = build_message(self.settings, to, subject, text, key=key, attachments=attachments, scope=self.scope)
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            reply = self._send(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text_ = next(iter(exc.recipients.values()))
            raise DeliveryError(f"{where} refused {to}: {_answer(code, text_)}", retryable=code < 500) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{where}: {exc} (security={self.settings.security})", retryable=False) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, login refused, HELO...
            raise DeliveryError(f"{where}: {_answer(exc.smtp_code, exc.smtp_error)}",
                                retryable=not 500 <= exc.smtp_code < 600) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(f"{where}: the server's certificate is not trusted ({exc.verify_message})",
                                retryable=False) from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, dropped, timed out, TLS broke
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}", retryable=True) from None
        return f"accepted by {where}: {_answer(*reply)}"

    def _send(self, msg: EmailMessage) -> tuple[int, bytes]:
        s = self.settings
        if s.security == "tls":
            conn = _SmtpTls(s.host, s.port, timeout=s.timeout, context=self.ssl_context)
        else:
            conn = _Smtp(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                conn.starttls(context=self.ssl_context)  # says EHLO first; SMTPNotSupportedError without it
            if s.username:
                conn.login(s.username, s.password or "")
            conn.send_message(msg)
            reply = conn.reply
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the mail is accepted: a goodbye that fails must not make it count as failed
            return reply
        finally:
            conn.close()
