"""Application factory: `create_app()` builds a Jatra app from the environment."""
from __future__ import annotations

import logging

from flask import Flask

import config as config_module
from blueprints import site
from blueprints.site_urls import SiteUrlAdapter
from extensions import babel, csrf, db, migrate
from services import crypto, tenant_db


class JatraFlask(Flask):
    """Routes by site: the platform host and tenant hosts each have their own URL rules.

    Werkzeug's subdomain matching does the work: a request is bound with subdomain "" on the
    platform host and "tenant" on any other host, and tenant blueprints are registered with
    `subdomain="tenant"`. This is decided from the host name alone, before any database lookup;
    which tenant the host belongs to is resolved in `site.bind_tenant`.
    """

    def create_url_adapter(self, request):
        adapter = super().create_url_adapter(request)
        if request is None:
            return adapter
        which = site.site_of(request.host, self.config["PLATFORM_DOMAIN"])
        request.environ["jatra.site"] = which
        return SiteUrlAdapter.of(self.url_map.bind_to_environ(request.environ, server_name=None, subdomain=which),
                                 self.config["PREFERRED_URL_SCHEME"])


def create_app(overrides: dict | None = None) -> Flask:
    cfg = config_module.load_config(overrides)
    app = JatraFlask(__name__, instance_path=cfg["INSTANCE_DIR"], instance_relative_config=False)
    app.config.update(cfg)
    app.url_map.default_subdomain = site.PLATFORM
    logging.basicConfig(level=logging.INFO if cfg["JATRA_ENV"] != "testing" else logging.WARNING)

    crypto.configure(cfg["DATA_ENCRYPTION_KEY"], cfg.get("DATA_ENCRYPTION_OLD_KEYS"))
    db.init_app(app)
    tenant_db.init_app(app)  # real transactions when the registry is SQLite
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations" / "platform"))
    csrf.init_app(app)

    from blueprints import headers, i18n, web

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    web.init_app(app)
    site.init_app(app)
    from blueprints import converters, input_guard

    converters.init_app(app)  # before any rule is added: bounded `<int:...>` ids
    input_guard.init_app(app)  # after site: the refusal page carries the tenant's branding
    headers.init_app(app)
    _register_blueprints(app)
    _register_commands(app)

    if cfg["JATRA_ENV"] == "development":  # the local gateway simulator, from this process (never in production)
        from gateways.sandbox import mount

        mount(app)
    from blueprints.gate import express as gate_express

    gate_express.init_app(app)  # the scan's express lane, in front of everything else
    from jobs import queue

    queue.init_app(app)
    if _serves_embedded(app):
        from jobs import embedded

        embedded.start(app)
    return app


def _serves_embedded(app: Flask) -> bool:
    """`flask run` on the embedded default (no Redis, so no `rq cron` nor workers): scheduled and
    periodic jobs run in-process (jobs/embedded.py).
    Under the reloader only the child process serves (WERKZEUG_RUN_MAIN)."""
    import os
    import sys

    serving = os.environ.get("FLASK_RUN_FROM_CLI") == "true" and "run" in sys.argv[1:]
    if app.config.get("REDIS_URL") or app.testing or not serving:
        return False
    return os.environ.get("WERKZEUG_RUN_MAIN", "true") == "true"


def _register_blueprints(app: Flask) -> None:
    from blueprints import auth, common, errors, platform, staff, tenant_home
    from blueprints import account, dev, limits, platform_admin

    auth.init_app(app)
    limits.init_app(app)
    app.register_blueprint(platform.bp)
    app.register_blueprint(platform_admin.bp)
    app.register_blueprint(tenant_home.bp, subdomain=site.TENANT)
    app.register_blueprint(staff.bp, subdomain=site.TENANT)
    app.register_blueprint(account.bp, subdomain=site.TENANT)
    dev.register(app)
    from blueprints import rail, rail_admin

    app.register_blueprint(rail.bp, subdomain=site.TENANT)
    app.register_blueprint(rail_admin.bp, subdomain=site.TENANT)
    from blueprints import events, events_admin

    app.register_blueprint(events.bp, subdomain=site.TENANT)
    app.register_blueprint(events_admin.bp, subdomain=site.TENANT)
    from blueprints import live

    app.register_blueprint(live.bp, subdomain=site.TENANT)
    from blueprints import booking

    app.register_blueprint(booking.bp, subdomain=site.TENANT)
    from blueprints import bookings_admin, checkout

    app.register_blueprint(checkout.bp, subdomain=site.TENANT)
    app.register_blueprint(bookings_admin.bp, subdomain=site.TENANT)
    from blueprints import messages_admin

    app.register_blueprint(messages_admin.bp, subdomain=site.TENANT)
    from blueprints import ticket_keys

    app.register_blueprint(ticket_keys.bp, subdomain=site.TENANT)
    from blueprints import gate

    app.register_blueprint(gate.bp, subdomain=site.TENANT)
    common.register(app)
    errors.register(app)


def _register_commands(app: Flask) -> None:
    import cli

    cli.register(app)
