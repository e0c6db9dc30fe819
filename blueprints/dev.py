"""Development-only pages: the outbox of messages the app would have sent by SMS or email.

The outbox holds one-time codes and password-reset links, so it is guarded three ways: the page
exists only when JATRA_ENV is explicitly development or testing (production is the default), it
answers only requests from this machine that came through no proxy, and each site sees only its
own messages (a tenant's host its tenant's, the platform host only the platform's).
"""
from __future__ import annotations

import ipaddress

from flask import Flask, abort, g, request

from blueprints import site
from blueprints.web import render
from services import notifications

# A proxy on this machine makes every visitor's request come from loopback; these headers show one.
_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded", "X-Forwarded-Host")


def from_this_machine() -> bool:
    """The peer is a loopback address and no proxy stood in between. Forwarding headers are never
    believed here: they only disqualify a request."""
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    try:
        peer = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return (getattr(peer, "ipv4_mapped", None) or peer).is_loopback


def outbox():
    box = notifications.outbox()
    if box is None or not from_this_machine():  # no outbox in use, or not asked from this machine
        abort(404)
    tenant = g.get("tenant")
    return render("dev/outbox.html", messages=box.site_messages(tenant.slug if tenant else None))


def register(app: Flask) -> None:
    if app.config["JATRA_ENV"] not in ("development", "testing"):
        box = notifications.outbox()
        if box is not None:  # nobody reads it here: say so in the log for every message
            box.warn = True
        return
    app.add_url_rule("/dev/outbox", "dev_outbox", outbox)
    app.add_url_rule("/dev/outbox", "dev_outbox", outbox, subdomain=site.TENANT)
