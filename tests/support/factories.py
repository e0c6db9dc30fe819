"""Factories: each test makes the tenants (and later, trips, customers...) it needs."""
from __future__ import annotations

import itertools

from sqlalchemy.engine import make_url

from services import tenants
from tests.support import servers

_counter = itertools.count(1)


class TenantFactory:
    """Makes a fresh tenant per call: a new PostgreSQL database cloned from a migrated template
    (fast), registered through the same service the app uses."""

    def __init__(self, app, server_url: str, prefix: str, template: str):
        self.app, self.server_url, self.prefix, self.template = app, server_url, prefix, template

    def __call__(self, name: str = "zoo", kind: str = "events", *, status: str = "active",
                 branding: dict | None = None, settings: dict | None = None, slug: str | None = None,
                 custom_domain: str | None = None):
        slug = slug or f"{name.lower()}{next(_counter)}"
        url = servers.create_database(self.server_url, f"{self.prefix}_{slug}", template=self.template)
        with self.app.app_context():
            info = tenants.register_tenant(slug, name.title(), kind, make_url(url),
                                           branding=branding, settings=settings, custom_domain=custom_domain)
            if status != "active":
                info = tenants.set_status(slug, status)
        return info
