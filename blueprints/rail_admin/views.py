"""Thin views: parse a form, call one rail service, render the page or the block htmx swapped."""
from __future__ import annotations

from flask import abort, g, request, url_for

from blueprints.converters import bounded_int
from blueprints.rail_admin import bp
from blueprints.rail_admin import forms as f
from blueprints.staff.guard import current_staff, staff_required
from blueprints.web import client_actor, is_partial_request, redirect_to, render, show_error
from services.rail import fares, layouts, network, trips
from services.rail.errors import RailError

MANAGE = "schedules.manage"


@bp.before_request
def _only_for_railways():
    if g.get("tenant") is None or g.tenant.kind != "rail":
        abort(404)


def _actor():
    return client_actor("staff", current_staff())


@bp.get("/")
@staff_required(MANAGE)
def index():
    return redirect_to(url_for("rail_admin.stations"))


# --- stations ---------------------------------------------------------------------------------

def _stations_page(form, status=200, editing=None, saved=None):
    return render("rail_admin/stations.html", block="stations", status=status, form=form, editing=editing,
                  saved=saved, stations=network.list_stations())


@bp.get("/stations")
@staff_required(MANAGE)
def stations():
    editing = request.args.get("edit", type=bounded_int)
    station = next((s for s in network.list_stations() if s.id == editing), None)
    return _stations_page(f.StationForm(obj=station, formdata=None) if station else f.StationForm(formdata=None),
                          editing=station)


@bp.post("/stations", defaults={"station_id": None})
@bp.post("/stations/<int:station_id>")
@staff_required(MANAGE)
def save_station(station_id):
    form = f.StationForm()
    editing = next((s for s in network.list_stations() if s.id == station_id), None) if station_id else None
    if not form.validate_on_submit():
        return _stations_page(form, 422, editing)
    try:
        station = network.save_station(form.data, actor=_actor(), station_id=station_id)
    except RailError as exc:
        show_error(form, exc)
        return _stations_page(form, 422, editing)
    return _stations_page(f.StationForm(formdata=None), saved=station.name_en)


# --- trains -----------------------------------------------------------------------------------

@bp.get("/trains")
@staff_required(MANAGE)
def trains():
    return render("rail_admin/trains.html", block="trains", form=f.TrainForm(formdata=None),
                  trains=network.list_trains())


@bp.post("/trains")
@staff_required(MANAGE)
def create_train():
    form = f.TrainForm()
    if form.validate_on_submit():
        try:
            train = network.save_train(form.data, actor=_actor())
        except RailError as exc:
            show_error(form, exc)
        else:
            return redirect_to(url_for("rail_admin.train", train_id=train.id))
    return render("rail_admin/trains.html", block="trains", status=422, form=form, trains=network.list_trains())


def _train_page(train_id, block=None, status=200, **forms):
    try:
        train = network.get_train(train_id)
    except RailError:
        abort(404)
    stations = network.list_stations()
    classes, layout_list = layouts.list_classes(), layouts.list_layouts()
    details = forms.get("details") or f.TrainForm(formdata=None, obj=train, mode="chosen",
                                                   days=[d for d in range(7) if network.runs_on(train.run_days, d)])
    stop = forms.get("stop") or f.StopForm(formdata=None)
    coach = forms.get("coach") or f.CoachForm(formdata=None)
    stop.station_id.choices = [(0, "—")] + [(s.id, f"{s.name_en} ({s.code})") for s in stations]
    coach.coach_class_id.choices = [(0, "—")] + [(c.id, f"{c.name} ({c.code})") for c in classes]
    coach.layout_id.choices = [(0, "—")] + [(lay.id, f"{lay.name} · {lay.seat_count}") for lay in layout_list]
    return render("rail_admin/train.html", block=block, status=status, train=train, details=details,
                  stop_form=stop, coach_form=coach, saved=forms.get("saved"),
                  route_change=forms.get("route_change"))


@bp.get("/trains/<int:train_id>")
@staff_required(MANAGE)
def train(train_id):
    return _train_page(train_id)


@bp.post("/trains/<int:train_id>")
@staff_required(MANAGE)
def update_train(train_id):
    form = f.TrainForm()
    if form.validate_on_submit():
        try:
            network.save_train(form.data, actor=_actor(), train_id=train_id)
        except RailError as exc:
            show_error(form, exc)
        else:
            return _train_page(train_id, "details", saved=True)
    return _train_page(train_id, "details", 422, details=form)


