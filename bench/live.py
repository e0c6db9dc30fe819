"""Live seat maps for many viewers of one trip (issue 9, acceptance 4): server-sent events against
conditional polling, on the production stack.

    .venv/bin/python bench/live.py [--viewers 200] [--changes 20] [--interval 0.5] [--via-holds] [--target URL]

1. SSE: `--viewers` clients open /live/trips/<id> at once; then `--changes` seat changes are made
   (published in process on the server's Redis, as the inventory service does after its commit, or
   with --via-holds by real customers holding seats over HTTP) and each change's delivery is timed
   until every viewer has it. Meanwhile /healthz is asked from 4 loops: the rest of the site must stay
   responsive while the streams are open.
2. Polling: as many clients ask /live/trips/<id>/version every second with If-None-Match (ETag
   "v<n>", 304 while nothing changed); the same changes; delivery is timed until every poller saw it.

Prints the figures; the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402

import harness  # noqa: E402
import rail_setup  # noqa: E402
from harness import percentile  # noqa: E402

HEALTH_LOOPS = 4


def _stats(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    return {"p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "max_ms": round(max(ms), 1) if ms else None}


class Changes:
    """Makes the seat changes (in process or by real holds) and remembers when each was made."""

    def __init__(self, stack, tenant, trip, via_holds: bool):
        self.stack, self.tenant, self.trip, self.via_holds = stack, tenant, trip, via_holds
        self.seat_ids = [s for seats in trip.coaches.values() for s in seats]
        self.coach_of = {s: c for c, seats in trip.coaches.items() for s in seats}
        self.made_at: dict[int, float] = {}  # seat id -> when the change was started
        self.version_of: dict[int, int] = {}  # seat id -> the channel's version once it was made
        self.buyers = harness.customers(stack, tenant, 2 * len(self.seat_ids)) if via_holds else []
        self.next = 0
        self.channel = f"trip:{trip.trip_id}"

    def _publish(self, seat: int) -> int:
        from services import live

        with self.stack.tenant(self.tenant):
            live.publish(self.channel, [{"seat": seat, "board": 0, "alight": self.trip.stops - 1, "state": "held",
                                         "tag": "bench"}])
            return live.version(self.channel)

    def _version(self) -> int:
        from services import live

        with self.stack.tenant(self.tenant):
            return live.version(self.channel)

    async def make_one(self, session: aiohttp.ClientSession) -> int:
        seat = self.seat_ids[self.next % len(self.seat_ids)]
        buyer = self.buyers[self.next] if self.via_holds else None
        self.next += 1
        loop = asyncio.get_running_loop()
        self.made_at[seat] = time.perf_counter()
        if buyer is None:
            self.version_of[seat] = await loop.run_in_executor(None, self._publish, seat)
        else:
            url = f"{self.stack.base_url}/trips/{self.trip.trip_id}/hold"
            form = {"seat": str(seat), "board": "0", "alight": str(self.trip.stops - 1),
                    "coach": str(self.coach_of[seat]), "csrf_token": buyer.csrf}
            headers = buyer.headers(self.stack.host(self.tenant), **{"HX-Request": "true",
                                                                      "HX-Request-Type": "partial"})
            async with session.post(url, data=form, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"the hold for seat {seat} answered {response.status}")
            self.version_of[seat] = await loop.run_in_executor(None, self._version)
        return seat


async def _health_during(session, stack, host, stop: asyncio.Event) -> dict:
    latencies, errors = [], 0

    async def loop():
        nonlocal errors
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with session.get(f"{stack.base_url}/healthz", headers={"Host": host}) as response:
                    await response.read()
                    errors += response.status != 200
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(loop() for _ in range(HEALTH_LOOPS)))
    return {"requests": len(latencies), **_stats(latencies), "errors": errors}


async def _make_changes(session, changes: Changes, count: int, interval: float) -> list[int]:
    made = []
    for _ in range(count):
        made.append(await changes.make_one(session))
        await asyncio.sleep(interval)
    await asyncio.sleep(2.0)  # stragglers
    return made


async def sse_phase(stack, tenant, trip, changes: Changes, viewers: int, count: int, interval: float) -> dict:
    host = stack.host(tenant)
    url = f"{stack.base_url}/live/trips/{trip.trip_id}"
    arrivals: list[dict[int, float]] = [dict() for _ in range(viewers)]
    connected = [asyncio.Event() for _ in range(viewers)]
    failures: list[str] = []

    async def viewer(i: int, session):
        try:
            async with session.get(url, headers={"Host": host, "Accept": "text/event-stream"}) as response:
                if response.status != 200:
                    failures.append(f"status {response.status}")
                    connected[i].set()
                    return
                event = None
                while True:
                    line = await response.content.readline()
                    if not line:
                        return
                    text = line.decode().rstrip("\n")
                    if text.startswith("event: "):
                        event = text[7:]
                    elif text.startswith("data: "):
                        if event == "version":
                            connected[i].set()
                        elif event == "seats":
                            now = time.perf_counter()
                            for change in json.loads(text[6:])["changes"]:
                                arrivals[i].setdefault(change["seat"], now)
                    elif not text:
                        event = None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failures.append(type(exc).__name__)
            connected[i].set()

    stream_timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=stream_timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as streams, harness.client_session() as other:
        opened = time.perf_counter()
        tasks = [asyncio.create_task(viewer(i, streams)) for i in range(viewers)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected)), 60)
        open_s = time.perf_counter() - opened
        stop = asyncio.Event()
        health = asyncio.create_task(_health_during(other, stack, host, stop))
        seats = await _make_changes(other, changes, count, interval)
        stop.set()
        health_figures = await health
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    per_change, per_delivery, missing = [], [], 0
    for seat in seats:
        got = [a[seat] - changes.made_at[seat] for a in arrivals if seat in a]
        missing += viewers - len(got)
        per_delivery += got
        if len(got) == viewers:
            per_change.append(max(got))
    return {"viewers": viewers, "connect_all_s": round(open_s, 2), "stream_failures": len(failures),
            "changes": len(seats), "missed_deliveries": missing,
            "all_viewers": _stats(per_change), "per_delivery": _stats(per_delivery),
            "healthz_meanwhile": health_figures}


async def polling_phase(stack, tenant, trip, changes: Changes, pollers: int, count: int, interval: float,
                        every: float = 1.0) -> dict:
    host = stack.host(tenant)
    url = f"{stack.base_url}/live/trips/{trip.trip_id}/version"
    seen: list[list[tuple[float, int]]] = [[] for _ in range(pollers)]  # (when, version) on each 200
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    stop = asyncio.Event()

    async def poller(i: int, session):
        etag = None
        await asyncio.sleep(random.random() * every)
        while not stop.is_set():
            headers = {"Host": host, **({"If-None-Match": etag} if etag else {})}
            started = time.perf_counter()
            try:
                async with session.get(url, headers=headers) as response:
                    body = await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                    if response.status == 200:
                        etag = response.headers.get("ETag")
                        seen[i].append((time.perf_counter(), json.loads(body)["v"]))
            except aiohttp.ClientError:
                statuses[0] = statuses.get(0, 0) + 1
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(every)

    async with harness.client_session() as session:
        tasks = [asyncio.create_task(poller(i, session)) for i in range(pollers)]
        await asyncio.sleep(every + 0.5)  # every poller has its first answer
        started = time.perf_counter()
        requests_before = len(latencies)
        health_stop = asyncio.Event()
        health = asyncio.create_task(_health_during(session, stack, host, health_stop))
        seats = await _make_changes(session, changes, count, interval)
        elapsed = time.perf_counter() - started
        requests = len(latencies) - requests_before
        health_stop.set()
        stop.set()
        health_figures = await health
        await asyncio.gather(*tasks)

    per_change, per_delivery, missing = [], [], 0
    for seat in seats:
        version, made = changes.version_of[seat], changes.made_at[seat]
        got = []
        for answers in seen:
            first = next((when for when, v in answers if v >= version), None)
            if first is not None:
                got.append(first - made)
        missing += pollers - len(got)
        per_delivery += got
        if len(got) == pollers:
            per_change.append(max(got))
    total = sum(statuses.values())
    return {"pollers": pollers, "every_s": every, "changes": len(seats), "missed_deliveries": missing,
            "requests_per_s": round(requests / elapsed, 1), "share_304": round(statuses.get(304, 0) / total, 3),
            "statuses": statuses, "request": _stats(latencies), "all_pollers": _stats(per_change),
            "per_delivery": _stats(per_delivery), "healthz_meanwhile": health_figures}


async def measure(stack, tenant, trip, args) -> dict:
    host = stack.host(tenant)
    async with harness.client_session() as session:
        idle = await harness.hammer(session, f"{stack.base_url}/healthz", {"Host": host}, seconds=3,
                                    concurrency=HEALTH_LOOPS)
    changes = Changes(stack, tenant, trip, args.via_holds)
    cpu = stack.server_cpu_seconds()
    sse = await sse_phase(stack, tenant, trip, changes, args.viewers, args.changes, args.interval)
    cpu_sse = stack.server_cpu_seconds()
    polling = await polling_phase(stack, tenant, trip, changes, args.viewers, args.changes, args.interval)
    cpu_poll = stack.server_cpu_seconds()
    if cpu is not None:
        sse["server_cpu_s"] = round(cpu_sse - cpu, 2)
        polling["server_cpu_s"] = round(cpu_poll - cpu_sse, 2)
    return {"healthz_idle": {k: round(v, 1) if isinstance(v, float) else v for k, v in idle.items()},
            "sse": sse, "polling": polling}


def report(figures: dict, args) -> None:
    sse, poll, idle = figures["sse"], figures["polling"], figures["healthz_idle"]
    how = "real holds over HTTP" if args.via_holds else "publish in process (after-commit path)"
    print(f"live seat map, one trip, {sse['viewers']} viewers, {sse['changes']} changes every {args.interval} s, "
          f"changes by {how}")
    print(f"  /healthz idle ({HEALTH_LOOPS} loops):        p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms, "
          f"{idle['rps']} req/s")
    print(f"  SSE: {sse['viewers']} streams open in {sse['connect_all_s']} s, failures {sse['stream_failures']}, "
          f"missed deliveries {sse['missed_deliveries']}")
    a, d, h = sse["all_viewers"], sse["per_delivery"], sse["healthz_meanwhile"]
    print(f"    until every viewer had it: p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms, max {a['max_ms']} ms")
    print(f"    per delivery:              p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, max {d['max_ms']} ms")
    print(f"    /healthz meanwhile:        p50 {h['p50_ms']} ms, p95 {h['p95_ms']} ms, errors {h['errors']}"
          + (f"; server CPU {sse['server_cpu_s']} s" if "server_cpu_s" in sse else ""))
    a, d, h = poll["all_pollers"], poll["per_delivery"], poll["healthz_meanwhile"]
    print(f"  polling every {poll['every_s']} s with If-None-Match: {poll['requests_per_s']} req/s, "
          f"{poll['share_304'] * 100:.1f}% 304, request p95 {poll['request']['p95_ms']} ms, "
          f"missed deliveries {poll['missed_deliveries']}")
    print(f"    until every poller had it: p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms, max {a['max_ms']} ms")
    print(f"    per delivery:              p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, max {d['max_ms']} ms")
    print(f"    /healthz meanwhile:        p50 {h['p50_ms']} ms, p95 {h['p95_ms']} ms, errors {h['errors']}"
          + (f"; server CPU {poll['server_cpu_s']} s" if "server_cpu_s" in poll else ""))
    kept = "sse" if (sse["all_viewers"]["p95_ms"] or 1e9) <= (poll["all_pollers"]["p95_ms"] or 1e9) else "polling"
    print(json.dumps({"viewers": sse["viewers"], "sse_p95_ms": sse["all_viewers"]["p95_ms"],
                      "sse_max_ms": sse["all_viewers"]["max_ms"], "sse_missed": sse["missed_deliveries"],
                      "poll_p95_ms": poll["all_pollers"]["p95_ms"], "poll_rps": poll["requests_per_s"],
                      "poll_304_share": poll["share_304"], "healthz_idle_p95_ms": idle["p95_ms"],
                      "healthz_sse_p95_ms": sse["healthz_meanwhile"]["p95_ms"],
                      "healthz_poll_p95_ms": poll["healthz_meanwhile"]["p95_ms"],
                      "server_cpu_s": {"sse": sse.get("server_cpu_s"), "polling": poll.get("server_cpu_s")},
                      "kept": kept}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between changes")
    parser.add_argument("--via-holds", action="store_true", help="make the changes by holding seats over HTTP")
    parser.add_argument("--target", help="a running server (its configuration in this environment)")
    args = parser.parse_args()
    with harness.stack(args.target) as stack:
        tenant = harness.rail_tenant(stack)
        with stack.tenant(tenant):
            trip = rail_setup.trip_with_seats(max(60, 2 * args.changes))
        figures = asyncio.run(measure(stack, tenant, trip, args))
    report(figures, args)


if __name__ == "__main__":
    main()
