"""Login sessions live on the server: a cookie works on the site it was made for and only until
its session ends. Each attack below worked before (see issue 8) and must now fail."""
import hashlib
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import user_loaded_from_cookie

from models import db
from models.base import utcnow
from models.people import AuditLog, StaffMember
from tests.support.people import PASSWORD, login_customer, login_staff, make_customer, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)
from tests.support.redirects import LOGIN_ATTEMPTS, OPEN_REDIRECT_ATTEMPTS

REMEMBER = "remember_token"


def _login_session_rows() -> int:
    from models.sessions import LoginSession

    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession))
PLATFORM_PASSWORD = "platform-pass-1"


def _host(site) -> str:
    return site if isinstance(site, str) else f"{site.slug}.localhost"


def _cookie(client, site, name: str) -> str:
    cookie = client.get_cookie(name, domain=_host(site))
    assert cookie is not None, f"no {name} cookie for {_host(site)}"
    return cookie.value


def _client_with(client_for, site, **cookies):
    """A fresh browser on `site` holding only the given cookies (copied, or sent by an attacker)."""
    client = client_for(site)
    for name, value in cookies.items():
        client.set_cookie(name, value, domain=_host(site))
    return client


def _login_staff_remembered(client, email):
    answer = client.post("/staff/login", data={"email": email, "password": PASSWORD, "remember": "y"})
    assert answer.status_code == 303
    return answer


def _platform_admin(app, email):
    result = app.test_cli_runner().invoke(args=["platform", "create-admin", "--email", email, "--name", "Ops",
                                                "--password", PLATFORM_PASSWORD])
    assert result.exit_code == 0, result.output
    return email


