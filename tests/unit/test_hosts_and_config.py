import base64
import os
import subprocess
import sys

import pytest

import config
from blueprints.site import PLATFORM, TENANT, site_of
from services.tenants import TenantError, normalise_host, validate_slug


@pytest.mark.parametrize("raw,host", [
    ("Zoo.Localhost:5000", "zoo.localhost"),
    ("zoo.localhost.", "zoo.localhost"),
    ("tickets.dhakazoo.gov.bd", "tickets.dhakazoo.gov.bd"),
    ("[::1]:5000", "[::1]"),
])
def test_hosts_are_normalised(raw, host):
    assert normalise_host(raw) == host


@pytest.mark.parametrize("host,site", [
    ("localhost:5000", PLATFORM), ("www.localhost", PLATFORM), ("127.0.0.1:5000", PLATFORM), ("[::1]:5000", PLATFORM),
    ("zoo.localhost:5000", TENANT), ("tickets.example.org", TENANT),
])
def test_the_site_is_chosen_from_the_host_alone(host, site):
    assert site_of(host, "localhost") == site


@pytest.mark.parametrize("slug", ["zoo", "rail2", "ab"])
def test_good_slugs(slug):
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "a", "2zoo", "zoo-park", "zoo_park", "www", "static", "x" * 32])
def test_bad_slugs_are_refused_with_a_reason(slug):
    with pytest.raises(TenantError, match="lowercase"):
        validate_slug(slug)


def test_production_refuses_to_start_without_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load_config({"JATRA_ENV": "production", "INSTANCE_DIR": str(tmp_path)})


def test_development_generates_secrets_once_and_keeps_them(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATA_ENCRYPTION_KEY", raising=False)
    first = config.load_config({"JATRA_ENV": "development", "INSTANCE_DIR": str(tmp_path)})
    second = config.load_config({"JATRA_ENV": "development", "INSTANCE_DIR": str(tmp_path)})
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert first["DATA_ENCRYPTION_KEY"] == second["DATA_ENCRYPTION_KEY"]
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def test_a_malformed_encryption_key_is_refused(tmp_path):
    with pytest.raises(config.ConfigError, match="32 bytes"):
        config.load_config({"JATRA_ENV": "development", "INSTANCE_DIR": str(tmp_path),
                            "SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": "tooshort"})


# What a deployment sets; the tests clear them so the runner's own environment (make test may
# export REDIS_URL or DATABASE_URL) and a developer's .env cannot change the answer.
DEPLOYMENT_SETTINGS = ("JATRA_ENV", "SECRET_KEY", "DATA_ENCRYPTION_KEY", "PLATFORM_DATABASE_URL", "REDIS_URL")
STRONG_KEY = "pV3n8sQy_Lw2-Zr7Tb5Xc1Hm9Kd4Fj6Ga0Ue"
PRODUCTION = {
    "JATRA_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
    "PLATFORM_DATABASE_URL": "postgresql+psycopg://jatra:pw@db-host:5432/jatra",
    "REDIS_URL": "redis://redis-host:6379/0",
}


@pytest.fixture
def bare_environment(monkeypatch):
    for name in DEPLOYMENT_SETTINGS:
        monkeypatch.delenv(name, raising=False)


def production(tmp_path, **changes) -> dict:
    return {**PRODUCTION, "INSTANCE_DIR": str(tmp_path), **changes}


def test_with_no_environment_the_app_is_production_and_says_what_to_set(bare_environment, tmp_path):
    with pytest.raises(config.ConfigError) as refused:
        config.load_config({"INSTANCE_DIR": str(tmp_path)})
    message = str(refused.value)
    assert "production" in message
    for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "PLATFORM_DATABASE_URL", "REDIS_URL"):
        assert name in message
    assert not (tmp_path / "dev-secrets.json").exists()  # no throwaway secrets were made up


def test_a_complete_production_configuration_starts(bare_environment, tmp_path):
    cfg = config.load_config(production(tmp_path))
    assert cfg["JATRA_ENV"] == "production" and cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SQLALCHEMY_DATABASE_URI"] == PRODUCTION["PLATFORM_DATABASE_URL"]


@pytest.mark.parametrize("key", ["x", "short-but-random-9f3k", "x" * 64, "changeme" * 4, "passwordpassword" * 3])
def test_production_refuses_a_weak_secret_key(bare_environment, tmp_path, key):
    with pytest.raises(config.ConfigError, match="SECRET_KEY is too weak"):
        config.load_config(production(tmp_path, SECRET_KEY=key))


@pytest.mark.parametrize("name", ["PLATFORM_DATABASE_URL", "REDIS_URL", "DATA_ENCRYPTION_KEY"])
def test_production_refuses_a_missing_server_or_key_instead_of_falling_back(bare_environment, tmp_path, name):
    with pytest.raises(config.ConfigError, match=f"{name} is not set"):
        config.load_config(production(tmp_path, **{name: None}))


def test_production_refuses_the_embedded_sqlite_registry(bare_environment, tmp_path):
    with pytest.raises(config.ConfigError, match="PLATFORM_DATABASE_URL is SQLite"):
        config.load_config(production(tmp_path, PLATFORM_DATABASE_URL=f"sqlite:///{tmp_path}/platform.sqlite3"))


def test_an_unknown_environment_name_is_refused(bare_environment, tmp_path):
    with pytest.raises(config.ConfigError, match="JATRA_ENV must be one of"):
        config.load_config({"JATRA_ENV": "prod", "INSTANCE_DIR": str(tmp_path)})


def test_development_still_runs_embedded_when_chosen_explicitly(bare_environment, tmp_path):
    cfg = config.load_config({"JATRA_ENV": "development", "INSTANCE_DIR": str(tmp_path)})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    assert cfg["REDIS_URL"] is None and cfg["JOBS_INLINE"] is True


def _start_wsgi(tmp_path, **env):
    """Import wsgi.py in a fresh interpreter, as gunicorn does. Every deployment setting is passed
    (empty unless given) so that no .env file can fill it in: load_dotenv never overrides."""
    environment = {**os.environ, **{name: "" for name in DEPLOYMENT_SETTINGS}, "INSTANCE_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-c", "import wsgi; print(wsgi.app.config['JATRA_ENV'])"],
                          cwd=config.BASE_DIR, env=environment, capture_output=True, text=True, timeout=60)


def test_gunicorn_with_no_configuration_does_not_start_in_development(tmp_path):
    started = _start_wsgi(tmp_path)
    assert started.returncode != 0 and "development" not in started.stdout
    assert "ConfigError" in started.stderr and "SECRET_KEY" in started.stderr


def test_wsgi_refuses_to_serve_development(tmp_path):
    started = _start_wsgi(tmp_path, JATRA_ENV="development")
    assert started.returncode != 0 and "wsgi.py serves production only" in started.stderr
