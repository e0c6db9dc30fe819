"""A confirmed booking's tickets (the booking page's token is the key, as there): a printable page
with each ticket's QR code inline (it works offline once loaded), the PDF, the calendar file.
Bookings that are not (or no longer) confirmed have no tickets to show: 404."""
from __future__ import annotations

from flask import abort, make_response, redirect, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from blueprints.checkout import bp
from blueprints.web import render
from services.checkout import lookup
from services.tickets import calendar, details, pdf


def _confirmed_or_404(token: str):
    booking = lookup.by_token(token)
    if booking is None or booking.status not in details.PRINTABLE:
        abort(404)
    return booking


def _download(body: bytes, mimetype: str, filename: str):
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def labelled_qr(svg: str, label: str) -> Markup:
    """The stored SVG (ours, drawn by services.tickets.qr) named for screen readers."""
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@bp.get("/t/<code>")
def short_link(code):
    """The tickets page from the short link an SMS carries."""
    booking = lookup.by_link_code(code)
    if booking is None:
        abort(404)
    return redirect(url_for("checkout.tickets", token=booking.token))


@bp.get("/bookings/<token>/tickets")
def tickets(token):
    booking = _confirmed_or_404(token)
    locale = get_locale()
    return render("checkout/tickets.html", d=details.of(booking, locale.language if locale else "en"),
                  status_word=details.status_word, labelled_qr=labelled_qr)


@bp.get("/bookings/<token>/tickets.pdf")
def tickets_pdf(token):
    layout = request.args.get("layout", "a4")
    if layout not in pdf.LAYOUTS:
        abort(404)
    booking = _confirmed_or_404(token)
    return _download(pdf.tickets_pdf(booking.id, layout), "application/pdf", f"{booking.reference}-tickets.pdf")


@bp.get("/bookings/<token>/calendar.ics")
def calendar_ics(token):
    booking = _confirmed_or_404(token)
    return _download(calendar.booking_ics(booking.id), "text/calendar", f"{booking.reference}.ics")