def _login_platform_admin(client, email, remember=False):
    data = {"email": email, "password": PLATFORM_PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.post("/admin/login", data=data).status_code == 303


@contextmanager
def _users_loaded_from_remember_cookies(app):
    loaded = []

    def note(_sender, user):
        loaded.append(user)

    with user_loaded_from_cookie.connected_to(note, app):
        yield loaded


def _is_login_redirect(answer, path) -> bool:
    return answer.status_code in (302, 303) and path in answer.headers["Location"]


# --- 1. a remember-me cookie is bound to its tenant (and the platform's to the platform) ----------

def test_a_zoo_staff_remember_cookie_alone_is_nothing_on_fort(make_tenant, in_tenant, client_for):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    zoo_admin, zoo_email = make_staff(in_tenant, zoo, "admin")
    fort_admin, _ = make_staff(in_tenant, fort, "admin")
    assert zoo_admin == fort_admin == 1  # the same id on both: what the old cookie named
    zoo_browser = client_for(zoo)
    _login_staff_remembered(zoo_browser, zoo_email)
    stolen = _cookie(zoo_browser, zoo, REMEMBER)

    attacker = _client_with(client_for, fort, **{REMEMBER: stolen})
    answer = attacker.get("/staff/people")
    assert _is_login_redirect(answer, "/staff/login")
    assert _is_login_redirect(attacker.get("/staff/"), "/staff/login")

    on_zoo = _client_with(client_for, zoo, **{REMEMBER: stolen})  # control: the cookie alone opens zoo
    assert on_zoo.get("/staff/people").status_code == 200


def test_a_zoo_customer_remember_cookie_alone_is_nothing_on_fort(make_tenant, in_tenant, client_for):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    zoo_customer, phone = make_customer(in_tenant, zoo)
    fort_customer, _ = make_customer(in_tenant, fort, name="Someone Else")
    assert zoo_customer == fort_customer == 1
    zoo_browser = client_for(zoo)
    zoo_browser.post("/account/login", data={"identifier": phone, "password": PASSWORD, "remember": "y"})
    stolen = _cookie(zoo_browser, zoo, REMEMBER)

    attacker = _client_with(client_for, fort, **{REMEMBER: stolen})
    answer = attacker.get("/account/profile")
    assert _is_login_redirect(answer, "/account/login")
    assert "Someone Else" not in attacker.get("/").get_data(as_text=True)

    on_zoo = _client_with(client_for, zoo, **{REMEMBER: stolen})  # control
    assert "Rahima Khatun" in on_zoo.get("/account/profile").get_data(as_text=True)


def test_a_platform_admin_remember_cookie_is_nothing_on_a_tenant_and_a_tenant_one_nothing_on_the_platform(
        app, make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    email = _platform_admin(app, "ops-remember@jatra.example.com")
    platform_browser = client_for("localhost")
    _login_platform_admin(platform_browser, email, remember=True)
    platform_cookie = _cookie(platform_browser, "localhost", REMEMBER)
    _, staff_email = make_staff(in_tenant, zoo, "admin")
    zoo_browser = client_for(zoo)
    _login_staff_remembered(zoo_browser, staff_email)
    zoo_cookie = _cookie(zoo_browser, zoo, REMEMBER)

    with _users_loaded_from_remember_cookies(app) as loaded:
        on_tenant = _client_with(client_for, zoo, **{REMEMBER: platform_cookie})
        assert _is_login_redirect(on_tenant.get("/staff/"), "/staff/login")
        assert _is_login_redirect(on_tenant.get("/account/profile"), "/account/login")
        on_platform = _client_with(client_for, "localhost", **{REMEMBER: zoo_cookie})
        assert _is_login_redirect(on_platform.get("/admin/"), "/admin/login")
        assert loaded == []
        control = _client_with(client_for, "localhost", **{REMEMBER: platform_cookie})
        assert control.get("/admin/").status_code == 200
        assert [user.kind for user in loaded] == ["platform_admin"]


def test_a_remember_cookie_names_its_site_and_a_session_key_not_an_account_id(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, email = make_staff(in_tenant, zoo, "admin")
    browser = client_for(zoo)
    _login_staff_remembered(browser, email)
    payload = _cookie(browser, zoo, REMEMBER).rsplit("|", 1)[0]
    kind, site, key = payload.split(":")
    assert (kind, site) == ("staff", zoo.slug) and len(key) >= 40
    from models.sessions import LoginSession

    with in_tenant(zoo):
        row = db.session.scalar(sa.select(LoginSession))
        assert row.kind == "staff" and row.account_id == 1
        assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()  # the key itself is not stored


# --- 2. logging out ends the session on the server ---------------------------------------------

@pytest.mark.parametrize("cookie_name", ["session", REMEMBER])
def test_a_copied_staff_cookie_is_refused_after_logout(make_tenant, in_tenant, client_for, cookie_name):
    zoo = make_tenant("zoo")
    _, email = make_staff(in_tenant, zoo, "admin")
    browser = client_for(zoo)
    _login_staff_remembered(browser, email)
    copy = _client_with(client_for, zoo, **{cookie_name: _cookie(browser, zoo, cookie_name)})
    assert copy.get("/staff/").status_code == 200  # control: the copy works while the session lives

    assert _is_login_redirect(browser.post("/staff/logout"), "/staff/login")
    assert _is_login_redirect(copy.get("/staff/"), "/staff/login")
    assert _is_login_redirect(browser.get("/staff/"), "/staff/login")
    with in_tenant(zoo):
        assert _login_session_rows() == 0


@pytest.mark.parametrize("cookie_name", ["session", REMEMBER])
def test_a_copied_customer_cookie_is_refused_after_logout(make_tenant, in_tenant, client_for, cookie_name):
    zoo = make_tenant("zoo")
    _, phone = make_customer(in_tenant, zoo)
    browser = client_for(zoo)
    browser.post("/account/login", data={"identifier": phone, "password": PASSWORD, "remember": "y"})
    copy = _client_with(client_for, zoo, **{cookie_name: _cookie(browser, zoo, cookie_name)})
    assert copy.get("/account/profile").status_code == 200

    assert browser.post("/account/logout").status_code == 303
    assert _is_login_redirect(copy.get("/account/profile"), "/account/login")


@pytest.mark.parametrize("cookie_name", ["session", REMEMBER])
def test_a_copied_platform_admin_cookie_is_refused_after_logout(app, client_for, cookie_name):
    email = _platform_admin(app, f"ops-logout-{cookie_name}@jatra.example.com")
    browser = client_for("localhost")
    _login_platform_admin(browser, email, remember=True)
    copy = _client_with(client_for, "localhost", **{cookie_name: _cookie(browser, "localhost", cookie_name)})
    assert copy.get("/admin/").status_code == 200

    assert _is_login_redirect(browser.post("/admin/logout"), "/admin/login")
    assert _is_login_redirect(copy.get("/admin/"), "/admin/login")


def test_logging_in_again_on_a_device_ends_its_previous_session(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, email = make_staff(in_tenant, zoo, "admin")
    _, phone = make_customer(in_tenant, zoo)
    browser = client_for(zoo)
    login_staff(browser, email)
    staff_copy = _client_with(client_for, zoo, session=_cookie(browser, zoo, "session"))
    login_customer(browser, phone)  # someone else logs in on the same device
    assert _is_login_redirect(staff_copy.get("/staff/"), "/staff/login")


def test_staff_log_out_everywhere_ends_every_other_device(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    member_id, email = make_staff(in_tenant, zoo, "operator")
    phone, laptop = client_for(zoo), client_for(zoo)
    _login_staff_remembered(phone, email)
    login_staff(laptop, email)
    remembered = _cookie(phone, zoo, REMEMBER)
    dashboard = laptop.get("/staff/").get_data(as_text=True)
    assert "logged in on 2 devices" in dashboard and 'name="everywhere" value="1"' in dashboard

    answer = laptop.post("/staff/logout", data={"everywhere": "1"})
    assert _is_login_redirect(answer, "/staff/login")
    assert _is_login_redirect(phone.get("/staff/"), "/staff/login")
    assert _is_login_redirect(_client_with(client_for, zoo, **{REMEMBER: remembered}).get("/staff/"), "/staff/login")
    assert _is_login_redirect(laptop.get("/staff/"), "/staff/login")
    assert "logged out on every device" in laptop.get("/staff/login").get_data(as_text=True)
    with in_tenant(zoo):
        actions = list(db.session.scalars(sa.select(AuditLog.action).where(AuditLog.resource_id == str(member_id))))
        assert "staff.logout_everywhere" in actions
        assert _login_session_rows() == 0

    login_staff(laptop, email)  # a new login works as ever
    assert laptop.get("/staff/").status_code == 200


def test_a_plain_staff_logout_leaves_other_devices_logged_in(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, email = make_staff(in_tenant, zoo, "viewer")
    phone, laptop = client_for(zoo), client_for(zoo)
    login_staff(phone, email)
    login_staff(laptop, email)
    laptop.post("/staff/logout")
    assert phone.get("/staff/").status_code == 200


def test_deactivating_a_staff_member_ends_their_remembered_sessions_too(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, admin_email = make_staff(in_tenant, zoo, "admin")
    gate_id, gate_email = make_staff(in_tenant, zoo, "gate")
    admin, gate = client_for(zoo), client_for(zoo)
    login_staff(admin, admin_email)
    _login_staff_remembered(gate, gate_email)
    remembered = _cookie(gate, zoo, REMEMBER)
    assert admin.post(f"/staff/people/{gate_id}/active", data={"active": "0"}).status_code == 303
    assert _is_login_redirect(_client_with(client_for, zoo, **{REMEMBER: remembered}).get("/staff/"), "/staff/login")


# --- the service: idle sessions end, use is noted, dead rows can be purged -------------------------

def test_a_session_idle_past_the_limit_is_over_and_use_is_noted_now_and_then(make_tenant, in_tenant):
    from models.sessions import LoginSession
    from services import login_sessions

    zoo = make_tenant("zoo")
    member_id, _ = make_staff(in_tenant, zoo, "admin")
    with in_tenant(zoo):
        member = db.session.get(StaffMember, member_id)
        now = utcnow()
        old = login_sessions.open_session("staff", member, now=now - login_sessions.IDLE_LIMIT - timedelta(minutes=1))
        recent = login_sessions.open_session("staff", member, now=now - timedelta(minutes=10))
        fresh = login_sessions.open_session("staff", member, now=now - timedelta(minutes=1))
        assert login_sessions.account_for("staff", old, now=now) is None
        assert login_sessions.account_for("customer", recent, now=now) is None  # a staff key is not a customer's
        assert login_sessions.account_for("staff", "not-a-key", now=now) is None
        assert login_sessions.account_for("staff", recent, now=now).id == member_id
        assert login_sessions.account_for("staff", fresh, now=now).id == member_id
        seen = dict(db.session.execute(sa.select(LoginSession.key_hash, LoginSession.last_seen_at)).all())
        assert seen[hashlib.sha256(recent.encode()).hexdigest()] == now  # noted
        assert seen[hashlib.sha256(fresh.encode()).hexdigest()] < now  # seen a minute ago: left alone

        assert login_sessions.purge_stale(now=now) == 1  # the idle one
        db.session.execute(sa.update(StaffMember).values(session_version=StaffMember.session_version + 1))
        db.session.commit()
        assert login_sessions.account_for("staff", fresh, now=now) is None  # log out everywhere, from elsewhere
        assert login_sessions.purge_stale(now=now) == 2
        assert _login_session_rows() == 0


def test_a_busy_database_when_noting_a_session_s_use_does_not_refuse_the_request(make_tenant, in_tenant,
                                                                                   monkeypatch):
    """Noting last_seen_at is a write inside a reading request: if the database is busy with another
    writer (SQLite's lock), the session still opens and the note waits for the next request."""
    from services import login_sessions

    zoo = make_tenant("zoo")
    member_id, _ = make_staff(in_tenant, zoo, "admin")
    with in_tenant(zoo):
        member = db.session.get(StaffMember, member_id)
        now = utcnow()
        key = login_sessions.open_session("staff", member, now=now - timedelta(minutes=10))
        real_execute = db.session.execute

        def busy_on_update(statement, *args, **kwargs):
            if isinstance(statement, sa.Update):
                raise sa.exc.OperationalError(str(statement), {}, Exception("database is locked"))
            return real_execute(statement, *args, **kwargs)

        monkeypatch.setattr(db.session, "execute", busy_on_update)
        account = login_sessions.account_for("staff", key, now=now)
        monkeypatch.undo()
        assert account is not None and account.id == member_id and account.name  # still usable after the rollback
        assert login_sessions.account_for("staff", key, now=now).id == member_id  # and the note lands next time


def test_the_daily_purge_clears_dead_sessions_in_the_registry_and_in_every_tenant(app, make_tenant, in_tenant,
                                                                                  client_for):
    from jobs.queue import enqueue
    from models.platform import PlatformAdmin
    from models.sessions import LoginSession, PlatformAdminSession
    from services.login_sessions import IDLE_LIMIT

    zoo = make_tenant("zoo")
    _, email = make_staff(in_tenant, zoo, "admin")
    login_staff(client_for(zoo), email)
    login_staff(client_for(zoo), email)
    admin_email = _platform_admin(app, "ops-purge@jatra.example.com")
    _login_platform_admin(client_for("localhost"), admin_email)
    long_ago = utcnow() - IDLE_LIMIT - timedelta(days=1)
    with in_tenant(zoo):
        db.session.execute(sa.update(LoginSession).where(LoginSession.id == 1).values(last_seen_at=long_ago))
        db.session.commit()
    with app.app_context():
        admin_id = db.session.scalar(sa.select(PlatformAdmin.id).where(PlatformAdmin.email == admin_email))
        mine = PlatformAdminSession.account_id == admin_id
        db.session.execute(sa.update(PlatformAdminSession).where(mine).values(last_seen_at=long_ago))
        db.session.commit()
        enqueue("jobs.sessions.purge_all", tenant=None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PlatformAdminSession).where(mine)) == 0
    with in_tenant(zoo):
        assert list(db.session.scalars(sa.select(LoginSession.id))) == [2]  # the live one stays


# --- 4. the login redirect never leaves the site --------------------------------------------------

@pytest.fixture
def generous_login_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_LOGIN_ACCOUNT", "1000 per minute")
    monkeypatch.setitem(app.config, "RATE_LIMIT_LOGIN_ADDRESS", "1000 per minute")


# Control characters besides tab, LF and CR are refused at the edge (400) before any view runs.
_REFUSED_AT_THE_EDGE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _stays_on_site(answer, expected, target=""):
    if answer.status_code == 400 and _REFUSED_AT_THE_EDGE.search(target):
        return
    location = answer.headers.get("Location") or answer.headers.get("HX-Location")
    assert answer.status_code in (200, 303), (answer.status_code, location)
    assert location == expected, location


def test_the_customer_login_redirect_never_leaves_the_site(make_tenant, in_tenant, client_for,
                                                           generous_login_limits):
    zoo = make_tenant("zoo")
    _, phone = make_customer(in_tenant, zoo)
    htmx = {"HX-Request": "true"}  # answered with HX-Location, a header too
    for target, headers in [*((t, {}) for t in LOGIN_ATTEMPTS), *((t, htmx) for t in LOGIN_ATTEMPTS[:4])]:
        answer = client_for(zoo).post("/account/login", query_string={"next": target}, headers=headers,
                                      data={"identifier": phone, "password": PASSWORD})
        _stays_on_site(answer, "/account/bookings", target)
    good = client_for(zoo).post("/account/login", query_string={"next": "/account/passengers"},
                                data={"identifier": phone, "password": PASSWORD})
    _stays_on_site(good, "/account/passengers")


def test_the_issue_s_two_customer_login_urls_redirect_home_and_do_not_fail(make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    _, phone = make_customer(in_tenant, zoo)
    for query in ("next=/%09/evil.example.com", "next=/%0a/x"):
        answer = client_for(zoo).post(f"/account/login?{query}", data={"identifier": phone, "password": PASSWORD})
        _stays_on_site(answer, "/account/bookings")


def test_the_staff_and_platform_login_redirects_stay_in_their_area(app, make_tenant, in_tenant, client_for,
                                                                   generous_login_limits):
    zoo = make_tenant("zoo")
    _, email = make_staff(in_tenant, zoo, "admin")
    admin_email = _platform_admin(app, "ops-next@jatra.example.com")
    for target in [*LOGIN_ATTEMPTS, "/account/profile", "/staffing"]:
        answer = client_for(zoo).post("/staff/login", query_string={"next": target},
                                      data={"email": email, "password": PASSWORD})
        _stays_on_site(answer, "/staff/", target)
    for target in [*LOGIN_ATTEMPTS[:5], "/staff/", "/administrator"]:
        answer = client_for("localhost").post("/admin/login", query_string={"next": target},
                                              data={"email": admin_email, "password": PLATFORM_PASSWORD})
        _stays_on_site(answer, "/admin/", target)
    kept = client_for(zoo).post("/staff/login", query_string={"next": "/staff/audit"},
                                data={"email": email, "password": PASSWORD})
    _stays_on_site(kept, "/staff/audit")


def test_the_language_switch_goes_back_only_to_a_page_of_this_site(make_tenant, client_for):
    zoo = make_tenant("zoo")
    for target in OPEN_REDIRECT_ATTEMPTS:
        answer = client_for(zoo).post("/language", data={"lang": "bn", "next": target})
        if answer.status_code == 400 and _REFUSED_AT_THE_EDGE.search(target):
            continue
        assert answer.status_code == 302 and answer.headers["Location"] == "/", target
    back = client_for(zoo).post("/language", data={"lang": "bn"}, headers={"Referer": "http://[broken"})
    assert back.headers["Location"] == "/"


# --- 16. every role lands on a page it may use, and can always log out ---------------------------

def _logout_button(html: str) -> bool:
    return re.search(r'<form method="post" action="/staff/logout"', html) is not None


def test_gate_staff_log_in_to_a_page_they_may_use_with_a_log_out_button(make_tenant, in_tenant, client_for):
    fort = make_tenant("fort")
    _, email = make_staff(in_tenant, fort, "gate")
    gate = client_for(fort)
    answer = login_staff(gate, email)
    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/"
    landing = gate.get("/staff/")
    html = landing.get_data(as_text=True)
    assert landing.status_code == 200 and _logout_button(html)
    assert _dashboard_links(html) == ["/staff/gate"]  # the scanner, and nothing else
    for missing in ("Cancel and refund", "reports", "Audit log", 'href="/staff/people"'):
        assert missing not in html

    refused = gate.get("/staff/people")
    assert refused.status_code == 403 and _logout_button(refused.get_data(as_text=True))
    assert _logout_button(gate.get("/no-such-page").get_data(as_text=True))  # any page of the tenant
    gate.post("/staff/logout")
    assert _is_login_redirect(gate.get("/staff/"), "/staff/login")


def _dashboard_links(html: str) -> list[str]:
    listed = re.search(r'<ul class="staff-pages">(.*?)</ul>', html, re.S)
    return re.findall(r'href="([^"]+)"', listed.group(1)) if listed else []


@pytest.mark.parametrize("kind", ["rail", "events"])
def test_each_role_s_dashboard_links_only_to_pages_that_exist_and_it_may_open(make_tenant, in_tenant, client_for,
                                                                              kind):
    site = make_tenant(kind, kind=kind)
    seen = {}
    for role in ("admin", "operator", "gate", "viewer"):
        _, email = make_staff(in_tenant, site, role)
        client = client_for(site)
        login_staff(client, email)
        dashboard = client.get("/staff/")
        html = dashboard.get_data(as_text=True)
        assert dashboard.status_code == 200 and _logout_button(html)
        for gone in ("Cancel and refund", "Sales and occupancy", "Tenant settings"):
            assert gone not in html
        seen[role] = _dashboard_links(html)
        for link in seen[role]:
            assert client.get(link).status_code in (200, 303), (role, link)
    area = "/staff/rail/" if kind == "rail" else "/staff/events"
    assert seen["gate"] == ["/staff/gate"]
    assert seen["viewer"] == ["/staff/bookings", "/staff/messages", "/staff/gate/overview", "/staff/audit",
                              f"{area.rstrip('/')}/occupancy"]
    assert "/staff/people" in seen["admin"] and "/staff/people" not in seen["operator"]
    # the operator: bookings, the gate and the area's pages, not templates, staff nor the audit log
    assert any(link.startswith(area) for link in seen["operator"])
    assert seen["admin"][2:7] == ["/staff/messages/templates", "/staff/gate", "/staff/gate/overview",
                                  "/staff/people", "/staff/audit"]
    assert seen["operator"] == seen["admin"][:2] + seen["admin"][3:5] + seen["admin"][7:]


def test_every_listed_staff_page_is_guarded_by_the_permission_it_is_listed_under(app):
    from blueprints.staff.views import STAFF_PAGES

    for page in STAFF_PAGES:
        assert app.view_functions[page.endpoint].staff_permission == page.permission, page.endpoint
