"""Error pages in the site's own branding, as a whole page or as the fragment htmx swaps in."""
from __future__ import annotations

import logging

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from blueprints import limits
from blueprints.web import render
from models import db
from services import transactions
from services.errors import Retryable

log = logging.getLogger(__name__)

TITLES = {
    400: _l("Something in that request was not right"),
    403: _l("You don't have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not allowed here"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("Temporarily unavailable"),
}
MESSAGES = {
    400: _l("Please go back, check what you entered and try again."),
    403: _l("Your account does not have permission for this. Ask an administrator if you need it."),
    404: _l("The page you asked for does not exist or has moved."),
    405: _l("Please use the page's own buttons and forms."),
    429: _l("Please wait a little and try again."),
    500: _l("We have been told and are looking into it. Nothing you paid for is lost."),
    503: _l("This site is temporarily unavailable. Please try again later."),
}


def _page(code: int, message=None, retry_after: int | None = None):
    if code == 404 and g.get("unknown_site"):
        title = _l("No site at this address")
        message = _l("There is no Jatra site at this address. Check the link, or start from the Jatra home page.")
    else:
        title = TITLES.get(code, TITLES[500])
    response = render("errors/error.html", block="content", status=code, code=code, title=title,
                      message=message or MESSAGES.get(code, MESSAGES[500]), retry_after=retry_after)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def handle_http(exc: HTTPException):
    custom = exc.description if exc.description and exc.description != type(exc).description else None
    retry_after = None
    if exc.code == 429:
        retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, RateLimitExceeded):  # its description is the limit itself ("5 per 1 minute")
        custom, retry_after = None, limits.retry_after()
    return _page(exc.code or 500, custom, retry_after)


def handle_csrf(exc: CSRFError):
    return _page(400, _l("This form has expired (it was open too long or in another tab). "
                         "Reload the page and try again."))


def handle_retryable(exc: Exception):
    """Concurrent work made the database give up on this request's transaction (deadlock,
    serialization failure, SQLite still locked): nothing was changed, and trying again works."""
    if not isinstance(exc, Retryable) and not transactions.is_retryable(exc):
        raise exc
    db.session.rollback()
    return _page(503, transactions.RETRY_MESSAGE, retry_after=1)


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    return _page(500)


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Retryable, handle_retryable)
    app.register_error_handler(OperationalError, handle_retryable)
    if not app.config.get("PROPAGATE_EXCEPTIONS") and not app.testing:
        app.register_error_handler(InternalServerError, handle_http)
        app.register_error_handler(Exception, handle_unexpected)
