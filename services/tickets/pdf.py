"""A booking's tickets as one PDF, a page per ticket: A4 to print, or a narrow page to keep on a
phone. fpdf2 shapes text with HarfBuzz, so Bangla conjuncts and vowel signs come out as a reader
expects; Noto Sans writes Latin, Noto Sans Bengali (a fallback font) the Bangla, Noto Sans Symbols
the arrows (static/fonts/, SIL OFL). The QR code is drawn from its matrix as filled squares: vector,
sharp at any zoom or printer. Labels are in the booking's language; a cancelled ticket's page has no
QR code and says it is not valid."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import redis
import sqlalchemy as sa

from babel.dates import format_datetime
from flask_babel import force_locale, gettext as _
from fpdf import FPDF
from fpdf.drawing import color_from_hex_string

from models import db
from models.bookings import Booking, Ticket
from services.redis_conn import redis_client
from services.tickets import details as ticket_details, qr
from services.tickets.details import Details, Line

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
CACHE_SECONDS = 24 * 3600
CACHE_VERSION = 1  # bump when the layout changes: PDFs kept from before are not served again
log = logging.getLogger(__name__)
logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every subsetting step at INFO
INK, MUTED, WHITE, ALERT = (28, 35, 33), (91, 103, 99), (255, 255, 255), (179, 38, 30)
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


@dataclass(frozen=True)
class Layout:
    size: tuple[float, float]  # page, mm
    margin: float
    band: float  # height of the branded band at the top
    qr: float  # side of the QR code with its quiet zone
    label: float  # width of the label column
    text: float  # body font size, pt
    line: float  # line height, mm


LAYOUTS = {
    "a4": Layout((210, 297), margin=18, band=26, qr=85, label=52, text=12, line=7),
    "phone": Layout((80, 160), margin=5, band=14, qr=58, label=24, text=8, line=4.2),
}


def _document(layout: Layout) -> FPDF:
    pdf = FPDF(unit="mm", format=layout.size)
    pdf.set_margins(layout.margin, layout.margin, layout.margin)
    pdf.set_auto_page_break(False)  # one page per ticket, always
    pdf.c_margin = 0
    for family, name in (("NotoSans", "NotoSans"), ("NotoSansBengali", "NotoSansBengali")):
        pdf.add_font(family, "", FONTS / f"{name}-Regular.ttf")
        pdf.add_font(family, "B", FONTS / f"{name}-Bold.ttf")
    pdf.add_font("NotoSansSymbols", "", FONTS / "NotoSansSymbols-Regular.ttf")
    pdf.set_fallback_fonts(["NotoSansBengali", "NotoSansSymbols"], exact_match=False)
    pdf.set_text_shaping(True)
    return pdf


def _brand_colour(d: Details) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(band colour, text colour on it): the tenant's primary colour, white or ink on it by contrast."""
    from blueprints.web import css_color

    rgb = color_from_hex_string(css_color(d.tenant.brand("primary")))
    band = tuple(round(c * 255) for c in (rgb.r, rgb.g, rgb.b))
    luminance = 0.2126 * rgb.r + 0.7152 * rgb.g + 0.0722 * rgb.b
    return band, (WHITE if luminance < 0.6 else INK)


def _qr(pdf: FPDF, payload: str, x: float, y: float, side: float) -> None:
    """Dark modules as filled rectangles, a horizontal run each, each overlapping the next by a
    hair so no viewer shows a seam between them (a single path costs fpdf2 three times as much)."""
    matrix = qr.matrix(payload)
    module = side / (len(matrix) + 2 * QUIET_ZONE)
    pdf.set_fill_color(*WHITE)
    pdf.rect(x, y, side, side, style="F")
    left, top, hair = x + QUIET_ZONE * module, y + QUIET_ZONE * module, module * 0.04
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(left + start * module, top + r * module, (c - start) * module + hair, module + hair,
                         style="F")
            else:
                c += 1


