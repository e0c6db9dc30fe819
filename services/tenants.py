"""The tenant registry: create, register, find and change tenants.

Requests find their tenant by host through a small in-process cache of the registry (a few hundred
rows at most), refreshed every TENANT_CACHE_SECONDS and at once after a change made by this
process, so a suspension reaches every worker within seconds without a query per request.
"""
from __future__ import annotations

import ipaddress
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import URL, make_url

from models import db
from models.platform import TENANT_KINDS, TENANT_STATUSES, Tenant, TenantConfig
from services import crypto, schema, tenant_db, transactions
from services.errors import ServiceError

SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,30}$")
RESERVED_SLUGS = {"www", "static", "admin", "api", "platform", "mail", "app", "status"}

DEFAULT_SETTINGS = {
    "hold_minutes": 5,
    "advance_sale_days": 10,
    "max_seats_per_booking": 4,
    "timezone": "Asia/Dhaka",
    "currency": "BDT",
}
DEFAULT_BRANDING = {"primary": "#0b6e4f", "accent": "#f2a541", "logo": None, "tagline": ""}


class TenantError(ServiceError):
    """A tenant operation was refused; the message is fit to show."""


class UnknownTenant(TenantError):
    pass


@dataclass(frozen=True)
class TenantInfo:
    """What a request needs to know about its tenant: an immutable snapshot of the registry."""

    id: int
    slug: str
    name: str
    kind: str
    status: str
    tier: str
    custom_domain: str | None
    database_url: URL = field(repr=False)
    branding: dict = field(default_factory=dict, repr=False, hash=False, compare=False)
    settings: dict = field(default_factory=dict, repr=False, hash=False, compare=False)
    features: dict = field(default_factory=dict, repr=False, hash=False, compare=False)
    # gateway name -> {"enabled", "mode", "base_url", "credentials" (sealed)}: services.checkout.gateways
    payment_gateways: dict = field(default_factory=dict, repr=False, hash=False, compare=False)
    # "sms" and "email" -> the provider settings, secrets sealed: services.notify.channels
    message_channels: dict = field(default_factory=dict, repr=False, hash=False, compare=False)

    @property
    def sales_open(self) -> bool:
        return self.status == "active"

    def setting(self, name: str):
        return self.settings.get(name, DEFAULT_SETTINGS.get(name))

    def brand(self, name: str):
        return self.branding.get(name, DEFAULT_BRANDING.get(name))


def _info_from_row(row: Tenant) -> TenantInfo:
    url = make_url(row.db_url)
    if row.db_password_encrypted:
        url = url.set(password=crypto.open_sealed(row.db_password_encrypted, context=f"tenant-db:{row.slug}"))
    config = row.config
    return TenantInfo(
        id=row.id, slug=row.slug, name=row.name, kind=row.kind, status=row.status, tier=row.tier,
        custom_domain=row.custom_domain, database_url=url,
        branding={**DEFAULT_BRANDING, **(config.branding if config else {})},
        settings={**DEFAULT_SETTINGS, **(config.settings if config else {})},
        features=dict(config.features) if config else {},
        payment_gateways=dict(config.payment_gateways) if config else {},
        message_channels=dict(config.message_channels or {}) if config else {},
    )


class _Registry:
    def __init__(self):
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_slug: dict[str, TenantInfo] = {}
        self._by_domain: dict[str, str] = {}

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def _fresh(self) -> dict[str, TenantInfo]:
        ttl = current_app.config["TENANT_CACHE_SECONDS"]
        if time.monotonic() - self._loaded_at > ttl:
            with self._lock:
                if time.monotonic() - self._loaded_at > ttl:
                    # A short read of its own: the request's session may be in the middle of work.
                    with sa.orm.Session(tenant_db.read_only(db.engine)) as session:
                        rows = session.scalars(sa.select(Tenant).options(sa.orm.selectinload(Tenant.config))).all()
                        infos = {row.slug: _info_from_row(row) for row in rows}
                    self._by_domain = {i.custom_domain: i.slug for i in infos.values() if i.custom_domain}
                    self._by_slug = infos
                    self._loaded_at = time.monotonic()
        return self._by_slug

    def get(self, slug: str) -> TenantInfo | None:
        return self._fresh().get(slug)

    def by_domain(self, host: str) -> TenantInfo | None:
        infos = self._fresh()
        slug = self._by_domain.get(host)
        return infos.get(slug) if slug else None

    def all(self) -> list[TenantInfo]:
        return sorted(self._fresh().values(), key=lambda i: i.name.lower())


registry = _Registry()


def normalise_host(host: str) -> str:
    host = (host or "").strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def is_platform_host(host: str, platform_domain: str) -> bool:
    """The platform's own names, and bare IP addresses (a tenant is never chosen by IP)."""
    host = normalise_host(host)
    if host in {platform_domain, f"www.{platform_domain}"}:
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def lookup_host(host: str) -> TenantInfo | None:
    """The tenant a host name belongs to: <slug>.<PLATFORM_DOMAIN> or a registered custom domain."""
    host = normalise_host(host)
    suffix = "." + current_app.config["PLATFORM_DOMAIN"]
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        if "." not in label:
            return registry.get(label)
        return None
    return registry.by_domain(host)


def get(slug: str) -> TenantInfo:
    info = registry.get(slug)
    if info is None:
        raise UnknownTenant(f"no tenant '{slug}'")
    return info


def list_tenants() -> list[TenantInfo]:
    return registry.all()


