"""The gate (issue 12, acceptance 2): thousands of signed tickets scanned at a few gates at once.

    .venv/bin/python bench/gate.py [--tickets 2000] [--concurrency 64] [--rescan 0.2] [--gates 4]
                                   [--trivial-seconds 5] [--profile 0] [--server-env NAME=VALUE]
                                   [--target URL]

On the production stack (gunicorn, PostgreSQL, Redis; bench/harness.py) with the gateway simulator,
a rail tenant and a trip tomorrow with a train of chair coaches just big enough. --tickets signed
tickets are issued as confirmed bookings of up to 4 seats each (all boarding at the first stop),
made in process through the app's services exactly as bench/tickets.py makes them
(`tickets.confirmed_booking`: hold_seats -> start_payment -> confirm.settle with a 'paid'
Verification -> issue.complete; the jobs the confirmations enqueue wait on a queue no worker
serves, deleted at the end). That takes 100-150 ms a booking of 4 (a minute for 2,000 tickets, the
default; 4,000 take two to three). --gates staff members (role gate) each open a gate for the trip at its
first stop (`gates.open_gate`) on a device of their own, and the bench signs each gate's console
token (`gates.tokens.make`) with the server's SECRET_KEY, as the console page would give it.

Then, over HTTP, `POST /staff/gate/api/scan` (X-Gate-Token, JSON {code, device, direction}) from
--concurrency loops of one aiohttp client, loop i scanning at gate i mod --gates:

* every ticket once, by its QR payload, in random order;
* --rescan of them (a share) once more: half of those as **races**, the ticket's first scan sent
  from two different gates in the same instant (one loop sends both; exactly one may be admitted),
  the other half **later**, from another gate once its first scan has answered (the queue gets
  it back at its end, so these rescans are spread over the run).

Measured: scans/s over the whole scan phase, p50/p95/p99 latency of every scan request, answers by
result and reason, errors by kind, **double_admits** (tickets admitted more than once: from the
answers, and in the database: tickets with more than one 'admitted' scan row), that every ticket is
`used` exactly once and every scan has its row, the server's CPU per scan (gunicorn master and
workers, /proc) and where the machine's CPU went (server, bench client, PostgreSQL, Redis, rest).
Before it, with the same client and concurrency: `/healthz` requests/s (after 1 s of warm-up); the
scan endpoint refusing a forged token (401 before any database work: the request machinery's floor
for this endpoint), requests/s and server CPU; and 1 s of warm-up scans of unknown ticket numbers
(rejected: unknown_ticket; they warm the workers' pools and the gates' cached scopes).
`ratio_vs_trivial` = scans/s ÷ /healthz requests/s. --server-env NAME=VALUE gives the bench's
gunicorn more environment (e.g. TENANT_DB_POOL_SIZE=32), for experiments.

--profile N (after the run, in process, not over HTTP): N more tickets, issued at the start, are
scanned through the app's full request path with Flask's test client (same config as the server,
the tenant cache as in production), admitted, then each again (already used), under cProfile with
CPU time as the clock: half of them timed without the profiler (CPU, wall and SQL statements per
scan), the other half profiled: where the CPU goes by library, by step of the request (hooks, the
view, checkin.scan's statements, the JSON answer, teardown) and by the app's functions. Also the
pieces alone: payload.verify, tokens.read, the scope check, the JSON answer, checkin.scan.

The last line is one JSON object (scans_per_s, p50_ms, p95_ms, p99_ms, double_admits, ...).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
import sqlalchemy as sa  # noqa: E402

import harness  # noqa: E402
import rail_setup  # noqa: E402
import tickets as ticket_bench  # noqa: E402  (confirmed bookings, the parked job queue's cleanup)
from harness import percentile  # noqa: E402

SEATS_PER_BOOKING = 4
STAFF_NAMES = ("Karim Uddin", "Rahima Khatun", "Tanvir Ahmed", "Nasrin Akter", "Abdul Hamid", "Mita Das",
               "Sharmin Sultana", "Farhana Yasmin")
SCAN_PATH = "/staff/gate/api/scan"


@dataclass(frozen=True)
class GateConsole:
    gate_id: int
    name: str
    device: str  # the console's device id (a uuid)
    token: str  # X-Gate-Token


@dataclass(frozen=True)
class IssuedTicket:
    ticket_id: int
    number: str
    code: str  # the QR payload: what the scanner types


# --- setting up ----------------------------------------------------------------------------------------

def booking_sizes(n_tickets: int) -> list[int]:
    full, rest = divmod(n_tickets, SEATS_PER_BOOKING)
    return [SEATS_PER_BOOKING] * full + ([rest] if rest else [])


def issue_tickets(stack, tenant, trip, customers, sizes: list[int], language: str = "en") -> tuple[list[dict], float]:
    """Confirmed bookings (bench/tickets.py's path through the services), with progress: (bookings, seconds)."""
    started = time.perf_counter()
    made = []
    chunks = ticket_bench.seat_chunks(trip, sizes)
    with stack.tenant(tenant):
        for n, (seats, customer) in enumerate(zip(chunks, customers, strict=True)):
            made.append(ticket_bench.confirmed_booking(stack, tenant, trip, seats, customer, language, n))
            if (n + 1) % 100 == 0:
                print(f"   ... {n + 1} of {len(sizes)} bookings, {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)
    return made, time.perf_counter() - started


def tickets_of(stack, tenant, bookings: list[dict]) -> list[IssuedTicket]:
    from models import db
    from models.bookings import Ticket

    with stack.tenant(tenant):
        rows = db.session.execute(sa.select(Ticket.id, Ticket.number, Ticket.qr_payload)
                                  .where(Ticket.booking_id.in_([b["id"] for b in bookings]))
                                  .order_by(Ticket.id)).all()
        db.session.rollback()
    missing = [number for _id, number, code in rows if not code]
    if missing:
        raise RuntimeError(f"{len(missing)} tickets have no signed payload, e.g. {missing[:3]}")
    return [IssuedTicket(ticket_id, number, code) for ticket_id, number, code in rows]


def open_gates(stack, tenant, trip_id: int, n: int) -> list[GateConsole]:
    """n staff members (role gate), each opening a gate for the trip at its first stop (seq 0, where
    the bookings board) on a device of their own, as `/staff/gate` does; each gate's console token
    signed with the server's secret."""
    from services import staff
    from services.audit import Actor
    from services.gate import gates, tokens

    consoles = []
    with stack.tenant(tenant):
        for i in range(n):
            name = STAFF_NAMES[i % len(STAFF_NAMES)]
            member = staff.create_staff(f"gate{i + 1}@bench.example", name, "gate", harness.CUSTOMER_PASSWORD,
                                        actor=rail_setup.ACTOR)
            device = str(uuid.uuid4())
            actor = Actor("staff", member.id, member.email, "127.0.0.1", harness.USER_AGENT)
            gate = gates.open_gate(gates.GateSetup(name=f"Gate {i + 1}", kind="trip", trip_id=trip_id, board_seq=0),
                                   member, actor)
            consoles.append(GateConsole(gate.id, gate.name, device,
                                        tokens.make(stack.app.secret_key, tenant.slug, gate.id)))
    return consoles


# --- scanning over HTTP --------------------------------------------------------------------------------

@dataclass
class Job:
    ticket: IssuedTicket
    kind: str  # first | race (first scan from two gates at once) | later (a rescan after the first answered)
    later: bool = False  # a first scan whose ticket is rescanned once it has answered
    exclude: int | None = None  # later: the gate that scanned it first (the rescan goes elsewhere)


class Tally:
    def __init__(self):
        self.latencies: list[float] = []
        self.answers: Counter = Counter()  # (result, reason)
        self.by_kind: dict[str, Counter] = defaultdict(Counter)  # job kind -> (result, reason)
        self.errors: Counter = Counter()
        self.admitted: Counter = Counter()  # ticket id -> admitted answers
        self.requests = 0
        self.races_split = 0  # races answered admitted + already_used, as they must be


async def scan_once(session, url: str, host: str, console: GateConsole, code: str, tally: Tally,
                    kind: str) -> dict | None:
    headers = {"Host": host, "User-Agent": harness.USER_AGENT, "X-Gate-Token": console.token,
               "Content-Type": "application/json"}
    body = json.dumps({"code": code, "device": console.device, "direction": "entry"})
    started = time.perf_counter()
    answer = None
    try:
        async with session.post(url, data=body, headers=headers) as response:
            raw = await response.read()
            if response.status != 200:
                tally.errors[f"HTTP {response.status}"] += 1
            else:
                try:
                    answer = json.loads(raw)
                except ValueError:
                    tally.errors["not JSON"] += 1
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        tally.errors[type(exc).__name__] += 1
    tally.latencies.append(time.perf_counter() - started)
    tally.requests += 1
    if answer is not None:
        key = (answer.get("result"), answer.get("reason"))
        tally.answers[key] += 1
        tally.by_kind[kind][key] += 1
    return answer


async def scan_all(session, stack, tenant, consoles: list[GateConsole], jobs: list[Job], concurrency: int,
                   tally: Tally) -> float:
    """Every job from `concurrency` loops (loop i at gate i mod gates); seconds taken."""
    url, host = stack.base_url + SCAN_PATH, stack.host(tenant)
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    total = len(jobs) + sum(job.later for job in jobs)
    done = 0
    rng = random.Random(7)

    def other_than(index: int) -> GateConsole:
        return consoles[(index + 1 + rng.randrange(len(consoles) - 1)) % len(consoles)] if len(consoles) > 1 \
            else consoles[index]

    async def loop(i: int):
        nonlocal done
        mine = i % len(consoles)
        while True:
            job = await queue.get()
            if job is None:
                return
            ticket = job.ticket
            if job.kind == "race":
                answers = await asyncio.gather(
                    scan_once(session, url, host, consoles[mine], ticket.code, tally, "race"),
                    scan_once(session, url, host, other_than(mine), ticket.code, tally, "race"))
                seen = sorted((a or {}).get("reason") or (a or {}).get("result") for a in answers)
                if seen == ["admitted", "already_used"]:
                    tally.races_split += 1
            else:
                console = consoles[mine] if job.exclude is None or job.exclude != mine else other_than(mine)
                answers = [await scan_once(session, url, host, console, ticket.code, tally, job.kind)]
                if job.later:
                    queue.put_nowait(Job(ticket, "later", exclude=mine))
            for answer in answers:
                if answer is not None and answer.get("result") == "admitted":
                    tally.admitted[ticket.ticket_id] += 1
            done += 1
            if done == total:
                for _ in range(concurrency):
                    queue.put_nowait(None)

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return time.perf_counter() - started


async def warm_up(session, stack, tenant, consoles, concurrency: int, seconds: float = 1.0) -> Tally:
    """Unknown ticket numbers (rejected, recorded): warm connections, pools and the gates' scopes."""
    url, host = stack.base_url + SCAN_PATH, stack.host(tenant)
    tally = Tally()
    stop_at = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def loop(i: int):
        while time.perf_counter() < stop_at:
            await scan_once(session, url, host, consoles[i % len(consoles)], f"WARM-{next(counter):06d}", tally,
                            "warm-up")

    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return tally


async def refused_token(session, stack, tenant, console: GateConsole, concurrency: int, seconds: float) -> dict:
    """The scan endpoint refusing a forged token (401 before any database work): the request
    machinery's floor for this endpoint, same client and concurrency."""
    url, host = stack.base_url + SCAN_PATH, stack.host(tenant)
    forged = GateConsole(console.gate_id, console.name, console.device, console.token[:-4] + "AAAA")
    tally = Tally()
    stop_at = time.perf_counter() + seconds

    async def loop():
        while time.perf_counter() < stop_at:
            await scan_once(session, url, host, forged, "WARM-0", tally, "forged")

    cpu = stack.server_cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    result = {"requests": tally.requests, "rps": tally.requests / elapsed,
              "p50_ms": percentile(tally.latencies, 50) * 1000, "p95_ms": percentile(tally.latencies, 95) * 1000,
              "answers": dict(tally.errors)}
    result["server_cpu_ms"] = ticket_bench._cpu_per_request(stack, cpu, result)
    return result


def plan(issued: list[IssuedTicket], rescan: float, seed: int = 12) -> list[Job]:
    """Every ticket once; a share of them again (half racing from two gates, half later)."""
    rng = random.Random(seed)
    order = issued[:]
    rng.shuffle(order)
    again = round(len(order) * rescan)
    races = again // 2
    jobs = [Job(t, "race") for t in order[:races]]
    jobs += [Job(t, "first", later=True) for t in order[races:again]]
    jobs += [Job(t, "first") for t in order[again:]]
    rng.shuffle(jobs)
    return jobs


async def over_http(stack, tenant, consoles, jobs, args) -> dict:
    host = stack.host(tenant)
    found: dict = {}
    async with harness.client_session() as session:
        await harness.trivial_throughput(session, stack.base_url, host, seconds=1, concurrency=args.concurrency)
        cpu = stack.server_cpu_seconds()
        trivial = await harness.trivial_throughput(session, stack.base_url, host, seconds=args.trivial_seconds,
                                                   concurrency=args.concurrency)
        trivial["server_cpu_ms"] = ticket_bench._cpu_per_request(stack, cpu, trivial)
        found["trivial"] = trivial
        found["refused"] = await refused_token(session, stack, tenant, consoles[0], args.concurrency,
                                               args.trivial_seconds)
        warm = await warm_up(session, stack, tenant, consoles, args.concurrency)
        found["warm_up"] = {"requests": warm.requests, "answers": _named(warm.answers), "errors": dict(warm.errors)}

        tally = Tally()
        lines = ticket_bench._server_log_lines(stack)
        before = _cpu_split(stack)
        sessions = harness.database_sessions(stack) if stack.server is not None else None
        seconds = await scan_all(session, stack, tenant, consoles, jobs, args.concurrency, tally)
        after = _cpu_split(stack)
        if sessions is not None:
            found["db_connections_opened"] = harness.database_sessions(stack) - sessions
        if lines is not None and tally.requests:
            found["log_lines_per_scan"] = round((ticket_bench._server_log_lines(stack) - lines) / tally.requests, 2)
    found["seconds"] = seconds
    found["tally"] = tally
    found["cpu"] = {k: round(after[k] - before[k], 1) if after[k] is not None and before[k] is not None else None
                    for k in before}
    return found


def _cpu_split(stack) -> dict:
    databases = harness.database_cpu_seconds()
    return {"machine": harness.machine_cpu_seconds(), "server": stack.server_cpu_seconds(),
            "bench": harness.process_cpu_seconds(os.getpid()), "postgres": databases["postgres"],
            "redis": databases["redis"]}


def _named(answers: Counter) -> dict:
    return {(result if reason is None else f"{result}/{reason}"): n for (result, reason), n in answers.most_common()}


# --- the database's account -----------------------------------------------------------------------------

def database_check(stack, tenant, issued: list[IssuedTicket], consoles) -> dict:
    from models import db

    ids = [t.ticket_id for t in issued]
    gate_ids = [c.gate_id for c in consoles]
    with stack.tenant(tenant):
        double = db.session.scalar(sa.text(
            "SELECT count(*) FROM (SELECT ticket_id FROM scans WHERE result = 'admitted' AND ticket_id = ANY(:ids) "
            "GROUP BY ticket_id HAVING count(*) > 1) twice"), {"ids": ids})
        statuses = dict(db.session.execute(sa.text(
            "SELECT status, count(*) FROM tickets WHERE id = ANY(:ids) GROUP BY status"), {"ids": ids}).all())
        scans = dict(db.session.execute(sa.text(
            "SELECT result || coalesce('/' || reason, ''), count(*) FROM scans WHERE ticket_id = ANY(:ids) "
            "GROUP BY 1 ORDER BY 2 DESC"), {"ids": ids}).all())
        admitted_once = db.session.scalar(sa.text(
            "SELECT count(DISTINCT ticket_id) FROM scans WHERE result = 'admitted' AND ticket_id = ANY(:ids)"),
            {"ids": ids})
        wrong_gate = db.session.scalar(sa.text(
            "SELECT count(*) FROM tickets t WHERE t.id = ANY(:ids) AND t.status = 'used' AND NOT EXISTS "
            "(SELECT 1 FROM scans s WHERE s.ticket_id = t.id AND s.result = 'admitted' "
            "AND s.gate_id = t.used_gate_id)"),
            {"ids": ids})
        per_gate = dict(db.session.execute(sa.text(
            "SELECT gate_id, count(*) FROM scans WHERE gate_id = ANY(:gates) AND ticket_id = ANY(:ids) "
            "GROUP BY gate_id"), {"gates": gate_ids, "ids": ids}).all())
        db.session.rollback()
    return {"double_admits": double, "ticket_statuses": statuses, "used": statuses.get("used", 0),
            "admitted_tickets": admitted_once, "scan_rows": sum(scans.values()), "scans": scans,
            "used_without_its_scan": wrong_gate, "rows_per_gate": {str(k): v for k, v in sorted(per_gate.items())}}


# --- profiling in process -------------------------------------------------------------------------------

LIBRARIES = (  # (label, path fragment), first match wins
    ("sqlalchemy", "/sqlalchemy/"), ("psycopg", "/psycopg"), ("flask/werkzeug", "/flask/"),
    ("flask/werkzeug", "/werkzeug/"), ("flask extensions", "/flask_"), ("babel", "/babel/"),
    ("jinja2/markupsafe", "/jinja2/"), ("jinja2/markupsafe", "/markupsafe/"), ("cryptography", "/cryptography/"),
    ("itsdangerous", "/itsdangerous/"), ("redis", "/redis/"), ("limits", "/limits/"),
    ("json", "/json/"), ("base45", "/base45"), ("logging", "/logging/"), ("other site-packages", "site-packages"),
)


def _where(path: str) -> str:
    if path.startswith("~") or path.startswith("<"):
        return "builtins (C: sockets, hashing, ...)"
    repo = str(harness.REPO) + "/"
    if path.startswith(repo) and "/.venv/" not in path:
        return "app: " + path[len(repo):].split("/", 1)[0]
    for label, fragment in LIBRARIES:
        if fragment in path:
            return label
    return "python stdlib"


def _request_path(app) -> list[tuple[str, object]]:
    """(label, function) of the steps of a scan request, for their cumulative time in a profile."""
    from flask import Flask

    from blueprints.gate import api, messages
    from services import transactions
    from services.gate import checkin

    steps = [("Flask.wsgi_app: all the server does (the rest is the test client)", Flask.wsgi_app),
             ("  create_url_adapter (site by host, URL map bound)", type(app).create_url_adapter),
             ("  Flask.preprocess_request (before_request hooks)", Flask.preprocess_request)]
    hooks = [(f"    before: {fn.__module__}.{fn.__name__}", fn) for fn in app.before_request_funcs.get(None, [])]
    steps += hooks + [("  the view: gate_api's wrapper (token read) + api_scan", api.api_scan),
                      ("    api_scan", api.api_scan.__wrapped__),
                      ("      checkin.scan", checkin.scan), ("        checkin._read (payload.verify)", checkin._read),
                      ("        checkin._admit (UPDATE ... RETURNING)", checkin._admit),
                      ("        checkin._why_not (SELECT, already used)", checkin._why_not),
                      ("        checkin._record (INSERT scan)", checkin._record),
                      ("        transactions.commit", transactions.commit),
                      ("      messages.as_json", messages.as_json),
                      ("  Flask.finalize_request (after_request hooks, response)", Flask.finalize_request),
                      ("  Flask.do_teardown_request (teardown hooks)", Flask.do_teardown_request),
                      ("  AppContext.pop (db sessions removed)", _app_context_pop())]
    return steps


def _app_context_pop():
    from flask.ctx import AppContext

    return AppContext.pop


def _code_key(fn) -> tuple[str, int, str] | None:
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    return (code.co_filename, code.co_firstlineno, code.co_name) if code is not None else None


def _profile_summary(stats: pstats.Stats, calls: int, top: int = 18, steps=()) -> dict:
    by_where: Counter = Counter()
    app_functions: Counter = Counter()
    all_functions: list = []
    for (path, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
        where = _where(path)
        by_where[where] += tottime
        short = f"{path.replace(str(harness.REPO) + '/', '')}:{line}({name})"
        all_functions.append((tottime, short))
        if where.startswith("app: "):
            app_functions[short] = cumtime
    total = sum(by_where.values()) or 1e-9
    path = []
    for label, fn in steps:
        key = _code_key(fn)
        found = stats.stats.get(key) if key else None
        if found is not None:
            path.append((label, round(found[3] / calls * 1000, 3), round(found[3] / total * 100, 1)))
    return {
        "request_path": path,
        "cpu_ms_per_scan": round(total / calls * 1000, 3),
        "by_library_pct": {k: round(v / total * 100, 1) for k, v in by_where.most_common()},
        "top_self_ms_per_scan": [(round(t / calls * 1000, 3), f) for t, f in sorted(all_functions, reverse=True)[:top]],
        "app_cumulative_ms_per_scan": [(round(t / calls * 1000, 3), f) for f, t in app_functions.most_common(top)],
    }


def profile_in_process(stack, tenant, console: GateConsole, issued: list[IssuedTicket]) -> dict:
    """The full request path in process (Flask's test client): the tickets admitted, then rescanned."""
    from flask import g

    from services.gate import checkin, gates, scope, tokens
    from services.tickets import keys, payload
    from blueprints.gate.messages import as_json

    app = stack.app
    statements = Counter()

    def count(*_args, **_kw):
        statements["now"] += 1

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    saved_cache = app.config["TENANT_CACHE_SECONDS"]
    app.config["TENANT_CACHE_SECONDS"] = 5  # as the server runs (the harness's in-process app reads anew)
    client = app.test_client()
    headers = {"Host": stack.host(tenant), "User-Agent": harness.USER_AGENT, "X-Gate-Token": console.token}
    found: dict = {}
    try:
        def request(code: str) -> dict:
            response = client.post(SCAN_PATH, json={"code": code, "device": console.device, "direction": "entry"},
                                   headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"in-process scan answered {response.status_code}: {response.get_data(True)[:300]}")
            return response.get_json()

        request("WARM-0")  # first request: imports, the scope, the keys, the tenant
        half = len(issued) // 2
        timed, profiled = issued[:half], issued[half:]  # the clocks without the profiler, then under it
        for phase, expect in (("admit", "admitted"), ("rescan", "already_used")):
            answers = Counter()
            statements.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            for ticket in timed:
                answer = request(ticket.code)
                answers[answer.get("reason") or answer.get("result")] += 1
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            sql = statements["now"]
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for ticket in profiled:
                answer = request(ticket.code)
                answers[answer.get("reason") or answer.get("result")] += 1
            profiler.disable()
            summary = _profile_summary(pstats.Stats(profiler), len(profiled), steps=_request_path(app))
            found[phase] = {"scans": len(issued), "answers": dict(answers), "expected": expect,
                            "wall_ms_per_scan": round(wall / len(timed) * 1000, 3),
                            "cpu_ms_per_scan": round(cpu / len(timed) * 1000, 3),
                            "sql_statements_per_scan": round(sql / len(timed), 2),
                            "profiled_cpu_ms_per_scan": summary.pop("cpu_ms_per_scan"), **summary}

        # The pieces alone, per call (no profiler).
        def per_call(fn, n: int = 2000) -> float:
            started = time.process_time()
            for _ in range(n):
                fn()
            return round((time.process_time() - started) / n * 1e6, 1)

        code = issued[0].code
        with stack.tenant(tenant):
            public = keys.cached_public_keys()
            claims = payload.verify(code, public, tenant.id)
            gate_scope = gates.scope_of(console.gate_id)
            now = checkin.utcnow()
            with app.test_request_context("/", headers={"Host": stack.host(tenant)}):
                g.tenant = tenant
                outcome = checkin.scan(console.gate_id, code, device=console.device)  # already used
                json_us = per_call(lambda: as_json(outcome), 500)
            pieces = {"payload.verify_us": per_call(lambda: payload.verify(code, public, tenant.id)),
                      "payload.read_us": per_call(lambda: payload.read(code)),
                      "tokens.read_us": per_call(lambda: tokens.read(app.secret_key, console.token, tenant.slug)),
                      "scope.check_us": per_call(lambda: scope.check(claims, gate_scope, now)),
                      "scope_of_cached_us": per_call(lambda: gates.scope_of(console.gate_id)),
                      "as_json_us": json_us}
            statements.clear()
            started = time.process_time()
            n_direct = min(200, len(issued))
            for ticket in issued[:n_direct]:
                checkin.scan(console.gate_id, ticket.code, device=console.device)
            pieces["checkin.scan_rescan_us"] = round((time.process_time() - started) / n_direct * 1e6, 1)
            pieces["checkin.scan_rescan_statements"] = round(statements["now"] / n_direct, 2)
            from models import db

            db.session.rollback()
        found["pieces"] = pieces
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
        app.config["TENANT_CACHE_SECONDS"] = saved_cache
    return found


# --- the run ----------------------------------------------------------------------------------------------

def run(stack, args) -> dict:
    app = stack.app
    figures: dict = {"tickets": args.tickets, "concurrency": args.concurrency, "rescan": args.rescan,
                     "gates": args.gates, "server_env": args.server_env}
    tenant = harness.with_gateways(stack, harness.rail_tenant(stack), ("sslcommerz",))
    sizes = booking_sizes(args.tickets)
    profile_sizes = booking_sizes(args.profile)
    set_up = time.perf_counter()
    with stack.tenant(tenant):
        trip = rail_setup.trip_with_seats(
            ticket_bench.coaches_needed(sizes + profile_sizes) * rail_setup.COACH_SEATS)
    customers = ticket_bench.customer_phones(
        stack, tenant, harness.customers(stack, tenant, len(sizes) + len(profile_sizes)))
    trip_seconds = time.perf_counter() - set_up
    parked = f"jatra-bench-{stack.run_id}-parked"
    saved = {k: app.config[k] for k in ("JOBS_INLINE", "JOBS_QUEUE")}
    try:
        # What a confirmation enqueues (messages, QR drawing, reminder) waits on a queue no worker serves.
        app.config.update(JOBS_INLINE=False, JOBS_QUEUE=parked)
        app.extensions["jatra.queues"] = {}
        print(f"issuing {args.tickets} tickets ({len(sizes)} confirmed bookings) "
              f"+ {args.profile} for profiling ...", file=sys.stderr, flush=True)
        bookings, booking_seconds = issue_tickets(stack, tenant, trip, customers, sizes + profile_sizes)
    finally:
        app.config.update(saved)
        app.extensions["jatra.queues"] = {}
        figures["rq_keys_deleted"] = ticket_bench.forget_rq(app.config["REDIS_URL"], {parked})
    issued = tickets_of(stack, tenant, bookings[:len(sizes)])
    for_profile = tickets_of(stack, tenant, bookings[len(sizes):]) if profile_sizes else []
    if len(issued) != args.tickets:
        raise RuntimeError(f"{len(issued)} tickets issued, not {args.tickets}")
    consoles = open_gates(stack, tenant, trip.trip_id, args.gates)
    figures["setup"] = {"trip_seats": trip.seats, "bookings": len(bookings), "seconds": round(
        time.perf_counter() - set_up, 1), "trip_and_customers_s": round(trip_seconds, 1),
        "bookings_s": round(booking_seconds, 1), "ms_per_booking": round(booking_seconds / len(bookings) * 1000, 1)}

    jobs = plan(issued, args.rescan)
    print(f"scanning: {len(jobs)} jobs from {args.concurrency} loops at {args.gates} gates ...", file=sys.stderr,
          flush=True)
    http = asyncio.run(over_http(stack, tenant, consoles, jobs, args))
    figures["http"] = http
    figures["db"] = database_check(stack, tenant, issued, consoles)
    figures["races"] = sum(job.kind == "race" for job in jobs)
    figures["later_rescans"] = sum(job.later for job in jobs)
    if for_profile:
        print(f"profiling {len(for_profile)} scans in process ...", file=sys.stderr, flush=True)
        figures["profile"] = profile_in_process(stack, tenant, consoles[0], for_profile)
    return figures


def report(f: dict, args) -> None:
    s, h = f["setup"], f["http"]
    t: Tally = h["tally"]
    db = f["db"]
    scans = t.requests
    seconds = h["seconds"]
    rescans = scans - f["tickets"]
    scans_per_s = scans / seconds if seconds else 0.0
    trivial = h["trivial"]
    ratio = round(scans_per_s / trivial["rps"], 3) if trivial["rps"] else None
    response_double = sum(1 for n in t.admitted.values() if n > 1)
    never_admitted = f["tickets"] - len(t.admitted)
    cpu = h["cpu"]
    server_ms = round(cpu["server"] / scans * 1000, 2) if cpu.get("server") is not None and scans else None
    admitted = t.answers.get(("admitted", None), 0)
    rejected = {reason: n for (result, reason), n in t.answers.items() if result == "rejected"}
    errors = sum(t.errors.values())

    print(f"gate: {f['tickets']} tickets on a trip of {s['trip_seats']} seats, {s['bookings']} confirmed bookings "
          f"made in {s['bookings_s']} s ({s['ms_per_booking']} ms each: hold_seats -> start_payment -> "
          f"confirm.settle -> issue.complete, in process); set-up {s['seconds']} s in all"
          + (f"; server environment {' '.join(f['server_env'])}" if f["server_env"] else ""))
    print(f"/healthz, {f['concurrency']} in flight: {trivial['rps']:.1f} req/s, p50 {trivial['p50_ms']:.1f} ms, "
          f"p95 {trivial['p95_ms']:.1f} ms, server CPU {trivial.get('server_cpu_ms')} ms/req, "
          f"errors {trivial['errors']}")
    r = h["refused"]
    print(f"the scan endpoint refusing a forged token (401, no database work), {f['concurrency']} in flight: "
          f"{r['rps']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, server CPU "
          f"{r.get('server_cpu_ms')} ms/req, answers {r['answers']}")
    print(f"warm-up: {h['warm_up']['requests']} scans of unknown numbers {h['warm_up']['answers']} "
          f"errors {h['warm_up']['errors'] or 0}")
    print(f"scans: {scans} in {seconds:.2f} s = {scans_per_s:.1f} scans/s ({f['tickets']} first scans + {rescans} "
          f"rescans: {f['races']} races from two gates at once, {f['later_rescans']} later from another gate; "
          f"{f['concurrency']} loops over {f['gates']} gates)")
    print(f"   latency p50 {percentile(t.latencies, 50) * 1000:.1f} ms  p95 {percentile(t.latencies, 95) * 1000:.1f} ms"
          f"  p99 {percentile(t.latencies, 99) * 1000:.1f} ms  max {max(t.latencies) * 1000:.1f} ms;"
          f"  ratio_vs_trivial {ratio}")
    print(f"   answers: {_named(t.answers)}; errors: {dict(t.errors) or 0}")
    for kind in ("first", "race", "later"):
        if t.by_kind.get(kind):
            print(f"      {kind:<6} {_named(t.by_kind[kind])}")
    print(f"   races answered one admitted + one already_used: {t.races_split} of {f['races']}")
    print(f"   double_admits: {response_double} from the answers, {db['double_admits']} in the database; "
          f"tickets never admitted (answers): {never_admitted}")
    print(f"   database: tickets {db['ticket_statuses']} (used {db['used']} of {f['tickets']}), distinct tickets "
          f"with an admitted scan {db['admitted_tickets']}, scan rows {db['scan_rows']} of {scans} requests "
          f"{db['scans']}, used without its admitted scan at used_gate_id {db['used_without_its_scan']}, rows per "
          f"gate {db['rows_per_gate']}")
    if server_ms is not None:
        rest = cpu["machine"] - cpu["server"] - cpu["bench"] - cpu["postgres"] - cpu["redis"]
        print(f"   server CPU {server_ms} ms per scan (trivial: {trivial.get('server_cpu_ms')} ms); machine "
              f"{cpu['machine']} CPU-s busy of {round(2 * seconds, 1) if os.cpu_count() == 2 else '?'} = server "
              f"{cpu['server']} + bench client {cpu['bench']} + PostgreSQL {cpu['postgres']} "
              f"(~{round(cpu['postgres'] / scans * 1000, 2)} ms/scan) + Redis {cpu['redis']} + rest {round(rest, 1)}; "
              f"database connections opened {h.get('db_connections_opened')}, log lines per scan "
              f"{h.get('log_lines_per_scan')}")
    if "profile" in f:
        p = f["profile"]
        for phase in ("admit", "rescan"):
            r = p[phase]
            print(f"profile, in process through the full request path ({r['scans']} scans, {phase}: {r['answers']}):"
                  f" {r['cpu_ms_per_scan']} ms CPU per scan (under cProfile: {r['profiled_cpu_ms_per_scan']}), "
                  f"{r['wall_ms_per_scan']} ms wall, {r['sql_statements_per_scan']} SQL statements per scan")
            print("   CPU by library: " + ", ".join(f"{k} {v}%" for k, v in r["by_library_pct"].items() if v >= 0.5))
            print("   the request's steps, cumulative CPU under cProfile (ms per scan, % of the profiled total):")
            for label, ms, pct in r["request_path"]:
                print(f"      {ms:>7.3f}  {pct:>5.1f}%  {label}")
            print("   the app's functions, cumulative ms per scan:")
            for ms, name in r["app_cumulative_ms_per_scan"][:14]:
                print(f"      {ms:>7.3f}  {name}")
            print("   top functions by own time, ms per scan:")
            for ms, name in r["top_self_ms_per_scan"][:14]:
                print(f"      {ms:>7.3f}  {name}")
        print(f"   pieces alone: {p['pieces']}")

    last = {"scans_per_s": round(scans_per_s, 1), "p50_ms": round(percentile(t.latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(t.latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(t.latencies, 99) * 1000, 1),
            "double_admits": max(response_double, db["double_admits"]),
            "double_admits_answers": response_double, "double_admits_db": db["double_admits"],
            "scans": scans, "tickets": f["tickets"], "rescans": rescans, "races": f["races"],
            "races_split": t.races_split, "admitted": admitted, "rejected_by_reason": rejected,
            "used": db["used"], "used_ok": db["used"] == f["tickets"], "scan_rows": db["scan_rows"],
            "never_admitted": never_admitted, "errors": errors, "errors_by_kind": dict(t.errors),
            "trivial_rps": round(trivial["rps"], 1), "ratio_vs_trivial": ratio,
            "trivial_server_cpu_ms": trivial.get("server_cpu_ms"), "refused_token_rps": round(h["refused"]["rps"], 1),
            "refused_token_server_cpu_ms": h["refused"].get("server_cpu_ms"),
            "server_cpu_ms_per_scan": server_ms, "concurrency": f["concurrency"], "gates": f["gates"],
            "server_env": f["server_env"],
            "db_connections_opened": h.get("db_connections_opened"),
            "setup_bookings_s": s["bookings_s"]}
    if "profile" in f:
        last["profile_cpu_ms_per_scan"] = f["profile"]["admit"]["cpu_ms_per_scan"]
    print(json.dumps(last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000, help="signed tickets issued and scanned")
    parser.add_argument("--concurrency", type=int, default=64, help="scan requests in flight at once")
    parser.add_argument("--rescan", type=float, default=0.2,
                        help="share of tickets scanned a second time (half racing at two gates, half later)")
    parser.add_argument("--gates", type=int, default=4, help="gates opened, one device and token each")
    parser.add_argument("--trivial-seconds", type=float, default=5)
    parser.add_argument("--profile", type=int, default=0,
                        help="N more tickets scanned in process under cProfile after the run (0: none)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="more environment for the bench's gunicorn, e.g. TENANT_DB_POOL_SIZE=32 (repeatable)")
    parser.add_argument("--target", help="a running server (its configuration in this environment)")
    args = parser.parse_args()
    if args.tickets < 1 or args.concurrency < 1 or args.gates < 1 or args.profile < 0:
        parser.error("--tickets, --concurrency and --gates must be at least 1, --profile at least 0")
    if not 0 <= args.rescan <= 1:
        parser.error("--rescan is a share: 0 to 1")
    if args.rescan and args.gates < 2:
        parser.error("rescans go to another gate: --gates 2 at least")
    server_env = dict(item.split("=", 1) for item in args.server_env if "=" in item)
    if len(server_env) != len(args.server_env) or (server_env and args.target):
        parser.error("--server-env NAME=VALUE, and only for the bench's own server (not with --target)")
    with harness.stack(args.target, server_env=server_env, simulator=True) as stack:
        figures = run(stack, args)
    report(figures, args)


if __name__ == "__main__":
    main()