def _row(pdf: FPDF, layout: Layout, label: str, value: str) -> None:
    y, width = pdf.get_y(), layout.size[0] - 2 * layout.margin
    pdf.set_text_color(*MUTED)
    pdf.set_font("NotoSans", "", layout.text * 0.85)
    pdf.set_xy(layout.margin, y)
    pdf.multi_cell(layout.label, layout.line, label, align="L", new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_text_color(*INK)
    pdf.set_font("NotoSans", "B", layout.text)
    pdf.set_xy(layout.margin + layout.label, y)
    pdf.multi_cell(width - layout.label, layout.line, value, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(bottom, pdf.get_y()) + layout.line * 0.25)


def _when(d: Details, line: Line, fmt: str) -> str:
    return format_datetime(line.starts_at, fmt, tzinfo=d.zone, locale=d.booking.language or "en")


def _page(pdf: FPDF, layout: Layout, d: Details, line: Line) -> None:
    pdf.add_page()
    width, b = layout.size[0], d.booking
    band, on_band = _brand_colour(d)
    pdf.set_fill_color(*band)
    pdf.rect(0, 0, width, layout.band, style="F")
    pdf.set_text_color(*on_band)
    pdf.set_font("NotoSans", "B", layout.text * 1.5)
    pdf.set_xy(layout.margin, 0)
    pdf.cell(width - 2 * layout.margin, layout.band, d.tenant.name, align="L")
    pdf.set_font("NotoSans", "", layout.text * 0.9)
    pdf.set_xy(layout.margin, 0)
    pdf.cell(width - 2 * layout.margin, layout.band, _("Ticket"), align="R")

    pdf.set_text_color(*INK)
    pdf.set_font("NotoSans", "B", layout.text * 1.25)
    pdf.set_xy(layout.margin, layout.band + layout.line * 0.6)
    pdf.multi_cell(0, layout.line * 1.15, b.title, align="L", new_x="LMARGIN", new_y="NEXT")

    top = pdf.get_y() + layout.line * 0.5
    if line.ticket.status != "valid":
        pdf.set_text_color(*ALERT)
        pdf.set_font("NotoSans", "B", layout.text * 1.4)
        pdf.set_xy(layout.margin, top)
        pdf.multi_cell(0, layout.line * 1.3, ticket_details.status_word(line.ticket.status).upper(), align="C",
                       new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y() + layout.line * 0.3
    if line.ticket.status != "cancelled" and line.ticket.qr_payload:
        _qr(pdf, line.ticket.qr_payload, (width - layout.qr) / 2, top, layout.qr)
        top += layout.qr
    pdf.set_y(top + layout.line * 0.5)

    _row(pdf, layout, _("Ticket number"), line.ticket.number)
    _row(pdf, layout, _("Passenger") if d.rail else _("Name"), line.holder)
    _row(pdf, layout, _("Seat") if line.seated else _("Ticket type"), line.item.label)
    _row(pdf, layout, _("Date"), _when(d, line, "EEEE d MMMM y"))
    _row(pdf, layout, _("Time"), _when(d, line, "h:mm a"))
    if d.rail:
        _row(pdf, layout, _("From"), d.board or "")
        _row(pdf, layout, _("To"), d.alight or "")
    elif d.place:
        _row(pdf, layout, _("Venue"), d.place)
    _row(pdf, layout, _("Booking reference"), b.reference)
    if b.pnr:
        _row(pdf, layout, _("PNR"), b.pnr)

    pdf.set_text_color(*MUTED)
    pdf.set_font("NotoSans", "", layout.text * 0.75)
    pdf.set_xy(layout.margin, layout.size[1] - layout.margin - layout.line * 2.2)
    pdf.multi_cell(0, layout.line * 0.75, d.conditions, align="L", new_x="LMARGIN", new_y="NEXT")


def render(d: Details, layout: str = "a4") -> bytes:
    """The PDF of already gathered details (in the current locale)."""
    shape = LAYOUTS[layout]
    pdf = _document(shape)
    pdf.set_title(f"{d.booking.reference} · {d.booking.title}")
    pdf.set_author(d.tenant.name)
    pdf.set_creator("Jatra")
    pdf.set_lang(d.booking.language or "en")
    for line in d.lines:
        _page(pdf, shape, d, line)
    if not d.lines:  # not issued: a page that says so, never an empty file
        pdf.add_page()
        pdf.set_font("NotoSans", "", shape.text)
        pdf.multi_cell(0, shape.line, _("No tickets have been issued for this booking."))
    return bytes(pdf.output())


def tickets_pdf(booking_id: int, layout: str = "a4") -> bytes:
    """The booking's tickets, a page each, labels in the booking's language. `layout`: "a4" or
    "phone" (80 x 160 mm). Needs the tenant bound; LookupError for an unknown booking.
    Kept in Redis for a day under a key naming what the pages show (the tickets and their states,
    the booking's, the branding), so the confirmation email's PDF serves the downloads after it."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise LookupError(f"no booking {booking_id}")
    language = booking.language or "en"
    key = _cache_key(booking, layout, language)
    found = _cached(key)
    if found is not None:
        return found
    with force_locale(language):
        data = render(ticket_details.of(booking, language), layout)
    _keep(key, data)
    return data


def _cache_key(booking: Booking, layout: str, language: str) -> str:
    from flask import current_app

    from services import tenant_db

    tenant = tenant_db.require_tenant()
    tickets = db.session.execute(sa.select(Ticket.id, Ticket.status, Ticket.qr_payload)
                                 .where(Ticket.booking_id == booking.id).order_by(Ticket.id)).all()
    what = repr((booking.status, booking.title, booking.starts_at, [tuple(t) for t in tickets],
                 sorted(tenant.branding.items()), tenant.name, CACHE_VERSION))
    digest = hashlib.sha256(what.encode()).hexdigest()[:24]
    prefix = current_app.config["REDIS_KEY_PREFIX"]
    return f"{prefix}tickets-pdf:{tenant.slug}:{booking.id}:{layout}:{language}:{digest}"


def _cached(key: str) -> bytes | None:
    client = redis_client()
    if client is None:
        return None
    try:
        return client.get(key)
    except redis.RedisError:
        log.warning("tickets PDF cache unavailable", exc_info=True)
        return None


def _keep(key: str, data: bytes) -> None:
    client = redis_client()
    if client is None:
        return
    try:
        client.set(key, data, ex=CACHE_SECONDS)
    except redis.RedisError:
        log.warning("tickets PDF cache unavailable", exc_info=True)
