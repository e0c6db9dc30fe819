"""Thin views of the gate pages: open a gate, its console and counters, close it; every gate at a
glance and the conflicts report for admins; the console's web manifest and service worker."""
from __future__ import annotations

from datetime import datetime, time

from flask import abort, current_app, g, send_from_directory, url_for

from blueprints.gate import bp
from blueprints.gate.forms import KIND_LABELS, OpenGateForm
from blueprints.gate.messages import REASON_LABELS, offline_texts
from blueprints.staff.guard import current_staff, staff_required
from blueprints.web import client_actor, redirect_to, render, show_error, when
from models import db
from models.base import utcnow
from models.gate import Gate
from services.gate import counters, gates, tokens
from services.gate.scope import REASONS
from services.rail.trip_stops import tenant_zone

SCAN, OVERVIEW = "gate.scan", "reports.view"


def _today_start() -> datetime:
    return datetime.combine(datetime.now(tenant_zone()).date(), time.min, tzinfo=tenant_zone())


def _open_form(form: OpenGateForm | None = None) -> OpenGateForm:
    form = form or OpenGateForm(formdata=None, day=datetime.now(tenant_zone()).date())
    return form.for_tenant(g.tenant.kind, gates.choices(utcnow(), g.tenant.kind, lambda at: when(at, "short")))


def _setup_page(form: OpenGateForm, status: int = 200):
    staff = current_staff().member
    return render("gate/open.html", status=status, form=form,
                  mine=gates.my_open_gates(staff.id, _today_start()))


@bp.get("")
@staff_required(SCAN)
def open_page():
    return _setup_page(_open_form())


@bp.post("")
@staff_required(SCAN)
def open_gate():
    form = _open_form(OpenGateForm())
    if not form.validate():
        return _setup_page(form, 422)
    trip_id, seq = form.trip_and_seq()
    setup = gates.GateSetup(name=form.name.data, kind=form.kind.data, event_id=form.event_id.data or None,
                            day=form.day.data, current_slot_only=form.current_slot_only.data,
                            grace_minutes=form.grace_minutes.data, trip_id=trip_id, board_seq=seq,
                            allows_exit=form.allows_exit.data)
    staff = current_staff().member
    try:
        gate = gates.open_gate(setup, staff, client_actor("staff", staff))
    except gates.GateError as exc:
        show_error(form, exc)
        return _setup_page(form, 422)
    return redirect_to(url_for("gate.console", gate_id=gate.id))


def _my_gate(gate_id: int) -> Gate:
    """The gate, if it is this member's or they manage staff (an admin takes over a gate)."""
    gate = db.session.get(Gate, gate_id)
    staff = current_staff()
    if gate is None or (gate.staff_id != staff.member.id and not staff.can("staff.manage")):
        abort(404)
    return gate


def _counts_context(gate: Gate) -> dict:
    scope = gates.build_scope(gate)
    return {"gate": gate, "counts": counters.of_scope(scope), "reason_labels": REASON_LABELS}


@bp.get("/<int:gate_id>")
@staff_required(SCAN)
def console(gate_id):
    gate = _my_gate(gate_id)
    if gate.closed_at is not None:
        return redirect_to(url_for("gate.open_page"))
    token = tokens.make(current_app.secret_key, g.tenant.slug, gate.id)
    return render("gate/console.html", token=token, subject=gates.subject_title(gate), texts=offline_texts(),
                  kind_label=KIND_LABELS[gate.kind], **_counts_context(gate))


@bp.get("/<int:gate_id>/counters")
@staff_required(SCAN)
def gate_counters(gate_id):
    return render("gate/console.html", block="counters", **_counts_context(_my_gate(gate_id)))


@bp.post("/<int:gate_id>/close")
@staff_required(SCAN)
def close(gate_id):
    gate = _my_gate(gate_id)
    staff = current_staff().member
    gates.close_gate(gate.id, client_actor("staff", staff))
    return redirect_to(url_for("gate.open_page"))


@bp.get("/overview")
@staff_required(OVERVIEW)
def overview():
    rows = counters.overview(_today_start())
    totals = {"admitted": sum(r.counts.admitted for r in rows), "exited": sum(r.counts.exited for r in rows),
              "rejected": sum(r.counts.rejected_total for r in rows)}
    return render("gate/overview.html", block="gates", rows=rows, totals=totals, reasons=REASONS,
                  reason_labels=REASON_LABELS, kind_labels=KIND_LABELS, conflicts=counters.conflict_count())


@bp.get("/conflicts")
@staff_required(OVERVIEW)
def conflicts():
    return render("gate/conflicts.html", conflicts=counters.conflicts(), reason_labels=REASON_LABELS)


@bp.get("/manifest.webmanifest")
def manifest():
    response = current_app.response_class(render("gate/manifest.webmanifest").get_data(),
                                          mimetype="application/manifest+json")
    return response


@bp.get("/sw.js")
def service_worker():
    """Served from here, not /static, so that its scope may be the console's pages."""
    response = send_from_directory(current_app.static_folder, "js/gate-sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = url_for("gate.open_page")
    return response
