"""Tickets and the messages that carry them: signing, the pages that show them, the workers that send them.

    .venv/bin/python bench/tickets.py [--iterations 5000] [--qr-draws 200] [--concurrency 32] [--seconds 6]
                                      [--messages 20] [--message-tickets 2] [--language en] [--target URL]

On the production stack (gunicorn, PostgreSQL, Redis; bench/harness.py) with the gateway simulator,
a rail tenant and a trip three days ahead. Confirmed bookings are made in process through the app's
services, one customer each: `hold_seats` -> `start_payment` (SSLCommerz, whose session the
simulator opens) -> `confirm.settle` with a 'paid' Verification the bench writes (nobody pays at the
simulator; the confirming transaction is the real one: seats sold, tickets signed, messages
written to the outbox) -> `issue.complete` (the QR codes drawn, as `jobs.tickets.complete` does).
Meanwhile the jobs a confirmation enqueues wait on a queue no worker serves (and are deleted at
the end). Then:

1. In process: microseconds per `payload.sign` and `payload.verify` (--iterations each, the
   tenant's own key, a real ticket's claims), the payload's length, its QR version and error
   level (`qr.make`), milliseconds per QR drawing (`qr.svg`, --qr-draws times), and for context
   the PDF and calendar file rendered in process.
2. Over HTTP, --concurrency clients for --seconds each (after 1 s of warm-up with 4): `/healthz`,
   the tickets page of a 4-ticket booking (QR codes drawn), its `tickets.pdf` (A4) and
   `calendar.ics`: requests/s, p50/p95, the server's CPU (gunicorn master and workers, /proc) and
   its log lines per request, and requests/s as a ratio to /healthz's in the same run.
3. The tenant's email goes to an aiosmtpd server on 127.0.0.1 (tests/support/mail.py) and its SMS
   to the stand-in SSL Wireless (tests/support/sms_provider.py), both in this process. For
   --messages confirmation messages (half emails with the tickets' PDF attached, half SMS, of
   --messages / 2 bookings of --message-tickets tickets), one `jobs.notify.deliver` job each is
   enqueued (`outbox.enqueue`, as after a confirmation) on a queue of the bench's own, served by
   1 and then by 2 `rq worker --with-scheduler` processes started as in production. Printed:
   messages/s, the workers' CPU-seconds per message (the worker processes with their live
   descendants and the work horses they reaped, from /proc), the job's wall time per channel,
   and whether every message arrived exactly once (Message-ID and csms_id against the outbox rows,
   each email's PDF with its pages). Also the CPU a new process spends importing the jobs and
   creating the app, which every work horse does before its job (rq forks one per job).

The last line is one JSON object. Everything is removed at the end: the databases and the
prefixed Redis keys by the harness, the RQ keys of the bench's queues (queues, registries, jobs,
workers) here.
"""
from __future__ import annotations

import argparse
import asyncio
import email
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email import policy
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402

import harness  # noqa: E402
import rail_setup  # noqa: E402
from harness import percentile  # noqa: E402

PAGE_TICKETS = 4
NAMES = ("Rahima Khatun", "Nasrin Akter", "Mita Das", "Karim Uddin", "Abdul Hamid", "Sharmin Sultana",
         "Tanvir Ahmed", "Farhana Yasmin")
GENDERS = ("female", "female", "female", "male", "male", "female", "male", "female")
SMS_TOKEN, SMS_SID = "bench-t0ken", "JATRA"
MAIL_FROM = "Bench Railway <tickets@bench.example>"


# --- bookings ---------------------------------------------------------------------------------------

def seat_chunks(trip: rail_setup.BenchTrip, sizes: list[int]) -> list[list[int]]:
    """Seats for each booking, neighbours within one coach."""
    coaches = [list(seats) for seats in trip.coaches.values()]
    chunks = []
    for size in sizes:
        coach = next(c for c in coaches if len(c) >= size)
        chunks.append(coach[:size])
        del coach[:size]
    return chunks


def coaches_needed(sizes: list[int]) -> int:
    coaches: list[int] = []
    for size in sizes:
        for i, free in enumerate(coaches):
            if free >= size:
                coaches[i] -= size
                break
        else:
            coaches.append(rail_setup.COACH_SEATS - size)
    return len(coaches)


