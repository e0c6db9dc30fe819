"""Edge input never gives a 500: every GET route and every form, on the platform host and on a tenant
of each kind, anonymous and logged in, gets NUL bytes, ids past PostgreSQL's int4, dates of year 1 and
9999, huge and non-finite numbers and very long text. The app's answer may be 4xx (a clear refusal)
but never 5xx, and no exception escapes (TESTING propagates them, which fails the test too)."""
from __future__ import annotations

import inspect
import itertools
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, EmailField, Form, HiddenField,
                     IntegerField, PasswordField, SelectField, SelectMultipleField, TelField, TimeField)
from wtforms.fields.core import UnboundField

from blueprints import limits
from blueprints.converters import INT4_MAX, bounded_int
from models.base import utcnow
from services import passwords
from services.audit import Actor
from services.events import seat_plans, slots
from services.events.slots import SlotPlan
from services.events.times import EARLIEST, LATEST, OutOfRange, day_bounds, to_local, to_utc
from services.rail import fares, layouts, trips
from tests.support import rail as make_rail
from tests.support.events import make_event, make_venue
from tests.support.people import login_customer, login_staff, make_customer, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

ACTOR = Actor.system("test")
PATH_INTS = ["1", "0", str(INT4_MAX), str(INT4_MAX + 1), "99999999999999999999"]
PATH_TEXTS = ["x", "\x00", "0001-01-01", "y" * 3000]
# Query-string and form values: control characters, dates out of every range, numbers past every
# column type, non-finite decimals, very long text, SQL and LIKE metacharacters, other scripts.
EDGE_VALUES = ["\x00", "\x01\x1f\x7f", "0001-01-01", "9999-12-31", "0000-00-00", "-1", str(INT4_MAX + 1),
               "99999999999999999999", "NaN", "Infinity", "1e999999", "9999-12-31T23:59", "z" * 600, "%'\"<>&",
               "১২৩\u202e\ufeff", ""]
FORM_EDGE_VALUES = ["\x00", str(INT4_MAX + 1), "99999999999999999999", "0001-01-01", "9999-12-31", "NaN", "z" * 600]
# Names views read from request.args (the typed rounds add the fields of every form).
QUERY_NAMES = ["q", "from", "to", "date", "date_from", "date_to", "category", "price_max", "page", "next", "edit",
               "action", "resource", "actor", "actor_type", "text", "before", "class", "departure", "board",
               "alight", "id", "day", "field", "token", "lang", "status", "identifier", "email", "phone", "name"]
# One value per round for each kind of field, so that a form can pass validation with a date, a
# number or a time at the edge and reach its service.
TYPED_ROUNDS = {
    IntegerField: [str(INT4_MAX + 1), "99999999999999999999", "-2147483649", "0"],
    DecimalField: ["99999999999999999999", "NaN", "Infinity", "1e999999"],
    DateField: ["0001-01-01", "9999-12-31", "0001-01-01", "9999-12-31"],
    DateTimeLocalField: ["0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31T23:59"],
    TimeField: ["00:00", "23:59", "00:00", "23:59"],
}
FIXED_BY_TYPE = {EmailField: "edge@example.com", TelField: "01700000009", PasswordField: "edge-pass-123",
                 BooleanField: "y", HiddenField: "1"}
LAST = ("delete", "cancel", "remove", "logout")  # endpoints that end what later requests need
_admins = itertools.count(1)