def _site_url(host: str, path: str, *, custom: bool = False) -> str:
    cfg = current_app.config
    port = int(cfg.get("PUBLIC_PORT") or cfg["PORT"])
    default_port = {"http": 80, "https": 443}.get(cfg["PREFERRED_URL_SCHEME"])
    netloc = host if custom or port == default_port else f"{host}:{port}"
    return f"{cfg['PREFERRED_URL_SCHEME']}://{netloc}{path}"


def tenant_url(info: TenantInfo, path: str = "/") -> str:
    """Absolute URL of a tenant page (for links from the platform, SMS and email)."""
    if info.custom_domain:
        return _site_url(info.custom_domain, path, custom=True)
    return _site_url(f"{info.slug}.{current_app.config['PLATFORM_DOMAIN']}", path)


def platform_url(path: str = "/") -> str:
    return _site_url(current_app.config["PLATFORM_DOMAIN"], path)


# ---- lifecycle -------------------------------------------------------------------------------

def validate_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise TenantError(
            "A tenant slug is 2-31 lowercase letters or digits, starting with a letter, "
            f"and not one of: {', '.join(sorted(RESERVED_SLUGS))}."
        )
    return slug


def default_database_url(slug: str) -> URL:
    """A new tenant's database: a SQLite file beside the platform's, or a database of the same
    name prefix on the platform's PostgreSQL server."""
    platform = make_url(current_app.config["PLATFORM_DATABASE_URL"])
    if platform.get_backend_name() == "sqlite":
        folder = Path(current_app.config["TENANT_SQLITE_DIR"])
        return make_url(f"sqlite:///{folder / (slug + '.sqlite3')}")
    return platform.set(database=f"{platform.database}_{slug}")


def create_database(url: URL) -> None:
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        if path.exists():
            raise TenantError(f"a database file already exists at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    server = sa.create_engine(schema.as_owner(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
            if exists:
                raise TenantError(f"database {url.database} already exists")
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        server.dispose()


def drop_database(url: URL) -> None:
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
        return
    server = sa.create_engine(schema.as_owner(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        server.dispose()


def create_tenant(slug: str, name: str, kind: str, *, database_url: str | URL | None = None,
                  branding: dict | None = None, settings: dict | None = None,
                  custom_domain: str | None = None, tier: str = "standard") -> TenantInfo:
    """Create the tenant's database (unless a URL of an existing one is given), migrate it to the
    current schema, and register it. A failure midway drops what it created."""
    slug = validate_slug(slug)
    _check_new(slug, name, kind)
    created = database_url is None
    url = default_database_url(slug) if created else make_url(database_url)
    if created:
        create_database(url)
    try:
        schema.upgrade_tenant(url)
        return register_tenant(slug, name, kind, url, branding=branding, settings=settings,
                               custom_domain=custom_domain, tier=tier)
    except BaseException:
        if created:
            tenant_db.dispose_engine(slug)
            drop_database(url)
        raise


def _check_new(slug: str, name: str, kind: str) -> None:
    if kind not in TENANT_KINDS:
        raise TenantError(f"kind must be one of {', '.join(TENANT_KINDS)}")
    if not (name or "").strip():
        raise TenantError("a tenant needs a name")
    if db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise TenantError(f"tenant '{slug}' exists already")


def register_tenant(slug: str, name: str, kind: str, url: URL, *, branding=None, settings=None,
                    custom_domain=None, tier="standard") -> TenantInfo:
    """Record an existing, migrated database as a tenant. The password is sealed, never stored plain."""
    row = Tenant(
        slug=slug, name=name.strip(), kind=kind, tier=tier, status="active",
        custom_domain=normalise_host(custom_domain) if custom_domain else None,
        db_url=url._replace(password=None).render_as_string(hide_password=False),  # .set() ignores None
        db_password_encrypted=crypto.seal(url.password, context=f"tenant-db:{slug}") if url.password else None,
    )
    row.config = TenantConfig(branding=dict(branding or {}), settings=dict(settings or {}),
                              features={}, payment_gateways={}, message_channels={}, validation_rules={},
                              pricing_rules={})
    db.session.add(row)
    transactions.commit({"uq_tenants_slug": f"tenant '{slug}' is registered already",
                         "uq_tenants_custom_domain": f"the domain {row.custom_domain} belongs to another tenant"},
                        error=TenantError)
    registry.invalidate()
    return _info_from_row(row)


def set_status(slug: str, status: str) -> TenantInfo:
    if status not in TENANT_STATUSES:
        raise TenantError(f"status must be one of {', '.join(TENANT_STATUSES)}")
    row = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if row is None:
        raise UnknownTenant(f"no tenant '{slug}'")
    row.status = status
    db.session.commit()
    registry.invalidate()
    return _info_from_row(row)


def update_config(slug: str, *, branding: dict | None = None, settings: dict | None = None,
                  features: dict | None = None, payment_gateways: dict | None = None,
                  message_channels: dict | None = None) -> TenantInfo:
    row = db.session.scalar(sa.select(Tenant).where(Tenant.slug == slug))
    if row is None:
        raise UnknownTenant(f"no tenant '{slug}'")
    if branding is not None:
        row.config.branding = {**row.config.branding, **branding}
    if settings is not None:
        row.config.settings = {**row.config.settings, **settings}
    if features is not None:
        row.config.features = {**row.config.features, **features}
    if payment_gateways is not None:
        row.config.payment_gateways = {**row.config.payment_gateways, **payment_gateways}
    if message_channels is not None:
        row.config.message_channels = {**(row.config.message_channels or {}), **message_channels}
    db.session.commit()
    registry.invalidate()
    return _info_from_row(row)
