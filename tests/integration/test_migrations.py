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


def test_the_audit_log_is_append_only_in_the_database(make_tenant, in_tenant):
    from models import db
    from services import audit
    from services.audit import Actor

    info = make_tenant("zoo")
    with in_tenant(info):
        row = audit.record(Actor.system(), "test.event", "thing", 1, commit=True)
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text("UPDATE audit_logs SET action = 'forged' WHERE id = :id"), {"id": row.id})
        db.session.rollback()
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text("DELETE FROM audit_logs"))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(models.people.AuditLog)) == 1
