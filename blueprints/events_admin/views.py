from flask import abort, g, request, url_for
from flask_babel import gettext as _

from blueprints.events_admin import bp
from blueprints.events_admin.forms import (CategoryForm, EventForm, ImageForm, RowCategoryForm, SectionForm,
                                           SlotsForm, TicketTypeForm, VenueForm, ZoneForm)
from blueprints.staff.guard import current_staff, staff_required
from blueprints.web import client_actor, redirect_to, render, show_error
from services.events import EventsError, NotFound, catalog, media, seat_plans, slots, ticket_types
from services.events.catalog import EventData, VenueData
from services.events.slots import SlotPlan
from services.events.ticket_types import TicketTypeData
from services.events.times import to_local, to_utc

PERMISSION = "events.manage"


def _tz() -> str:
    return g.tenant.setting("timezone")


def _actor():
    return client_actor("staff", current_staff())


def _utc(local):
    return to_utc(local, _tz()) if local else None


def _local(value):
    return to_local(value, _tz()).replace(tzinfo=None) if value else None


def _event_or_404(event_id: int):
    try:
        return catalog.get_event(event_id)
    except NotFound:
        abort(404)


# --- events --------------------------------------------------------------------------------------

@bp.get("/")
@staff_required(PERMISSION)
def index():
    return render("events_admin/index.html", events=catalog.list_events_for_staff())


def _venue_choices(form: EventForm) -> None:
    venues = catalog.list_venues()
    form.venue_id.choices = [(0, _("No venue"))] + [(v.id, v.name) for v in venues]
    form.zone_id.choices = [(0, _("Whole venue"))] + [(z.id, f"{v.name}: {z.name}") for v in venues for z in v.zones]


def _event_data(form: EventForm) -> EventData:
    return EventData(title=form.title.data, description=form.description.data or "",
                     category=(form.category.data or "").strip(), venue_id=form.venue_id.data or None,
                     zone_id=form.zone_id.data or None, starts_at=_utc(form.starts_at.data),
                     ends_at=_utc(form.ends_at.data), admission=form.admission.data)