@bp.post("/trains/<int:train_id>/stops")
@staff_required(MANAGE)
def add_stop(train_id):
    form = f.StopForm()
    stations = network.list_stations()
    form.station_id.choices = [(0, "—")] + [(s.id, s.name_en) for s in stations]
    if form.validate_on_submit():
        try:
            change = network.add_stop(train_id, form.data, actor=_actor())
        except RailError as exc:
            show_error(form, exc)
        else:
            return _train_page(train_id, "stops", route_change=change)
    return _train_page(train_id, "stops", 422, stop=form)


@bp.post("/trains/<int:train_id>/stops/<int:stop_id>/delete")
@staff_required(MANAGE)
def remove_stop(train_id, stop_id):
    form = f.StopForm(formdata=None)
    try:
        change = network.remove_stop(train_id, stop_id, actor=_actor())
    except RailError as exc:
        form.form_errors.append(exc.message)
        return _train_page(train_id, "stops", 422, stop=form)
    return _train_page(train_id, "stops", route_change=change)


@bp.post("/trains/<int:train_id>/coaches")
@staff_required(MANAGE)
def add_coach(train_id):
    form = f.CoachForm()
    form.coach_class_id.choices = [(0, "—")] + [(c.id, c.code) for c in layouts.list_classes()]
    form.layout_id.choices = [(0, "—")] + [(lay.id, lay.name) for lay in layouts.list_layouts()]
    if form.validate_on_submit():
        try:
            layouts.add_coach(train_id, coach_class_id=form.coach_class_id.data, layout_id=form.layout_id.data,
                              code=form.code.data, actor=_actor())
        except RailError as exc:
            show_error(form, exc)
        else:
            return _train_page(train_id, "coaches")
    return _train_page(train_id, "coaches", 422, coach=form)


@bp.post("/trains/<int:train_id>/coaches/<int:coach_id>/delete")
@staff_required(MANAGE)
def remove_coach(train_id, coach_id):
    form = f.CoachForm(formdata=None)
    try:
        layouts.remove_coach(train_id, coach_id, actor=_actor())
    except RailError as exc:
        form.form_errors.append(exc.message)
        return _train_page(train_id, "coaches", 422, coach=form)
    return _train_page(train_id, "coaches")


# --- classes and layouts ----------------------------------------------------------------------

def _classes_page(block=None, status=200, class_form=None, layout_form=None, editing=None, saved=None):
    return render("rail_admin/classes.html", block=block, status=status,
                  class_form=class_form or f.ClassForm(formdata=None),
                  layout_form=layout_form or f.LayoutForm(formdata=None),
                  classes=layouts.list_classes(), layouts=layouts.list_layouts(), editing=editing, saved=saved)


@bp.get("/classes")
@staff_required(MANAGE)
def classes():
    editing = next((c for c in layouts.list_classes() if c.id == request.args.get("edit", type=bounded_int)), None)
    form = f.ClassForm(formdata=None, obj=editing) if editing else None
    return _classes_page("classes" if editing else None, class_form=form, editing=editing)


@bp.post("/classes", defaults={"class_id": None})
@bp.post("/classes/<int:class_id>")
@staff_required(MANAGE)
def save_class(class_id):
    form = f.ClassForm()
    editing = next((c for c in layouts.list_classes() if c.id == class_id), None) if class_id else None
    if form.validate_on_submit():
        try:
            klass = layouts.save_class(form.data, actor=_actor(), class_id=class_id)
        except RailError as exc:
            show_error(form, exc)
        else:
            return _classes_page("classes", saved=klass.code)
    return _classes_page("classes", 422, class_form=form, editing=editing)


def _numbers(text: str) -> list[int]:
    return [int(part) for part in (text or "").replace(",", " ").split() if part.isdigit()]


@bp.post("/layouts")
@staff_required(MANAGE)
def create_layout():
    form = f.LayoutForm()
    if form.validate_on_submit():
        data = {**form.data, "aisles": _numbers(form.aisles.data),
                "unavailable": (form.unavailable.data or "").replace(",", " ").split()}
        try:
            layout = layouts.create_layout(data, actor=_actor())
        except RailError as exc:
            show_error(form, exc)
        else:
            return _classes_page("layouts", saved=layout.name)
    return _classes_page("layouts", 422, layout_form=form)


