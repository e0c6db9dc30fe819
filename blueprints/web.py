"""Rendering helpers shared by every blueprint: whole page or one block, filters, context."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_currency
from flask import Flask, current_app, g, make_response, redirect, render_template, request
from flask_babel import format_date, format_datetime, get_locale
from jinja2_fragments.flask import render_block
from wtforms import Field

from services import tenants


def is_partial_request() -> bool:
    """An htmx request that swaps part of the page (htmx 4 sends HX-Request-Type)."""
    return bool(request.headers.get("HX-Request")) and request.headers.get("HX-Request-Type") != "full"


def render(template: str, block: str | None = None, status: int = 200, **context):
    """The whole page, or only `block` of the same template when htmx asks for a fragment."""
    if block and is_partial_request():
        html = render_block(template, block, **context)
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(location: str):
    """After a successful form post: htmx follows HX-Location without a full reload; a plain
    browser gets a 303 redirect."""
    if request.headers.get("HX-Request"):
        response = make_response("", 200)
        response.headers["HX-Location"] = location
        return response
    return redirect(location, 303)


def show_error(form, exc, fallback: str | None = None) -> None:
    """Put a service's refusal (a `services.errors.ServiceError`) on the form: next to the field it
    names (`from` finds the field `from_`), else next to `fallback` when given, else above the form."""
    message = getattr(exc, "message", None) or str(exc)
    for name in (getattr(exc, "field", None), fallback):
        for candidate in (name, f"{name}_") if name else ():
            field = getattr(form, candidate, None)
            if isinstance(field, Field):
                field.errors = [*field.errors, message]
                return
    form.form_errors.append(message)


def client_actor(kind: str = "system", account=None):
    """The audit Actor for this request: who (if anyone is logged in) and from where."""
    from services.audit import Actor

    return Actor(kind, getattr(account, "id", None), getattr(account, "email", None) or getattr(account, "name", None),
                 request.remote_addr, request.user_agent.string)


def money(amount) -> str:
    """BDT through Babel: ৳12,34,567.50 in English (lakh grouping), 12,34,567.50৳ in Bangla."""
    if amount is None:
        return ""
    amount = Decimal(str(amount))
    locale = get_locale()
    if locale is not None and locale.language == "bn":
        return format_currency(amount, "BDT", locale=locale)
    return format_currency(amount, "BDT", format="৳#,##,##0.00", locale=locale or "en", currency_digits=False)


def when(value, fmt: str = "medium") -> str:
    """A date or time in the tenant's time zone and the visitor's language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, fmt)
    if isinstance(value, date):
        return format_date(value, fmt)
    return str(value)


_COLOR = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def css_color(value, default: str = "#0b6e4f") -> str:
    """Only a hex colour reaches a style attribute: branding is data, never CSS to inject."""
    return value if isinstance(value, str) and _COLOR.match(value) else default


def _site_context():
    tenant = g.get("tenant")
    return {
        "platform_url": tenants.platform_url(),
        "tenant": tenant,
        "site_name": tenant.name if tenant else current_app.config["PLATFORM_NAME"],
        "languages": current_app.config["LANGUAGES"],
        "current_locale": str(get_locale() or "en"),
        "is_maintenance": bool(tenant and tenant.status == "maintenance"),
    }


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["css_color"] = css_color
    app.context_processor(_site_context)
