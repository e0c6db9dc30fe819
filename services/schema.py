"""Schema migrations for the platform registry and for every tenant database (Alembic).

`migrations/platform` versions the registry; `migrations/tenant` versions the schema every tenant
database shares. `upgrade_all()` is the one command that brings everything to the current schema.

In production on PostgreSQL the schema belongs to an owner role and the app connects as a role that
owns nothing (so it cannot disable the audit log's triggers or TRUNCATE it): the registry's URLs
carry the app role; with SCHEMA_OWNER_USER (and SCHEMA_OWNER_PASSWORD) set, migrations connect to
the same databases as the owner and grant the URL's role what the app needs (`grant_app_role`).
"""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import current_app
from sqlalchemy.engine import URL, make_url

from config import BASE_DIR

SCHEMAS = {"platform": BASE_DIR / "migrations" / "platform", "tenant": BASE_DIR / "migrations" / "tenant"}
log = logging.getLogger(__name__)


def alembic_config(schema: str, url: URL | str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCHEMAS[schema]))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(Path(SCHEMAS[schema]) / "versions"))
    if url is not None:
        # Passed as an object, never rendered into ini text: passwords may contain '%'.
        cfg.attributes["url"] = make_url(url) if isinstance(url, str) else url
    return cfg


def as_owner(url: URL) -> URL:
    """The URL to migrate `url`'s database with: as SCHEMA_OWNER_USER when one is configured."""
    owner = current_app.config.get("SCHEMA_OWNER_USER")
    if not owner or url.get_backend_name() == "sqlite":
        return url
    return url.set(username=owner, password=current_app.config.get("SCHEMA_OWNER_PASSWORD") or None)


def _app_role_of(url: URL) -> str | None:
    """The role the app connects as, when it is not the owner that migrates."""
    owner = as_owner(url)
    return url.username if url.username and owner.username != url.username else None


def upgrade_platform(revision: str = "heads") -> None:
    url = make_url(current_app.config["PLATFORM_DATABASE_URL"])
    command.upgrade(alembic_config("platform", as_owner(url)), revision)
    if _app_role_of(url):
        grant_app_role(as_owner(url), _app_role_of(url))


def upgrade_tenant(url: URL, revision: str = "heads") -> None:
    command.upgrade(alembic_config("tenant", as_owner(url)), revision)
    if _app_role_of(url):
        grant_app_role(as_owner(url), _app_role_of(url))


# What the app role may do, granted by the owner on each database (PostgreSQL). Normal reads and
# writes everywhere; the audit log only read and appended to; the migration history only read.
# No ownership, no TRUNCATE, no DDL: ALTER TABLE ... DISABLE TRIGGER needs the owner.
_APP_ROLE_GRANTS = (
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}",
    # Tables a later migration adds are usable at once (the next upgrade re-applies the rest).
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
)
_APPEND_ONLY_TABLES = ("audit_logs",)


class GrantError(RuntimeError):
    """The app role cannot be set up as asked (a deployment mistake, reported by the command)."""


def grant_app_role(owner_url: URL, role: str) -> None:
    """As the owner of `owner_url`'s database, let `role` do what the app does there and no more."""
    if owner_url.get_backend_name() != "postgresql":
        raise GrantError("roles exist on PostgreSQL only; SQLite databases have no app role to set up")
    engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            quoted = conn.dialect.identifier_preparer.quote(role)
            if conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}) is None:
                raise GrantError(f"there is no role {role!r}: create it first (CREATE ROLE ... LOGIN PASSWORD ...)")
            owns = conn.scalar(sa.text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"), {"r": role})
            if owns:
                raise GrantError(f"role {role!r} owns tables here: the app role must own nothing, so "
                                 f"migrate as another role (SCHEMA_OWNER_USER)")
            for statement in _APP_ROLE_GRANTS:
                conn.execute(sa.text(statement.format(role=quoted)))
            for table in _APPEND_ONLY_TABLES:
                if conn.scalar(sa.text("SELECT to_regclass(:t)"), {"t": f"public.{table}"}) is not None:
                    conn.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}"))
    finally:
        engine.dispose()


def grant_app_role_everywhere(role: str) -> list[str]:
    """`grant_app_role` on the registry and every tenant database; returns what was done."""
    from services import tenants

    grant_app_role(as_owner(make_url(current_app.config["PLATFORM_DATABASE_URL"])), role)
    done = ["platform"]
    for info in tenants.list_tenants():
        grant_app_role(as_owner(info.database_url), role)
        done.append(info.slug)
    return done


def upgrade_all() -> tuple[list[str], dict[str, str]]:
    """Upgrade the registry, then every registered tenant. One tenant's unreachable or broken
    database does not hold the others back: returns (slugs upgraded, {slug: why it failed})."""
    from services import tenants

    upgrade_platform()
    tenants.registry.invalidate()
    done, failed = [], {}
    for info in tenants.list_tenants():
        log.info("upgrading tenant %s", info.slug)
        try:
            upgrade_tenant(info.database_url)
        except Exception as exc:  # reported per tenant; the command exits non-zero
            failed[info.slug] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            log.error("tenant %s not upgraded: %s", info.slug, failed[info.slug])
            continue
        done.append(info.slug)
    return done, failed
