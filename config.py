"""Configuration from environment variables.

Every setting has a documented default in `.env.example`. `JATRA_ENV` defaults to production, so
a server started without configuration (`gunicorn wsgi:app`, no `.env`) refuses to start rather
than run with development tools and throwaway secrets; `make run` sets development explicitly.
Production needs strong secrets, PostgreSQL and Redis, and says at start-up which are missing.
In development the secrets are generated once and kept in `instance/dev-secrets.json`, so a
restarted `make run` keeps its sessions and can still decrypt what it stored.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


ENVIRONMENTS = ("production", "development", "testing")
# Shorter or less varied signing keys can be guessed offline from any signed cookie.
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT_CHARACTERS = 10


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _dev_secrets(instance_dir: Path) -> dict:
    """Secrets for development only, generated once and kept beside the SQLite files."""
    path = instance_dir / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment (and test overrides)."""
    overrides = dict(overrides or {})
    env = overrides.get("JATRA_ENV") or _env("JATRA_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"JATRA_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    instance_dir = Path(overrides.get("INSTANCE_DIR") or _env("INSTANCE_DIR", str(BASE_DIR / "instance")))

    cfg: dict = {
        "JATRA_ENV": env,
        "INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": _env("SECRET_KEY"),
        "DATA_ENCRYPTION_KEY": _env("DATA_ENCRYPTION_KEY"),
        # Host names: <slug>.<PLATFORM_DOMAIN> selects a tenant; PLATFORM_DOMAIN itself is the platform.
        "PLATFORM_DOMAIN": (_env("PLATFORM_DOMAIN", "localhost") or "").lower(),
        "PLATFORM_NAME": _env("PLATFORM_NAME", "Jatra"),
        "PREFERRED_URL_SCHEME": _env("PREFERRED_URL_SCHEME", "http"),
        "PORT": _env_int("PORT", 5000),
        # The port links made outside a request carry (services.tenants.tenant_url); unset: PORT.
        "PUBLIC_PORT": _env("PUBLIC_PORT"),
        # The platform registry database. Tenant databases live next to it unless a URL is given.
        # Outside production it defaults to SQLite in the instance folder (set below).
        "PLATFORM_DATABASE_URL": _env("PLATFORM_DATABASE_URL"),
        "TENANT_SQLITE_DIR": _env("TENANT_SQLITE_DIR", str(instance_dir / "tenants")),
        # PostgreSQL role that owns the schema: migrations connect as it, the app as the URLs' role
        # (set only where `flask schema upgrade` / `flask tenants create` run; see README).
        "SCHEMA_OWNER_USER": _env("SCHEMA_OWNER_USER"),
        "SCHEMA_OWNER_PASSWORD": _env("SCHEMA_OWNER_PASSWORD"),
        # How long a process trusts its cached copy of the registry (status, hosts, branding).
        "TENANT_CACHE_SECONDS": float(_env("TENANT_CACHE_SECONDS", "5")),
        "REDIS_URL": _env("REDIS_URL"),
        # Prefix of every Redis key this deployment writes (cache, rate limits), so deployments or
        # test runs sharing one Redis never see each other's keys.
        "REDIS_KEY_PREFIX": _env("REDIS_KEY_PREFIX", "jatra:"),
        # Rate limits (Flask-Limiter strings; several separated by ";"), per tenant host and address,
        # and per account where one is named. Kept in Redis when REDIS_URL is set, else in memory.
        "RATE_LIMIT_LOGIN_ACCOUNT": _env("RATE_LIMIT_LOGIN_ACCOUNT", "5 per minute;30 per hour"),
        "RATE_LIMIT_LOGIN_ADDRESS": _env("RATE_LIMIT_LOGIN_ADDRESS", "30 per minute;300 per hour"),
        "RATE_LIMIT_REGISTER": _env("RATE_LIMIT_REGISTER", "10 per hour"),
        "RATE_LIMIT_OTP_SEND": _env("RATE_LIMIT_OTP_SEND", "5 per 10 minutes;20 per day"),
        "RATE_LIMIT_OTP_VERIFY": _env("RATE_LIMIT_OTP_VERIFY", "10 per 10 minutes"),
        "TENANT_DB_POOL_SIZE": int(_env("TENANT_DB_POOL_SIZE", "5")),
        "TENANT_DB_MAX_OVERFLOW": int(_env("TENANT_DB_MAX_OVERFLOW", "10")),
        # Holding seats: per customer (or guest session), generous for a person, tight for a bot.
        "RATE_LIMIT_HOLD": _env("RATE_LIMIT_HOLD", "30 per minute;300 per hour"),
        # Starting payments: per customer (or guest session); a person retries a few times, not hundreds.
        "RATE_LIMIT_CHECKOUT": _env("RATE_LIMIT_CHECKOUT", "20 per minute;120 per hour"),
        # The local gateway simulator (gateways/sandbox): `make run` serves it at <site>/sandbox; tests
        # start their own. Tenants whose gateway mode is "simulator" are sent there.
        "GATEWAY_SIMULATOR_URL": _env("GATEWAY_SIMULATOR_URL"),
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", env == "production"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": _env("TIMEZONE", "Asia/Dhaka"),
        "LANGUAGES": {"en": "English", "bn": "বাংলা"},
        "MEDIA_FOLDER": _env("MEDIA_FOLDER", str(instance_dir / "media")),
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        "MEDIA_MAX_IMAGE_BYTES": _env_int("MEDIA_MAX_IMAGE_BYTES", 2 * 1024 * 1024),
        "SQLALCHEMY_ECHO": _env_bool("SQLALCHEMY_ECHO", False),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "JOBS_INLINE": _env_bool("JOBS_INLINE", _env("REDIS_URL") is None),
        "JOBS_QUEUE": _env("JOBS_QUEUE", "default"),  # the RQ queue jobs go to (`rq worker` listens to it)
        # messages: the first retry's wait (then x4 each time); the development outbox in production too
        "NOTIFY_RETRY_SECONDS": float(_env("NOTIFY_RETRY_SECONDS", "30")),
        "MESSAGES_TO_OUTBOX": _env_bool("MESSAGES_TO_OUTBOX", False),
    }
    cfg.update(overrides)
    if cfg["JATRA_ENV"] == "development" and not cfg.get("GATEWAY_SIMULATOR_URL"):
        cfg["GATEWAY_SIMULATOR_URL"] = f"http://127.0.0.1:{cfg['PORT']}/sandbox"  # served by this process (app.py)

    if cfg["JATRA_ENV"] == "production":
        problems = _production_problems(cfg)
        if problems:
            raise ConfigError("JATRA_ENV is production (the default) and the configuration is not ready for it:\n"
                              + "\n".join(f"  - {p}" for p in problems)
                              + "\nSet these (see .env.example), or use `make run` for the embedded development"
                              " set-up (JATRA_ENV=development).")
    else:
        cfg["PLATFORM_DATABASE_URL"] = cfg["PLATFORM_DATABASE_URL"] or f"sqlite:///{instance_dir / 'platform.sqlite3'}"
        generated = None
        for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY"):
            if not cfg.get(name):
                generated = generated or _dev_secrets(instance_dir)
                cfg[name] = generated[name]
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["PLATFORM_DATABASE_URL"]
    _check_key(cfg["DATA_ENCRYPTION_KEY"])
    return cfg


def _production_problems(cfg: dict) -> list[str]:
    """Everything production would otherwise quietly do without: each one a line saying what to set."""
    problems = []
    key = cfg.get("SECRET_KEY") or ""
    if not key:
        problems.append("SECRET_KEY is not set: python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    elif len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_DISTINCT_CHARACTERS:
        problems.append(f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters, "
                        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if not cfg.get("DATA_ENCRYPTION_KEY"):
        problems.append("DATA_ENCRYPTION_KEY is not set: "
                        "python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'")
    url = cfg.get("PLATFORM_DATABASE_URL") or ""
    if not url:
        problems.append("PLATFORM_DATABASE_URL is not set: postgresql+psycopg://jatra:PASSWORD@db-host:5432/jatra")
    elif url.startswith("sqlite"):
        problems.append("PLATFORM_DATABASE_URL is SQLite, the embedded development database: use PostgreSQL")
    if not cfg.get("REDIS_URL"):
        problems.append("REDIS_URL is not set (without it rate limits are per process and jobs run in requests): "
                        "redis://redis-host:6379/0")
    return problems


def _check_key(value: str) -> None:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (ValueError, TypeError) as exc:
        raise ConfigError("DATA_ENCRYPTION_KEY must be 32 bytes, URL-safe base64") from exc
    if len(raw) != 32:
        raise ConfigError("DATA_ENCRYPTION_KEY must be 32 bytes, URL-safe base64")
