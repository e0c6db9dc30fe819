"""Test harness: real PostgreSQL and Redis, one set of databases per test run, dropped at the end."""
from __future__ import annotations

import base64
import threading
import uuid

import pytest
from flask.testing import FlaskClient

from tests.support import servers
from tests.support.factories import TenantFactory

TEST_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
RUN_ID = uuid.uuid4().hex[:8]
DB_PREFIX = f"jatra_test_{RUN_ID}"


class SiteClient(FlaskClient):
    """A test client that speaks to one host: `client_for(tenant).get("/")`."""

    host = "localhost"

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str) and args[0].startswith("/"):
            args = (f"http://{self.host}{args[0]}",) + args[1:]
        return super().open(*args, **kwargs)


def base_config(tmp_dir, **extra) -> dict:
    return {
        "JATRA_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATA_ENCRYPTION_KEY": TEST_KEY,
        "PLATFORM_DOMAIN": "localhost",
        "INSTANCE_DIR": str(tmp_dir),
        "TENANT_CACHE_SECONDS": 0,
        "REDIS_KEY_PREFIX": f"jatra-test-{RUN_ID}:",
        **extra,
    }


@pytest.fixture(scope="session")
def pg_server_url():
    return servers.postgres_server_url()


@pytest.fixture(scope="session")
def redis_url():
    return servers.redis_server_url()


@pytest.fixture(scope="session")
def platform_db_url(pg_server_url):
    url = servers.create_database(pg_server_url, DB_PREFIX)
    yield url
    from services import tenant_db

    tenant_db.dispose_all()
    servers.drop_databases(pg_server_url, DB_PREFIX)


@pytest.fixture(scope="session")
def simulator():
    """The local gateway simulator (gateways/sandbox) on 127.0.0.1, for the whole run; each test
    that makes it misbehave resets it (the `sandbox` fixture)."""
    from gateways.sandbox import serve_in_thread

    url, sandbox, stop = serve_in_thread()
    yield url, sandbox
    stop()


@pytest.fixture
def sandbox(simulator):
    """The simulator's state, reset before and after the test: `sandbox.behave(ipn="never")`."""
    state = simulator[1]
    state.reset()
    yield state
    state.reset()


def _make_app(platform_db_url, redis_url, tmp_dir, **extra):
    from app import create_app
    from services import schema

    app = create_app(base_config(tmp_dir, PLATFORM_DATABASE_URL=platform_db_url, REDIS_URL=redis_url,
                                 JOBS_INLINE=True, **extra))
    app.test_client_class = SiteClient
    with app.app_context():
        schema.upgrade_platform()
    return app


@pytest.fixture(scope="session")
def app(platform_db_url, redis_url, tmp_path_factory, simulator):
    """The app on the test run's PostgreSQL and Redis; CSRF off for the test client's forms."""
    return _make_app(platform_db_url, redis_url, tmp_path_factory.mktemp("instance"), WTF_CSRF_ENABLED=False,
                     GATEWAY_SIMULATOR_URL=simulator[0])


@pytest.fixture
def production_app(app, platform_db_url, redis_url, tmp_path):
    """The app as `gunicorn wsgi:app` runs it (JATRA_ENV=production), on the test run's servers."""
    from app import create_app
    from services import notifications

    production = create_app(base_config(tmp_path, JATRA_ENV="production", SECRET_KEY="p" + uuid.uuid4().hex * 2,
                                        PLATFORM_DATABASE_URL=platform_db_url, REDIS_URL=redis_url, JOBS_INLINE=True))
    production.test_client_class = SiteClient
    yield production
    notifications.outbox().warn = False  # a production app logs every outbox message; the others do not


@pytest.fixture(scope="session")
def app_server(app):
    """The test app served over real HTTP on 127.0.0.1 (threaded), for callers that are servers
    themselves: the gateway simulator's notifications reach it at http://<slug>.localhost:<port>."""
    from werkzeug.serving import make_server

    from tests.support.servers import free_port

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()


