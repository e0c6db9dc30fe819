"""Find or start the PostgreSQL and Redis servers the tests use.

Order: the URL in DATABASE_URL / REDIS_URL when set; else the usual local server when it answers;
else a throwaway server started in a temporary folder and stopped at exit.
"""
from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_for(host: str, port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(host, port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start on {host}:{port}")


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; Debian's package creates the 'postgres' user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def postgres_server_url() -> str:
    """A server URL (database 'postgres') on which the tests may create and drop databases."""
    url = os.environ.get("DATABASE_URL")
    if url:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed.set(database="postgres").render_as_string(hide_password=False)
    if _answers("127.0.0.1", 5432):
        return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    return _start_postgres()


def _start_postgres() -> str:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        raise RuntimeError("PostgreSQL is not installed and none is running: run `make test`, which installs it")
    bindir = os.path.dirname(bins[-1])
    data = tempfile.mkdtemp(prefix="jatra-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres_user([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
                   check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen(_as_postgres_user([f"{bindir}/postgres", "-D", data, "-p", str(port), "-k", data,
                                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                               "-c", "max_connections=300"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(lambda: (proc.terminate(), proc.wait(10), shutil.rmtree(data, ignore_errors=True)))
    _wait_for("127.0.0.1", port, "PostgreSQL")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    while True:  # the port opens a moment before the server accepts logins
        try:
            sa.create_engine(url, poolclass=sa.pool.NullPool).connect().close()
            return url
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def redis_server_url() -> str:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    if _answers("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0"
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("Redis is not installed and none is running: run `make test`, which installs it")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(lambda: (proc.terminate(), proc.wait(10)))
    _wait_for("127.0.0.1", port, "Redis")
    return f"redis://127.0.0.1:{port}/0"


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_databases(server_url: str, prefix: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": prefix.replace("_", r"\_") + "%"}).scalars().all()
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
