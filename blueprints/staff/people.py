"""Staff management (admins) and the audit log (admins and viewers)."""
from flask import flash, request, url_for
from flask_babel import gettext as _

from blueprints.staff import bp
from blueprints.staff.forms import ROLE_CHOICES, ActiveForm, AuditFilterForm, NewStaffForm, RoleForm
from blueprints.staff.guard import current_staff, staff_required
from blueprints.web import client_actor, redirect_to, render, show_error
from services import audit
from services import staff as staff_service

AUDIT_PAGE = 50


def _actor():
    return client_actor("staff", current_staff())


def _people_page(form: NewStaffForm, status: int = 200):
    return render("staff/people.html", block="new_staff", status=status, form=form,
                  members=staff_service.list_staff(), role_choices=ROLE_CHOICES,
                  me=current_staff())


@bp.route("/people", methods=["GET", "POST"])
@staff_required("staff.manage")
def people():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            member = staff_service.create_staff(form.email.data, form.name.data, form.role.data, form.password.data,
                                                actor=_actor())
        except staff_service.StaffError as exc:
            show_error(form, exc, "email")
            return _people_page(form, 422)
        flash(_("%(name)s can now log in as %(role)s.", name=member.name, role=member.role), "success")
        return redirect_to(url_for("staff.people"))
    return _people_page(form, 422 if form.errors else 200)


@bp.post("/people/<int:member_id>/role")
@staff_required("staff.manage")
def change_role(member_id: int):
    form = RoleForm()
    if form.validate_on_submit():
        try:
            member = staff_service.change_role(member_id, form.role.data, actor=_actor())
            flash(_("%(name)s is now %(role)s.", name=member.name, role=member.role), "success")
        except staff_service.StaffError as exc:
            flash(str(exc), "error")
    return redirect_to(url_for("staff.people"))


@bp.post("/people/<int:member_id>/active")
@staff_required("staff.manage")
def set_active(member_id: int):
    form = ActiveForm()
    if form.validate_on_submit():
        try:
            member = staff_service.set_active(member_id, form.active.data == "1", actor=_actor())
            flash(_("%(name)s can log in again.", name=member.name) if member.is_active
                  else _("%(name)s is deactivated and logged out.", name=member.name), "success")
        except staff_service.StaffError as exc:
            flash(str(exc), "error")
    return redirect_to(url_for("staff.people"))


@bp.get("/audit")
@staff_required("audit.view")
def audit_log():
    form = AuditFilterForm(request.args)
    filters = {}
    if form.validate():
        filters = {"action": form.action.data or None, "resource": form.resource.data or None,
                   "actor_type": form.actor_type.data or None, "text": (form.text.data or "").strip() or None,
                   "before_id": form.before.data}
    rows = audit.search(limit=AUDIT_PAGE + 1, **filters)
    older = rows[AUDIT_PAGE - 1].id if len(rows) > AUDIT_PAGE else None
    query = {k: v for k, v in request.args.items() if k != "before" and v}
    return render("staff/audit.html", block="results", form=form, rows=rows[:AUDIT_PAGE], older=older, query=query)
