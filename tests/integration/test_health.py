"""/healthz says the process is alive and what is degraded; /readyz fails only when the database a
site needs is unreachable. Redis down leaves every node in service, with rate limits per process."""
import logging

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import DB_PREFIX, SiteClient, _make_app, base_config
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)
from tests.support.servers import free_port


@pytest.fixture
def redis_down_app(platform_db_url, tmp_path, app):
    """The app with its Redis gone: nothing listens on the port REDIS_URL names."""
    from blueprints import limits

    yield _make_app(platform_db_url, f"redis://127.0.0.1:{free_port()}/0", tmp_path, WTF_CSRF_ENABLED=False)
    # Flask-Limiter keeps one storage per Limiter, the last app's: give the other tests their Redis back.
    limits.limiter.init_app(app)
    limits.limiter._storage_dead = False


@pytest.fixture
def database_down_app(app, platform_db_url, redis_url, tmp_path):
    """The app with its registry database unreachable (a database that does not exist)."""
    from app import create_app

    gone = make_url(platform_db_url).set(database=f"{DB_PREFIX}_gone").render_as_string(hide_password=False)
    down = create_app(base_config(tmp_path, PLATFORM_DATABASE_URL=gone, REDIS_URL=redis_url, JOBS_INLINE=True))
    down.test_client_class = SiteClient
    return down


def on(app, host):
    client = app.test_client()
    client.host = host
    return client


def test_with_everything_up_the_node_is_alive_ready_and_limits_are_shared(make_tenant, client_for):
    zoo = make_tenant("zoo")
    for path in ("/healthz", "/readyz"):
        answer = client_for(zoo).get(path)
        assert answer.status_code == 200
        assert answer.json["status"] == "ok" and answer.json["degraded"] == [] and answer.json["ready"] is True
        assert answer.json["rate_limits"] == "shared"


def test_with_redis_down_the_node_stays_in_service_and_says_limits_are_per_process(
        make_tenant, client_for, redis_down_app, caplog):
    zoo = make_tenant("zoo")
    client_for(zoo).get("/healthz")  # Redis up as seen by this process: the change below is logged
    caplog.set_level(logging.INFO)
    for host in (f"{zoo.slug}.localhost", "localhost"):
        alive, ready = on(redis_down_app, host).get("/healthz"), on(redis_down_app, host).get("/readyz")
        assert alive.status_code == 200 and ready.status_code == 200
        body = alive.json
        assert body["status"] == "degraded" and body["degraded"] == ["redis"] and body["ready"] is True
        assert body["redis"]["status"] == "down" and body["platform_db"]["status"] == "ok"
        assert body["rate_limits"] == "per-process"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Redis is unreachable" in w and "per process" in w for w in warnings)
    assert on(redis_down_app, f"{zoo.slug}.localhost").get("/").status_code == 200  # and pages still work
    # a rate-limited form still answers (counted in this process) rather than failing
    login = on(redis_down_app, f"{zoo.slug}.localhost").post("/account/login",
                                                             data={"identifier": "01700000009", "password": "x"})
    assert login.status_code < 500


def test_with_the_database_down_the_node_is_alive_but_not_ready(database_down_app):
    alive = on(database_down_app, "localhost").get("/healthz")
    assert alive.status_code == 200 and alive.json["platform_db"]["status"] == "down"
    assert alive.json["degraded"] == ["platform_db"] and alive.json["ready"] is False
    ready = on(database_down_app, "localhost").get("/readyz")
    assert ready.status_code == 503 and ready.json["platform_db"]["status"] == "down"
