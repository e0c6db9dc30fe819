"""Schema migrations for the platform registry and for every tenant database (Alembic).

`migrations/platform` versions the registry; `migrations/tenant` versions the schema every tenant
database shares. `upgrade_all()` is the one command that brings everything to the current schema.
"""
from __future__ import annotations

import logging
from pathlib import Path

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


def upgrade_platform(revision: str = "heads") -> None:
    command.upgrade(alembic_config("platform", current_app.config["PLATFORM_DATABASE_URL"]), revision)


def upgrade_tenant(url: URL, revision: str = "heads") -> None:
    command.upgrade(alembic_config("tenant", url), revision)


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