@bp.route("/new", methods=["GET", "POST"])
@staff_required(PERMISSION)
def new_event():
    form = EventForm()
    _venue_choices(form)
    if form.validate_on_submit():
        try:
            event = catalog.create_event(_event_data(form), actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return redirect_to(url_for("events_admin.event", event_id=event.id))
    return render("events_admin/new.html", block="event_form", status=422 if form.errors or form.form_errors else 200,
                  form=form)


def _event_page(event, status=200, block=None, **forms):
    forms.setdefault("form", _filled_event_form(event))
    forms.setdefault("ticket_form", TicketTypeForm(formdata=None))
    forms.setdefault("image_form", ImageForm(formdata=None))
    forms.setdefault("slots_form", SlotsForm(formdata=None, every_minutes=60))
    return render("events_admin/event.html", block=block, status=status, event=event,
                  slot_summary=slots.slot_summary(event.id) if event.admission == "timed" else None,
                  transitions=sorted(catalog.TRANSITIONS.get(event.status, ())), **forms)


def _filled_event_form(event):
    form = EventForm(formdata=None, obj=event)
    form.starts_at.data, form.ends_at.data = _local(event.starts_at), _local(event.ends_at)
    form.venue_id.data, form.zone_id.data = event.venue_id or 0, event.zone_id or 0
    _venue_choices(form)
    return form


@bp.route("/<int:event_id>", methods=["GET", "POST"])
@staff_required(PERMISSION)
def event(event_id):
    event = _event_or_404(event_id)
    form = EventForm()
    _venue_choices(form)
    if form.is_submitted():
        if form.validate():
            try:
                event = catalog.update_event(event.id, _event_data(form), actor=_actor())
            except EventsError as exc:
                show_error(form, exc)
            else:
                return _event_page(event, block="event_form", form=_filled_event_form(event), saved=True)
        return _event_page(event, status=422, block="event_form", form=form)
    return _event_page(event)


@bp.post("/<int:event_id>/status/<status>")
@staff_required(PERMISSION)
def set_status(event_id, status):
    event = _event_or_404(event_id)
    try:
        catalog.set_status(event.id, status, actor=_actor())
    except EventsError as exc:
        return _event_page(event, status=422, block="status", status_error=exc.message)
    return redirect_to(url_for("events_admin.event", event_id=event.id))


@bp.post("/<int:event_id>/ticket-types")
@staff_required(PERMISSION)
def add_ticket_type(event_id):
    event = _event_or_404(event_id)
    form = TicketTypeForm()
    if form.validate_on_submit():
        data = TicketTypeData(name=form.name.data, kind=form.kind.data, price=form.price.data,
                              quantity=form.quantity.data, min_per_order=form.min_per_order.data,
                              max_per_order=form.max_per_order.data, sales_start=_utc(form.sales_start.data),
                              sales_end=_utc(form.sales_end.data))
        try:
            ticket_types.add_ticket_type(event.id, data, actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return _event_page(catalog.get_event(event.id), block="ticket_types")
    return _event_page(event, status=422, block="ticket_types", ticket_form=form)


@bp.post("/ticket-types/<int:ticket_type_id>/delete")
@staff_required(PERMISSION)
def delete_ticket_type(ticket_type_id):
    try:
        event_id = ticket_types.delete_ticket_type(ticket_type_id, actor=_actor())
    except NotFound:
        abort(404)
    except EventsError as exc:
        event = catalog.get_event(ticket_types.get_ticket_type(ticket_type_id).event_id)
        return _event_page(event, status=422, block="ticket_types", ticket_error=exc.message)
    return _event_page(catalog.get_event(event_id), block="ticket_types")


@bp.post("/<int:event_id>/images")
@staff_required(PERMISSION)
def upload_image(event_id):
    event = _event_or_404(event_id)
    form = ImageForm()
    if form.validate_on_submit():
        try:
            media.upload_event_image(event.id, form.image.data.stream, actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return _event_page(catalog.get_event(event.id), block="images")
    return _event_page(event, status=422, block="images", image_form=form)


@bp.post("/<int:event_id>/images/<path:image>/delete")
@staff_required(PERMISSION)
def delete_image(event_id, image):
    event = _event_or_404(event_id)
    try:
        media.remove_event_image(event.id, image, actor=_actor())
    except EventsError:
        abort(404)
    return _event_page(catalog.get_event(event.id), block="images")


@bp.post("/<int:event_id>/slots")
@staff_required(PERMISSION)
def generate_slots(event_id):
    event = _event_or_404(event_id)
    form = SlotsForm()
    added = None
    if form.validate_on_submit():
        plan = SlotPlan(first_day=form.first_day.data, last_day=form.last_day.data, opens=form.opens.data,
                        closes=form.closes.data, every_minutes=form.every_minutes.data, capacity=form.capacity.data)
        try:
            added = slots.generate_slots(event.id, plan, tz=_tz(), actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return _event_page(catalog.get_event(event.id), block="slots", slots_added=added)
    return _event_page(event, status=422, block="slots", slots_form=form)


# --- seat plans ----------------------------------------------------------------------------------

def _seats_page(event, status=200, block=None, **forms):
    plan = seat_plans.get_plan(event.id)
    choices = [(0, _("No category"))] + [(c.id, f"{c.name} ({c.price})") for c in (plan.categories if plan else [])]
    section_form = forms.setdefault("section_form", SectionForm(formdata=None))
    section_form.category_id.choices = choices
    forms.setdefault("category_form", CategoryForm(formdata=None))
    row_form = RowCategoryForm(formdata=None)
    row_form.category_id.choices = choices
    return render("events_admin/seats.html", block=block, status=status, event=event, plan=plan,
                  row_form=row_form, counts=seat_plans.category_counts(plan), seat_count=seat_plans.seat_count(plan),
                  row_label=seat_plans.row_label, **forms)


@bp.get("/<int:event_id>/seats")
@staff_required(PERMISSION)
def seats(event_id):
    event = _event_or_404(event_id)
    if event.admission != "seated":
        abort(404)
    return _seats_page(event)


@bp.post("/<int:event_id>/seats/categories")
@staff_required(PERMISSION)
def add_category(event_id):
    event = _event_or_404(event_id)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            seat_plans.add_category(event.id, form.name.data, form.price.data, form.color.data, actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return redirect_to(url_for("events_admin.seats", event_id=event.id))
    return _seats_page(event, status=422, block="category_form", category_form=form)


@bp.post("/<int:event_id>/seats/sections")
@staff_required(PERMISSION)
def add_section(event_id):
    event = _event_or_404(event_id)
    form = SectionForm()
    plan = seat_plans.get_plan(event.id)
    form.category_id.choices = [(0, "")] + [(c.id, c.name) for c in (plan.categories if plan else [])]
    if form.validate_on_submit():
        try:
            seat_plans.add_section(event.id, form.name.data, form.rows.data, form.seats_per_row.data,
                                   category_id=form.category_id.data or None, actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return redirect_to(url_for("events_admin.seats", event_id=event.id))
    return _seats_page(event, status=422, block="section_form", section_form=form)


@bp.post("/sections/<int:section_id>/delete")
@staff_required(PERMISSION)
def delete_section(section_id):
    try:
        event_id = seat_plans.delete_section(section_id, actor=_actor())
    except NotFound:
        abort(404)
    except EventsError as exc:
        abort(409, description=exc.message)
    return redirect_to(url_for("events_admin.seats", event_id=event_id))


@bp.post("/sections/<int:section_id>/rows")
@staff_required(PERMISSION)
def assign_row(section_id):
    form = RowCategoryForm()
    try:
        category_id = int(request.form.get("category_id") or 0) or None
        section = seat_plans.assign_row(section_id, form.row.data or 0, category_id, actor=_actor())
    except NotFound:
        abort(404)
    except (EventsError, ValueError) as exc:
        abort(422, description=getattr(exc, "message", _("Choose a row and a category.")))
    event = catalog.get_event(section.seat_plan.event_id)
    return _seats_page(event, block="plan")


@bp.post("/seats/<int:seat_id>/toggle")
@staff_required(PERMISSION)
def toggle_seat(seat_id):
    try:
        seat = seat_plans.toggle_seat(seat_id, actor=_actor())
    except NotFound:
        abort(404)
    except EventsError as exc:
        abort(409, description=exc.message)
    return _seats_page(catalog.get_event(seat.section.seat_plan.event_id), block="plan")


# --- venues --------------------------------------------------------------------------------------

def _venue_data(form: VenueForm) -> VenueData:
    amenities = [a.strip() for a in (form.amenities.data or "").split(",") if a.strip()]
    return VenueData(name=form.name.data.strip(), address=form.address.data or "", city=form.city.data or "",
                     latitude=form.latitude.data, longitude=form.longitude.data, capacity=form.capacity.data,
                     amenities=amenities)


@bp.route("/venues", methods=["GET", "POST"])
@staff_required(PERMISSION)
def venues():
    form = VenueForm()
    status = 200
    if form.validate_on_submit():
        try:
            venue = catalog.save_venue(_venue_data(form), actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return redirect_to(url_for("events_admin.venue", venue_id=venue.id))
    if form.errors or form.form_errors:
        status = 422
    return render("events_admin/venues.html", block="venue_form", status=status, form=form,
                  venues=catalog.list_venues())


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
@staff_required(PERMISSION)
def venue(venue_id):
    try:
        venue = catalog.get_venue(venue_id)
    except NotFound:
        abort(404)
    form = VenueForm(obj=None if request.method == "POST" else venue)
    if not request.method == "POST":
        form.amenities.data = ", ".join(venue.amenities or [])
    status, saved = 200, False
    if form.validate_on_submit():
        try:
            venue = catalog.save_venue(_venue_data(form), actor=_actor(), venue_id=venue.id)
            saved = True
        except EventsError as exc:
            show_error(form, exc)
    if form.errors or form.form_errors:
        status = 422
    return render("events_admin/venue.html", block="venue_form", status=status, form=form, venue=venue,
                  zone_form=ZoneForm(formdata=None), saved=saved)


@bp.post("/venues/<int:venue_id>/zones")
@staff_required(PERMISSION)
def add_zone(venue_id):
    try:
        venue = catalog.get_venue(venue_id)
    except NotFound:
        abort(404)
    form = ZoneForm()
    if form.validate_on_submit():
        try:
            catalog.add_zone(venue.id, form.name.data, form.capacity.data, actor=_actor())
        except EventsError as exc:
            show_error(form, exc)
        else:
            return render("events_admin/venue.html", block="zones", venue=catalog.get_venue(venue.id),
                          zone_form=ZoneForm(formdata=None), form=VenueForm(formdata=None, obj=venue))
    return render("events_admin/venue.html", block="zones", status=422, venue=venue, zone_form=form,
                  form=VenueForm(formdata=None, obj=venue))
