"""Development-only pages: the outbox of messages the app would have sent by SMS or email.
Registered only when JATRA_ENV is development or testing."""
from __future__ import annotations

from flask import Flask, abort, g

from blueprints import site
from blueprints.web import render
from services import notifications


def outbox():
    box = notifications.outbox()
    if box is None:  # a real gateway sends messages: there is no outbox to show
        abort(404)
    tenant = g.get("tenant")
    return render("dev/outbox.html", messages=box.messages(tenant.slug if tenant else None))


def register(app: Flask) -> None:
    if app.config["JATRA_ENV"] not in ("development", "testing"):
        box = notifications.outbox()
        if box is not None:  # nobody reads it here: say so in the log for every message
            box.warn = True
        return
    app.add_url_rule("/dev/outbox", "dev_outbox", outbox)
    app.add_url_rule("/dev/outbox", "dev_outbox", outbox, subdomain=site.TENANT)