def confirmed_booking(stack, tenant, trip: rail_setup.BenchTrip, seat_ids: list[int], customer: tuple[int, str],
                      language: str, number: int) -> dict:
    """One customer's booking of these seats, confirmed through the app's services (tenant bound)."""
    from gateways.base import Verification
    from models import db
    from models.bookings import Booking, Payment
    from services.checkout import confirm
    from services.checkout.start import CallbackUrls, CheckoutDetails, Client, Passenger, start_payment
    from services.inventory import Owner
    from services.inventory import rail as rail_inventory
    from services.tickets import issue

    customer_id, phone = customer
    owner = Owner(customer_id=customer_id)
    hold = rail_inventory.hold_seats(trip.trip_id, seat_ids, board_seq=0, alight_seq=trip.stops - 1, owner=owner)
    passengers = {seat: Passenger(NAMES[(number + i) % len(NAMES)], 24 + (number + 7 * i) % 50,
                                  GENDERS[(number + i) % len(GENDERS)]) for i, seat in enumerate(seat_ids)}
    details = CheckoutDetails(NAMES[number % len(NAMES)], phone, f"buyer{customer_id}@bench.example", language,
                              passengers)
    site = f"http://{stack.site(tenant)}/payments/sslcommerz"
    started = start_payment(hold.token, owner, details, "sslcommerz", CallbackUrls(f"{site}/return", f"{site}/ipn"),
                            Client("127.0.0.1", harness.USER_AGENT))
    payment = db.session.get(Payment, started.payment.id)
    paid = Verification(outcome="paid", tran_id=payment.tran_id, amount=payment.amount, currency=payment.currency,
                        gateway_txn=f"BENCH{payment.id:08d}", reason="", raw={"bench": "paid"},
                        gateway_ref=payment.gateway_ref)
    outcome = confirm.settle(payment.id, paid)
    if outcome != "confirmed":
        raise RuntimeError(f"booking {started.booking.id}: settle said {outcome!r}")
    booking_id = started.booking.id
    issue.complete(booking_id)  # what jobs.tickets.complete does after the commit
    booking = db.session.get(Booking, booking_id)
    made = {"id": booking_id, "token": booking.token, "reference": booking.reference, "tickets": len(seat_ids)}
    db.session.rollback()
    return made


def make_bookings(stack, tenant, trip, customers, sizes: list[int], language: str) -> list[dict]:
    with stack.tenant(tenant):
        return [confirmed_booking(stack, tenant, trip, seats, customer, language, n)
                for n, (seats, customer) in enumerate(zip(seat_chunks(trip, sizes), customers, strict=True))]


def customer_phones(stack, tenant, accounts: list[harness.Buyer]) -> list[tuple[int, str]]:
    from models import db
    from models.people import User

    ids = [a.customer_id for a in accounts]
    with stack.tenant(tenant):
        phones = dict(db.session.execute(sa.select(User.id, User.phone).where(User.id.in_(ids))).all())
    return [(i, phones[i]) for i in ids]


def with_messages(stack, tenant, smtp_port: int, sms_url: str):
    """The tenant's email through the local SMTP server (plain, as a relay on the host) and its SMS
    through the stand-in SSL Wireless; returns the fresh info."""
    from services import tenants
    from services.notify import channels

    with stack.app.app_context():
        settings = {"email": channels.seal_email(tenant.slug, host="127.0.0.1", port=smtp_port, security="none",
                                                 sender=MAIL_FROM),
                    "sms": channels.seal_sms(tenant.slug, provider="sslwireless", url=sms_url, sid=SMS_SID,
                                             credentials={"api_token": SMS_TOKEN})}
        return tenants.update_config(tenant.slug, message_channels=settings)


# --- 1. in process ----------------------------------------------------------------------------------

