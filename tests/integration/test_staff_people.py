"""Staff permissions on every staff page, staff management by admins, and the audit log."""
import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from models import db
from models.people import STAFF_ROLES, AuditLog, StaffMember
from services import permissions
from tests.support.people import login_customer, login_staff, make_customer, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _staff_rules(app):
    """Every URL rule whose view is guarded by staff_required, with the permission it needs."""
    for rule in app.url_map.iter_rules():
        permission = getattr(app.view_functions[rule.endpoint], "staff_permission", None)
        if permission is not None:
            yield rule, permission


def _path(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_staff_page_is_guarded(app):
    endpoints = {rule.endpoint for rule, _ in _staff_rules(app)}
    for expected in ("staff.dashboard", "staff.people", "staff.change_role", "staff.set_active", "staff.audit_log"):
        assert expected in endpoints
    # The gate console's API takes the gate's token instead (tests/integration/test_gate_checkin.py
    # shows it refused without one); its web manifest and service worker are public files.
    token_guarded = {r.rule for r in app.url_map.iter_rules()
                     if getattr(app.view_functions[r.endpoint], "without_login", False)}
    assert token_guarded == {"/staff/gate/api/scan", "/staff/gate/api/sync", "/staff/gate/api/offline"}
    unguarded = [r.rule for r in app.url_map.iter_rules()
                 if r.rule.startswith("/staff") and r.endpoint not in endpoints and r.rule not in token_guarded
                 and r.endpoint not in ("staff.login", "staff.logout", "gate.manifest", "gate.service_worker")]
    assert unguarded == []


@pytest.fixture(scope="module")
def matrix_sites(make_tenant):
    """A rail tenant and an events tenant, with one logged-in staff member per role on each."""
    return {kind: make_tenant(kind, kind=kind) for kind in ("rail", "events")}


def _status(client, method, path):
    try:
        return client.open(path, method=method).status_code
    except Exception:  # the view itself ran (and failed on dummy ids): the guard let it through
        return "view ran"


def test_permission_matrix_every_staff_endpoint_for_every_role(app, matrix_sites, in_tenant, client_for):
    checked = set()
    for kind, site in matrix_sites.items():
        clients = {}
        for role in STAFF_ROLES:
            _, email = make_staff(in_tenant, site, role)
            clients[role] = client_for(site)
            assert login_staff(clients[role], email).status_code == 303
        anonymous = client_for(site)
        for rule, permission in _staff_rules(app):
            path = _path(rule)
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            if anonymous.open(path, method=methods[0]).status_code == 404:
                continue  # an area this kind of tenant does not have (rail pages on a zoo)
            for method in methods:
                for role in STAFF_ROLES:
                    status = _status(clients[role], method, path)
                    if permissions.role_allows(role, permission):
                        assert status not in (403, 302), f"{kind}: {role} {method} {path} -> {status}"
                    else:
                        assert status == 403, f"{kind}: {role} {method} {path} -> {status}, should be refused"
            checked.add(rule.rule)
    assert checked == {rule.rule for rule, _ in _staff_rules(app)}  # every rule, on one kind or both


def test_staff_pages_send_anonymous_visitors_and_customers_to_the_staff_login(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, phone = make_customer(in_tenant, zoo)
    customer = client_for(zoo)
    login_customer(customer, phone)
    for client in (client_for(zoo), customer):
        for path in ("/staff/people", "/staff/audit"):
            answer = client.get(path)
            assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]


def test_an_admin_creates_staff_changes_a_role_and_deactivates_with_audit_rows(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    admin_id, admin_email = make_staff(in_tenant, zoo, "admin")
    admin = client_for(zoo)
    login_staff(admin, admin_email)

    created = admin.post("/staff/people", data={"name": "Shila", "email": "shila@zoo.example.com", "role": "gate",
                                                "password": "gate-keeper-1"})
    assert created.status_code == 303
    duplicate = admin.post("/staff/people", data={"name": "Shila 2", "email": "SHILA@zoo.example.com", "role": "gate",
                                                  "password": "gate-keeper-1"}, headers={"HX-Request": "true"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.get_data(as_text=True)
    with in_tenant(zoo):
        shila = db.session.scalar(sa.select(StaffMember).where(StaffMember.email == "shila@zoo.example.com"))
    shila_client = client_for(zoo)
    assert login_staff(shila_client, "shila@zoo.example.com", "gate-keeper-1").status_code == 303
    assert shila_client.get("/staff/audit").status_code == 403

    assert admin.post(f"/staff/people/{shila.id}/role", data={"role": "viewer"}).status_code == 303
    assert shila_client.get("/staff/audit").status_code == 200  # the new role applies at once

    assert admin.post(f"/staff/people/{shila.id}/active", data={"active": "0"}).status_code == 303
    assert shila_client.get("/staff/audit").status_code == 302  # logged out
    assert login_staff(client_for(zoo), "shila@zoo.example.com", "gate-keeper-1").status_code == 422

    with in_tenant(zoo):
        rows = list(db.session.scalars(sa.select(AuditLog).where(AuditLog.resource_id == str(shila.id))
                                       .order_by(AuditLog.id)))
    actions = [r.action for r in rows]
    assert actions == ["staff.create", "staff.login", "staff.role_change", "staff.deactivate", "staff.login_failed"]
    change = rows[2]
    assert change.actor_type == "staff" and change.actor_id == admin_id and change.ip_address == "127.0.0.1"
    assert change.changes["before"]["role"] == "gate" and change.changes["after"]["role"] == "viewer"


def test_the_last_admin_cannot_be_demoted_or_deactivated(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    admin_id, admin_email = make_staff(in_tenant, zoo, "admin")
    other_id, other_email = make_staff(in_tenant, zoo, "admin", email="second@zoo.example.com")
    admin = client_for(zoo)
    login_staff(admin, admin_email)
    assert admin.post(f"/staff/people/{admin_id}/active", data={"active": "0"}).status_code == 303
    assert admin.post(f"/staff/people/{other_id}/role", data={"role": "viewer"}).status_code == 303
    page = admin.post(f"/staff/people/{admin_id}/role", data={"role": "viewer"}, follow_redirects=True)
    assert "at least one active admin" in page.get_data(as_text=True)
    with in_tenant(zoo):
        me = db.session.get(StaffMember, admin_id)
        assert me.role == "admin" and me.is_active


def test_two_admins_demoting_each_other_at_once_leave_one_admin(make_tenant, in_tenant, race):
    import threading

    from services import staff
    from services.audit import Actor

    zoo = make_tenant("zoo")
    a, _ = make_staff(in_tenant, zoo, "admin")
    b, _ = make_staff(in_tenant, zoo, "admin", email="b@zoo.example.com")
    members, lock = iter([a, b]), threading.Lock()

    def demote_one():
        with lock:
            member = next(members)
        return staff.change_role(member, "viewer", actor=Actor.system("test"))

    with in_tenant(zoo):
        results = race(2, demote_one)
        assert sum(isinstance(r, staff.StaffError) for r in results) == 1, results
        db.session.expire_all()
        assert _admins() == 1


def _admins() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember).where(StaffMember.role == "admin"))


def test_control_without_the_row_locks_the_same_race_leaves_no_admin(make_tenant, in_tenant, race):
    """The race above is real: a check-then-update without locks, interleaved the same way, demotes both."""
    import threading

    zoo = make_tenant("zoo")
    a, _ = make_staff(in_tenant, zoo, "admin")
    b, _ = make_staff(in_tenant, zoo, "admin", email="b@zoo.example.com")
    members, lock, both_counted = iter([a, b]), threading.Lock(), threading.Barrier(2)

    def naive_demote_one():
        with lock:
            member = next(members)
        admins = _admins()
        both_counted.wait()  # each has seen two admins before either writes
        if admins > 1:
            db.session.execute(sa.update(StaffMember).where(StaffMember.id == member).values(role="viewer"))
            db.session.commit()

    with in_tenant(zoo):
        race(2, naive_demote_one)
        db.session.expire_all()
        assert _admins() == 0


def test_admins_and_viewers_browse_and_filter_the_audit_log(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, viewer_email = make_staff(in_tenant, zoo, "viewer")
    _, phone = make_customer(in_tenant, zoo)
    login_customer(client_for(zoo), phone, "wrong-password")
    viewer = client_for(zoo)
    login_staff(viewer, viewer_email)

    everything = viewer.get("/staff/audit").get_data(as_text=True)
    for action in ("staff.create", "customer.register", "customer.login_failed", "staff.login"):
        assert action in everything
    failed = viewer.get("/staff/audit?action=customer.login_failed", headers={"HX-Request": "true"})
    html = failed.get_data(as_text=True)
    assert failed.status_code == 200 and "<html" not in html
    assert "customer.login_failed" in html and "staff.create" not in html and phone in html
    by_actor = viewer.get("/staff/audit?actor_type=staff").get_data(as_text=True)
    assert "customer.register" not in by_actor.split('id="audit-results"')[1]