@pytest.fixture(scope="session")
def tenant_template(app, pg_server_url):
    """A tenant database migrated once; each test's tenants are cheap clones of it."""
    from sqlalchemy.engine import make_url
    from services import schema

    name = f"{DB_PREFIX}_template"
    url = servers.create_database(pg_server_url, name)
    with app.app_context():
        schema.upgrade_tenant(make_url(url))
    return name


@pytest.fixture(scope="session")
def make_tenant(app, pg_server_url, tenant_template):
    return TenantFactory(app, pg_server_url, DB_PREFIX, tenant_template)


@pytest.fixture(autouse=True)
def _close_tenant_pools():
    """Each test makes fresh tenants; close their pooled connections after it, so a long run
    never holds more PostgreSQL connections than a few tests' worth."""
    yield
    from services import tenant_db

    tenant_db.dispose_all()


@pytest.fixture
def client_for(app):
    """client_for(tenant_or_host) -> a test client whose requests go to that host."""

    def make(target="localhost"):
        client = app.test_client()
        client.host = target if isinstance(target, str) else f"{target.slug}.localhost"
        return client

    return make


@pytest.fixture
def in_tenant(app):
    """`with in_tenant(info):` work with that tenant bound, as a job or command would."""
    from services.tenant_db import tenant_context

    class _Ctx:
        def __init__(self, info):
            self.info = info

        def __enter__(self):
            self.app_ctx = app.app_context()
            self.app_ctx.push()
            self.tenant_ctx = tenant_context(self.info)
            return self.tenant_ctx.__enter__()

        def __exit__(self, *exc):
            self.tenant_ctx.__exit__(*exc)
            self.app_ctx.pop()

    return _Ctx


@pytest.fixture
def race(app):
    """race(n, fn) runs fn n times at once (threads released together by a barrier), each in
    its own app context with the current tenant bound; returns results and exceptions in order."""
    from services import tenant_db

    def run(n, fn):
        tenant = tenant_db.current_tenant()
        barrier = threading.Barrier(n)
        results = [None] * n

        def worker(i):
            from models import db

            with app.app_context():
                token = tenant_db.bind(tenant)
                try:
                    barrier.wait()
                    results[i] = fn()
                except Exception as exc:  # the race's losers are results too
                    results[i] = exc
                finally:
                    db.session.remove()
                    tenant_db.unbind(token)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    return run


@pytest.fixture
def make_sqlite_tenant(app, tmp_path):
    """make_sqlite_tenant(name, kind) -> a tenant on its own migrated SQLite file (the embedded
    default of `make run`), registered like `flask tenants create` does; unregistered afterwards."""
    import itertools

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from models import db
    from models.platform import Tenant
    from services import schema, tenant_db, tenants

    made, counter = [], itertools.count(1)

    def make(name: str = "zoo", kind: str = "events"):
        slug = f"{name.lower()}sq{RUN_ID[:4]}{next(counter)}"
        url = make_url(f"sqlite:///{tmp_path / (slug + '.sqlite3')}")
        with app.app_context():
            schema.upgrade_tenant(url)
            made.append(tenants.register_tenant(slug, name.title(), kind, url))
        return made[-1]

    yield make
    with app.app_context():
        for info in made:
            tenant_db.dispose_engine(info.slug)
            db.session.execute(sa.delete(Tenant).where(Tenant.slug == info.slug))
        db.session.commit()
        tenants.registry.invalidate()


@pytest.fixture
def shop(app, make_tenant, in_tenant, client_for, sandbox, app_server):
    """A customer, the gateway simulator and the shop's jobs, for one purchase test (tests/support/shop.py)."""
    from tests.support.shop import Shop

    return Shop(app, make_tenant, in_tenant, client_for, sandbox, app_server)


@pytest.fixture
def smtp_server():
    """smtp_server(**aiosmtpd options) -> (mailbox, port): a real SMTP server on 127.0.0.1, stopped after
    the test (tests/support/mail.py)."""
    from tests.support.mail import start_smtp

    started = []

    def start(**options):
        mailbox, port, controller = start_smtp(**options)
        started.append(controller)
        return mailbox, port

    yield start
    for controller in started:
        controller.stop()