def in_process(stack, tenant, booking: dict, args) -> dict:
    from models import db
    from models.bookings import Ticket
    from services.tickets import calendar, keys, payload, pdf, qr

    with stack.tenant(tenant):
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.booking_id == booking["id"]).order_by(Ticket.id)
                                   .limit(1))
        text, number, stored_svg = ticket.qr_payload, ticket.number, ticket.qr_svg
        key = keys.signing_key()
        private, public = keys.private_key(key), keys.public_keys()
        db.session.rollback()
        claims, data, _signature = payload.read(text)
        if payload.sign(claims, private) != text:  # Ed25519 is deterministic: the same claims, the same payload
            raise RuntimeError("signing the stored ticket's claims again gave another payload")

        def per_call(fn, n: int) -> float:
            started = time.perf_counter()
            for _ in range(n):
                fn()
            return (time.perf_counter() - started) / n

        sign_s = per_call(lambda: payload.sign(claims, private), args.iterations)
        verify_s = per_call(lambda: payload.verify(text, public, tenant.id), args.iterations)
        code = qr.make(text)
        draw_s = per_call(lambda: qr.svg(text, title=number), args.qr_draws)
        from flask_babel import force_locale

        from models.bookings import Booking
        from services.tickets import details

        def drawn(layout: str) -> bytes:  # the PDF drawn anew (what the first request, or the email job, pays)
            booking_row = db.session.get(Booking, booking["id"])
            with force_locale(booking_row.language):
                return pdf.render(details.of(booking_row, booking_row.language), layout)

        drawn("a4")  # warm (fonts, templates)
        pdf_s = per_call(lambda: drawn("a4"), 3)
        phone_s = per_call(lambda: drawn("phone"), 3)
        pdf.tickets_pdf(booking["id"], "a4")
        kept_s = per_call(lambda: pdf.tickets_pdf(booking["id"], "a4"), 30)  # kept in Redis after the first
        ics_s = per_call(lambda: calendar.booking_ics(booking["id"]), 30)
        db.session.rollback()
    return {"iterations": args.iterations, "sign_us": round(sign_s * 1e6, 1), "verify_us": round(verify_s * 1e6, 1),
            "pdf_kept_ms": round(kept_s * 1e3, 2),
            "payload_chars": len(text), "signed_bytes": len(data), "signature_bytes": payload.SIGNATURE_BYTES,
            "qr_version": code.version, "qr_error": code.error, "qr_designation": code.designator,
            "qr_modules": code.symbol_size(border=0)[0], "qr_draws": args.qr_draws, "qr_svg_ms": round(draw_s * 1e3, 2),
            "svg_bytes": len(stored_svg or ""), "pdf_a4_ms": round(pdf_s * 1e3, 1),
            "pdf_phone_ms": round(phone_s * 1e3, 1),
            "ics_ms": round(ics_s * 1e3, 2), "tickets_in_pdf": booking["tickets"]}


# --- 2. over HTTP -----------------------------------------------------------------------------------

async def over_http(stack, tenant, booking: dict, args) -> dict:
    host = stack.host(tenant)
    headers = {"Host": host, "User-Agent": harness.USER_AGENT}
    token = booking["token"]
    endpoints = [("tickets page", f"/bookings/{token}/tickets"),
                 ("tickets.pdf a4", f"/bookings/{token}/tickets.pdf?layout=a4"),
                 ("calendar.ics", f"/bookings/{token}/calendar.ics")]
    found = {}
    async with harness.client_session() as session:
        await harness.trivial_throughput(session, stack.base_url, host, seconds=1, concurrency=args.concurrency)
        cpu = stack.server_cpu_seconds()
        trivial = await harness.trivial_throughput(session, stack.base_url, host, seconds=args.trivial_seconds,
                                                   concurrency=args.concurrency)
        trivial["server_cpu_ms"] = _cpu_per_request(stack, cpu, trivial)
        found["/healthz"] = trivial
        for name, path in endpoints:
            url = stack.base_url + path
            async with session.get(url, headers=headers) as response:
                body = await response.read()
                check = {"status": response.status, "type": response.content_type, "bytes": len(body),
                         "looks_right": _looks_right(name, body, booking["tickets"])}
            # warm-up, a few in flight: a PDF takes half a second of CPU, 32 of them would queue for 10 s
            await harness.hammer(session, url, headers, seconds=1, concurrency=min(4, args.concurrency))
            lines = _server_log_lines(stack)
            cpu = stack.server_cpu_seconds()
            result = await harness.hammer(session, url, headers, seconds=args.seconds, concurrency=args.concurrency)
            result["server_cpu_ms"] = _cpu_per_request(stack, cpu, result)
            if lines is not None and result["requests"]:
                result["log_lines_per_request"] = round((_server_log_lines(stack) - lines) / result["requests"], 1)
            result["ratio_vs_trivial"] = round(result["rps"] / trivial["rps"], 3) if trivial["rps"] else None
            found[name] = {**result, **check}
    return found


def _server_log_lines(stack) -> int | None:
    """Lines gunicorn's log (the harness's, errors and app logging) has so far; None for --target."""
    if stack.server is None:
        return None
    with open(Path(stack.app.config["INSTANCE_DIR"]) / "gunicorn.log", "rb") as log:
        return sum(1 for _ in log)


def _cpu_per_request(stack, before: float | None, result: dict) -> float | None:
    after = stack.server_cpu_seconds()
    if before is None or after is None or not result["requests"]:
        return None
    return round((after - before) / result["requests"] * 1000, 2)


def _looks_right(name: str, body: bytes, tickets: int) -> str:
    """What the answer holds: QR codes on the page, pages in the PDF, an event in the calendar file."""
    if name == "tickets page":
        codes = body.count(b'class="qr"')
        return f"{codes} QR codes" + ("" if codes == tickets else f" (expected {tickets})")
    if name.startswith("tickets.pdf"):
        if not body.startswith(b"%PDF"):
            return "not a PDF"
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(body)).pages)
        return f"{pages} pages" + ("" if pages == tickets else f" (expected {tickets})")
    return "VEVENT" if b"BEGIN:VEVENT" in body and body.startswith(b"BEGIN:VCALENDAR") else "not a calendar"


