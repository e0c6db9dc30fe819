from datetime import date

from flask import abort, g, request, send_from_directory
from flask_babel import gettext as _

from blueprints.events import bp
from blueprints.events.forms import EventSearchForm
from blueprints.web import render
from models.base import utcnow
from services.events import NotFound, catalog, media, seat_plans, slots
from services.events.sales import slot_state, ticket_type_state
from services.events.search import EventQuery, lowest_price, search_events
from services.events.times import to_local

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
    try:
        event = catalog.get_public_event(event_id)
    except NotFound:
        abort(404)
    now = utcnow()
    context = {"event": event, "now": now,
               "ticket_states": [(t, ticket_type_state(event, t, now)) for t in event.ticket_types]}
    if event.admission == "timed":
        days = slots.days_with_slots(event.id, _tz(), after=now)
        day = _chosen_day(days)
        context.update(days=days, day=day, slot_states=[(s, slot_state(event, s, now))
                                                        for s in (slots.slots_on(event.id, day, _tz()) if day else [])])
    if event.admission == "seated":
        plan = seat_plans.get_plan(event.id)
        context.update(category_counts=seat_plans.category_counts(plan), seat_count=seat_plans.seat_count(plan))
    return render("events/event.html", block="slots", **context)


def _chosen_day(days: list[date]) -> date | None:
    wanted = request.args.get("day")
    if wanted:
        try:
            chosen = date.fromisoformat(wanted)
        except ValueError:
            chosen = None
        if chosen in days:
            return chosen
    return days[0] if days else None


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
