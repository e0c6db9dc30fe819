"""What the load benchmarks share: the stack run the production way, a rail tenant with a trip,
real logged-in customers by the thousand, and the trivial endpoint's throughput for comparison.

    with harness.stack(target=None) as stack:        # gunicorn + PostgreSQL + Redis, torn down after
        rail = harness.rail_tenant(stack)            # a rail tenant (its own database)
        with stack.tenant(rail):                     # set up data in process, through the services
            trip = rail_setup.trip_with_seats(500)
            buyers = harness.customers(stack, rail, 2000)   # [(cookie header, csrf token)]

`stack()` starts `gunicorn wsgi:app` (gunicorn.conf.py) with JATRA_ENV=production, fresh SECRET_KEY
and DATA_ENCRYPTION_KEY, a throwaway registry database `jatra_bench_<id>` on the local PostgreSQL
(tenants' databases beside it, all dropped at the end) and Redis db 12 under a key prefix of its own
(its keys deleted at the end). With `target=URL` it uses a server already running there instead: this
process must then have the same configuration in its environment (or `.env`): SECRET_KEY to sign the
customers' cookies, PLATFORM_DATABASE_URL and REDIS_URL to set data up; the tenant it makes is
deregistered and dropped at the end.

Tenants are addressed as `<slug>.localhost` in the Host header, as a browser on this machine would.

`stack(simulator=True)` also starts the local gateway simulator (gateways/sandbox) as a process of
its own before gunicorn (`python bench/harness.py simulator --port N`: the simulator's app plus one
read-only bench route, `/_bench/payments`, listing every payment it took) and gives gunicorn its
URL as GATEWAY_SIMULATOR_URL; `with_gateways()` points a tenant's gateways at it (and marks the
tenant test, without which production refuses a simulator).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit
import urllib.request

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.support import servers  # noqa: E402  (finds or starts the local PostgreSQL and Redis)

BENCH_REDIS_DB = 12  # a spare Redis database: the tests use 0
USER_AGENT = "jatra-bench"
CUSTOMER_PASSWORD = "bench-password-1234"


@dataclass
class Stack:
    base_url: str  # where to connect: http://127.0.0.1:PORT
    app: object  # an app with the server's configuration, for setting data up in process
    run_id: str
    server: subprocess.Popen | None = None
    made_tenants: list = field(default_factory=list)
    simulator_url: str | None = None  # the gateway simulator the server pays through (GATEWAY_SIMULATOR_URL)
    simulator: subprocess.Popen | None = None  # when the bench started it (it then lists its payments)

    def host(self, tenant) -> str:
        return f"{tenant.slug}.localhost"

    def site(self, tenant) -> str:
        """The tenant's host with the server's port: what a browser sends, and what the callback URLs
        the app gives a gateway must name for the simulator to reach the app."""
        port = urlsplit(self.base_url).port
        return f"{tenant.slug}.localhost" + (f":{port}" if port else "")

    @contextmanager
    def tenant(self, info):
        """Work in process for one tenant, as a job would (app context, tenant bound)."""
        from services.tenant_db import tenant_context

        with self.app.app_context(), tenant_context(info):
            yield info

    def server_cpu_seconds(self) -> float | None:
        """CPU time used so far by the gunicorn master and workers, and by their children that have
        exited (a worker gunicorn replaced): None when targeting a server. The gateway simulator and
        this process are not gunicorn's children, so they are not counted."""
        if self.server is None:
            return None
        pids = [self.server.pid] + _children(self.server.pid)
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                # utime + stime, cutime + cstime (fields 14-17 of proc(5), counted from the state)
                ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
            except (OSError, IndexError, ValueError):
                continue
        return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_cpu_seconds() -> float:
    """CPU time the whole machine was busy so far, all cores (everything but idle and iowait in /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> dict[str, float]:
    """CPU-seconds so far of the PostgreSQL server (postmaster, its live processes, and the backends
    that have exited, reaped by the postmaster: its children's time) and of the Redis server. Both
    are the machine's shared servers: other test runs using them meanwhile are counted too."""
    found = {"postgres": 0.0, "redis": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            comm = (proc / "comm").read_text().strip()
            if comm not in ("postgres", "redis-server"):
                continue
            title = (proc / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if comm == "postgres" and not title.startswith("postgres:"):  # the postmaster
            ticks += int(fields[13]) + int(fields[14])
        found["postgres" if comm == "postgres" else "redis"] += ticks / tick
    return found


def database_sessions(made: Stack) -> int | None:
    """Connections opened so far to this run's databases (PostgreSQL 14+: pg_stat_database.sessions)."""
    with made.app.app_context():
        from models import db

        try:
            return int(db.session.scalar(sa.text(
                "SELECT coalesce(sum(sessions), 0) FROM pg_stat_database WHERE datname LIKE :run"),
                {"run": f"jatra_bench_{made.run_id}%"}))
        except sa.exc.DBAPIError:
            return None
        finally:
            db.session.remove()


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in found] + [c for p in found for c in _children(int(p))]


def _redis_url() -> str:
    found = urlsplit(servers.redis_server_url())
    return f"redis://{found.hostname}:{found.port or 6379}/{BENCH_REDIS_DB}"


def _wait_healthy(base_url: str, host: str, proc: subprocess.Popen | None, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode} before answering")
        try:
            request = urllib.request.Request(f"{base_url}/healthz", headers={"Host": host})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not answer /healthz within {seconds:.0f} s")


def _start_simulator(log_dir: str) -> tuple[subprocess.Popen, str]:
    """The gateway simulator as a process of its own (a session of its own: killed whole at the end)."""
    port = servers.free_port()
    log = open(Path(log_dir) / "simulator.log", "w")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "simulator", "--port", str(port)],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the gateway simulator exited with status {proc.returncode} (see {log.name})")
        try:
            with urllib.request.urlopen(f"{url}/_bench/payments", timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError(f"the gateway simulator did not answer at {url} within 30 s")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def stack(target: str | None = None, *, server_env: dict | None = None, simulator: bool = False) -> Iterator[Stack]:
    """The app served the production way (or the one at `target`), and an in-process twin of it.
    With `simulator`, the gateway simulator too (with `target`: the one at GATEWAY_SIMULATOR_URL)."""
    from app import create_app

    run_id = uuid.uuid4().hex[:8]
    if target:
        from dotenv import load_dotenv

        load_dotenv(REPO / ".env")
        app = create_app({"JATRA_ENV": "production", "JOBS_INLINE": True})
        made = Stack(target.rstrip("/"), app, run_id, simulator_url=app.config.get("GATEWAY_SIMULATOR_URL"))
        if simulator and not made.simulator_url:
            raise RuntimeError("--target with payments needs the server's GATEWAY_SIMULATOR_URL in this environment")
        try:
            yield made
        finally:
            _drop_tenants(made)
        return

    pg = servers.postgres_server_url()
    prefix = f"jatra_bench_{run_id}"
    platform_url = servers.create_database(pg, prefix)
    port = servers.free_port()
    env = {
        "JATRA_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "PLATFORM_DATABASE_URL": platform_url,
        "REDIS_URL": _redis_url(),
        "REDIS_KEY_PREFIX": f"jatra-bench-{run_id}:",
        "PLATFORM_DOMAIN": "localhost",
        "PORT": str(port),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "INSTANCE_DIR": tempfile.mkdtemp(prefix="jatra-bench-"),
        "TENANT_CACHE_SECONDS": "5",
        **(server_env or {}),
    }
    proc = None
    sim = sim_url = None
    app = None
    try:
        if simulator:  # before gunicorn, which is told where it is
            sim, sim_url = _start_simulator(env["INSTANCE_DIR"])
            env["GATEWAY_SIMULATOR_URL"] = sim_url
        app = create_app({**env, "JOBS_INLINE": True, "TENANT_CACHE_SECONDS": 0})
        from services import schema

        with app.app_context():
            schema.upgrade_platform()
        log = open(Path(env["INSTANCE_DIR"]) / "gunicorn.log", "w")
        proc = subprocess.Popen([str(REPO / ".venv" / "bin" / "gunicorn"), "wsgi:app"], cwd=REPO,
                                env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        made = Stack(f"http://127.0.0.1:{port}", app, run_id, server=proc, simulator_url=sim_url, simulator=sim)
        _wait_healthy(made.base_url, "localhost", proc)
        yield made
    finally:
        if proc is not None:
            _stop(proc)  # the session gunicorn leads: master and its workers
        if sim is not None:
            _stop(sim)
        if app is not None:
            _forget_redis_keys(app)
        from services import tenant_db

        tenant_db.dispose_all()
        if app is not None:
            with app.app_context():
                from models import db

                db.engine.dispose()
        servers.drop_databases(pg, prefix)


def _forget_redis_keys(app) -> None:
    from services.redis_conn import redis_client

    with app.app_context():
        client = redis_client()
        prefix = app.config["REDIS_KEY_PREFIX"]
        keys = [key for pattern in (f"{prefix}*", f"LIMITS:LIMITER/{prefix}*")  # the limits library adds its own
                for key in client.scan_iter(match=pattern, count=1000)]
        for start in range(0, len(keys), 500):
            client.delete(*keys[start:start + 500])


def _drop_tenants(made: Stack) -> None:
    from models import db
    from models.platform import Tenant
    from services import tenant_db, tenants

    with made.app.app_context():
        for info in made.made_tenants:
            tenant_db.dispose_engine(info.slug)
            db.session.execute(sa.delete(Tenant).where(Tenant.slug == info.slug))
            db.session.commit()
            tenants.drop_database(info.database_url)


def rail_tenant(made: Stack, name: str = "Bench Railway"):
    """A new rail tenant (its own database), registered like `flask tenants create` does."""
    from services import tenants

    with made.app.app_context():
        info = tenants.create_tenant(f"bench{made.run_id[:6]}", name, "rail")
    made.made_tenants.append(info)
    return info


def with_gateways(made: Stack, tenant, names=("sslcommerz",)):
    """Point the tenant's gateways `names` at the simulator (the demo tenants' credentials) and mark it
    test: production refuses a simulator gateway for a tenant that is not. Returns the fresh info."""
    from services import tenants
    from services.checkout.gateways import seal_settings
    from services.demo.payments import DEMO_CREDENTIALS

    with made.app.app_context():
        gateways = {n: seal_settings(tenant.slug, n, enabled=True, mode="simulator", credentials=DEMO_CREDENTIALS[n])
                    for n in names}
        return tenants.update_config(tenant.slug, payment_gateways=gateways, features={"test": True})


def simulator_payments(made: Stack) -> list[dict] | None:
    """Every payment the bench's simulator knows (gateway, ref, tran_id, status, paid, refunded), as it
    reports them; None when the simulator is not the bench's (it then has no such list)."""
    if made.simulator is None:
        return None
    with urllib.request.urlopen(f"{made.simulator_url}/_bench/payments", timeout=30) as response:
        return json.loads(response.read())


def _serve_simulator(port: int) -> None:
    """`python bench/harness.py simulator --port N`: gateways/sandbox as `python -m gateways.sandbox`
    serves it, plus GET /_bench/payments (read only) for the bench's closing check. Quiet: no
    request log (it would cost this process CPU the machine shares with the server)."""
    import logging

    from flask import jsonify
    from werkzeug.serving import make_server

    from gateways.sandbox.app import create_sandbox_app
    from gateways.sandbox.web import current_sandbox

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_sandbox_app()

    @app.get("/_bench/payments")
    def bench_payments():
        def paid(record) -> bool:  # the customer's money was taken
            if record.gateway == "bkash":
                return record.status == "Completed" or record.trx_id is not None
            return record.customer_choice == "pay" and record.paid_amount is not None

        return jsonify([{"gateway": r.gateway, "ref": r.ref, "tran_id": r.tran_id, "status": r.status,
                         "paid": paid(r), "paid_amount": str(r.paid_amount) if r.paid_amount is not None else None,
                         "refunded": str(sum((f.amount for f in r.refunds), 0))}
                        for r in current_sandbox().transactions])

    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"bench gateway simulator on http://127.0.0.1:{server.port}", flush=True)
    server.serve_forever()


# --- customers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Buyer:
    customer_id: int
    cookie: str  # the Cookie header: the app's own signed session, naming a real login session
    csrf: str  # the X-CSRFToken header for that session

    def headers(self, host: str, **extra) -> dict:
        return {"Host": host, "Cookie": self.cookie, "X-CSRFToken": self.csrf, "User-Agent": USER_AGENT, **extra}


def customers(made: Stack, tenant, n: int) -> list[Buyer]:
    """n customers of `tenant` with verified phones, each logged in on a session of its own.

    Written in bulk (one password hash shared by all: hashing 2,000 passwords would take minutes
    and measure nothing), then each given a `login_sessions` row and the cookie the app itself
    would set at login: Flask-Login's ids signed by `app.session_interface` for the tenant's host,
    with a CSRF token in the session. So each buyer is a real logged-in customer to the server."""
    from flask import g, session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from blueprints.account.guard import CustomerUser
    from models import db
    from models.base import utcnow
    from models.people import User
    from models.sessions import LoginSession
    from services import passwords

    with made.tenant(tenant):
        now = utcnow()
        password_hash = passwords.hash_password(CUSTOMER_PASSWORD)
        first = db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0
        rows = [{"name": f"Buyer {first + i}", "phone": f"+88017{first + i:08d}", "password_hash": password_hash,
                 "phone_verified_at": now, "is_active": True, "session_version": 1, "created_at": now,
                 "updated_at": now} for i in range(n)]
        ids = list(db.session.scalars(sa.insert(User).returning(User.id), rows))
        keys = [secrets.token_urlsafe(32) for _ in ids]
        db.session.execute(sa.insert(LoginSession), [
            {"kind": "customer", "account_id": uid, "key_hash": hashlib.sha256(key.encode()).hexdigest(),
             "account_version": 1, "created_at": now, "last_seen_at": now, "ip_address": "127.0.0.1",
             "user_agent": USER_AGENT} for uid, key in zip(ids, keys, strict=True)])
        db.session.commit()

    app = made.app
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    buyers = []
    with app.test_request_context("/", base_url=f"http://{made.host(tenant)}",
                                  environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": USER_AGENT}):
        g.tenant = tenant
        serializer = app.session_interface.get_signing_serializer(app)
        for uid, key in zip(ids, keys, strict=True):
            session.clear()
            g.pop("csrf_token", None)
            account = type("Account", (), {"id": uid, "name": f"Buyer {uid}", "email": None})()
            login_user(CustomerUser(account, key), fresh=True)
            csrf = generate_csrf()
            buyers.append(Buyer(uid, f"{cookie_name}={serializer.dumps(dict(session))}", csrf))
    return buyers


# --- measuring ----------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def client_session(connections: int = 0) -> aiohttp.ClientSession:
    """One HTTP client for a whole run: no connection limit, cookies only as given in headers."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections, force_close=False),
                                 cookie_jar=aiohttp.DummyCookieJar(),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def hammer(session: aiohttp.ClientSession, url: str, headers: dict, *, seconds: float,
                 concurrency: int) -> dict:
    """GET `url` from `concurrency` loops for `seconds`: requests/s and latency percentiles."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def loop():
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": errors,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000}


async def trivial_throughput(session: aiohttp.ClientSession, base_url: str, host: str, *, seconds: float = 5,
                             concurrency: int = 32) -> dict:
    """/healthz on the tenant's host (it pings the registry, the tenant's database and Redis): the
    trivial endpoint the hold endpoint's throughput is compared with, same client, same run."""
    return await hammer(session, f"{base_url}/healthz", {"Host": host, "User-Agent": USER_AGENT},
                        seconds=seconds, concurrency=concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bench helpers run as processes of their own")
    parser.add_argument("command", choices=["simulator"])
    parser.add_argument("--port", type=int, required=True)
    _serve_simulator(parser.parse_args().port)
