"""The Eid rush (issue 9, acceptance 5): N buyers race over HTTP for the seats of one trip.

    .venv/bin/python bench/rush.py [--buyers 2000] [--seats 500] [--concurrency 32] [--target URL]

On the production stack (gunicorn, PostgreSQL, Redis; bench/harness.py), a trip of --seats seats
(coaches of 60, the last one shorter) and --buyers real customers, each logged in on a session of
its own, with a verified phone. Then:
1. 8 a.m.: every buyer opens the seat map (the whole page) of a coach for the stretch it travels:
   60% the full length, 40% a partial stretch.
2. Everyone presses Hold at once (--concurrency requests in flight), for 1-4 seats that were free on
   the map they opened, as htmx posts it. "Taken" (409) answers name the seats: half
   the buyers then look at the map again and try seats free on it (or on another coach), up to twice.
3. From the database: seats held, and oversold, the pairs of claims of one seat whose stretches
   overlap (must be 0).
Hold throughput is compared with /healthz's, measured before the rush with the same client and
concurrency on the same server. Prints the figures; the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402

import harness  # noqa: E402
import rail_setup  # noqa: E402
from harness import percentile  # noqa: E402

SEAT_INPUT = re.compile(r'<input type="checkbox" name="seat" value="(\d+)"([^>]*)>')
SEAT_COUNTS = [1, 2, 3, 4]
SEAT_COUNT_WEIGHTS = [30, 35, 15, 20]
PARTIAL_SHARE = 0.4
RETRY_SHARE = 0.5
RETRIES = 2


def free_seats(html: str) -> list[int]:
    return [int(seat) for seat, rest in SEAT_INPUT.findall(html) if "disabled" not in rest]


class Buyer:
    def __init__(self, account: harness.Buyer, trip: rail_setup.BenchTrip, rng: random.Random):
        self.account = account
        self.coach = rng.choices(list(trip.coaches), weights=[len(s) for s in trip.coaches.values()])[0]
        last = trip.stops - 1
        if rng.random() < PARTIAL_SHARE:
            self.board = rng.randrange(0, last)
            self.alight = rng.randrange(self.board + 1, last + 1)
            if (self.board, self.alight) == (0, last):
                self.alight -= 1
        else:
            self.board, self.alight = 0, last
        self.wants = rng.choices(SEAT_COUNTS, weights=SEAT_COUNT_WEIGHTS)[0]
        self.retries = RETRIES if rng.random() < RETRY_SHARE else 0
        self.map_html = ""
        self.outcome = None  # held | taken | sold_out | an error kind


class Rush:
    def __init__(self, stack, tenant, trip, buyers: list[Buyer], concurrency: int, seed: int):
        self.stack, self.tenant, self.trip, self.buyers = stack, tenant, trip, buyers
        self.host = stack.host(tenant)
        self.concurrency = concurrency
        self.rng = random.Random(seed + 1)
        self.map_latencies: list[float] = []
        self.hold_latencies: list[float] = []
        self.held_latencies: list[float] = []
        self.answers: Counter = Counter()  # every hold answer by kind
        self.errors: Counter = Counter()  # answers that are neither a hold nor "taken"
        self.error_samples: dict[str, str] = {}

    def _map_url(self, buyer: Buyer, coach: int) -> str:
        return (f"{self.stack.base_url}/trips/{self.trip.trip_id}/seats?board={buyer.board}&alight={buyer.alight}"
                f"&coach={coach}")

    async def open_map(self, session, buyer: Buyer, coach: int | None = None, partial: bool = False) -> bool:
        started = time.perf_counter()
        extra = {"HX-Request": "true", "HX-Request-Type": "partial"} if partial else {}
        try:
            async with session.get(self._map_url(buyer, coach or buyer.coach),
                                   headers=buyer.account.headers(self.host, **extra)) as response:
                html = await response.text()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self._error("map_network", type(exc).__name__)
            return False
        self.map_latencies.append(time.perf_counter() - started)
        if status != 200:
            self._error(f"map_{status}", html[:300])
            return False
        if coach:
            buyer.coach = coach
        buyer.map_html = html
        return True

    def _error(self, kind: str, sample: str) -> None:
        self.errors[kind] += 1
        self.error_samples.setdefault(kind, sample)

    def _choose(self, buyer: Buyer) -> list[int]:
        free = free_seats(buyer.map_html)
        if not free:
            return []
        start = self.rng.randrange(len(free))
        return free[start:start + buyer.wants] or free[:buyer.wants]  # neighbours, as people choose

    async def hold(self, session, buyer: Buyer) -> None:
        attempts = 1 + buyer.retries
        while attempts:
            attempts -= 1
            seats = self._choose(buyer)
            if not seats:
                other = [c for c in self.trip.coaches if c != buyer.coach]
                if not attempts or not other or not await self.open_map(session, buyer, self.rng.choice(other)):
                    buyer.outcome = "sold_out"
                    return
                seats = self._choose(buyer)
                if not seats:
                    buyer.outcome = "sold_out"
                    return
            form = [("csrf_token", buyer.account.csrf), ("board", str(buyer.board)), ("alight", str(buyer.alight)),
                    ("coach", str(buyer.coach))] + [("seat", str(s)) for s in seats]
            headers = buyer.account.headers(self.host, **{"HX-Request": "true", "HX-Request-Type": "partial"})
            started = time.perf_counter()
            try:
                async with session.post(f"{self.stack.base_url}/trips/{self.trip.trip_id}/hold", data=form,
                                        headers=headers, allow_redirects=False) as response:
                    html = await response.text()
                    status, location = response.status, response.headers.get("HX-Location")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self.hold_latencies.append(time.perf_counter() - started)
                self.answers["network"] += 1
                self._error("network", type(exc).__name__)
                buyer.outcome = "network"
                return
            elapsed = time.perf_counter() - started
            self.hold_latencies.append(elapsed)
            kind = self._kind(status, location, html)
            self.answers[kind] += 1
            if kind == "held":
                self.held_latencies.append(elapsed)
                buyer.outcome = "held"
                return
            if kind != "taken":
                self._error(kind, html[:300])
                buyer.outcome = kind
                return
            buyer.outcome = "taken"
            # The 409 names the seats and redraws only them; the buyer looks at the map again (live
            # updates keep it current in a browser) and chooses from what is free now.
            if attempts and not await self.open_map(session, buyer, partial=True):
                return

    @staticmethod
    def _kind(status: int, location: str | None, html: str) -> str:
        if status == 200 and location:
            return "sent_to_login"  # the session was not accepted
        if status == 200:
            return "held"
        if status == 409:
            return "taken"
        if status == 422:
            return "limit" if "at most" in html else "refused_422"
        return {403: "phone_unverified", 429: "rate_limited"}.get(status, "server_error" if status >= 500
                                                                   else f"status_{status}")

    async def run_pool(self, work, items) -> float:
        queue: asyncio.Queue = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)

        async def worker(session):
            while not queue.empty():
                await work(session, queue.get_nowait())

        started = time.perf_counter()
        async with harness.client_session() as session:
            await asyncio.gather(*(worker(session) for _ in range(self.concurrency)))
        return time.perf_counter() - started


async def measure(stack, tenant, trip, accounts, args) -> dict:
    rng = random.Random(args.seed)
    buyers = [Buyer(a, trip, rng) for a in accounts]
    rush = Rush(stack, tenant, trip, buyers, args.concurrency, args.seed)
    async with harness.client_session() as session:
        await harness.trivial_throughput(session, stack.base_url, stack.host(tenant), seconds=1,
                                         concurrency=args.concurrency)  # warm-up: connections, caches
        trivial = await harness.trivial_throughput(session, stack.base_url, stack.host(tenant),
                                                   seconds=args.trivial_seconds, concurrency=args.concurrency)
    map_s = await rush.run_pool(lambda s, b: rush.open_map(s, b), buyers)
    cpu_before = stack.server_cpu_seconds()
    hold_s = await rush.run_pool(rush.hold, [b for b in buyers if b.map_html])
    cpu_after = stack.server_cpu_seconds()
    with stack.tenant(tenant):
        oversold = rail_setup.oversold(trip.trip_id)
        held = rail_setup.seats_held(trip.trip_id)
    requests = len(rush.hold_latencies)
    held_count = rush.answers["held"]
    figures = {
        "buyers": len(buyers), "seats": trip.seats, "stops": trip.stops, "concurrency": args.concurrency,
        "trivial": {k: round(v, 1) if isinstance(v, float) else v for k, v in trivial.items()},
        "map_s": round(map_s, 2), "map_p95_ms": round(percentile(rush.map_latencies, 95) * 1000, 1),
        "hold_s": round(hold_s, 2), "hold_requests": requests,
        "hold_requests_per_s": round(requests / hold_s, 1), "holds_per_s": round(held_count / hold_s, 1),
        "p50_ms": round(percentile(rush.hold_latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(rush.hold_latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(rush.hold_latencies, 99) * 1000, 1),
        "held_p95_ms": round(percentile(rush.held_latencies, 95) * 1000, 1),
        "answers": dict(rush.answers), "outcomes": dict(Counter(b.outcome for b in buyers)),
        "seats_held": held, "oversold": oversold, "errors": sum(rush.errors.values()),
        "errors_by_kind": dict(rush.errors), "error_samples": rush.error_samples,
        "ratio_vs_trivial": round((requests / hold_s) / trivial["rps"], 3) if trivial["rps"] else None,
    }
    if cpu_before is not None:
        figures["server_cpu_ms_per_hold_request"] = round((cpu_after - cpu_before) / max(requests, 1) * 1000, 2)
    return figures


def report(f: dict) -> None:
    print(f"rush: {f['buyers']} buyers, one trip of {f['seats']} seats and {f['stops']} stops, "
          f"{f['concurrency']} requests in flight")
    t = f["trivial"]
    print(f"  /healthz (same client, same server):  {t['rps']} req/s, p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms")
    print(f"  seat maps opened: {f['buyers']} in {f['map_s']} s, p95 {f['map_p95_ms']} ms")
    print(f"  hold requests: {f['hold_requests']} in {f['hold_s']} s = {f['hold_requests_per_s']} req/s; "
          f"{f['answers'].get('held', 0)} held = {f['holds_per_s']} holds/s")
    print(f"  hold latency: p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, p99 {f['p99_ms']} ms "
          f"(successful holds p95 {f['held_p95_ms']} ms)")
    if "server_cpu_ms_per_hold_request" in f:
        print(f"  server CPU per hold request: {f['server_cpu_ms_per_hold_request']} ms")
    print(f"  answers: {f['answers']}; buyers ended: {f['outcomes']}")
    s = f["seats_held"]
    print(f"  seats held (database): {s['claims']} claims on {s['distinct_seats']} seats, "
          f"{s['seat_stretches']} seat-stretches of {f['seats'] * (f['stops'] - 1)}")
    print(f"  OVERSOLD (overlapping claims of one seat): {f['oversold']}")
    print(f"  errors (other than taken): {f['errors']} {f['errors_by_kind'] or ''}")
    for kind, sample in f["error_samples"].items():
        print(f"    {kind}: {sample[:200]!r}")
    print(f"  ratio of hold throughput to /healthz throughput: {f['ratio_vs_trivial']}")
    print(json.dumps({k: f[k] for k in ("holds_per_s", "hold_requests_per_s", "p50_ms", "p95_ms", "p99_ms", "oversold",
                                        "errors", "errors_by_kind", "ratio_vs_trivial", "buyers", "seats",
                                        "concurrency")}
                     | {"seats_held": f["seats_held"]["distinct_seats"], "trivial_rps": f["trivial"]["rps"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at once")
    parser.add_argument("--trivial-seconds", type=float, default=5)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--target", help="a running server (its configuration in this environment)")
    args = parser.parse_args()
    if args.buyers < 1 or args.seats < 1 or args.concurrency < 1:
        parser.error("--buyers, --seats and --concurrency must be at least 1")
    with harness.stack(args.target) as stack:
        tenant = harness.rail_tenant(stack)
        with stack.tenant(tenant):
            trip = rail_setup.trip_with_seats(args.seats)
        accounts = harness.customers(stack, tenant, args.buyers)
        figures = asyncio.run(measure(stack, tenant, trip, accounts, args))
    report(figures)


if __name__ == "__main__":
    main()
