from flask import g, request, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from blueprints.auth import start_session
from blueprints.limits import login_limits
from blueprints.staff import bp
from blueprints.staff.forms import StaffLoginForm
from blueprints.staff.guard import StaffUser, current_staff, staff_required
from blueprints.web import client_actor, redirect_to, render
from services import permissions
from services import staff as staff_service


def _safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    return target if target.startswith("/staff") and not target.startswith("//") else default


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            member = staff_service.authenticate(form.email.data, form.password.data, actor=client_actor())
        except staff_service.InvalidCredentials as exc:
            form.password.errors.append(_("That email and password do not match an active staff account."))
            return render("staff/login.html", block="login_form", status=422, form=form)
        start_session(StaffUser(member), remember=form.remember.data)  # a customer session on this device ends here
        return redirect_to(_safe_next(url_for("staff.dashboard")))
    status = 422 if form.errors else 200
    return render("staff/login.html", block="login_form", status=status, form=form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect_to(url_for("staff.login"))


@bp.get("/")
@staff_required("dashboard.view")
def dashboard():
    staff = current_staff()
    allowed = [(p, label) for p, label in permissions.PERMISSIONS.items() if staff.can(p)]
    return render("staff/dashboard.html", staff=staff, allowed=allowed, tenant=g.tenant)
