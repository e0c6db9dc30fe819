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
