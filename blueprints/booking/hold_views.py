"""Letting go: a whole hold, or one seat of it. Each answers with the page the hold was made on."""
from __future__ import annotations

from flask import request, url_for

from blueprints.booking import bp
from blueprints.booking.forms import SeatReleaseForm
from blueprints.booking.owner import owned_hold_or_404
from blueprints.booking.rail_views import render_map, seats_url
from blueprints.web import is_partial_request, redirect_to
from flask_babel import gettext as _
from services.inventory import InventoryError, holds


def _back(hold, *, message: str, level: str = "info", status: int = 200):
    """The trip's seat map (or the event's page) the hold belongs to, as a page or its block."""
    if hold.trip_id is not None:
        args = {"class_code": (request.form.get("class") or "").strip()[:16] or None, "board_seq": hold.board_seq,
                "alight_seq": hold.alight_seq, "coach_id": request.form.get("coach", None, type=int)}
        if not is_partial_request():
            return redirect_to(seats_url(hold.trip_id, args))
        return render_map(hold.trip_id, args, message=message, level=level, status=status)
    from blueprints.booking.event_views import render_event

    if not is_partial_request():
        return redirect_to(url_for("events.event", event_id=hold.event_id, **request.args))
    return render_event(hold.event_id, message=message, level=level, status=status)


@bp.post("/holds/<token>/release")
def release_hold(token):
    hold, owner = owned_hold_or_404(token)
    try:
        holds.release(hold.token, owner)
    except InventoryError as exc:
        return _back(hold, message=exc.message, level="error", status=409)
    return _back(hold, message=_("Your hold is released: the seats are free for others again."))


@bp.post("/holds/<token>/release-seat")
def release_seat(token):
    hold, owner = owned_hold_or_404(token)
    form = SeatReleaseForm()
    if not form.validate_on_submit():
        return _back(hold, message=_("Choose the seat to let go."), level="error", status=422)
    try:
        holds.release_seat(hold.token, form.seat.data, owner)
    except InventoryError as exc:
        return _back(hold, message=exc.message, level="error", status=409)
    return _back(hold, message=_("The seat is released."))


@bp.post("/holds/<token>/items/<int:item_id>/release")
def release_item(token, item_id):
    hold, owner = owned_hold_or_404(token)
    try:
        holds.release_item(hold.token, item_id, owner)
    except InventoryError as exc:
        return _back(hold, message=exc.message, level="error", status=409)
    return _back(hold, message=_("Those tickets are released."))
