"""What the simulator's blueprints share: the Sandbox of the app, the 503 switch of API endpoints,
and sending the customer's browser back to the merchant."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Response, current_app, make_response, redirect, render_template

from gateways.sandbox.records import BrowserReturn
from gateways.sandbox.state import Sandbox

EXTENSION = "gateway_sandbox"


def current_sandbox() -> Sandbox:
    return current_app.extensions[EXTENSION]


def api_endpoint(view):
    """A gateway API endpoint: answers 503 while the sandbox plays unreachable."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_sandbox().behaviour.unreachable:
            return Response("Service Unavailable (sandbox: unreachable)", 503, mimetype="text/plain")
        return view(*args, **kwargs)

    return guarded


def back_to_merchant(browser_return: BrowserReturn, after_return: Callable[[], None]) -> Response:
    """SSLCommerz posts the signed fields by an auto-submitted form, bKash redirects. `after_return`
    runs once the response has gone out (werkzeug closes it after writing)."""
    if browser_return.method == "GET":
        response = redirect(browser_return.url, 302)
    else:
        response = make_response(render_template("sandbox/return.html", browser_return=browser_return))
    response.call_on_close(after_return)
    return response
