"""Tenant isolation, host routing and tenant statuses on real PostgreSQL."""
import sqlalchemy as sa
import pytest
from flask import g
from werkzeug.exceptions import ServiceUnavailable

from blueprints.site import sales_required
from models import db
from models.people import AuditLog, StaffMember
from services import staff, tenants
from services.audit import Actor


def _make_admin(in_tenant, info, email="boss@example.com", password="correct horse 1"):
    with in_tenant(info):
        staff.create_staff(email, "Boss", "admin", password, actor=Actor.system("test"))
    return email, password


def _login(client, email, password):
    return client.post("/staff/login", data={"email": email, "password": password})


def test_rows_of_one_tenant_are_invisible_to_another_at_the_orm_level(make_tenant, in_tenant):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    _make_admin(in_tenant, zoo)
    with in_tenant(zoo):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember)) == 1
    with in_tenant(fort):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffMember)) == 0


def test_a_row_created_through_the_zoo_host_is_invisible_through_the_fort_host(make_tenant, in_tenant, client_for):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    email, password = _make_admin(in_tenant, zoo)

    assert _login(client_for(zoo), email, password).status_code == 303  # writes a staff.login audit row in zoo
    # the same credentials mean nothing on fort: the account lives in zoo's database only
    refused = _login(client_for(fort), email, password)
    assert refused.status_code == 422
    assert b"do not match" in refused.data

    with in_tenant(zoo):
        assert [a.action for a in db.session.scalars(sa.select(AuditLog))] == ["staff.create", "staff.login"]
    with in_tenant(fort):
        assert [a.action for a in db.session.scalars(sa.select(AuditLog))] == ["staff.login_failed"]


def test_a_zoo_session_cookie_grants_nothing_on_fort(make_tenant, in_tenant, client_for):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    email, password = _make_admin(in_tenant, zoo)
    # fort even has a staff member with the same id (1) and session version
    _make_admin(in_tenant, fort, email="other@example.com")
    zoo_client = client_for(zoo)
    _login(zoo_client, email, password)
    assert zoo_client.get("/staff/").status_code == 200
    cookie = zoo_client.get_cookie("session", domain=f"{zoo.slug}.localhost")
    assert cookie is not None

    fort_client = client_for(fort)
    fort_client.set_cookie("session", cookie.value, domain=f"{fort.slug}.localhost")
    response = fort_client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_an_unknown_host_gets_a_clear_404_page(app, client_for):
    response = client_for("nowhere.localhost").get("/")
    assert response.status_code == 404
    assert b"No site at this address" in response.data
    # a host that is not under the platform domain at all
    assert client_for("evil.example.net").get("/").status_code == 404


def test_the_platform_page_lists_tenants_with_links(make_tenant, client_for):
    zoo = make_tenant("zoo", branding={"tagline": "Animals of Bangladesh"})
    hidden = make_tenant("gone", status="suspended")
    page = client_for("localhost").get("/").get_data(as_text=True)
    assert f'href="http://{zoo.slug}.localhost:5000/"' in page
    assert "Animals of Bangladesh" in page
    assert hidden.slug not in page


def test_a_tenant_home_page_wears_its_branding(make_tenant, client_for):
    zoo = make_tenant("zoo", branding={"primary": "#123456", "tagline": "Come see the tigers"})
    page = client_for(zoo).get("/").get_data(as_text=True)
    assert "--brand: #123456" in page and "Come see the tigers" in page and "<h1>Zoo</h1>" in page


def test_branding_colours_cannot_inject_css(make_tenant, client_for):
    zoo = make_tenant("zoo", branding={"primary": "red;} body{display:none"})
    page = client_for(zoo).get("/").get_data(as_text=True)
    assert "display:none" not in page


def test_a_suspended_tenant_serves_a_503_page_but_answers_health_checks(make_tenant, client_for):
    info = make_tenant("zoo", status="suspended")
    client = client_for(info)
    response = client.get("/")
    assert response.status_code == 503
    assert b"Temporarily unavailable" in response.data
    assert client.get("/staff/login").status_code == 503
    assert client.get("/healthz").json["tenant_status"] == "suspended"


def test_resuming_a_tenant_brings_it_back_at_once(make_tenant, client_for, app):
    info = make_tenant("zoo", status="suspended")
    with app.app_context():
        tenants.set_status(info.slug, "active")
    assert client_for(info).get("/").status_code == 200


def test_a_tenant_in_maintenance_shows_pages_with_a_banner_and_refuses_sales(make_tenant, client_for, app):
    info = make_tenant("zoo", status="maintenance")
    response = client_for(info).get("/")
    assert response.status_code == 200
    assert b"Maintenance in progress" in response.data

    sell = sales_required(lambda: "sold")
    with app.test_request_context("/", base_url=f"http://{info.slug}.localhost"):
        g.tenant = info
        with pytest.raises(ServiceUnavailable):
            sell()
        g.tenant = tenants.set_status(info.slug, "active")
        assert sell() == "sold"


def test_healthz_reports_platform_tenant_and_redis(make_tenant, client_for):
    info = make_tenant("zoo")
    body = client_for(info).get("/healthz").json
    assert body["status"] == "ok"
    assert body["platform_db"]["status"] == body["tenant_db"]["status"] == body["redis"]["status"] == "ok"
    assert client_for("localhost").get("/healthz").json["platform_db"]["status"] == "ok"


def test_a_registered_custom_domain_selects_its_tenant(make_tenant, client_for):
    info = make_tenant("garden", custom_domain="Tickets.Botanic-Garden.example.org")
    page = client_for("tickets.botanic-garden.example.org").get("/")
    assert page.status_code == 200 and b"<h1>Garden</h1>" in page.data
    assert client_for(info).get("/").status_code == 200  # and the platform subdomain still works


def test_an_ip_address_host_is_the_platform(client_for):
    assert b"Operators on Jatra" in client_for("127.0.0.1:5000").get("/").data


def test_each_tenant_engine_is_created_once_and_reused(app, make_tenant):
    from services import tenant_db

    info = make_tenant("zoo")
    with app.app_context():
        assert tenant_db.engine_for(info) is tenant_db.engine_for(tenants.get(info.slug))
        assert tenant_db.engine_for(info) is not tenant_db.engine_for(make_tenant("fort"))


def test_error_pages_wear_the_tenant_branding(app, make_tenant):
    from blueprints import errors

    info = make_tenant("zoo", branding={"primary": "#654321"})
    with app.test_request_context("/", base_url=f"http://{info.slug}.localhost"):
        g.tenant = info
        response = errors.handle_unexpected(RuntimeError("boom"))
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "--brand: #654321" in page
    assert "Something went wrong on our side" in page and "boom" not in page
