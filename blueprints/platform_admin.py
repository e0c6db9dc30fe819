"""Platform admins on the platform host: log in, see the tenants (management comes later)."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from blueprints.auth import SessionUser, account_kind, end_session, start_session
from blueprints.limits import login_limits
from blueprints.redirects import requested_next
from blueprints.web import redirect_to, render
from services import platform_admins, tenants

bp = Blueprint("platform_admin", __name__, url_prefix="/admin")


@account_kind
class PlatformAdminUser(SessionUser):
    kind = "platform_admin"
    lives_on_platform = True

    @property
    def admin(self):
        return self.account


def current_platform_admin() -> PlatformAdminUser | None:
    return current_user if getattr(current_user, "kind", None) == "platform_admin" else None


def platform_admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_platform_admin() is None:
            return redirect_to(url_for("platform_admin.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


class PlatformLoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in on this device"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = PlatformLoginForm()
    if form.validate_on_submit():
        try:
            admin = platform_admins.authenticate(form.email.data, form.password.data)
        except platform_admins.InvalidCredentials:
            form.password.errors.append(_("That email and password do not match an active platform admin."))
            return render("platform/admin_login.html", block="login_form", status=422, form=form)
        start_session(PlatformAdminUser(admin), remember=form.remember.data)
        return redirect_to(requested_next(url_for("platform_admin.tenant_list"), under="/admin"))
    return render("platform/admin_login.html", block="login_form", status=422 if form.errors else 200, form=form)


@bp.post("/logout")
def logout():
    end_session()
    return redirect_to(url_for("platform_admin.login"))


@bp.get("/")
@platform_admin_required
def tenant_list():
    return render("platform/admin_tenants.html", tenants=tenants.list_tenants(), tenant_url=tenants.tenant_url,
                  admin=current_platform_admin())
