"""Event occupancy for staff (viewers too): ticket types, the slots of a day, the sections of a
seat plan; on a seated event, plan seats blocked with a reason (operators)."""
from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _
from flask_babel import ngettext

from blueprints.events_admin import bp
from blueprints.staff.guard import current_staff, staff_required
from blueprints.staff.inventory_forms import BlockSeatsForm, DayForm, UnblockSeatForm
from blueprints.web import client_actor, render, show_error
from services.events import catalog, seat_plans
from services.inventory import InventoryError, SeatsTaken
from services.inventory import staff as inventory

VIEW, BLOCK = "reports.view", "events.manage"
TEMPLATE = "events_admin/occupancy.html"


def _require_events():
    if g.get("tenant") is None or g.tenant.kind != "events":
        abort(404)


@bp.get("/occupancy")
@staff_required(VIEW)
def occupancy():
    """Every event, each linking to its occupancy."""
    _require_events()
    return render("events_admin/occupancy_list.html", events=catalog.list_events_for_staff())


def _event_page(event_id: int, *, status: int = 200, form: BlockSeatsForm | None = None, message: str | None = None,
                level: str = "success"):
    _require_events()
    day_form = DayForm(request.args)
    day = day_form.day.data if day_form.validate() else None
    try:
        occupancy = inventory.event_occupancy(event_id, day=day)
    except InventoryError:
        abort(404)
    if request.args.get("day") and day is None and status == 200:
        status, level, message = 422, "error", _("Choose a date: showing the next day with entry times.")
    return render(TEMPLATE, block="occupancy", status=status, occ=occupancy, form=form or BlockSeatsForm(formdata=None),
                  can_block=current_staff().can(BLOCK), message=message, level=level, row_label=seat_plans.row_label)


@bp.get("/<int:event_id>/occupancy")
@staff_required(VIEW)
def event_occupancy(event_id):
    return _event_page(event_id)


@bp.post("/<int:event_id>/block")
@staff_required(BLOCK)
def block_plan_seats(event_id):
    form = BlockSeatsForm()
    if not form.validate_on_submit():
        return _event_page(event_id, status=422, form=form)
    try:
        inventory.block_plan_seats(event_id, form.seat.data, reason=form.reason.data,
                                   actor=client_actor("staff", current_staff()))
    except InventoryError as exc:
        show_error(form, exc)
        return _event_page(event_id, status=409 if isinstance(exc, SeatsTaken) else 422, form=form)
    return _event_page(event_id, message=ngettext("%(num)d seat blocked.", "%(num)d seats blocked.",
                                                  len(form.seat.data)))


@bp.post("/<int:event_id>/unblock")
@staff_required(BLOCK)
def unblock_plan_seat(event_id):
    form = UnblockSeatForm()
    if not form.validate_on_submit():
        abort(422)
    try:
        inventory.unblock_plan_seat(event_id, form.seat.data, actor=client_actor("staff", current_staff()))
    except InventoryError as exc:
        return _event_page(event_id, status=409, message=exc.message, level="error")
    return _event_page(event_id, message=_("Seat unblocked."))