def _form_classes():
    """Every form class of the app (the app has imported them all by now)."""
    seen, stack = [], list(Form.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("blueprints.") and cls not in seen:
            seen.append(cls)
    return seen


def _form_fields() -> dict[str, UnboundField]:
    """Every field every form declares, by the name it has in a request (with the form's prefix)."""
    fields = {}
    for cls in _form_classes():
        prefix = getattr(cls, "PREFIX", "")
        for attr, unbound in inspect.getmembers(cls, lambda v: isinstance(v, UnboundField)):
            name = unbound.kwargs.get("name") or attr
            fields.setdefault(f"{prefix}-{name}" if prefix else name, unbound)
    return fields


def _typed_value(unbound: UnboundField, round_: int) -> str | list[str] | None:
    kind = unbound.field_class
    for base, values in TYPED_ROUNDS.items():
        if issubclass(kind, base):
            return values[round_ % len(values)]
    for base, value in FIXED_BY_TYPE.items():
        if issubclass(kind, base):
            return value
    if issubclass(kind, SelectMultipleField):
        return ["0", "1"]
    if issubclass(kind, SelectField):
        choices = unbound.kwargs.get("choices")
        if choices and not callable(choices):
            return str(choices[round_ % len(choices)][0])
        return "1"
    if "File" in kind.__name__:
        return None
    return "E1"


class Walker:
    """Sends edge input to every rule of one site and records every 5xx answer (or exception)."""

    def __init__(self, app, fields):
        self.app, self.fields, self.failures, self.count = app, fields, [], 0
        self.answered = set()  # endpoints whose page answered 2xx, so the edge queries reached the view

    def send(self, client, method, path, label="", **kwargs):
        self.count += 1
        try:
            status = client.open(path, method=method, **kwargs).status_code
        except Exception as exc:  # TESTING lets the view's exception through: a 500 in production
            status = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        if not isinstance(status, int) or status >= 500:
            self.failures.append(f"{status} | {method} {path[:100]!r} {label}")
            return 500
        return status

    def rules(self, subdomain, method, skip):
        """The site's rules for `method` (but blueprints in `skip`), the ones that end things last."""
        chosen = [r for r in self.app.url_map.iter_rules() if r.subdomain == subdomain and method in r.methods
                  and not r.endpoint.startswith(skip)]
        return sorted(chosen, key=lambda r: (any(word in r.endpoint for word in LAST), r.rule))

    def is_staff_page(self, rule) -> bool:
        return hasattr(self.app.view_functions[rule.endpoint], "staff_permission")

    @staticmethod
    def paths(rule):
        """The rule with every converter at 1 (an existing row where the site has one), then each at
        each edge value; text converters get a NUL, a date and very long text."""
        names = list(rule._converters)
        if not names:
            return [rule.build({}, append_unknown=False)[1]]
        edges = {n: PATH_INTS if isinstance(c, IntegerConverter) else PATH_TEXTS for n, c in rule._converters.items()}
        combos = [{n: edges[n][0] for n in names}]
        for name in names:
            combos += [{**combos[0], name: value} for value in edges[name][1:]]
        return [rule.build(values, append_unknown=False)[1] for values in combos]

    def typed(self, round_):
        """Every form field with a value of its own kind, numbers, dates and times at the edges, so
        that a form can pass its other checks and take an edge value to its service."""
        return {n: v for n, f in self.fields.items() if (v := _typed_value(f, round_)) is not None}

    def walk(self, clients, subdomain, skip=()):
        """clients: (client, is staff) pairs in order of preference. Every client opens every path
        (a staff page sends others to the login page before it reads any input, as the permission
        matrix test shows); the edge query strings go to the first client the page answers, and
        every form to each client it is for. All GETs first, then the forms (which change things)."""
        skip = tuple(f"{name}." for name in skip)
        for rule in self.rules(subdomain, "GET", skip):
            paths, chosen = self.paths(rule), None
            for client, staff in clients:
                if staff or not self.is_staff_page(rule):
                    statuses = [self.send(client, "GET", path) for path in paths]
                    chosen = chosen or (client if 200 <= statuses[0] < 300 else None)
            if chosen is not None:
                self.answered.add(rule.endpoint)
                self.edge_queries(chosen, paths[0])
        for rule in self.rules(subdomain, "POST", skip):
            paths = self.paths(rule)
            for client, staff in clients:
                if staff == self.is_staff_page(rule) or subdomain == "":  # the platform has no staff pages
                    self.edge_forms(client, paths)

    def edge_queries(self, client, path):
        for i, value in enumerate(EDGE_VALUES):
            headers = {"HX-Request": "true"} if i % 2 else {}  # the fragment path as well as the page
            self.send(client, "GET", path, f"every parameter = {value[:20]!r}",
                      query_string={n: value for n in QUERY_NAMES}, headers=headers)
        for round_ in range(len(TYPED_ROUNDS[DateField])):
            self.send(client, "GET", path, f"typed round {round_}", query_string=self.typed(round_),
                      headers={"HX-Request": "true"} if round_ % 2 else {})

    def edge_forms(self, client, paths):
        for path in paths[1:]:
            self.send(client, "POST", path, data={"name": "E1"})
        for value in FORM_EDGE_VALUES:
            self.send(client, "POST", paths[0], f"every field = {value[:20]!r}", data={n: value for n in self.fields})
        for round_ in range(len(TYPED_ROUNDS[DateField])):
            self.send(client, "POST", paths[0], f"typed round {round_}", data=self.typed(round_),
                      headers={"HX-Request": "true"} if round_ % 2 else {})


def _events_site(make_tenant, in_tenant):
    site = make_tenant("edgefair", kind="events")
    with in_tenant(site):
        make_event("Evening concert", venue_id=make_venue("Lake Park", city="Dhaka", capacity=500))
        timed = make_event("Zoo entry", admission="timed", tickets=None, status="draft")
        seated = make_event("Gala", admission="seated", tickets=None, status="draft")
        today = utcnow().date()
        slots.generate_slots(timed, SlotPlan(today, today + timedelta(days=2), time(9), time(12), 60, 20),
                             tz="Asia/Dhaka", actor=ACTOR)
        category = seat_plans.add_category(seated, "Front", Decimal("500"), "#aa0000", actor=ACTOR)
        seat_plans.add_section(seated, "A", 2, 4, category_id=category.id, actor=ACTOR)
    return site


def _rail_site(make_tenant, in_tenant):
    site = make_tenant("edgerail", kind="rail")
    with in_tenant(site):
        today = trips.local_today()
        train = make_rail.train([("DHK", None, "07:00", 0, 0), ("CTG", "12:00", None, 0, 321)], number="701")
        train_id, klass = train.id, train.coaches[0].coach_class_id
        fares.set_segment_fare(make_rail.station("DHK").id, make_rail.station("CTG").id, klass, Decimal("300"),
                               actor=ACTOR)
        make_rail.generate([train_id], today, today + timedelta(days=1))
    return site


def _tenant_clients(site, in_tenant, client_for):
    _, admin_email = make_staff(in_tenant, site, "admin")
    _, customer_login = make_customer(in_tenant, site)
    anonymous, admin, customer = client_for(site), client_for(site), client_for(site)
    assert login_staff(admin, admin_email).status_code == 303
    assert login_customer(customer, customer_login).status_code == 303
    return [(customer, False), (anonymous, False), (admin, True)]


@pytest.fixture
def walker(app, monkeypatch):
    # Rate limits would answer 429 before most login attempts reach the view; the walk wants the view.
    monkeypatch.setattr(limits.limiter, "enabled", False)
    # Thousands of requests: keep the tenant registry cached, and make password hashing cheap (the
    # same Argon2id code, with the lowest cost), else the walk spends its time in argon2.
    monkeypatch.setitem(app.config, "TENANT_CACHE_SECONDS", 600)
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
    return Walker(app, _form_fields())


@pytest.mark.parametrize("kind", ["events", "rail"])
def test_no_route_or_form_answers_5xx_to_edge_input_on_a_tenant(kind, walker, make_tenant, in_tenant, client_for):
    site = (_events_site if kind == "events" else _rail_site)(make_tenant, in_tenant)
    other = ("rail", "rail_admin") if kind == "events" else ("events", "events_admin")
    walker.walk(_tenant_clients(site, in_tenant, client_for), "tenant", skip=other)
    # The walk really covered the site, logged in as each person.
    own = {"events": {"events.index", "events.event", "events_admin.venue"},
           "rail": {"rail.trains", "rail_admin.train"}}[kind]
    assert own | {"staff.audit_log", "account.profile", "account.login"} <= walker.answered
    assert walker.count > 1000
    assert not walker.failures, "\n".join(walker.failures)


def test_no_route_or_form_answers_5xx_to_edge_input_on_the_platform(app, walker, make_tenant, client_for):
    make_tenant("edgezoo")  # the platform page lists it
    email, password = f"edge{next(_admins)}@jatra.example.com", "platform-pass-1"
    result = app.test_cli_runner().invoke(args=["platform", "create-admin", "--email", email, "--name", "Edge",
                                                "--password", password])
    assert result.exit_code == 0, result.output
    anonymous, admin = client_for("localhost"), client_for("localhost")
    assert admin.post("/admin/login", data={"email": email, "password": password}).status_code == 303
    walker.walk([(admin, True), (anonymous, False)], "")
    assert {"platform.home", "platform_admin.tenant_list", "platform_admin.login"} <= walker.answered
    assert walker.count > 100
    assert not walker.failures, "\n".join(walker.failures)


# --- the URLs the issue names, each as its own regression test ---------------------------------

@pytest.fixture
def fair(make_tenant, in_tenant):
    site = make_tenant("edgeshow", kind="events")
    with in_tenant(site):
        make_event("Evening concert")
    return site


@pytest.fixture
def railway(make_tenant, in_tenant):
    site = make_tenant("edgeline", kind="rail")
    with in_tenant(site):
        for code in ("DHK", "CTG"):
            make_rail.station(code)
    return site


@pytest.fixture
def staff_admin(fair, in_tenant, client_for):
    _, email = make_staff(in_tenant, fair, "admin")
    client = client_for(fair)
    assert login_staff(client, email).status_code == 303
    return client


@pytest.mark.parametrize(("query", "listed"), [
    ("date_from=0001-01-01", True), ("date_to=9999-12-31", True), ("date_from=0001-01-01&date_to=9999-12-31", True),
    ("date_from=9999-12-31", False), ("date_to=0001-01-01", False)])
def test_event_search_with_dates_at_the_ends_of_the_calendar_means_from_the_beginning_or_to_the_end(
        fair, client_for, query, listed):
    answer = client_for(fair).get(f"/events?{query}")
    assert answer.status_code == 200
    assert ("Evening concert" in answer.text) is listed


@pytest.mark.parametrize("price", ["1e999999", "Infinity", "99999999999999999999"])
def test_an_event_price_filter_past_any_price_is_explained(fair, client_for, price):
    answer = client_for(fair).get(f"/events?price_max={price}")
    assert answer.status_code == 200 and "Number must be between" in answer.text
    assert "Evening concert" in answer.text  # the bad filter is left out


@pytest.mark.parametrize("event_id", [INT4_MAX, INT4_MAX + 1, 99999999999999999999, 10**40])
def test_an_event_id_past_int4_is_not_found(fair, client_for, event_id):
    answer = client_for(fair).get(f"/events/{event_id}")
    assert answer.status_code == 404 and "Page not found" in answer.text


@pytest.mark.parametrize("path", ["/trains?from=%00&to=CTG", "/trains?from=Dha%00ka&to=CTG&date=2030-01-01",
                                  "/trains/stations?from=%00", "/trains/stations?field=to&to=a%00"])
def test_a_nul_byte_in_the_train_search_is_refused_plainly(railway, client_for, path):
    answer = client_for(railway).get(path)
    assert answer.status_code == 400 and "contains a control character" in answer.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_train_search_for_a_date_off_the_calendar_is_explained(railway, client_for, day):
    answer = client_for(railway).get(f"/trains?from=DHK&to=CTG&date={day}")
    assert answer.status_code == 422 and "Choose a date from" in answer.text


@pytest.mark.parametrize(("path", "field"), [("/account/login", "identifier"), ("/staff/login", "email"),
                                             ("/account/forgot", "identifier")])
def test_a_nul_byte_in_a_login_identifier_is_refused_plainly(fair, client_for, path, field):
    answer = client_for(fair).post(path, data={field: "ann\x00@example.com", "password": "mango-tree-42"})
    assert answer.status_code == 400 and f"“{field}” contains a control character" in answer.text


def test_a_nul_byte_in_a_customer_name_is_refused_on_register_and_profile(fair, in_tenant, client_for):
    register = client_for(fair).post("/account/register", data={"name": "Ra\x00hima", "phone": "01711111111",
                                                               "password": "mango-tree-42"})
    assert register.status_code == 400 and "“name” contains a control character" in register.text
    _, login = make_customer(in_tenant, fair)
    customer = client_for(fair)
    login_customer(customer, login)
    profile = customer.post("/account/profile", data={"name": "Ra\x00hima", "phone": login})
    assert profile.status_code == 400 and "“name” contains a control character" in profile.text
    assert "Rahima Khatun" in customer.get("/account/profile").text  # nothing changed


@pytest.mark.parametrize("query", ["text=%00", "action=a%00", "resource=%01"])
def test_a_nul_byte_in_the_audit_log_filter_is_refused_plainly(staff_admin, query):
    answer = staff_admin.get(f"/staff/audit?{query}")
    assert answer.status_code == 400 and "contains a control character" in answer.text


@pytest.mark.parametrize("before", ["99999999999999999999", "-1", "NaN"])
def test_an_audit_log_page_past_any_id_shows_the_log_unfiltered(staff_admin, before):
    answer = staff_admin.get(f"/staff/audit?before={before}")
    assert answer.status_code == 200


def test_an_event_or_sales_window_off_the_calendar_is_explained(fair, staff_admin, in_tenant):
    form = {"title": "Year one", "starts_at": "0001-01-01T00:00", "ends_at": "9999-12-31T23:59", "admission": "general",
            "venue_id": 0, "zone_id": 0}
    answer = staff_admin.post("/staff/events/new", data=form)
    assert answer.status_code == 422 and "Choose a date from 1900-01-01 to 2199-12-31." in answer.text
    with in_tenant(fair):
        event_id = make_event("Gala", status="draft")
    answer = staff_admin.post(f"/staff/events/{event_id}/ticket-types", data={
        "name": "Early", "kind": "adult", "price": "10", "min_per_order": 1, "max_per_order": 4,
        "sales_start": "0001-01-01T00:00"})
    assert answer.status_code == 422 and "Choose a date from" in answer.text


@pytest.mark.parametrize(("field", "value"), [("capacity", str(INT4_MAX + 1)), ("capacity", "99999999999999999999"),
                                              ("price", "Infinity"), ("price", "1e999999")])
def test_numbers_past_their_columns_are_explained_not_stored(fair, staff_admin, in_tenant, field, value):
    with in_tenant(fair):
        venue_id, event_id = make_venue("Lake Park"), make_event("Gala", status="draft")
    if field == "capacity":
        answer = staff_admin.post(f"/staff/events/venues/{venue_id}/zones",
                                  data={"zone-name": "Lawn", "zone-capacity": value})
    else:
        answer = staff_admin.post(f"/staff/events/{event_id}/ticket-types", data={
            "name": "Adult", "kind": "adult", "price": value, "min_per_order": 1, "max_per_order": 4})
    assert answer.status_code == 422 and "Number must be between" in answer.text


def test_a_control_character_in_a_json_body_or_the_path_is_refused(fair, client_for):
    client = client_for(fair)
    answer = client.post("/account/login", json={"identifier": ["a\x00"]})
    assert answer.status_code == 400 and "contains a control character" in answer.text
    answer = client.get("/media/a%00b.png")
    assert answer.status_code == 400 and "The address contains a control character" in answer.text
    # Tabs and line breaks are ordinary text in a multi-line field: they pass the guard.
    assert client.get("/events?q=concert%09evening%0D%0A").status_code == 200


def test_a_segment_fare_is_set_and_replaced_on_postgresql(railway, in_tenant):
    """Found by the walk: the fare's row lock took the joined stations too, which PostgreSQL refuses
    on the outer side of a join, so every "set fare" was a 500."""
    with in_tenant(railway):
        dhk, ctg = make_rail.station("DHK"), make_rail.station("CTG")
        klass = layouts.list_classes()[0].id
        fares.set_segment_fare(dhk.id, ctg.id, klass, Decimal("300"), actor=ACTOR)
        fare = fares.set_segment_fare(dhk.id, ctg.id, klass, Decimal("350"), actor=ACTOR)
        assert [f.amount for f in fares.list_segment_fares()] == [Decimal("350")] and fare.amount == Decimal("350")


def test_trip_pages_answer_a_request_without_htmx_with_the_whole_page(make_tenant, in_tenant, client_for):
    """Found by the walk: these answered only htmx's fragment; opened as an address (or posted
    without JavaScript) the whole page lacked its form and was a 500."""
    site = _rail_site(make_tenant, in_tenant)
    with in_tenant(site):
        run_id = trips.recent_generations()[0].id
        trip_id = trips.trips_on(trips.local_today())[0].id
    _, email = make_staff(in_tenant, site, "admin")
    admin = client_for(site)
    login_staff(admin, email)
    progress = admin.get(f"/staff/rail/trips/generations/{run_id}")
    assert progress.status_code == 200 and "<html" in progress.text
    refused = admin.post(f"/staff/rail/trips/{trip_id}/delay", data={"new_departure": "25:00"})
    assert refused.status_code == 422 and "<html" in refused.text
    cancelled = admin.post(f"/staff/rail/trips/{trip_id}/cancel")
    assert cancelled.status_code == 200 and "cancelled" in cancelled.text


# --- the pieces on their own ---------------------------------------------------------------------

def test_day_bounds_at_the_ends_of_the_calendar_are_clamped_and_single_instants_refused():
    assert day_bounds(date.min, "Asia/Dhaka") == (EARLIEST, to_utc(datetime(1, 1, 2), "Asia/Dhaka"))  # local mean time
    assert day_bounds(date.max, "Asia/Dhaka") == (datetime(9999, 12, 30, 18, tzinfo=timezone.utc), LATEST)
    with pytest.raises(OutOfRange):
        to_utc(datetime(1, 1, 1), "Asia/Dhaka")
    with pytest.raises(OutOfRange):
        to_local(LATEST, "Asia/Dhaka")


def test_bounded_int_and_the_int_converter_stop_at_int4(app):
    assert bounded_int(str(INT4_MAX)) == INT4_MAX
    for text in (str(INT4_MAX + 1), "-1", "x"):
        with pytest.raises(ValueError):
            bounded_int(text)
    adapter = app.url_map.bind("edge.localhost", subdomain="tenant")
    assert adapter.match(f"/events/{INT4_MAX}") == ("events.event", {"event_id": INT4_MAX})
    for path in (f"/events/{INT4_MAX + 1}", "/events/১২"):
        with pytest.raises(NotFound):
            adapter.match(path)
