"""The harness can start its own throwaway servers when none is configured or running (as on a
machine without PostgreSQL or Redis services); here we start them side by side and use them."""
import redis
import sqlalchemy as sa

from tests.support import servers


def test_a_throwaway_redis_starts_when_none_answers(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    real = servers._answers
    monkeypatch.setattr(servers, "_answers", lambda host, port: port != 6379 and real(host, port))
    url = servers.redis_server_url()
    assert ":6379" not in url and redis.Redis.from_url(url).ping()


def test_a_throwaway_postgresql_starts_when_none_answers(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    real = servers._answers
    monkeypatch.setattr(servers, "_answers", lambda host, port: port != 5432 and real(host, port))
    url = servers.postgres_server_url()
    assert ":5432" not in url
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