# --- 3. messages through real workers ---------------------------------------------------------------

class Workers:
    """`rq worker --with-scheduler` processes as production runs them (Makefile, README), each in a
    session of its own, on the bench's queue, with the server's configuration."""

    def __init__(self, stack, queue: str, log_dir: Path):
        config = stack.app.config
        self.queue, self.log_dir = queue, log_dir
        self.env = {**os.environ, "JATRA_ENV": "production", "JOBS_INLINE": "false", "JOBS_QUEUE": queue,
                    "TENANT_CACHE_SECONDS": "5"}
        for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "PLATFORM_DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX",
                     "PLATFORM_DOMAIN", "PORT", "PUBLIC_PORT", "INSTANCE_DIR", "GATEWAY_SIMULATOR_URL"):
            if config.get(name) not in (None, ""):
                self.env[name] = str(config[name])
        self.redis_url = config["REDIS_URL"]
        self.processes: list[subprocess.Popen] = []
        self.started = 0

    def start(self, n: int) -> None:
        from redis import Redis
        from rq import Queue, Worker

        for _ in range(n):
            name = f"{self.queue}-w{self.started}"
            self.started += 1
            with open(self.log_dir / f"{name}.log", "w") as log:
                self.processes.append(subprocess.Popen(
                    [str(harness.REPO / ".venv" / "bin" / "rq"), "worker", "--with-scheduler", "--worker-class",
                     "jobs.worker.WarmWorker", "--url", self.redis_url, "--name", name, "--path", str(harness.REPO),
                     self.queue],
                    cwd=harness.REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        connection = Redis.from_url(self.redis_url)
        queue = Queue(self.queue, connection=connection)
        deadline = time.monotonic() + 60
        while Worker.count(connection=connection, queue=queue) < len(self.processes):
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"rq worker exited with status {process.returncode} (see {self.log_dir})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the rq workers did not register within 60 s (see {self.log_dir})")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """The workers, their live descendants (the scheduler, a work horse) and the horses they have
        reaped: the reading harness.Stack.server_cpu_seconds makes of gunicorn, made of each worker."""
        return sum(harness.Stack.server_cpu_seconds(SimpleNamespace(server=p)) or 0.0 for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            harness._stop(process)  # SIGTERM to its session (warm shutdown), SIGKILL after 20 s
        self.processes = []


def _machine_cpu(workers: Workers, stack) -> dict:
    return {"machine": harness.machine_cpu_seconds(), "workers": workers.cpu_seconds(),
            "server": stack.server_cpu_seconds() or 0.0,
            "bench": harness.process_cpu_seconds(os.getpid()), **harness.database_cpu_seconds()}


def outbox_rows(stack, tenant, bookings: list[dict]) -> list[dict]:
    from models import db
    from models.bookings import Notification

    with stack.tenant(tenant):
        rows = db.session.execute(sa.select(Notification.id, Notification.key, Notification.channel,
                                            Notification.status, Notification.attempts, Notification.booking_id,
                                            Notification.attachment)
                                  .where(Notification.booking_id.in_([b["id"] for b in bookings]),
                                         Notification.kind == "booking_confirmed")
                                  .order_by(Notification.id)).mappings().all()
        db.session.rollback()
    return [dict(r) for r in rows]


def deliver(stack, tenant, workers: Workers, n_workers: int, bookings: list[dict], timeout: float) -> dict:
    """Enqueue a job per confirmation message of `bookings` with `n_workers` workers waiting; until
    every row is sent or failed, or its job failed: messages/s and the workers' CPU per message.
    Meanwhile the PostgreSQL connections are counted (all, and this run's)."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry

    from models import db
    from models.bookings import Notification
    from services.notify import outbox

    rows = outbox_rows(stack, tenant, bookings)
    not_queued = [r["id"] for r in rows if r["status"] != "queued" or r["attempts"]]
    if not_queued:
        raise RuntimeError(f"outbox rows not waiting untouched before the phase: {not_queued[:5]}")
    ids = [r["id"] for r in rows]
    failed_jobs = FailedJobRegistry(queue=Queue(workers.queue, connection=Redis.from_url(workers.redis_url)))
    failed_before = set(failed_jobs.get_job_ids())
    workers.start(n_workers)
    time.sleep(1.0)  # the workers' first moves (scheduler, registrations) are not the messages'
    before = _machine_cpu(workers, stack)
    connections = {"all": 0, "run": 0}
    started = time.perf_counter()
    with stack.tenant(tenant):
        outbox.enqueue(ids)  # what a confirmation does after its commit, on the workers' queue
        finished = failed = 0
        while time.perf_counter() - started < timeout:
            finished = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
                Notification.id.in_(ids), Notification.status.in_(("sent", "failed"))))
            try:
                every, ours = db.session.execute(sa.text(
                    "SELECT count(*), count(*) FILTER (WHERE datname LIKE :run) FROM pg_stat_activity"),
                    {"run": f"jatra_bench_{stack.run_id}%"}).one()
                connections = {"all": max(connections["all"], every), "run": max(connections["run"], ours)}
            except sa.exc.DBAPIError:
                pass
            db.session.rollback()
            failed = len(set(failed_jobs.get_job_ids()) - failed_before)
            if finished + failed >= len(ids):
                break
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    time.sleep(0.5)  # the last horse exits and is reaped
    after = _machine_cpu(workers, stack)
    workers.stop()
    cpu = {k: round(after[k] - before[k], 2) for k in before}
    cpu["rest"] = round(cpu["machine"] - sum(cpu[k] for k in ("workers", "server", "bench", "postgres", "redis")), 2)
    return {"workers": n_workers, "messages": len(ids), "finished": finished, "seconds": round(seconds, 2),
            "messages_per_s": round(finished / seconds, 2) if seconds else None,
            "worker_cpu_s": cpu["workers"],
            "cpu_s_per_message": round(cpu["workers"] / (finished + failed), 3) if finished + failed else None,
            "machine_cpu_s": cpu, "pg_connections_max": connections,
            "failed_jobs": _failures(failed_jobs, set(failed_jobs.get_job_ids()) - failed_before),
            "timed_out": finished + failed < len(ids)}


def _failures(registry, job_ids: set[str]) -> dict[str, int]:
    """The failed jobs by the last line of their exception."""
    from rq.job import Job

    found: Counter = Counter()
    for job in Job.fetch_many(sorted(job_ids), connection=registry.connection):
        text = ""
        if job is not None:
            try:
                result = job.latest_result()
                text = (result.exc_string if result is not None else "") or ""
            except Exception:  # an older result format: what the job says of itself
                text = job.exc_info or ""
        found[(text.strip().splitlines() or ["?"])[-1][:200]] += 1
    return dict(found)


def fresh_process_cost(workers: Workers) -> dict:
    """CPU and wall time of a new Python process importing the jobs and creating the app with the
    workers' configuration: what a work horse would do before each job if its worker had not made
    the app before forking it (jobs.worker.WarmWorker does)."""
    code = ("import time; c, w = time.process_time(), time.perf_counter(); import jobs; from app import create_app; "
            "create_app(); print(time.process_time() - c, time.perf_counter() - w)")
    out = subprocess.run([sys.executable, "-c", code], cwd=harness.REPO, env=workers.env, capture_output=True,
                         text=True, timeout=120)
    try:
        cpu, wall = (float(v) for v in out.stdout.split()[-2:])
    except ValueError:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2)}


def job_times(redis_url: str, queue: str, channel_of: dict[int, str]) -> dict:
    """Wall time of each finished deliver job in its work horse (started -> ended), by channel."""
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    connection = Redis.from_url(redis_url)
    ids = FinishedJobRegistry(queue=Queue(queue, connection=connection)).get_job_ids()
    found: dict[str, list[float]] = {}
    for job in Job.fetch_many(ids, connection=connection):
        if job is None or not job.started_at or not job.ended_at or len(job.args) < 3:
            continue
        channel = channel_of.get(job.args[2])
        if channel:
            found.setdefault(channel, []).append((job.ended_at - job.started_at).total_seconds())
    return {channel: {"jobs": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1),
                      "p95_ms": round(percentile(v, 95) * 1000, 1)} for channel, v in sorted(found.items())}


def arrivals(stack, tenant, rows: list[dict], mailbox, provider, tickets_per_booking: int) -> dict:
    """Every message of `rows` arrived once: emails by Message-ID, SMS by csms_id (both derived from
    the row's key, as the senders derive them), each email with the booking's PDF; and the rows sent
    at the first attempt."""
    from pypdf import PdfReader

    from services.notify import smtp, sms

    mail_ids = {smtp.message_id(r["key"], MAIL_FROM, tenant.slug): r for r in rows if r["channel"] == "email"}
    sms_ids = {sms.csms_id(r["key"], tenant.slug): r for r in rows if r["channel"] == "sms"}
    seen_mail = Counter()
    bad_attachments = 0
    for _session, raw in list(mailbox.mails):
        message = email.message_from_bytes(raw, policy=policy.default)
        mid = message["Message-ID"]
        seen_mail[mid] += 1
        if mid in mail_ids and seen_mail[mid] == 1:
            files = [a for a in message.iter_attachments() if a.get_content_type() == "application/pdf"]
            if len(files) != 1 or len(PdfReader(io.BytesIO(files[0].get_content())).pages) != tickets_per_booking:
                bad_attachments += 1
    seen_sms = Counter(s["csms_id"] for s in list(provider.sent))
    asked_sms = Counter((r["json"] or {}).get("csms_id") for r in list(provider.requests))
    fresh = {r["id"]: r for r in outbox_rows(stack, tenant, [{"id": b} for b in {r["booking_id"] for r in rows}])}
    statuses = Counter((fresh[r["id"]]["status"], fresh[r["id"]]["attempts"]) for r in rows)
    return {
        "emails_expected": len(mail_ids), "emails_once": sum(seen_mail[m] == 1 for m in mail_ids),
        "emails_missing": sum(seen_mail[m] == 0 for m in mail_ids),
        "emails_twice": sum(seen_mail[m] > 1 for m in mail_ids),
        "emails_without_right_pdf": bad_attachments,
        "sms_expected": len(sms_ids), "sms_once": sum(seen_sms[c] == 1 for c in sms_ids),
        "sms_missing": sum(seen_sms[c] == 0 for c in sms_ids), "sms_twice": sum(seen_sms[c] > 1 for c in sms_ids),
        "sms_requests": sum(asked_sms[c] for c in sms_ids),
        "rows": {f"{status}/{attempts} attempt{'s' if attempts != 1 else ''}": n
                 for (status, attempts), n in sorted(statuses.items())},
        "exactly_once": all(seen_mail[m] == 1 for m in mail_ids) and all(seen_sms[c] == 1 for c in sms_ids)
                        and all(asked_sms[c] == 1 for c in sms_ids) and bad_attachments == 0,
    }


def forget_rq(redis_url: str, queues: set[str]) -> int:
    """Delete what RQ keeps for the bench's queues (RQ's keys carry no REDIS_KEY_PREFIX): the queues,
    their registries and scheduler locks, the jobs that came from them with their results and
    executions, the workers named after them, the lock they take on cleaning. Returns the number of
    keys deleted."""
    from redis import Redis

    client = Redis.from_url(redis_url)
    keys = [k.decode() for k in client.scan_iter(match="rq:*", count=1000)]
    jobs = set()
    for key in keys:
        if key.startswith("rq:job:") and key.count(":") == 2:
            origin = client.hget(key, "origin")
            if origin is not None and origin.decode() in queues:
                jobs.add(key.split(":", 2)[2])
    doomed = [k for k in keys if any(q in k for q in queues) or any(part in jobs for part in k.split(":"))]
    if "rq:clean_groups" in keys:  # the workers' lock on cleaning group registries (it would expire by itself)
        doomed.append("rq:clean_groups")
    for members in ("rq:queues", "rq:workers"):
        mine = [m for m in client.smembers(members) if any(q in m.decode() for q in queues)]
        if mine:
            client.srem(members, *mine)
    for start in range(0, len(doomed), 500):
        client.delete(*doomed[start:start + 500])
    return len(doomed)


# --- the run ----------------------------------------------------------------------------------------

def run(stack, args) -> dict:
    from tests.support.mail import start_smtp
    from tests.support.sms_provider import FakeSmsProvider

    app = stack.app
    figures: dict = {"concurrency": args.concurrency, "language": args.language,
                     "message_tickets": args.message_tickets}
    tenant = harness.with_gateways(stack, harness.rail_tenant(stack), ("sslcommerz",))
    per_phase = args.messages // 2
    sizes = [PAGE_TICKETS] + [args.message_tickets] * (2 * per_phase)
    set_up = time.perf_counter()
    with stack.tenant(tenant):
        trip = rail_setup.trip_with_seats(coaches_needed(sizes) * rail_setup.COACH_SEATS, days_ahead=3)
    customers = customer_phones(stack, tenant, harness.customers(stack, tenant, len(sizes)))

    mailbox, smtp_port, controller = start_smtp()
    provider = FakeSmsProvider(api_token=SMS_TOKEN, sid=SMS_SID).start()
    queues = {"parked": f"jatra-bench-{stack.run_id}-parked", "work": f"jatra-bench-{stack.run_id}-messages"}
    saved = {k: app.config[k] for k in ("JOBS_INLINE", "JOBS_QUEUE")}
    log_dir = Path(app.config["INSTANCE_DIR"] if stack.server is not None else tempfile.mkdtemp(
        prefix="jatra-bench-"))
    workers = Workers(stack, queues["work"], log_dir)
    try:
        tenant = with_messages(stack, tenant, smtp_port, provider.url)
        # What a confirmation enqueues (its messages, QR drawing, reminder) waits on a queue no worker serves.
        app.config.update(JOBS_INLINE=False, JOBS_QUEUE=queues["parked"])
        app.extensions["jatra.queues"] = {}
        bookings = make_bookings(stack, tenant, trip, customers, sizes, args.language)
        figures["setup"] = {"bookings": len(bookings), "seconds": round(time.perf_counter() - set_up, 1),
                            "trip_seats": trip.seats}
        page_booking, batches = bookings[0], [bookings[1:1 + per_phase], bookings[1 + per_phase:]]

        figures["in_process"] = in_process(stack, tenant, page_booking, args)
        figures["http"] = asyncio.run(over_http(stack, tenant, page_booking, args))

        app.config["JOBS_QUEUE"] = queues["work"]
        app.extensions["jatra.queues"] = {}
        figures["fresh_process"] = fresh_process_cost(workers)
        phases = []
        for n_workers, batch in zip((1, 2), batches, strict=True):
            phase = deliver(stack, tenant, workers, n_workers, batch, args.timeout)
            rows = outbox_rows(stack, tenant, batch)
            phase["jobs"] = job_times(workers.redis_url, queues["work"], {r["id"]: r["channel"] for r in rows})
            phase["arrivals"] = arrivals(stack, tenant, rows, mailbox, provider, args.message_tickets)
            phases.append(phase)
        figures["messages"] = phases
        figures["mail_received"], figures["sms_received"] = len(mailbox.mails), len(provider.sent)
        figures["worker_logs"] = str(log_dir)
    finally:
        workers.stop()
        controller.stop()
        provider.stop()
        app.config.update(saved)
        app.extensions["jatra.queues"] = {}
        figures["rq_keys_deleted"] = forget_rq(app.config["REDIS_URL"], set(queues.values()))
    return figures


def report(f: dict) -> None:
    s, p = f["setup"], f["in_process"]
    print(f"tickets: {s['bookings']} confirmed bookings made in {s['seconds']} s (trip of {s['trip_seats']} seats, "
          f"language {f['language']}), in process through the app's services: hold_seats -> start_payment "
          f"(SSLCommerz session at the gateway simulator) -> confirm.settle with a 'paid' Verification written by "
          f"the bench (nobody paid at the simulator) -> issue.complete (QR codes drawn, as jobs.tickets.complete)")
    print(f"1. in process ({p['iterations']} iterations): payload.sign {p['sign_us']} µs, payload.verify "
          f"{p['verify_us']} µs")
    print(f"   payload: {p['payload_chars']} characters (base45 of {p['signed_bytes']} signed bytes + a "
          f"{p['signature_bytes']}-byte signature); QR version {p['qr_version']}, error level {p['qr_error']} "
          f"({p['qr_designation']}, {p['qr_modules']}x{p['qr_modules']} modules)")
    print(f"   qr.svg: {p['qr_svg_ms']} ms per drawing ({p['qr_draws']} drawings, {p['svg_bytes']} bytes of SVG); "
          f"for context: tickets.pdf of {p['tickets_in_pdf']} tickets drawn {p['pdf_a4_ms']} ms (a4), "
          f"{p['pdf_phone_ms']} ms (phone), kept in Redis {p['pdf_kept_ms']} ms; calendar.ics {p['ics_ms']} ms")
    print(f"2. over HTTP, {f['concurrency']} clients, booking of {PAGE_TICKETS} tickets:")
    for name, r in f["http"].items():
        extra = "" if name == "/healthz" else (f"  ratio {r['ratio_vs_trivial']}  [{r['status']} {r['type']}, "
                                               f"{r['bytes']} bytes, {r['looks_right']}]")
        cpu = f"  server CPU {r['server_cpu_ms']} ms/req" if r.get("server_cpu_ms") is not None else ""
        logged = f", {r['log_lines_per_request']} log lines/req" if "log_lines_per_request" in r else ""
        print(f"   {name:<15} {r['requests']:>5} requests {r['rps']:>7.1f} req/s  p50 {r['p50_ms']:>7.1f} ms  "
              f"p95 {r['p95_ms']:>7.1f} ms  errors {r['errors']}{cpu}{logged}{extra}")
    fresh = f["fresh_process"]
    print(f"3. confirmation messages through rq workers (emails with the tickets PDF of {f['message_tickets']} "
          f"tickets, SMS); a new process importing the jobs and creating the app (what each work horse does first): "
          + (f"{fresh['cpu_s']} CPU-s, {fresh['wall_s']} s" if "cpu_s" in fresh else fresh["error"]))
    for m in f["messages"]:
        a, c = m["arrivals"], m["machine_cpu_s"]
        print(f"   {m['workers']} worker{'s' if m['workers'] > 1 else ''}: {m['finished']} of {m['messages']} messages "
              f"in {m['seconds']} s = {m['messages_per_s']} messages/s; workers' CPU {m['worker_cpu_s']} s = "
              f"{m['cpu_s_per_message']} CPU-s per message" + ("  TIMED OUT" if m["timed_out"] else ""))
        print("      job wall time in the work horse: " + ", ".join(
            f"{ch} p50 {t['p50_ms']} ms p95 {t['p95_ms']} ms ({t['jobs']})" for ch, t in m["jobs"].items()))
        print(f"      machine CPU {c['machine']} s = workers {c['workers']} + server {c['server']} + bench (SMTP and "
              f"SMS servers included) {c['bench']} + PostgreSQL {c['postgres']} + Redis {c['redis']} + "
              f"rest {c['rest']}; "
              f"PostgreSQL connections at most {m['pg_connections_max']['all']} ({m['pg_connections_max']['run']} "
              f"to this run's databases)")
        if m["failed_jobs"]:
            print(f"      FAILED JOBS: {m['failed_jobs']}")
        print(f"      arrived: emails {a['emails_once']}/{a['emails_expected']} once (missing {a['emails_missing']}, "
              f"twice {a['emails_twice']}, without the right PDF {a['emails_without_right_pdf']}); SMS "
              f"{a['sms_once']}/{a['sms_expected']} once (missing {a['sms_missing']}, twice {a['sms_twice']}, "
              f"{a['sms_requests']} requests); rows {a['rows']}; EXACTLY ONCE: {a['exactly_once']}")
    print(f"   received in all: {f['mail_received']} emails, {f['sms_received']} SMS; worker logs in "
          f"{f['worker_logs']}; RQ keys deleted at the end: {f['rq_keys_deleted']}")
    h = f["http"]
    last = {"sign_us": p["sign_us"], "verify_us": p["verify_us"], "payload_chars": p["payload_chars"],
            "qr": p["qr_designation"], "qr_svg_ms": p["qr_svg_ms"], "trivial_rps": round(h["/healthz"]["rps"], 1)}
    for name, key in (("tickets page", "page"), ("tickets.pdf a4", "pdf"), ("calendar.ics", "ics")):
        last |= {f"{key}_rps": round(h[name]["rps"], 1), f"{key}_p95_ms": round(h[name]["p95_ms"], 1),
                 f"{key}_ratio": h[name]["ratio_vs_trivial"], f"{key}_errors": h[name]["errors"]}
    for m in f["messages"]:
        last |= {f"messages_per_s_{m['workers']}w": m["messages_per_s"],
                 f"cpu_s_per_message_{m['workers']}w": m["cpu_s_per_message"],
                 f"exactly_once_{m['workers']}w": m["arrivals"]["exactly_once"],
                 f"failed_jobs_{m['workers']}w": sum(m["failed_jobs"].values())}
    print(json.dumps(last))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=5000, help="payload.sign / payload.verify calls timed")
    parser.add_argument("--qr-draws", type=int, default=200, help="qr.svg drawings timed")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP requests in flight at once")
    parser.add_argument("--seconds", type=float, default=6, help="timed seconds per ticket endpoint")
    parser.add_argument("--trivial-seconds", type=float, default=5)
    parser.add_argument("--messages", type=int, default=20,
                        help="confirmation messages per worker phase (half emails, half SMS; even)")
    parser.add_argument("--message-tickets", type=int, default=2, help="tickets per booking the messages are about")
    parser.add_argument("--language", choices=("en", "bn"), default="en", help="the bookings' language")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a worker phase may take at most")
    parser.add_argument("--target", help="a running server (its configuration in this environment)")
    args = parser.parse_args()
    if args.messages < 2 or args.messages % 2:
        parser.error("--messages must be even and at least 2")
    if not 1 <= args.message_tickets <= 4:
        parser.error("--message-tickets: 1 to 4 (a customer holds at most 4 seats)")
    if args.iterations < 1 or args.qr_draws < 1 or args.concurrency < 1:
        parser.error("--iterations, --qr-draws and --concurrency must be at least 1")
    with harness.stack(args.target, simulator=True) as stack:
        # The app logs at INFO (app.py): fontTools then writes a few hundred lines per PDF (its font
        # subsetting) and aiosmtpd a dozen per mail. Quiet here, so that the figures stay readable;
        # the server and the workers keep logging as in production (counted: log lines per request).
        for name in ("fontTools", "mail.log"):
            logging.getLogger(name).setLevel(logging.WARNING)
        figures = run(stack, args)
    report(figures)


if __name__ == "__main__":
    main()
