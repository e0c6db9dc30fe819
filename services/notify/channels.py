"""The tenant's SMS provider and SMTP server, and the sender each one makes.

Stored in the registry (`tenant_configs.message_channels`):
  "sms":   {"enabled", "provider": "sslwireless", "url", "sid", "credentials": <sealed {"api_token"}>}
  "email": {"enabled", "host", "port", "security", "from", "username", "credentials": <sealed {"password"}>}
Secrets are sealed with services.crypto under a context naming the tenant and the channel, like
the payment gateways' (services/checkout/gateways.py), so a sealed value cannot move to another tenant.

Without settings (or with `enabled` false) messages go to the in-memory outbox (/dev/outbox) in
development and tests, or wherever MESSAGES_TO_OUTBOX is set; elsewhere sending is refused with
NotConfigured, which the notifications log shows the operator.
"""
from __future__ import annotations

import json
import threading

from flask import current_app

from services import crypto, tenant_db
from services.errors import ServiceError
from services.notify.senders import DeliveryError
from services.notify.sms import SslWirelessSms
from services.notify.smtp import SECURITY, SmtpSender, SmtpSettings

CHANNELS = ("sms", "email")
SMS_PROVIDERS = {"sslwireless": ("api_token",)}  # provider -> its credential keys
SETUP = {"sms": "flask tenants sms SLUG sslwireless --sid SID --credential api_token=...",
         "email": "flask tenants email SLUG --host HOST --security starttls --from ADDRESS"}
_senders: dict[tuple, object] = {}
_lock = threading.Lock()


class ChannelError(ServiceError):
    """Settings refused before they are stored; the message says why."""


class NotConfigured(DeliveryError):
    """No usable provider for the channel: retrying will not help until an operator sets one up."""

    def __init__(self, answer: str):
        super().__init__(answer, retryable=False)


def _context(slug: str, channel: str) -> str:
    return f"messages:{slug}:{channel}"


def seal_sms(slug: str, *, provider: str, url: str, sid: str, credentials: dict) -> dict:
    """The stored form of the SMS settings (for `tenants.update_config(message_channels={"sms": ...})`)."""
    keys = SMS_PROVIDERS.get(provider)
    if keys is None:
        raise ChannelError(f"unknown SMS provider {provider!r}; one of: {', '.join(SMS_PROVIDERS)}")
    missing = [k for k in keys if not credentials.get(k)]
    if missing or not sid or not url:
        raise ChannelError(f"{provider} needs url, sid and {', '.join(keys)}")
    return {"enabled": True, "provider": provider, "url": url, "sid": sid,
            "credentials": crypto.seal(json.dumps(credentials), context=_context(slug, "sms"))}


def seal_email(slug: str, *, host: str, port: int, security: str, sender: str, username: str | None = None,
               password: str | None = None) -> dict:
    """The stored form of the email settings (for `tenants.update_config(message_channels={"email": ...})`)."""
    if security not in SECURITY:
        raise ChannelError(f"security must be one of {', '.join(SECURITY)}")
    if not host or not 0 < int(port) < 65536:
        raise ChannelError("an SMTP server needs a host and a port between 1 and 65535")
    if "@" not in (sender or ""):
        raise ChannelError("the From address must be an email address")
    sealed = crypto.seal(json.dumps({"password": password}), context=_context(slug, "email")) if password else None
    return {"enabled": True, "host": host, "port": int(port), "security": security, "from": sender,
            "username": username or None, "credentials": sealed}


def sender_for(channel: str):
    """The current tenant's sender for "sms" or "email" (an SmsSender / EmailSender), or NotConfigured."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    tenant = tenant_db.require_tenant()
    settings = tenant.message_channels.get(channel) or {}
    if settings.get("enabled", bool(settings)):
        key = (tenant.slug, channel, json.dumps(settings, sort_keys=True))
        with _lock:
            found = _senders.get(key)
            if found is None:
                found = _senders[key] = _build(tenant.slug, channel, settings)
        return found
    if current_app.config["JATRA_ENV"] in ("development", "testing") or current_app.config.get("MESSAGES_TO_OUTBOX"):
        from services import notifications

        return notifications.sender()
    what = "SMS provider" if channel == "sms" else "email (SMTP) server"
    if settings:
        raise NotConfigured(f"the {what} of this operator is switched off ({SETUP[channel]} turns it on)")
    raise NotConfigured(f"no {what} is set up for this operator ({SETUP[channel]})")


def _credentials(slug: str, channel: str, settings: dict) -> dict:
    if not settings.get("credentials"):
        return {}
    try:
        return json.loads(crypto.open_sealed(settings["credentials"], context=_context(slug, channel)))
    except crypto.DecryptionError:
        raise NotConfigured(f"the {channel} credentials of this operator do not open with DATA_ENCRYPTION_KEY:"
                            " set them again") from None


def _build(slug: str, channel: str, settings: dict):
    credentials = _credentials(slug, channel, settings)
    if channel == "sms":
        if settings.get("provider") not in SMS_PROVIDERS:
            raise NotConfigured(f"unknown SMS provider {settings.get('provider')!r} for this operator")
        return SslWirelessSms(settings.get("url"), settings.get("sid"), credentials.get("api_token", ""),
                              scope=slug, timeout=float(settings.get("timeout", 10.0)))
    return SmtpSender(SmtpSettings(host=settings["host"], port=int(settings["port"]), security=settings["security"],
                                   sender=settings["from"], username=settings.get("username"),
                                   password=credentials.get("password"),
                                   timeout=float(settings.get("timeout", 20.0))), scope=slug)
