from dataclasses import dataclass

from flask import current_app, flash, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from blueprints.auth import end_session, start_session
from blueprints.limits import login_limits
from blueprints.redirects import requested_next
from blueprints.staff import bp
from blueprints.staff.forms import LogoutForm, StaffLoginForm
from blueprints.staff.guard import StaffUser, current_staff, staff_required
from blueprints.web import client_actor, redirect_to, render
from services import login_sessions
from services import staff as staff_service


@dataclass(frozen=True)
class StaffPage:
    """A page of the staff area, as the header and the dashboard link to it."""

    endpoint: str
    label: str
    description: str
    permission: str  # the one its view is guarded by (a test checks they agree)
    tenant_kind: str | None = None  # only on tenants of this kind


# Only pages that exist: an area adds its pages here when it lands.
STAFF_PAGES = (
    StaffPage("bookings_admin.index", _l("Bookings"),
              _l("Find a booking; its payments, refunds and cancellations; every purchase attempt."), "bookings.view"),
    StaffPage("messages_admin.index", _l("Messages"),
              _l("Every SMS and email sent to customers: queued, sent, failed; send one again."), "bookings.view"),
    StaffPage("messages_admin.template_list", _l("Message templates"),
              _l("The wording of SMS and emails, in Bangla and English, with a live preview."), "settings.manage"),
    StaffPage("gate.open_page", _l("Gate"),
              _l("Scan tickets at a gate: camera, scanner or typed number, online or offline."), "gate.scan"),
    StaffPage("gate.overview", _l("Gates"), _l("Every gate today: admitted, refused by reason; offline conflicts."),
              "reports.view"),
    StaffPage("staff.people", _l("Staff"), _l("Add staff, change their roles, deactivate accounts."),
              "staff.manage"),
    StaffPage("staff.audit_log", _l("Audit log"), _l("Who did what, and when."), "audit.view"),
    StaffPage("events_admin.index", _l("Events"), _l("Events, ticket types, time slots and pictures."),
              "events.manage", "events"),
    StaffPage("events_admin.venues", _l("Venues"), _l("Venues, their zones and seat plans."),
              "events.manage", "events"),
    StaffPage("events_admin.occupancy", _l("Occupancy"), _l("Tickets sold, held and left; seats blocked."),
              "reports.view", "events"),
    StaffPage("rail_admin.stations", _l("Stations"), _l("The stations of the network."), "schedules.manage", "rail"),
    StaffPage("rail_admin.trains", _l("Trains"), _l("Trains, their stops and coaches."), "schedules.manage", "rail"),
    StaffPage("rail_admin.classes", _l("Classes"), _l("Seat classes and coach layouts."), "schedules.manage", "rail"),
    StaffPage("rail_admin.fare_table", _l("Fares"), _l("Fares between stations, by class."),
              "schedules.manage", "rail"),
    StaffPage("rail_admin.trip_list", _l("Trips"), _l("Make trips from the timetable; delay or cancel them."),
              "schedules.manage", "rail"),
    StaffPage("rail_admin.occupancy", _l("Occupancy"), _l("Seats sold, held, blocked and free on each trip."),
              "reports.view", "rail"),
)


def pages_for(staff: StaffUser | None) -> list[StaffPage]:
    """The staff pages this member may open on this tenant."""
    tenant = g.get("tenant")
    if staff is None or tenant is None:
        return []
    return [page for page in STAFF_PAGES
            if page.tenant_kind in (None, tenant.kind) and page.endpoint in current_app.view_functions
            and staff.can(page.permission)]


@bp.app_context_processor
def _staff_header():
    """The staff header is on every page a logged-in staff member sees, error pages included."""
    return {"staff_pages": lambda: pages_for(current_staff())}


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            member = staff_service.authenticate(form.email.data, form.password.data, actor=client_actor())
        except staff_service.InvalidCredentials:
            form.password.errors.append(_("That email and password do not match an active staff account."))
            return render("staff/login.html", block="login_form", status=422, form=form)
        start_session(StaffUser(member), remember=form.remember.data)  # a customer session on this device ends here
        return redirect_to(requested_next(url_for("staff.dashboard"), under="/staff"))
    status = 422 if form.errors else 200
    return render("staff/login.html", block="login_form", status=status, form=form)


@bp.post("/logout")
def logout():
    """Log out here, or (`everywhere`) on every device: both are open to any staff member, so
    neither needs a permission."""
    form = LogoutForm()
    staff = current_staff()
    if staff is not None and form.validate_on_submit() and form.everywhere.data == "1":
        staff_service.end_all_sessions(staff.member, actor=client_actor("staff", staff))
        end_session()
        flash(_("You are logged out on every device."), "success")
    else:
        end_session()
    return redirect_to(url_for("staff.login"))


@bp.get("/")
@staff_required("dashboard.view")
def dashboard():
    staff = current_staff()
    return render("staff/dashboard.html", staff=staff, pages=pages_for(staff),
                  devices=login_sessions.count_live("staff", staff.member))
