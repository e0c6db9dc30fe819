from flask import flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from blueprints.account import bp
from blueprints.account.forms import (ButtonForm, CodeForm, ForgotForm, LoginForm, PassengerForm, ProfileForm,
                                      RegisterForm, ResendForm, ResetByCodeForm, ResetByLinkForm)
from blueprints.account.guard import CustomerUser, current_customer, customer_required
from blueprints.auth import start_session
from blueprints.limits import login_limits, otp_send_limit, otp_verify_limit, register_limit
from blueprints.web import client_actor, redirect_to, render
from services import customers, otp, passengers
from services.customers import CustomerError
from services.phones import display_phone, is_phone

RESET_PHONE = "reset_phone"


def _safe_next(default: str) -> str:
    target = request.args.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


def _show(form, exc: CustomerError, fallback: str):
    """Put a service's refusal next to the field it names."""
    getattr(form, exc.field or fallback, getattr(form, fallback)).errors.append(str(exc))


def _actor():
    return client_actor("customer", current_customer())


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = customers.register(form.name.data, form.email.data, form.phone.data, form.password.data,
                                      actor=_actor())
        except CustomerError as exc:
            _show(form, exc, "phone")
            return render("account/register.html", block="register_form", status=422, form=form)
        start_session(CustomerUser(user))
        return redirect_to(url_for("account.verify"))
    return render("account/register.html", block="register_form", status=422 if form.errors else 200, form=form)


@bp.route("/verify", methods=["GET", "POST"])
@customer_required
@otp_verify_limit
def verify():
    user = current_customer().user
    destination = customers.contact_to_verify(user)
    if destination is None:
        return redirect_to(_safe_next(url_for("account.profile")))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            customers.verify_contact(user, form.code.data, actor=_actor())
        except otp.OtpError as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("Thank you: %(contact)s is verified.", contact=_shown(destination)), "success")
            return redirect_to(_safe_next(url_for("account.profile")))
    return render("account/verify.html", block="verify_form", status=422 if form.errors else 200, form=form,
                  destination=_shown(destination), resend_form=ResendForm())


def _shown(contact: str) -> str:
    return display_phone(contact) if is_phone(contact) else contact


@bp.post("/verify/resend")
@customer_required
@otp_send_limit
def resend_code():
    form = ResendForm()
    if form.validate_on_submit():
        try:
            customers.send_verification(current_customer().user)
            flash(_("We sent a new code."), "success")
        except otp.OtpCooldown as exc:
            flash(str(exc), "warning")
    return redirect_to(url_for("account.verify"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = customers.authenticate(form.identifier.data, form.password.data, actor=_actor())
        except CustomerError as exc:
            form.password.errors.append(str(exc))
            return render("account/login.html", block="login_form", status=422, form=form)
        start_session(CustomerUser(user), remember=form.remember.data)
        if customers.contact_to_verify(user):
            return redirect_to(url_for("account.verify", next=_safe_next("") or None))
        return redirect_to(_safe_next(url_for("account.bookings")))
    return render("account/login.html", block="login_form", status=422 if form.errors else 200, form=form)


@bp.post("/logout")
def logout():
    if ButtonForm().validate_on_submit():
        logout_user()
    return redirect_to("/")


@bp.post("/logout-everywhere")
@customer_required
def logout_everywhere():
    if ButtonForm().validate_on_submit():
        customers.end_all_sessions(current_customer().user, actor=_actor())
        logout_user()
        flash(_("You are logged out on every device."), "success")
    return redirect_to(url_for("account.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@otp_send_limit
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            kind, identifier = customers.start_reset(
                form.identifier.data, reset_link=lambda token: url_for("account.reset", token=token, _external=True))
        except otp.OtpCooldown as exc:
            form.identifier.errors.append(str(exc))
        except CustomerError as exc:
            form.identifier.errors.append(str(exc))
        else:
            if kind == "phone":
                session[RESET_PHONE] = identifier
                flash(_("If %(phone)s has an account, we sent it a 6-digit code.", phone=display_phone(identifier)),
                      "success")
                return redirect_to(url_for("account.reset"))
            return render("account/forgot.html", block="forgot_form", form=form, emailed=identifier)
    return render("account/forgot.html", block="forgot_form", status=422 if form.errors else 200, form=form)


@bp.route("/reset", methods=["GET", "POST"])
@otp_verify_limit
def reset():
    token = request.values.get("token")
    if token:
        form = ResetByLinkForm(token=token)
        valid = customers.check_reset_token(token)
    else:
        form = ResetByCodeForm(phone=session.get(RESET_PHONE))
        valid = bool(session.get(RESET_PHONE))
    if valid and form.validate_on_submit():
        try:
            if token:
                user = customers.reset_with_token(form.token.data, form.password.data, actor=_actor())
            else:
                user = customers.reset_with_code(session[RESET_PHONE], form.code.data, form.password.data,
                                                 actor=_actor())
        except otp.OtpError as exc:
            form.code.errors.append(str(exc))
        except CustomerError as exc:
            _show(form, exc, "password")
        else:
            start_session(CustomerUser(user))
            flash(_("Your password is changed, and you are logged out everywhere else."), "success")
            return redirect_to(url_for("account.profile"))
    return render("account/reset.html", block="reset_form", status=422 if form.errors else 200, form=form,
                  valid=valid, by_link=bool(token),
                  phone=display_phone(session.get(RESET_PHONE)) if not token else None)


@bp.route("/profile", methods=["GET", "POST"])
@customer_required
def profile():
    user = current_customer().user
    if request.method == "GET":
        form = ProfileForm(name=user.name, email=user.email, phone=display_phone(user.phone),
                           nid=customers.nid_of(user))
    else:
        form = ProfileForm()
    if form.validate_on_submit():
        try:
            customers.update_profile(user, name=form.name.data, email=form.email.data, phone=form.phone.data,
                                     nid=form.nid.data, actor=_actor())
        except CustomerError as exc:
            _show(form, exc, "name")
        else:
            flash(_("Your profile is saved."), "success")
            return redirect_to(url_for("account.verify") if customers.contact_to_verify(user)
                               else url_for("account.profile"))
    return render("account/profile.html", block="profile_form", status=422 if form.errors else 200, form=form,
                  user=user, to_verify=_shown(customers.contact_to_verify(user) or ""), button=ButtonForm())


@bp.route("/passengers", methods=["GET", "POST"])
@customer_required
def passenger_list():
    user_id = current_customer().id
    form = PassengerForm()
    if form.validate_on_submit():
        try:
            passengers.add(user_id, name=form.name.data, date_of_birth=form.date_of_birth.data,
                           gender=form.gender.data, document_kind=form.document_kind.data,
                           document_number=form.document_number.data)
        except CustomerError as exc:
            _show(form, exc, "name")
        else:
            flash(_("Passenger saved."), "success")
            return redirect_to(url_for("account.passenger_list"))
    return render("account/passengers.html", block="passengers", status=422 if form.errors else 200, form=form,
                  passengers=passengers.list_for(user_id), document_of=passengers.document_of, button=ButtonForm())


@bp.post("/passengers/<int:passenger_id>/delete")
@customer_required
def passenger_delete(passenger_id: int):
    if ButtonForm().validate_on_submit() and passengers.remove(current_customer().id, passenger_id):
        flash(_("Passenger removed."), "success")
    return redirect_to(url_for("account.passenger_list"))


@bp.get("/bookings")
@customer_required
def bookings():
    return render("account/bookings.html", bookings=[])
