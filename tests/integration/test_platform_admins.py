"""Platform admins log in on the platform host and see the tenants; nowhere else."""
import sqlalchemy as sa

from models import db
from models.platform import PlatformAdmin
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _create(app, email="ops@jatra.example.com", password="platform-pass-1"):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["platform", "create-admin", "--email", email, "--name", "Ops",
                                 "--password", password])
    assert result.exit_code == 0, result.output
    return email, password


def test_a_platform_admin_made_by_the_cli_logs_in_and_sees_the_tenants(app, make_tenant, client_for):
    email, password = _create(app)
    zoo = make_tenant("zoo")
    client = client_for("localhost")
    assert client.get("/admin/").status_code in (302, 303)
    wrong = client.post("/admin/login", data={"email": email, "password": "wrong-pass-1"})
    assert wrong.status_code == 422 and "do not match" in wrong.get_data(as_text=True)
    assert client.post("/admin/login", data={"email": email, "password": password}).status_code == 303
    page = client.get("/admin/").get_data(as_text=True)
    assert zoo.slug in page and "Tenants" in page

    again = app.test_cli_runner().invoke(args=["platform", "create-admin", "--email", email, "--name", "X",
                                               "--password", password])
    assert again.exit_code != 0 and "exists already" in again.output


def test_a_platform_session_means_nothing_on_a_tenant_host_and_admin_pages_are_not_there(app, make_tenant,
                                                                                        client_for):
    email, password = _create(app, "ops2@jatra.example.com")
    zoo = make_tenant("zoo")
    assert client_for(zoo).get("/admin/login").status_code == 404
    platform = client_for("localhost")
    platform.post("/admin/login", data={"email": email, "password": password})
    cookie = platform.get_cookie("session", domain="localhost")
    tenant_client = client_for(zoo)
    tenant_client.set_cookie("session", cookie.value, domain=f"{zoo.slug}.localhost")
    assert tenant_client.get("/staff/").status_code == 302


def test_a_deactivated_platform_admin_is_logged_out(app, client_for):
    email, password = _create(app, "ops3@jatra.example.com")
    client = client_for("localhost")
    client.post("/admin/login", data={"email": email, "password": password})
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(PlatformAdmin).where(PlatformAdmin.email == email).values(is_active=False))
        db.session.commit()
    assert client.get("/admin/").status_code in (302, 303)
