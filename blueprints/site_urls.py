"""URLs built during a request point at the host the request came to.

Tenant rules are registered under the placeholder subdomain "tenant" (see `app.JatraFlask`), and
Werkzeug makes a full URL as "<subdomain>.<server name>": left alone, `url_for(..., _external=True)`
on zoo.localhost gives tenant.zoo.localhost, a host that serves nothing. This adapter puts the real
host in place of the placeholder, and the public scheme when the site is served over https behind a
proxy (PREFERRED_URL_SCHEME). Links to another site are not built with `url_for`: use
`services.tenants.tenant_url` / `platform_url`.
"""
from __future__ import annotations

from werkzeug.routing import MapAdapter

from blueprints.site import TENANT


class SiteUrlAdapter(MapAdapter):
    @classmethod
    def of(cls, adapter: MapAdapter, preferred_scheme: str) -> SiteUrlAdapter:
        scheme = "https" if adapter.url_scheme == "http" and preferred_scheme == "https" else adapter.url_scheme
        return cls(adapter.map, adapter.server_name, adapter.script_name, adapter.subdomain, scheme,
                   adapter.path_info, adapter.default_method, adapter.query_args)

    def get_host(self, domain_part: str | None) -> str:
        # On a tenant host every rule (the tenant's own, and those served on every site) lives
        # on the request's host; on the platform host only the platform's rules do.
        if self.subdomain == TENANT or domain_part in (None, self.subdomain):
            return self.server_name
        return super().get_host(domain_part)
