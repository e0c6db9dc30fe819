"""Creating tenants for real (CREATE DATABASE + migrations), credentials sealed, commands."""
import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from models import db
from models.platform import Tenant
from services import schema, tenant_db, tenants
from tests.conftest import DB_PREFIX

SECRET = "Zx9-very-secret-pw"


def _database_exists(server_url, name):
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    engine.dispose()
    return found is not None


def test_flask_tenants_create_makes_a_migrated_database_and_serves_it(app, pg_server_url, client_for):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "garden", "--name", "Botanical Garden", "--kind", "events"])
    assert result.exit_code == 0, result.output
    assert "http://garden.localhost:5000/" in result.output
    assert _database_exists(pg_server_url, f"{DB_PREFIX}_garden")
    assert client_for("garden.localhost").get("/").status_code == 200

    again = runner.invoke(args=["tenants", "create", "garden", "--name", "Again", "--kind", "events"])
    assert again.exit_code != 0 and "exists already" in again.output

    listed = runner.invoke(args=["tenants", "list"])
    assert "garden" in listed.output and "events" in listed.output


@pytest.mark.parametrize("slug,kind,message", [
    ("Bad Slug", "events", "lowercase"),
    ("www", "events", "not one of"),
    ("okslug", "cinema", "kind must be"),
])
def test_bad_tenant_input_is_refused_and_creates_nothing(app, pg_server_url, slug, kind, message):
    with app.app_context():
        with pytest.raises(tenants.TenantError, match=message):
            tenants.create_tenant(slug, "Name", kind)
    assert not _database_exists(pg_server_url, f"{DB_PREFIX}_{slug.lower().replace(' ', '')}")


def test_a_failed_migration_drops_the_new_database(app, pg_server_url, monkeypatch):
    def broken(url, revision="heads"):
        raise RuntimeError("migration failed midway")

    monkeypatch.setattr(schema, "upgrade_tenant", broken)
    with app.app_context():
        with pytest.raises(RuntimeError):
            tenants.create_tenant("halfmade", "Half", "events")
        assert db.session.scalar(sa.select(Tenant).where(Tenant.slug == "halfmade")) is None
    assert not _database_exists(pg_server_url, f"{DB_PREFIX}_halfmade")


@pytest.fixture
def passworded_database(pg_server_url):
    """A database owned by a role with a password, as a production tenant would have."""
    role, name = f"{DB_PREFIX}_owner", f"{DB_PREFIX}_vault"
    engine = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{SECRET}'"))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{role}"'))
    url = make_url(pg_server_url).set(username=role, password=SECRET, database=name)
    yield url
    tenant_db.dispose_all()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    engine.dispose()


def test_tenant_database_passwords_are_sealed_round_trip_and_never_printed(app, passworded_database, client_for,
                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        info = tenants.create_tenant("vault", "Vault", "events", database_url=passworded_database)
        row = db.session.scalar(sa.select(Tenant).where(Tenant.slug == "vault"))
        stored = f"{row.db_url} {row.db_password_encrypted}"
        assert SECRET not in stored and row.db_password_encrypted
        # the round trip: the sealed password opens the database
        assert tenants.get("vault").database_url.password == SECRET
        assert SECRET not in repr(info) and SECRET not in str(info)

    assert client_for("vault.localhost").get("/healthz").json["tenant_db"]["status"] == "ok"
    listed = app.test_cli_runner().invoke(args=["tenants", "list"])
    assert "vault" in listed.output and SECRET not in listed.output
    assert SECRET not in caplog.text


def test_an_unreachable_tenant_database_shows_an_error_page_without_its_password(app, client_for, caplog):
    with app.app_context():
        bad = make_url(app.config["PLATFORM_DATABASE_URL"]).set(
            username="nobody", password=SECRET, database=f"{DB_PREFIX}_missing")
        tenants.register_tenant("ghost", "Ghost", "events", bad)
    app.testing, app.config["PROPAGATE_EXCEPTIONS"] = False, False
    try:
        health = client_for("ghost.localhost").get("/healthz")
        ready = client_for("ghost.localhost").get("/readyz")
    finally:
        app.testing = True
    assert health.status_code == 200 and health.json["tenant_db"]["status"] == "down"  # alive, not ready
    assert ready.status_code == 503 and ready.json["degraded"] == ["tenant_db"]
    assert SECRET not in health.get_data(as_text=True) + ready.get_data(as_text=True)
    assert SECRET not in caplog.text


def test_jobs_carry_the_tenant_slug_and_run_bound_to_it(app, make_tenant, redis_url):
    """Through a real RQ queue on Redis and a worker, as production runs them."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    from models.platform import TenantHealth

    info = make_tenant("zoo")
    connection = Redis.from_url(redis_url)
    queue = Queue(f"{DB_PREFIX}-jobs", connection=connection)
    job = queue.enqueue("jobs.run_for_tenant", info.slug, "jobs.health.check_tenant")
    with app.app_context():
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert job.get_status(refresh=True) == "finished", job.latest_result()
        assert job.return_value() == "healthy"
        rows = db.session.scalars(sa.select(TenantHealth).where(TenantHealth.tenant_id == info.id)).all()
        assert [r.status for r in rows] == ["healthy"]
    queue.delete(delete_jobs=True)


def test_inline_jobs_in_the_embedded_default_bind_the_tenant_too(app, make_tenant):
    from jobs.queue import enqueue

    info = make_tenant("fort")
    with app.app_context():
        job = enqueue("jobs.health.check_tenant", tenant=info.slug)
        assert job.return_value() == "healthy"


def test_the_periodic_health_check_reaches_every_tenant(app, make_tenant):
    from jobs.queue import enqueue
    from models.platform import TenantHealth

    first, second = make_tenant("zoo"), make_tenant("fort")
    with app.app_context():
        assert enqueue("jobs.health.check_all", tenant=None).return_value() >= 2
        checked = set(db.session.scalars(sa.select(TenantHealth.tenant_id)))
    assert {first.id, second.id} <= checked


def test_one_command_upgrades_the_platform_and_every_tenant(app, make_tenant):
    first, second = make_tenant("zoo"), make_tenant("rail", kind="rail")
    with app.app_context():  # a tenant whose database is gone must not hold the others back
        tenants.register_tenant("broken", "Broken", "events", make_url(app.config["PLATFORM_DATABASE_URL"]).set(
            database=f"{DB_PREFIX}_no_such_db"))
    try:
        result = app.test_cli_runner().invoke(args=["schema", "upgrade"])
    finally:
        with app.app_context():
            db.session.execute(sa.delete(Tenant).where(Tenant.slug == "broken"))
            db.session.commit()
            tenants.registry.invalidate()
    assert first.slug in result.output and second.slug in result.output
    assert "tenant broken NOT upgraded" in result.output
    assert result.exit_code == 1
