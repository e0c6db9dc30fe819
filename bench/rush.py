"""The Eid rush (issue 9, acceptance 5): N buyers race over HTTP for the seats of one trip.

    .venv/bin/python bench/rush.py [--buyers 2000] [--seats 500] [--concurrency 32] [--target URL]
                                   [--purchase [--gateways sslcommerz,bkash]]

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

With --purchase (issue 10, acceptance 7) the bench also runs the gateway simulator (a process of
its own, started before gunicorn) and points the tenant's gateways at it; after the rush every
buyer who got a hold buys it, as a browser does (--concurrency buyers at once): GET the checkout
page, POST it (passenger details per seat, a gateway: --gateways in turn), follow its answer (a
303, or a page that moves on by itself: meta refresh) to the simulator's page, press Pay there, go
back to the app as the gateway sends the browser (SSLCommerz: the auto-submitted form of signed
fields, a cross-site POST that carries no session cookie; bKash: a 302 to the return URL), follow
the 303 to the booking page and find it confirmed (polling it every 2 s, as the page does, while
it says the payment is being confirmed). Each purchase is timed from the checkout GET to the
confirmed page; the server's CPU (gunicorn master and workers, from /proc) over the purchase phase
is divided by the completed purchases. From the simulator and the database: paid_unbooked, the
payments the simulator took whose booking is neither confirmed nor refunded (must be 0), and
bookings confirmed. --step-cpu N: the first N holders buy one at a time before that, the server's
CPU read around each request, for what each step costs.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from html import unescape  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from urllib.parse import urljoin, urlsplit  # noqa: E402

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


META_REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)
CHECKOUT_LINK = re.compile(r'href="(/checkout/[^"]+)"')
PASSENGER_NAME = re.compile(r"^name-(\d+)$")
CONFIRMED = "Confirmed — your tickets"
WAITING_POLL_S = 2.0  # the booking page polls its status block this often while a payment is confirmed
WAITING_POLLS = 15
PURCHASE_STEPS = ("checkout_get", "checkout_post", "gateway_page", "gateway_pay", "return", "booking")


def free_seats(html: str) -> list[int]:
    return [int(seat) for seat, rest in SEAT_INPUT.findall(html) if "disabled" not in rest]


class Forms(HTMLParser):
    """The forms of a page: action, and the fields a browser would send (text inputs and hidden ones
    with their values, the options of radios and selects)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                               "fields": {}, "options": {}, "classes": (a.get("class") or "").split()})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            form = self.forms[-1]
            if a.get("type") in ("radio", "checkbox"):
                form["options"].setdefault(a["name"], []).append(a.get("value") or "on")
                if "checked" in a:
                    form["fields"][a["name"]] = a.get("value") or "on"
            else:
                form["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select:
            self.forms[-1]["options"].setdefault(self._select, []).append(a.get("value") or "")
        elif tag == "textarea" and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


class PurchaseFailed(Exception):
    def __init__(self, kind: str, sample: str = ""):
        super().__init__(kind)
        self.kind, self.sample = kind, sample


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
        self.checkout_path: str | None = None  # the hold's "Continue to payment" link
        self.purchase: str | None = None  # confirmed | a failure kind (--purchase)


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
                found = CHECKOUT_LINK.search(html)
                buyer.checkout_path = found.group(1) if found else None
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


class Purchases:
    """Buyers with a hold go through checkout, the simulator's page and back to a confirmed booking."""

    def __init__(self, stack, tenant, gateways: list[str], concurrency: int):
        self.stack, self.gateways, self.concurrency = stack, gateways, concurrency
        self.site = stack.site(tenant)  # with the port: the callback URLs the simulator uses are built from it
        self.app_netlocs = {self.site.lower(), urlsplit(stack.base_url).netloc.lower()}
        self.latencies: list[float] = []  # checkout GET to the confirmed booking page, completed purchases
        self.steps: dict[str, list[float]] = {step: [] for step in PURCHASE_STEPS}
        self.outcomes: Counter = Counter()
        self.by_gateway: Counter = Counter()
        self.samples: dict[str, str] = {}
        self.paid_seen: list[dict] = []  # what the simulator's answers to Pay said was taken
        self.waiting_polls = 0
        self.turn = 0
        self.cpu_probe = None  # set for the one-at-a-time profile: the server's CPU read around each request
        self.step_cpu: dict[str, list[float]] = {step: [] for step in PURCHASE_STEPS}

    def _url(self, url: str) -> tuple[str, dict]:
        """Where to connect, and the Host header: the app's own pages (relative, or on the tenant's
        host) go to the server with the tenant's host, anything else (the simulator) as it is."""
        parts = urlsplit(url)
        if not parts.netloc:
            return self.stack.base_url + url, {"Host": self.site}
        if parts.netloc.lower() in self.app_netlocs or (parts.hostname or "").endswith(".localhost"):
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            return self.stack.base_url + path, {"Host": parts.netloc}
        return url, {}

    async def _call(self, session, step: str, method: str, url: str, *, cookie: str | None, data=None,
                    extra: dict | None = None) -> tuple[int, str, str]:
        target, headers = self._url(url)
        headers = {"User-Agent": harness.USER_AGENT, **headers, **(extra or {})}
        if cookie:
            headers["Cookie"] = cookie
        cpu_before = self.cpu_probe() if self.cpu_probe else None
        started = time.perf_counter()
        try:
            async with session.request(method, target, data=data, headers=headers, allow_redirects=False) as response:
                body = await response.text()
                status, location = response.status, response.headers.get("Location", "")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise PurchaseFailed(f"{step}_network", type(exc).__name__) from None
        self.steps[step].append(time.perf_counter() - started)
        if cpu_before is not None:
            self.step_cpu[step].append(self.cpu_probe() - cpu_before)
        return status, location, body

    def _choose_gateway(self, offered: list[str]) -> str | None:
        wanted = [g for g in self.gateways if g in offered]
        if not wanted:
            return None
        self.turn += 1
        return wanted[self.turn % len(wanted)]

    async def buy(self, session, buyer: Buyer) -> None:
        try:
            started = time.perf_counter()
            gateway = await self._buy(session, buyer)
        except PurchaseFailed as failed:
            buyer.purchase = failed.kind
            self.outcomes[failed.kind] += 1
            self.samples.setdefault(failed.kind, failed.sample[:300])
            return
        self.latencies.append(time.perf_counter() - started)
        buyer.purchase = "confirmed"
        self.outcomes["confirmed"] += 1
        self.by_gateway[gateway] += 1

    async def _buy(self, session, buyer: Buyer) -> str:
        cookie = buyer.account.cookie
        # 1. The checkout page, as the buyer's browser loads it after "Continue to payment".
        status, _, html = await self._call(session, "checkout_get", "GET", buyer.checkout_path, cookie=cookie)
        if status != 200:
            raise PurchaseFailed(f"checkout_get_{status}", html)
        form = next((f for f in Forms(html).forms if "checkout-form" in f["classes"]), None)
        if form is None:
            raise PurchaseFailed("checkout_no_form", html)
        gateway = self._choose_gateway(form["options"].get("gateway", []))
        if gateway is None:
            raise PurchaseFailed("checkout_no_gateway", str(form["options"]))
        # 2. Passenger details per held seat, the contact (prefilled from the account), the gateway.
        fields = dict(form["fields"])
        seats = [int(m.group(1)) for name in fields if (m := PASSENGER_NAME.match(name))]
        for i, seat in enumerate(seats):
            fields.update({f"name-{seat}": f"Passenger {buyer.account.customer_id}-{i}",
                           f"age-{seat}": str(18 + (seat + i) % 60),
                           f"gender-{seat}": ("female", "male", "other")[(seat + i) % 3], f"saved-{seat}": ""})
        fields["contact_name"] = fields.get("contact_name") or f"Buyer {buyer.account.customer_id}"
        fields["contact_phone"] = fields.get("contact_phone") or f"+88017{buyer.account.customer_id:08d}"
        fields["gateway"] = gateway
        status, location, html = await self._call(session, "checkout_post", "POST", form["action"] or
                                                  buyer.checkout_path, cookie=cookie, data=fields)
        if status == 200 and (found := META_REFRESH.search(html)):
            location = unescape(found.group(1))  # a page that moves on by itself (form-action 'self')
        elif status != 303 or not location:
            raise PurchaseFailed(f"checkout_post_{status}", html)
        # 3. The gateway's page (another site: none of the app's cookies).
        page_url = location
        status, _, html = await self._call(session, "gateway_page", "GET", page_url, cookie=None)
        if status != 200:
            raise PurchaseFailed(f"gateway_page_{status}", html)
        pay = next((f for f in Forms(html).forms if f["fields"].get("outcome") == "pay"), None)
        if pay is None:
            raise PurchaseFailed("gateway_page_no_pay", html)
        # 4. Pay. The simulator notifies the app (IPN) and awaits its answer before sending the browser back.
        status, location, html = await self._call(session, "gateway_pay", "POST", urljoin(page_url, pay["action"]),
                                                  cookie=None, data={"outcome": "pay"})
        # 5. Back to the app as the gateway sends the browser.
        if status in (302, 303) and location:  # bKash: a redirect to the return URL (a top-level GET: Lax cookies go)
            self.paid_seen.append({"gateway": gateway, "ref": location})
            status, location, html = await self._call(session, "return", "GET", urljoin(page_url, location),
                                                      cookie=cookie)
        elif status == 200:  # SSLCommerz: the auto-submitted form of signed fields, a cross-site POST: no cookie
            back = next((f for f in Forms(html).forms if f["method"] == "post" and f["fields"].get("tran_id")), None)
            if back is None:
                raise PurchaseFailed("gateway_pay_no_return_form", html)
            self.paid_seen.append({"gateway": gateway, "tran_id": back["fields"]["tran_id"],
                                   "status": back["fields"].get("status")})
            status, location, html = await self._call(session, "return", "POST", urljoin(page_url, back["action"]),
                                                      cookie=None, data=back["fields"])
        else:
            raise PurchaseFailed(f"gateway_pay_{status}", html)
        if status != 303 or "/bookings/" not in location:
            raise PurchaseFailed(f"return_{status}", html)
        # 6. The booking page: confirmed, or polled as the page polls itself while the payment is confirmed.
        booking_url = location
        for poll in range(WAITING_POLLS + 1):
            extra = {"HX-Request": "true"} if poll else None
            status, _, html = await self._call(session, "booking", "GET", booking_url, cookie=cookie, extra=extra)
            if status != 200:
                raise PurchaseFailed(f"booking_{status}", html)
            if CONFIRMED in html:
                return gateway
            if poll < WAITING_POLLS:
                self.waiting_polls += 1
                await asyncio.sleep(WAITING_POLL_S)
        raise PurchaseFailed("booking_not_confirmed", html)


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
        held = rail_setup.seats_held(trip.trip_id)
    purchase = await buy_holds(stack, tenant, trip, buyers, args) if args.purchase else None
    with stack.tenant(tenant):
        oversold = rail_setup.oversold(trip.trip_id)
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
    if purchase is not None:
        figures["purchase"] = purchase
    return figures


async def buy_holds(stack, tenant, trip, buyers: list[Buyer], args) -> dict:
    """Every buyer with a hold buys it (--concurrency at once); then the closing checks."""
    holders = [b for b in buyers if b.outcome == "held" and b.checkout_path]
    all_holders = len(holders)
    profile = None
    if args.step_cpu and stack.server is not None:
        # The first few buy one at a time, the server's CPU read around each of their requests: what
        # each step costs the server (the simulator's notification included in the Pay step's).
        profiled, holders = holders[:args.step_cpu], holders[args.step_cpu:]
        alone = Purchases(stack, tenant, args.gateways, 1)
        alone.cpu_probe = stack.server_cpu_seconds
        async with harness.client_session() as session:
            for buyer in profiled:
                await alone.buy(session, buyer)
        profile = {"purchases": alone.outcomes["confirmed"], "outcomes": dict(alone.outcomes),
                   "server_cpu_ms": {step: {"n": len(v), "mean": round(sum(v) / len(v) * 1000, 1) if v else None}
                                     for step, v in alone.step_cpu.items()},
                   "wall_ms": {step: round(sum(v) / len(v) * 1000, 1) if v else None
                               for step, v in alone.steps.items()}}
        profile["server_cpu_ms_per_purchase"] = round(sum(sum(v) for v in alone.step_cpu.values()) * 1000
                                                      / max(profile["purchases"], 1), 1)
    purchases = Purchases(stack, tenant, args.gateways, args.concurrency)
    pool = Rush(stack, tenant, trip, [], args.concurrency, args.seed)
    sessions = harness.database_sessions(stack) if stack.server is not None else None
    others = _other_cpu(stack)
    cpu_before = stack.server_cpu_seconds()
    seconds = await pool.run_pool(purchases.buy, holders)
    cpu_after = stack.server_cpu_seconds()
    others = {k: round(v - others[k], 1) for k, v in _other_cpu(stack).items()}
    await asyncio.sleep(1.5)  # PostgreSQL's statistics arrive within a second or so
    if sessions is not None:
        sessions = harness.database_sessions(stack) - sessions
    done = purchases.outcomes["confirmed"]
    simulator = harness.simulator_payments(stack)
    if simulator is not None:
        paid = [p for p in simulator if p["paid"]]
        source = "simulator"
    else:  # the simulator is not the bench's: what its answers to Pay said (SSLCommerz's carry our tran_id)
        paid = [{"gateway": p["gateway"], "tran_id": p["tran_id"], "paid_amount": None, "refunded": "0"}
                for p in purchases.paid_seen if p.get("tran_id") and p.get("status") == "VALID"]
        source = "client"
    with stack.tenant(tenant):
        state = rail_setup.purchases(trip.trip_id)
        unbooked = rail_setup.paid_unbooked(paid)
    figures = {
        "holders": all_holders, "timed_buyers": len(holders), "purchases": done, "purchase_s": round(seconds, 2),
        "purchases_per_s": round(done / seconds, 2) if seconds else None,
        "p50_purchase_ms": round(percentile(purchases.latencies, 50) * 1000, 1) if purchases.latencies else None,
        "p95_purchase_ms": round(percentile(purchases.latencies, 95) * 1000, 1) if purchases.latencies else None,
        "steps": {step: {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                         "p95_ms": round(percentile(v, 95) * 1000, 1), "total_s": round(sum(v), 1)}
                  for step, v in purchases.steps.items()},
        "outcomes": dict(purchases.outcomes), "by_gateway": dict(purchases.by_gateway),
        "samples": purchases.samples, "waiting_polls": purchases.waiting_polls,
        "paid_by_simulator": len(paid), "paid_source": source, "paid_check": unbooked,
        "paid_unbooked": unbooked["unbooked"], "bookings": state["bookings"], "payments": state["payments"],
        "bookings_confirmed": state["bookings"].get("confirmed", 0), "seats_sold": state["seats_sold"],
        "step_cpu": profile,
        "db_connections_opened": sessions,  # by the server (and this bench's checks) over the phase
    }
    if cpu_before is not None:
        others["server"] = round(cpu_after - cpu_before, 1)
        others["rest"] = round(others["machine"] - sum(others[k] for k in ("server", "simulator", "bench_client",
                                                                            "postgres", "redis")), 1)
        figures["machine_cpu_s"] = others  # where the machine's CPU went over the phase
        cpu = cpu_after - cpu_before
        figures["server_cpu_s"] = round(cpu, 2)
        figures["cpu_s_per_purchase"] = round(cpu / done, 4) if done else None
        # what the server had for the phase: 2 cores x the phase's wall time, shared with the rest
        figures["server_cpu_share"] = round(cpu / (seconds * (os.cpu_count() or 1)), 2) if seconds else None
    return figures


def _other_cpu(stack) -> dict:
    """CPU-seconds so far of the whole machine, the simulator (when the bench's), this process, and
    the PostgreSQL and Redis servers (shared: other runs using them meanwhile count too)."""
    return {"machine": harness.machine_cpu_seconds(),
            "simulator": harness.process_cpu_seconds(stack.simulator.pid) if stack.simulator else 0.0,
            "bench_client": harness.process_cpu_seconds(os.getpid()), **harness.database_cpu_seconds()}


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
    last = ({k: f[k] for k in ("holds_per_s", "hold_requests_per_s", "p50_ms", "p95_ms", "p99_ms", "oversold",
                               "errors", "errors_by_kind", "ratio_vs_trivial", "buyers", "seats", "concurrency")}
            | {"seats_held": f["seats_held"]["distinct_seats"], "trivial_rps": f["trivial"]["rps"]})
    p = f.get("purchase")
    if p is not None:
        report_purchases(p)
        last |= {k: p.get(k) for k in ("purchases_per_s", "p50_purchase_ms", "p95_purchase_ms", "cpu_s_per_purchase",
                                       "paid_unbooked", "purchases", "holders", "timed_buyers", "bookings_confirmed",
                                       "paid_by_simulator", "seats_sold")}
        last["purchase_errors"] = {k: v for k, v in p["outcomes"].items() if k != "confirmed"}
    print(json.dumps(last))


def report_purchases(p: dict) -> None:
    first = p["holders"] - p["timed_buyers"]
    print(f"purchases: {p['holders']} buyers with a hold" + (f" ({first} bought one at a time first: --step-cpu)"
                                                            if first else "") +
          f"; {p['purchases']} of {p['timed_buyers']} confirmed in {p['purchase_s']} s = "
          f"{p['purchases_per_s']} purchases/s (by gateway {p['by_gateway']})")
    print(f"  purchase latency, checkout page to confirmed booking: p50 {p['p50_purchase_ms']} ms, "
          f"p95 {p['p95_purchase_ms']} ms; booking page polls while waiting: {p['waiting_polls']}")
    if "cpu_s_per_purchase" in p:
        print(f"  server CPU (gunicorn master + workers): {p['server_cpu_s']} s = {p['cpu_s_per_purchase']} s per "
              f"purchase; {round(p['server_cpu_share'] * 100)}% of the machine's cores over the phase")
        m = p["machine_cpu_s"]
        cores_s = round(p["purchase_s"] * (os.cpu_count() or 1), 1)
        print(f"  the machine's CPU over the phase: {m['machine']} s busy of {cores_s} = server {m['server']} + "
              f"simulator {m['simulator']} + bench client {m['bench_client']} + PostgreSQL {m['postgres']} + "
              f"Redis {m['redis']} + the rest {m['rest']} (the machine's other work; PostgreSQL and Redis are "
              f"shared with it too)")
    if p.get("db_connections_opened") is not None:
        print(f"  database connections opened over the phase: {p['db_connections_opened']} "
              f"({round(p['db_connections_opened'] / max(p['purchases'], 1), 1)} per purchase)")
    for step, t in p["steps"].items():
        print(f"    {step:<14} {t['n']:>5} requests  p50 {t['p50_ms']:>7} ms  p95 {t['p95_ms']:>7} ms  "
              f"(sum {t['total_s']} s)")
    print(f"  outcomes: {p['outcomes']}")
    for kind, sample in p["samples"].items():
        print(f"    {kind}: {sample[:200]!r}")
    c = p["paid_check"]
    print(f"  paid at the simulator ({p['paid_source']}): {c['paid']}; booking confirmed {c['confirmed']}, "
          f"refunded {c['refunded']}; PAID_UNBOOKED {p['paid_unbooked']} {c['unbooked_samples'] or ''}")
    print(f"  database: bookings {p['bookings']}, payments {p['payments']}, seats sold {p['seats_sold']}")
    q = p.get("step_cpu")
    if q:
        print(f"  one at a time, before the timed phase ({q['purchases']} purchases, {q['outcomes']}): server CPU "
              f"{q['server_cpu_ms_per_purchase']} ms per purchase; per step, server CPU mean / wall mean:")
        for step, t in q["server_cpu_ms"].items():
            print(f"    {step:<14} {t['mean']} ms / {q['wall_ms'][step]} ms  ({t['n']} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at once")
    parser.add_argument("--trivial-seconds", type=float, default=5)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--target", help="a running server (its configuration in this environment)")
    parser.add_argument("--purchase", action="store_true",
                        help="then every buyer with a hold buys it: checkout, the gateway simulator, confirmed booking")
    parser.add_argument("--step-cpu", type=int, default=0, metavar="N",
                        help="with --purchase: first N holders buy one at a time, the server's CPU read per request "
                             "(they are left out of the timed phase)")
    parser.add_argument("--gateways", default="sslcommerz",
                        help="with --purchase: the gateways buyers use in turn, comma-separated (sslcommerz,bkash)")
    args = parser.parse_args()
    if args.buyers < 1 or args.seats < 1 or args.concurrency < 1:
        parser.error("--buyers, --seats and --concurrency must be at least 1")
    args.gateways = [g.strip() for g in args.gateways.split(",") if g.strip()]
    if not args.gateways or set(args.gateways) - {"sslcommerz", "bkash"}:
        parser.error("--gateways: sslcommerz and/or bkash")
    with harness.stack(args.target, simulator=args.purchase) as stack:
        tenant = harness.rail_tenant(stack)
        if args.purchase:
            tenant = harness.with_gateways(stack, tenant, tuple(dict.fromkeys(args.gateways)))
        with stack.tenant(tenant):
            trip = rail_setup.trip_with_seats(args.seats)
        accounts = harness.customers(stack, tenant, args.buyers)
        figures = asyncio.run(measure(stack, tenant, trip, accounts, args))
    report(figures)


if __name__ == "__main__":
    main()
