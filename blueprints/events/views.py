from datetime import date

from flask import abort, g, request, send_from_directory
from flask_babel import gettext as _

from blueprints.events import bp
from blueprints.converters import bounded_int
from blueprints.events.forms import EventSearchForm
from blueprints.web import is_partial_request, render
from services.events import NotFound, catalog, media
from services.events.search import EventQuery, lowest_price, search_events
from services.events.times import to_local
from services.inventory.event_offer import event_offer

MEDIA_MAX_AGE = 365 * 24 * 3600  # media names are random and never reused


def _tz() -> str:
    return g.tenant.setting("timezone")


@bp.app_template_global()
def upcoming_events(limit: int = 6):
    """For the tenant home page of an events tenant."""
    return catalog.upcoming(limit)


@bp.app_template_global()
def event_price_from(event):
    return lowest_price(event)


@bp.get("/events")
def index():
    form = EventSearchForm(request.args)
    form.category.choices = [("", _("All categories"))] + [(c, c) for c in catalog.categories()]
    form.validate()  # a filter with a bad value is shown with its error and left out
    query = EventQuery(text=form.q.data or "", category=form.category.data or None,
                       date_from=form.date_from.data if not form.date_from.errors else None,
                       date_to=form.date_to.data if not form.date_to.errors else None,
                       price_max=form.price_max.data if not form.price_max.errors else None)
    results = search_events(query, tz=_tz())
    return render("events/index.html", block="results", form=form, results=results, query=query)


@bp.get("/events/<int:event_id>")
def event(event_id):
    return event_page(event_id)


def event_page(event_id: int, *, message: str | None = None, level: str = "info", status: int = 200,
               form=None, picked_seats=(), day: date | None = None, slot_id: int | None = None):
    """The event page, or its buy block (`#buy`: slots, tickets or seat plan, the hold) for htmx.
    The chosen day and slot come from the query string (`?day=YYYY-MM-DD&slot=<id>`) unless given."""
    from blueprints.booking.forms import QuantitiesForm
    from blueprints.booking.owner import current_owner

    try:
        event = catalog.get_public_event(event_id)
    except NotFound:
        abort(404)
    offer = event_offer(event, current_owner(), tz=_tz(), day=day or _day_arg(),
                        slot_id=slot_id or request.args.get("slot", type=bounded_int))
    if form is None:  # what the customer holds now is what the pickers start from
        form = QuantitiesForm.for_ticket_types(event.ticket_types, formdata=None,
                                               data={f"qty-{t.ticket_type.id}": t.mine for t in offer.tickets})
    partial = is_partial_request()
    response = render("events/event.html", block="buy", status=status, event=event, offer=offer, form=form,
                      picked_seats=set(picked_seats), message=message, level=level, partial=partial,
                      page_args=page_args(offer))
    if status == 200 and request.method == "GET" and partial:
        # live.js polls this block with If-None-Match while its stream is down: unchanged costs a 304.
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("HX-Request-Type")  # a history restore asks the same URL for the whole page
        response.add_etag()
        response.make_conditional(request)
    return response


def page_args(offer) -> dict:
    """The query string that brings this page back as it is: the chosen day and slot."""
    args = {}
    if offer.day is not None:
        args["day"] = offer.day.isoformat()
    if offer.slot is not None:
        args["slot"] = offer.slot.slot.id
    return args


def _day_arg() -> date | None:
    try:
        return date.fromisoformat(request.args.get("day") or "")
    except ValueError:
        return None


@bp.app_template_global()
def plural_texts(singular: str, plural: str) -> dict:
    """Both forms of a counted text with "{n}" for the number, for scripts that change the number
    (live "left" counts). Both our languages use plural=(n != 1)."""
    from flask_babel import get_translations

    translations = get_translations()
    return {form: translations.ungettext(singular, plural, n).replace("%(num)s", "{n}").replace("%(num)d", "{n}")
            for form, n in (("one", 1), ("other", 2))}


@bp.get("/media/<path:filename>")
def media_file(filename):
    response = send_from_directory(media.tenant_media_root(), filename, max_age=MEDIA_MAX_AGE)
    response.headers["Cache-Control"] = f"public, max-age={MEDIA_MAX_AGE}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_template_filter("local_time")
def local_time(value, fmt: str = "%H:%M"):
    """A clock time in the tenant's zone (slot times: 09:00)."""
    return to_local(value, _tz()).strftime(fmt) if value else ""
