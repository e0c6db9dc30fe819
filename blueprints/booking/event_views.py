"""Holding event tickets: quantities per ticket type (and entry slot), or seats of the plan."""
from __future__ import annotations

from datetime import date

from flask import abort, request, url_for
from flask_babel import gettext as _

from blueprints.booking import bp
from blueprints.booking.forms import QuantitiesForm, SeatChoiceForm
from blueprints.booking.owner import current_owner
from blueprints.limits import hold_limit
from blueprints.web import is_partial_request, redirect_to, show_error
from services.events import NotFound, catalog
from services.inventory import InventoryError, SeatsTaken, SoldOut
from services.inventory import events as inventory


def render_event(event_id: int, *, message: str | None = None, level: str = "info", status: int = 200, **context):
    from blueprints.events.views import event_page

    return event_page(event_id, message=message, level=level, status=status, **context)


def event_url(event_id: int, **args) -> str:
    return url_for("events.event", event_id=event_id, **{k: v for k, v in args.items() if v is not None})


def _day_arg() -> str | None:
    """The day the page showed (the form posts to `...?day=&slot=`), to come back to it."""
    try:
        return date.fromisoformat(request.args.get("day") or "").isoformat()
    except ValueError:
        return None


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@bp.post("/events/<int:event_id>/hold")
@hold_limit
def hold_event_tickets(event_id):
    """Hold quantities of ticket types (in the chosen slot): the numbers set what is held, all or none."""
    try:
        event = catalog.get_public_event(event_id)
    except NotFound:
        abort(404)
    form = QuantitiesForm.for_ticket_types(event.ticket_types)
    if not form.validate_on_submit():
        return render_event(event_id, message=_errors(form), level="error", status=422, form=form,
                            slot_id=form.slot.data if not form.slot.errors else None)
    if form.step.data:  # − or + without a script: show the page again with the number changed
        form.apply_step()
        return render_event(event_id, form=form, slot_id=form.slot.data)
    slot_id = form.slot.data
    try:
        inventory.hold_quantities(event_id, form.quantities(), owner=current_owner(create=True), slot_id=slot_id)
    except InventoryError as exc:
        show_error(form, exc)
        return render_event(event_id, message=exc.message, level="error", status=409 if isinstance(exc, SoldOut)
                            else 422, form=form, slot_id=slot_id)
    if not is_partial_request():
        return redirect_to(event_url(event_id, day=_day_arg(), slot=slot_id))
    return render_event(event_id, message=_("Your tickets are held. Pay before the time runs out."),
                        level="success", slot_id=slot_id)


@bp.post("/events/<int:event_id>/seats/hold")
@hold_limit
def hold_event_seats(event_id):
    """Hold the seats picked on the plan, all or none; a seat just taken is named."""
    form = SeatChoiceForm()
    if not form.validate_on_submit():
        return render_event(event_id, message=_errors(form), level="error", status=422)
    try:
        inventory.hold_plan_seats(event_id, form.seat.data, owner=current_owner(create=True))
    except SeatsTaken as exc:  # the seats still free stay picked, so one tap holds them
        still_free = [s for s in form.seat.data if s not in exc.seat_ids]
        return render_event(event_id, message=exc.message, level="error", status=409, picked_seats=still_free)
    except InventoryError as exc:
        return render_event(event_id, message=exc.message, level="error", status=422, picked_seats=form.seat.data)
    if not is_partial_request():
        return redirect_to(event_url(event_id))
    return render_event(event_id, message=_("Your seats are held. Pay before the time runs out."), level="success")
