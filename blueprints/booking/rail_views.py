"""A trip's seat map (`/trips/<id>/seats?class=&board=&alight=&coach=`) and holding seats on it."""
from __future__ import annotations

from flask import abort, g, make_response, request, url_for
from flask_babel import gettext as _

from blueprints.account.guard import current_customer
from blueprints.booking import bp
from blueprints.booking.forms import TripSeatsForm
from blueprints.booking.owner import current_owner
from blueprints.converters import bounded_int
from blueprints.limits import hold_limit
from blueprints.web import is_partial_request, redirect_to, render
from services.inventory import InventoryError, NotOnSale, Owner, SeatsTaken, rail

TEMPLATE = "booking/trip_seats.html"


def _require_rail():
    if g.tenant.kind != "rail":
        abort(404)


def _map_args(source) -> dict:
    return {"class_code": (source.get("class") or "").strip()[:16] or None,
            "board_seq": source.get("board", 0, type=bounded_int),
            "alight_seq": source.get("alight", 1, type=bounded_int),
            "coach_id": source.get("coach", None, type=bounded_int) or None}


def _chosen(source) -> set[int]:
    """Seats the customer had ticked (kept through a refused hold or the way to the login page)."""
    return {s for s in source.getlist("seat", type=bounded_int) if s} if source else set()


def seats_url(trip_id: int, args: dict, **override) -> str:
    values = {"class": args["class_code"], "board": args["board_seq"], "alight": args["alight_seq"],
              "coach": args["coach_id"], **override}
    return url_for("booking.trip_seats", trip_id=trip_id, **{k: v for k, v in values.items() if v is not None})


def seat_words() -> dict:
    """What the map says of each seat, translated once per answer, not per seat."""
    return {"words": {"free": _("free"), "held": _("held by someone else"), "sold": _("sold"),
                      "blocked": _("not for sale"), "mine": _("held by you")},
            "seat": {"seat": _("Seat %(num)s", num="%(num)s"), "berth": _("Berth %(num)s", num="%(num)s")},
            "position": {"window": _("window"), "aisle": _("aisle"), "middle": _("middle")}}


def render_hold_answer(trip_id: int, args: dict, seat_ids, *, status: int = 200, message: str | None = None,
                       level: str = "info", just_taken=frozenset(), hold=None, refused=None):
    """For htmx: only what a hold changed (the hold panel, the seats asked for, a message), swapped
    out of band; the rest of the map follows live. Cheap, because at 8 a.m. every buyer posts it."""
    from jinja2_fragments.flask import render_block

    answer = rail.hold_answer(trip_id, seat_ids, args["board_seq"], args["alight_seq"], current_owner(), hold=hold,
                              refused=refused)
    html = render_block(TEMPLATE, "hold_answer", map=answer, args=args, names=seat_words(), message=message,
                        level=level, customer=current_customer(), just_taken=just_taken)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def render_map(trip_id: int, args: dict, *, status: int = 200, message: str | None = None,
               level: str = "info", form: TripSeatsForm | None = None, owner: Owner | None = None,
               chosen: set[int] = frozenset(), just_taken: set[int] = frozenset(), needs_phone: bool = False):
    """The seat map page, or only its booking block for htmx (a tab, a hold, a release, a poll).
    A trip that is not on sale (cancelled, left, outside the window) is a page saying so; a trip
    or stretch that does not exist is 404."""
    try:
        seat_map = rail.seat_map(trip_id, owner=owner if owner is not None else current_owner(), **args)
    except InventoryError:
        abort(404)
    args = {**args, "coach_id": seat_map.coach.id if seat_map.coach else None}
    customer = current_customer()
    response = render(TEMPLATE, block="booking", status=status, map=seat_map, args=args, form=form or TripSeatsForm(),
                      message=message, level=level, customer=customer, seats_url=seats_url, trip_id=trip_id,
                      chosen=chosen, just_taken=just_taken, names=seat_words(),
                      needs_phone=needs_phone or (customer is not None and customer.account.phone_verified_at is None),
                      login_url=url_for("account.login", next=seats_url(trip_id, args)))
    if status == 200 and request.method == "GET" and is_partial_request():
        # The polling fallback asks again with If-None-Match: unchanged maps cost a 304.
        response.headers["Cache-Control"] = "no-cache"
        response.add_etag()
        response.make_conditional(request)
    return response


@bp.get("/trips/<int:trip_id>/seats")
def trip_seats(trip_id):
    _require_rail()
    return render_map(trip_id, _map_args(request.args), chosen=_chosen(request.args))


@bp.post("/trips/<int:trip_id>/hold")
@hold_limit
def hold_trip_seats(trip_id):
    """Hold the chosen seats for the stretch: all or none. Needs a customer with a verified phone."""
    _require_rail()
    form = TripSeatsForm()
    args = _map_args(request.form)
    customer = current_customer()
    chosen = _chosen(request.form)
    if customer is None:  # back here after logging in, with the same seats ticked
        return redirect_to(url_for("account.login", next=seats_url(trip_id, args, seat=sorted(chosen)[:8] or None)))
    if not form.validate_on_submit():
        errors = [e for errors in form.errors.values() for e in errors]
        return render_map(trip_id, args, status=422, message=" ".join(map(str, errors)), level="error", form=form,
                          chosen=chosen)
    if customer.account.phone_verified_at is None:
        return render_map(trip_id, args, status=403, level="error", form=form, chosen=chosen, needs_phone=True,
                          message=_("Verify your mobile number in your profile before holding train seats."))
    try:
        hold = rail.hold_seats(trip_id, form.seat.data, board_seq=form.board.data, alight_seq=form.alight.data,
                        owner=current_owner())
    except SeatsTaken as exc:
        if is_partial_request():
            return render_hold_answer(trip_id, args, exc.seat_ids, status=409, message=exc.message, level="error",
                                      just_taken=set(exc.seat_ids), refused=exc)
        return render_map(trip_id, args, status=409, message=exc.message, level="error", form=form,
                          chosen=chosen - set(exc.seat_ids), just_taken=set(exc.seat_ids))
    except NotOnSale as exc:
        return render_map(trip_id, args, status=409, message=exc.message, level="error", form=form)
    except InventoryError as exc:
        return render_map(trip_id, args, status=422, message=exc.message, level="error", form=form, chosen=chosen)
    if not is_partial_request():
        return redirect_to(seats_url(trip_id, args))
    return render_hold_answer(trip_id, args, form.seat.data, hold=hold)
