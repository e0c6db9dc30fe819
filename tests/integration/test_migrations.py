"""Both schemas migrate from empty, on PostgreSQL and on SQLite, with no model change left out."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

import models
from migrations.env_common import include_object
from services import schema
from tests.conftest import DB_PREFIX
from tests.support import servers

METADATA = {"platform": models.platform_metadata, "tenant": models.tenant_metadata}


def _pending_changes(url, metadata):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def _upgrade(app, which, url):
    with app.app_context():
        from alembic import command

        command.upgrade(schema.alembic_config(which, make_url(url)), "heads")


@pytest.mark.parametrize("which", ["platform", "tenant"])
def test_schema_migrates_from_empty_on_postgresql_with_nothing_pending(app, pg_server_url, which):
    url = servers.create_database(pg_server_url, f"{DB_PREFIX}_mig_{which}")
    _upgrade(app, which, url)
    assert _pending_changes(url, METADATA[which]) == []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        heads = set(ScriptDirectory.from_config(schema.alembic_config(which)).get_heads())
        assert set(MigrationContext.configure(conn).get_current_heads()) == heads
    engine.dispose()


@pytest.mark.parametrize("which", ["platform", "tenant"])
def test_schema_migrates_from_empty_on_sqlite_with_nothing_pending(app, tmp_path, which):
    url = f"sqlite:///{tmp_path / (which + '.sqlite3')}"
    _upgrade(app, which, url)
    assert _pending_changes(url, METADATA[which]) == []


def test_each_schema_has_a_single_history_root(app):
    for which in ("platform", "tenant"):
        script = ScriptDirectory.from_config(schema.alembic_config(which))
        assert len(script.get_bases()) == 1, f"{which} migrations have more than one root"
        assert len(script.get_heads()) == 1, f"{which} migrations have several heads: chain or merge them"


APPEND_ONLY = "audit_logs is append-only"  # the triggers' own message (t0001, t0006)


def _refused_by_the_trigger(statement, **params):
    from models import db

    with pytest.raises(sa.exc.DatabaseError, match=APPEND_ONLY):
        db.session.execute(sa.text(statement), params)
    db.session.rollback()


def test_the_audit_log_is_append_only_in_the_database(make_tenant, in_tenant):
    from models import db
    from services import audit
    from services.audit import Actor

    info = make_tenant("zoo")
    with in_tenant(info):
        row = audit.record(Actor.system(), "test.event", "thing", 1, commit=True)
        _refused_by_the_trigger("UPDATE audit_logs SET action = 'forged' WHERE id = :id", id=row.id)
        _refused_by_the_trigger("DELETE FROM audit_logs")
        _refused_by_the_trigger("TRUNCATE audit_logs")  # no row trigger fires for it: t0006's does
        assert db.session.scalar(sa.select(sa.func.count()).select_from(models.people.AuditLog)) == 1


def test_the_audit_log_is_append_only_on_sqlite_too(make_sqlite_tenant, in_tenant):
    from models import db
    from services import audit
    from services.audit import Actor

    with in_tenant(make_sqlite_tenant("zoo")):
        row = audit.record(Actor.system(), "test.event", "thing", 1, commit=True)
        _refused_by_the_trigger("UPDATE audit_logs SET action = 'forged' WHERE id = :id", id=row.id)
        _refused_by_the_trigger("DELETE FROM audit_logs")  # SQLite's TRUNCATE: a DELETE with no WHERE
        assert db.session.scalar(sa.select(sa.func.count()).select_from(models.people.AuditLog)) == 1


def test_sql_without_a_table_goes_to_the_bound_tenant_and_to_the_platform_when_asked(app, make_tenant, in_tenant):
    from models import db
    from models.base import on_platform

    info = make_tenant("zoo")
    current = "SELECT current_database()"
    with app.app_context():
        platform = db.session.scalar(sa.text(current))
    with in_tenant(info):
        assert db.session.scalar(sa.text(current)) == info.database_url.database
        assert db.session.scalar(sa.select(sa.func.current_database())) == info.database_url.database
        assert db.session.scalar(on_platform(sa.text(current))) == platform != info.database_url.database


# --- production: the schema owner migrates, the app's role owns nothing ---------------------------

def _audit_row_sql():
    return ("INSERT INTO audit_logs (actor_type, actor_label, action, resource, changes, created_at) "
            "VALUES ('system', 'test', 'app.wrote', 'thing', '{}', now())")


def test_the_app_role_may_read_and_append_to_the_audit_log_and_nothing_more(app, pg_server_url, monkeypatch):
    from models import db
    from models.platform import Tenant
    from services import staff, tenant_db, tenants
    from services.audit import Actor

    owner_url = make_url(servers.create_database(pg_server_url, f"{DB_PREFIX}_roles"))
    role = f"{DB_PREFIX}_app"  # roles are cluster-wide: named after the test run, dropped below
    server = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'app-role-password'"))
    app_url = owner_url.set(username=role, password="app-role-password")
    monkeypatch.setitem(app.config, "SCHEMA_OWNER_USER", owner_url.username)
    monkeypatch.setitem(app.config, "SCHEMA_OWNER_PASSWORD", owner_url.password)
    as_owner = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    as_app = sa.create_engine(app_url, poolclass=sa.pool.NullPool)
    slug = f"roles{DB_PREFIX[-8:]}"
    try:
        with app.app_context():
            schema.upgrade_tenant(app_url)  # as the owner, then grants the URL's role (the app's)
        with as_owner.connect() as conn:
            assert conn.scalar(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_logs'")) \
                == owner_url.username
            with pytest.raises(sa.exc.DatabaseError, match=APPEND_ONLY):
                conn.execute(sa.text("TRUNCATE audit_logs"))  # even the owner: the statement trigger

        with as_app.begin() as conn:
            conn.execute(sa.text(_audit_row_sql()))
        with as_app.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM audit_logs")) == 1
        for forbidden, why in [("UPDATE audit_logs SET action = 'forged'", "permission denied"),
                               ("DELETE FROM audit_logs", "permission denied"),
                               ("TRUNCATE audit_logs", "permission denied"),
                               ("ALTER TABLE audit_logs DISABLE TRIGGER ALL", "must be owner"),
                               ("DROP TRIGGER audit_logs_append_only ON audit_logs", "must be owner"),
                               ("UPDATE alembic_version SET version_num = 'x'", "permission denied")]:
            with as_app.connect() as conn:
                with pytest.raises(sa.exc.ProgrammingError, match=why):
                    conn.execute(sa.text(forbidden))

        # The app's own work, through its services, as that role: write tenant tables, audit it.
        with app.app_context():
            info = tenants.register_tenant(slug, "Roles", "events", app_url)
            with tenant_db.tenant_context(info):
                member = staff.create_staff("gate@roles.example.com", "Gate", "gate", "a long passphrase 12",
                                            actor=Actor.system())
                staff.change_role(member.id, "viewer", actor=Actor.system())  # locks rows, updates
        with as_owner.connect() as conn:
            assert conn.scalar(sa.text("SELECT role FROM staff_members")) == "viewer"
            assert conn.scalar(sa.text("SELECT count(*) FROM audit_logs")) == 3
    finally:
        with app.app_context():
            db.session.execute(sa.delete(Tenant).where(Tenant.slug == slug))
            db.session.commit()
            tenant_db.dispose_engine(slug)
        as_app.dispose()
        as_owner.dispose()
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{owner_url.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        server.dispose()


def test_granting_the_app_role_refuses_a_role_that_owns_the_tables(app, make_tenant):
    info = make_tenant("zoo")
    with app.app_context(), pytest.raises(schema.GrantError, match="owns tables"):
        schema.grant_app_role(info.database_url, info.database_url.username)
