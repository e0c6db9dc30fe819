from flask import abort, g, request, url_for
from jinja2_fragments.flask import render_block

from blueprints.rail import bp
from blueprints.rail.forms import TrainSearchForm
from blueprints.web import render, show_error
from services.rail import layouts, network, search
from services.rail.class_names import traveller_name
from services.rail.errors import RailError

TEMPLATE = "rail/search.html"


def _require_rail():
    if g.tenant.kind != "rail":
        abort(404)


def search_form(args) -> TrainSearchForm:
    """The search form with the tenant's classes and today's date as the default."""
    form = TrainSearchForm(args)
    form.coach_class.choices = [("", form.coach_class.choices[0][1])] + [
        (c.code, traveller_name(c.name)) for c in layouts.list_classes()]
    first, last = search.window()
    form.date.render_kw = {"min": first.isoformat(), "max": last.isoformat()}
    if not args.get("date"):
        form.date.data = first
    for name, box in (("from", form.from_), ("to", form.to)):
        # Active search: typing asks for matching stations, shown as the box's suggestions.
        box.render_kw = {"list": f"{name}-stations", "hx-get": url_for("rail.stations", field=name),
                         "hx-trigger": "input changed delay:200ms", "hx-target": f"#{name}-stations",
                         "hx-swap": "outerHTML", "hx-include": "this"}
    return form


@bp.app_template_filter("class_name")
def _class_name(name: str) -> str:
    # Wherever a customer sees a class: its name as travellers know it, never its code.
    return traveller_name(name)


@bp.app_context_processor
def _search_form_for_templates():
    # The rail home page shows the search form without its view knowing about rail.
    return {"rail_search_form": lambda: search_form({})}


@bp.get("/trains")
def trains():
    """The search page; with from, to and date in the URL, its results (a shareable link)."""
    _require_rail()
    form = search_form(request.args)
    first, last = search.window()
    context = {"form": form, "first": first, "last": last, "answer": None}
    if not {"from", "to", "date"} & set(request.args):
        return render(TEMPLATE, block="results", **context)
    if not form.validate():
        return render(TEMPLATE, block="results", status=422, **context)
    try:
        context["answer"] = search.search(form.from_.data, form.to.data, form.date.data,
                                          coach_class=form.coach_class.data or None,
                                          departure=form.departure.data or None)
    except RailError as exc:
        show_error(form, exc, "date")
        return render(TEMPLATE, block="results", status=422, **context)
    return render(TEMPLATE, block="results", **context)


@bp.get("/trains/stations")
def stations():
    """Active search: the stations matching what is typed in the `from` or `to` box."""
    _require_rail()
    field = "to" if request.args.get("field") == "to" else "from"
    # Always the fragment: this URL exists only for the search boxes' suggestions.
    return render_block(TEMPLATE, "station_options", field=field,
                        stations=network.suggest_stations(request.args.get(field, "")[:80]))
