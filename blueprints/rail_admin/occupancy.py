"""Trip occupancy for staff (viewers too): seats sold, held, blocked and free by class, coach and
stretch, a coach map to block seats with a reason (operators), and the trips of a day at a glance."""
from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import ngettext

from blueprints.converters import bounded_int
from blueprints.rail_admin import bp
from blueprints.rail_admin.forms import DayForm
from blueprints.staff.guard import current_staff, staff_required
from blueprints.staff.inventory_forms import TripBlockSeatsForm, UnblockSeatForm
from blueprints.web import client_actor, render, show_error
from services.inventory import InventoryError, SeatsTaken
from services.inventory import staff as inventory
from services.rail import trips

VIEW, BLOCK = "reports.view", "schedules.manage"
TEMPLATE = "rail_admin/occupancy.html"


@bp.get("/occupancy")
@staff_required(VIEW)
def occupancy():
    """The trips of a service date with how many seats have a claim: each links to its occupancy."""
    form = DayForm(request.args)
    bad_day = not form.validate() or (bool(request.args.get("day")) and form.day.data is None)
    day = trips.local_today() if bad_day or form.day.data is None else form.day.data
    return render("rail_admin/occupancy_day.html", block="trip_loads", status=422 if bad_day else 200, day=day,
                  bad_day=bad_day, loads=inventory.trips_with_load(day))


def _stretch_args(source) -> tuple[int | None, int | None, int | None]:
    return (source.get("board", None, type=bounded_int), source.get("alight", None, type=bounded_int),
            source.get("coach", None, type=bounded_int))


def _trip_page(trip_id: int, *, board: int | None, alight: int | None, coach_id: int | None, status: int = 200,
               block: str | None = None, form: TripBlockSeatsForm | None = None, message: str | None = None,
               level: str = "success"):
    try:
        occupancy = inventory.trip_occupancy(trip_id)
        first, last = inventory.whole_journey(trip_id)
    except InventoryError:
        abort(404)
    seqs = [s.seq for s in occupancy.stops]
    if board not in seqs or alight not in seqs or board >= alight:
        if board is not None or alight is not None:
            message = _("Choose where the stretch starts and ends on this trip: showing the whole journey.")
            level = "error"
            status = 422 if status == 200 else status
        board, alight = first, last
    grid = inventory.coach_grid(occupancy.trip, coach_id, board, alight)
    staff = current_staff()
    return render(TEMPLATE, block=block, status=status, occ=occupancy, grid=grid, board=board, alight=alight,
                  blocks=inventory.trip_blocks(trip_id), form=form or TripBlockSeatsForm(formdata=None),
                  can_block=staff.can(BLOCK), message=message, level=level)


@bp.get("/trips/<int:trip_id>/occupancy")
@staff_required(VIEW)
def trip_occupancy(trip_id):
    board, alight, coach_id = _stretch_args(request.args)
    return _trip_page(trip_id, board=board, alight=alight, coach_id=coach_id, block="occupancy")


@bp.post("/trips/<int:trip_id>/block")
@staff_required(BLOCK)
def block_seats(trip_id):
    form = TripBlockSeatsForm()
    board, alight, coach_id = _stretch_args(request.form)
    if not form.validate_on_submit():
        return _trip_page(trip_id, board=board, alight=alight, coach_id=coach_id, status=422, block="occupancy",
                          form=form)
    try:
        inventory.block_trip_seats(trip_id, form.seat.data, form.board.data, form.alight.data,
                                   reason=form.reason.data, actor=client_actor("staff", current_staff()))
    except InventoryError as exc:
        show_error(form, exc)
        return _trip_page(trip_id, board=board, alight=alight, coach_id=coach_id,
                          status=409 if isinstance(exc, SeatsTaken) else 422, block="occupancy", form=form)
    done = ngettext("%(num)d seat blocked.", "%(num)d seats blocked.", len(form.seat.data))
    return _trip_page(trip_id, board=board, alight=alight, coach_id=coach_id, block="occupancy", message=done)


@bp.post("/trips/<int:trip_id>/unblock")
@staff_required(BLOCK)
def unblock_seat(trip_id):
    form = UnblockSeatForm()  # the block's seat and stretch; the address keeps the map's stretch and coach
    board, alight, coach_id = _stretch_args(request.args)
    if not form.validate_on_submit():
        abort(422)
    try:
        inventory.unblock_trip_seat(trip_id, form.seat.data, form.board.data, form.alight.data,
                                    actor=client_actor("staff", current_staff()))
    except InventoryError as exc:
        return _trip_page(trip_id, board=board, alight=alight, coach_id=coach_id, status=409, block="occupancy",
                          message=exc.message, level="error")
    return _trip_page(trip_id, board=board, alight=alight, coach_id=coach_id, block="occupancy",
                      message=_("Seat unblocked."))
