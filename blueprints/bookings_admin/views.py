"""Thin views: parse a form, call one checkout service, render the page or the block htmx asked for.
Viewers see; cancelling and refunding need bookings.manage."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from blueprints.bookings_admin import bp
from blueprints.bookings_admin.forms import (CODE_LABELS, AttemptFilterForm, BookingSearchForm, CancelItemsForm,
                                             GoodwillRefundForm)
from blueprints.staff.guard import current_staff, staff_required
from blueprints.web import client_actor, money, redirect_to, render, show_error
from services.checkout import cancel as cancellation
from services.checkout import lookup
from services.checkout import staff as staff_bookings
from services.errors import ServiceError

VIEW, MANAGE = "bookings.view", "bookings.manage"
BOOKING_PAGE = "bookings_admin/booking.html"
RETRY_OUTCOMES = {"done": (_l("Refunded."), "success"),
                  "failed": (_l("The gateway refused the refund again: see the reason below."), "warning"),
                  "pending": (_l("Asked again; the gateway has not answered yet. It will be asked again by itself."),
                              "info")}


def _actor():
    return client_actor("staff", current_staff().member)


def _back_to(booking_id: int):
    return redirect_to(url_for("bookings_admin.booking", booking_id=booking_id))


@bp.get("")
@staff_required(VIEW)
def index():
    form = BookingSearchForm(request.args)
    found = lookup.search(form.q.data or "") if form.validate() else []
    return render("bookings_admin/index.html", block="results", status=422 if form.errors else 200, form=form,
                  bookings=found, labels=CODE_LABELS)


@bp.get("/attempts")
@staff_required(VIEW)
def attempts():
    form = AttemptFilterForm(request.args)
    rows = staff_bookings.purchase_attempts(form.result.data or None) if form.validate() else []
    return render("bookings_admin/attempts.html", block="results", status=422 if form.errors else 200, form=form,
                  rows=rows, labels=CODE_LABELS)


def _booking_page(booking_id: int, *, block: str | None = None, status: int = 200,
                  cancel_form: CancelItemsForm | None = None, refund_form: GoodwillRefundForm | None = None):
    details = staff_bookings.booking_details(booking_id)
    if details is None:
        abort(404)
    return render(BOOKING_PAGE, block=block, status=status, details=details, labels=CODE_LABELS,
                  can_manage=current_staff().can(MANAGE), cancel_form=cancel_form or CancelItemsForm(formdata=None),
                  refund_form=refund_form or GoodwillRefundForm(formdata=None))


@bp.get("/<int:booking_id>")
@staff_required(VIEW)
def booking(booking_id):
    return _booking_page(booking_id)


@bp.post("/<int:booking_id>/cancel")
@staff_required(MANAGE)
def cancel(booking_id):
    form = CancelItemsForm()
    if form.validate_on_submit():
        try:
            cancellation.cancel(booking_id, form.item.data, actor=_actor(), full_refund=form.full_refund.data)
        except ServiceError as exc:
            show_error(form, exc)
        else:
            flash(_("Cancelled. Any refund is listed under Refunds."), "success")
            return _back_to(booking_id)
    return _booking_page(booking_id, block="cancel_form", status=422, cancel_form=form)


@bp.post("/<int:booking_id>/refund")
@staff_required(MANAGE)
def refund(booking_id):
    form = GoodwillRefundForm()
    if form.validate_on_submit():
        try:
            made = staff_bookings.refund_on_behalf(booking_id, form.amount.data, form.reason.data, actor=_actor())
        except ServiceError as exc:
            show_error(form, exc)
        else:
            flash(_("A refund of %(amount)s is asked for.", amount=money(made.amount)), "success")
            return _back_to(booking_id)
    return _booking_page(booking_id, block="refund_form", status=422, refund_form=form)


@bp.post("/<int:booking_id>/refunds/<int:refund_id>/retry")
@staff_required(MANAGE)
def retry_refund(booking_id, refund_id):
    try:
        outcome = staff_bookings.retry_refund(booking_id, refund_id, actor=_actor())
    except ServiceError as exc:
        flash(exc.message, "error")
        return _booking_page(booking_id, status=409)
    message, level = RETRY_OUTCOMES.get(outcome, RETRY_OUTCOMES["pending"])
    flash(str(message), level)
    return _back_to(booking_id)