# --- fares ------------------------------------------------------------------------------------

def _fares_page(form=None, status=200, saved=None):
    form = form or f.SegmentFareForm(formdata=None)
    stations = [(s.id, f"{s.name_en} ({s.code})") for s in network.list_stations()]
    form.from_station_id.choices = form.to_station_id.choices = [(0, "—")] + stations
    form.coach_class_id.choices = [(0, "—")] + [(c.id, f"{c.name} ({c.code})") for c in layouts.list_classes()]
    return render("rail_admin/fares.html", block="fares", status=status, form=form, fares=fares.list_segment_fares(),
                  classes=layouts.list_classes(), saved=saved)


@bp.get("/fares")
@staff_required(MANAGE)
def fare_table():
    return _fares_page()


@bp.post("/fares")
@staff_required(MANAGE)
def set_fare():
    form = f.SegmentFareForm()
    _fares_page(form)  # fills the choices the form validates against
    if form.validate_on_submit():
        try:
            fares.set_segment_fare(form.from_station_id.data, form.to_station_id.data, form.coach_class_id.data,
                                   form.amount.data, actor=_actor())
        except RailError as exc:
            show_error(form, exc)
        else:
            return _fares_page(saved=True)
    return _fares_page(form, 422)


@bp.post("/fares/<int:fare_id>/delete")
@staff_required(MANAGE)
def remove_fare(fare_id):
    fares.remove_segment_fare(fare_id, actor=_actor())
    return _fares_page()


# --- trips ------------------------------------------------------------------------------------

def _trips_page(block=None, status=200, form=None, run=None, day=None, **extra):
    form = form or f.GenerateForm(formdata=None, start_date=trips.local_today(), end_date=trips.local_today())
    all_trains = network.list_trains()
    form.train_ids.choices = [(t.id, f"{t.number} {t.name}") for t in all_trains]
    if form.train_ids.data is None and not form.errors:
        form.train_ids.data = [t.id for t in all_trains]
    day = day or trips.local_today()
    extra.setdefault("delay_form", f.DelayForm(formdata=None))
    return render("rail_admin/trips.html", block=block, status=status, form=form, run=run,
                  runs=trips.recent_generations(), day=day, trips=trips.trips_on(day), **extra)


@bp.get("/trips")
@staff_required(MANAGE)
def trip_list():
    day_form = f.DayForm(request.args)
    day = day_form.day.data if day_form.validate() else None
    return _trips_page("trip_list" if request.args.get("day") else None, day=day)


@bp.post("/trips/generate")
@staff_required(MANAGE)
def generate():
    form = f.GenerateForm()
    form.train_ids.choices = [(t.id, t.number) for t in network.list_trains()]
    if form.validate_on_submit():
        try:
            run = trips.start_generation(form.train_ids.data, form.start_date.data, form.end_date.data, actor=_actor())
        except RailError as exc:
            show_error(form, exc)
        else:
            return _trips_page("generate", run=run)
    return _trips_page("generate", 422, form=form)


@bp.get("/trips/generations/<int:run_id>")
@staff_required(MANAGE)
def generation(run_id):
    run = trips.get_generation(run_id)
    if run is None:
        abort(404)
    if not is_partial_request():  # the address opened or reloaded: the whole trips page with this run
        return _trips_page(run=run)
    return render("rail_admin/trips.html", block="progress", run=run)


@bp.post("/trips/<int:trip_id>/delay")
@staff_required(MANAGE)
def delay(trip_id):
    form = f.DelayForm()
    day = request.args.get("day")
    try:
        if not form.validate_on_submit():
            raise RailError(form.new_departure.errors[0] if form.new_departure.errors else "?")
        trip = trips.mark_delayed(trip_id, form.new_departure.data, actor=_actor())
    except RailError as exc:  # the whole page as well, for a post without htmx
        return _trips_page("trip_list", 422, day=_day(day), delay_form=form, list_error=exc.message)
    return _trips_page("trip_list", day=trip.service_date)


@bp.post("/trips/<int:trip_id>/cancel")
@staff_required(MANAGE)
def cancel(trip_id):
    try:
        trip = trips.cancel_trip(trip_id, actor=_actor())
    except RailError:
        abort(404)
    return _trips_page("trip_list", day=trip.service_date)


def _day(text):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        return trips.local_today()
