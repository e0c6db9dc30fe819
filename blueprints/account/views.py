from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _

from blueprints.account import bp
from blueprints.account.forms import (ButtonForm, CodeForm, ForgotForm, LoginForm, PassengerForm, ProfileForm,
                                      RegisterForm, ResendForm, ResetByCodeForm, ResetByLinkForm)
from blueprints.account.guard import CustomerUser, current_customer, customer_required
from blueprints.auth import end_session, start_session
from blueprints.limits import login_limits, otp_send_limit, otp_verify_limit, register_limit
from blueprints.redirects import requested_next
from blueprints.web import client_actor, redirect_to, render, show_error
from services import customers, otp, passengers
from services.checkout import lookup
from services.customers import ContactChange, ContactTaken, CustomerError, Registration
from services.phones import display_phone

RESET_PHONE = "reset_phone"
REGISTRATION = "registration"  # a Registration waiting for its code (sealed)
CONTACT_CHANGE = "contact_change"  # a logged-in customer's ContactChange waiting for its code (sealed)


def _safe_next(default: str) -> str:
    return requested_next(default)


def _actor():
    return client_actor("customer", current_customer())


def _registration() -> Registration | None:
    return Registration.open(session.get(REGISTRATION))


def _contact_change() -> ContactChange | None:
    customer = current_customer()
    return ContactChange.open(session.get(CONTACT_CHANGE), customer.user if customer else None)


def _contact_being_verified() -> str | None:
    """The contact whose code the verify page checks, from what the server keeps (never the form)."""
    registration = _registration()
    if registration is not None:
        return registration.destination
    change = _contact_change()
    if change is not None:
        return change.contact
    customer = current_customer()
    return customers.contact_to_verify(customer.user) if customer else None


def _reset_phone() -> str | None:
    return session.get(RESET_PHONE)


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            registration = customers.start_registration(form.name.data, form.email.data, form.phone.data,
                                                        form.password.data, actor=_actor())
        except CustomerError as exc:
            show_error(form, exc, "phone")
            return render("account/register.html", block="register_form", status=422, form=form)
        end_session()  # whoever was logged in here, this browser is registering someone now
        session[REGISTRATION] = registration.seal()
        return redirect_to(url_for("account.verify"))
    return render("account/register.html", block="register_form", status=422 if form.errors else 200, form=form)


def _login_first():
    return redirect(url_for("account.login", next=request.full_path.rstrip("?")))


@bp.route("/verify", methods=["GET", "POST"])
@otp_verify_limit(_contact_being_verified)
def verify():
    """The code for a registration (which creates the account) or for a logged-in customer's new contact."""
    registration, customer = _registration(), current_customer()
    if registration is None and customer is None:
        return _login_first()
    change = None if registration else _contact_change()
    destination = _contact_being_verified()
    if destination is None:
        return redirect_to(_safe_next(url_for("account.profile")))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            if registration:
                user = customers.finish_registration(registration, form.code.data, actor=_actor())
                start_session(CustomerUser(user))
            elif change:
                customers.finish_contact_change(customer.user, change, form.code.data, actor=_actor())
                session.pop(CONTACT_CHANGE, None)
            else:
                customers.verify_contact(customer.user, form.code.data, actor=_actor())
        except ContactTaken as exc:
            session.pop(CONTACT_CHANGE, None)
            flash(str(exc), "warning")
            return redirect_to(url_for("account.profile"))
        except (otp.OtpError, CustomerError) as exc:
            form.code.errors.append(str(exc))
        else:
            flash(_("Thank you: %(contact)s is verified.", contact=_shown(destination)), "success")
            return redirect_to(_safe_next(url_for("account.profile")))
    return render("account/verify.html", block="verify_panel", status=422 if form.errors else 200, form=form,
                  destination=_shown(destination), code=otp.state("verify", destination),
                  registering=registration is not None, resend_form=ResendForm())


def _shown(contact: str) -> str:
    return customers.display_contact(contact)


@bp.post("/verify/resend")
@otp_send_limit
def resend_code():
    registration, customer = _registration(), current_customer()
    if registration is None and customer is None:
        return _login_first()
    form = ResendForm()
    if form.validate_on_submit():
        try:
            change = None if registration else _contact_change()
            if registration:
                customers.send_registration_code(registration, actor=_actor())
                destination = registration.destination
            elif change:
                customers.send_contact_change_code(customer.user, change, actor=_actor())
                destination = change.contact
            else:
                customers.send_verification(customer.user)
                destination = customers.contact_to_verify(customer.user)
            if destination:
                flash(_("We sent a new code to %(contact)s.", contact=_shown(destination)), "success")
        except otp.OtpCooldown as exc:
            flash(str(exc), "warning")
    return redirect_to(url_for("account.verify", next=request.args.get("next") or None))


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
        end_session()
    return redirect_to("/")


@bp.post("/logout-everywhere")
@customer_required
def logout_everywhere():
    if ButtonForm().validate_on_submit():
        customers.end_all_sessions(current_customer().user, actor=_actor())
        end_session()
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
@otp_verify_limit(_reset_phone)
def reset():
    token = request.values.get("token")
    if token:
        form = ResetByLinkForm(token=token)
        valid = customers.check_reset_token(token)
    else:
        form = ResetByCodeForm()
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
            show_error(form, exc, "password")
        else:
            start_session(CustomerUser(user))
            flash(_("Your password is changed, and you are logged out everywhere else."), "success")
            return redirect_to(url_for("account.profile"))
    phone = None if token else session.get(RESET_PHONE)
    return render("account/reset.html", block="reset_form", status=422 if form.errors else 200, form=form,
                  valid=valid, by_link=bool(token), phone=display_phone(phone),
                  code=otp.state("reset", phone) if phone else None)


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
            change = customers.update_profile(user, name=form.name.data, email=form.email.data,
                                              phone=form.phone.data, nid=form.nid.data, actor=_actor())
        except CustomerError as exc:
            show_error(form, exc, "name")
        else:
            if change is not None:  # the same answer whether or not the contact is someone else's
                session[CONTACT_CHANGE] = change.seal()
                return redirect_to(url_for("account.verify"))
            flash(_("Your profile is saved."), "success")
            return redirect_to(url_for("account.verify") if customers.contact_to_verify(user)
                               else url_for("account.profile"))
    change = _contact_change()
    return render("account/profile.html", block="profile_form", status=422 if form.errors else 200, form=form,
                  user=user, to_verify=_shown(customers.contact_to_verify(user) or ""),
                  pending=_shown(change.contact) if change else "", button=ButtonForm())


@bp.post("/profile/cancel-change")
@customer_required
def cancel_contact_change():
    if ButtonForm().validate_on_submit() and session.pop(CONTACT_CHANGE, None):
        flash(_("The change is cancelled: your profile keeps its contacts as they were."), "success")
    return redirect_to(url_for("account.profile"))


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
            show_error(form, exc, "name")
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
    return render("account/bookings.html", bookings=lookup.for_customer(current_customer().account.id))
