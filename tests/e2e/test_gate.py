"""At the gate, in Chromium: a guard logs in, opens a gate and checks tickets at its console —
with the phone's camera, with a USB scanner typing into the field, by a typed ticket number, and
with the network gone (the console judges alone, then hands its scans to the server when the
network is back). A ticket used at one gate is refused at another, naming where and when it went
in; and the console page itself reloads without network, from the service worker's cache.

The camera is Chromium's fake device playing a Y4M video of the ticket's real QR code
(tests/support/camera.py). Tickets are bought through the shop and the gateway simulator
(tests/support/gate.py); the database is checked after each story."""
from __future__ import annotations

import re
import time

import base45
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import db
from models.bookings import Ticket
from models.gate import Scan
from services.gate import checkin
from services.rail.trip_stops import tenant_zone
from tests.e2e.conftest import REPORT_POLICY_VIOLATIONS
from tests.support.camera import qr_video
from tests.support.gate import gate_staff, open_gate, sold_tickets, ticket_status
from tests.support.people import PASSWORD
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

VALID = re.compile(r"(^|\s)verdict-valid(\s|$)")
INVALID = re.compile(r"(^|\s)verdict-invalid(\s|$)")
SYNC_MS = 15_000  # the network back: the waiting scans reach the server within this


def _until(page, script: str, arg=None, what: str = "", timeout: float = 10.0):
    """Polls an async page script until it answers true (wait_for_function takes a Promise for true)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what or script}")
        page.wait_for_timeout(100)


# True once the console keeps this gate's offline data (keys, lists) in IndexedDB: what it needs to
# judge tickets alone. The database is looked for first: opening it before gate.js did would create
# it without its stores.
OFFLINE_DATA_KEPT = """async (gate) => {
  const known = (await indexedDB.databases()).some((d) => d.name === "jatra-gate" && d.version >= 1);
  if (!known) return false;
  return await new Promise((resolve) => {
    const open = indexedDB.open("jatra-gate");
    open.onerror = () => resolve(false);
    open.onsuccess = () => {
      const idb = open.result;
      if (!idb.objectStoreNames.contains("offline")) { idb.close(); resolve(false); return; }
      const get = idb.transaction("offline").objectStore("offline").get(gate);
      get.onsuccess = () => { idb.close(); resolve(Boolean(get.result && get.result.keys && get.result.keys.length)); };
      get.onerror = () => { idb.close(); resolve(false); };
    };
  });
}"""

# True once the service worker controls the page and has it in its cache, with its scripts and styles.
PAGE_CACHED = """async () => {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
  const urls = [location.href.split("#")[0], ...[...document.scripts].filter((s) => s.src).map((s) => s.src),
                ...[...document.querySelectorAll("link[rel=stylesheet]")].map((l) => l.href)];
  const found = await Promise.all(urls.map((url) => caches.match(url)));
  return found.every(Boolean);
}"""


class Guard:
    """A member of staff at a gate, in a browser."""

    def __init__(self, page, live_server, site, email):
        self.page, self.live_server, self.site, self.email = page, live_server, site, email

    def opens(self, path):
        return self.page.goto(self.live_server.url(self.site, path))

    def logs_in(self):
        self.opens("/staff/login")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page).to_have_url(re.compile(r"/staff/$"))

    def opens_a_gate(self, name: str, event_id: int) -> int:
        """With the "Open a gate" form; lands on the new gate's console. Returns the gate's id."""
        self.opens("/staff/gate")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Open a gate")
        self.page.get_by_label("Gate name").fill(name)
        self.page.get_by_label("An event, any time it is open").check()
        self.page.get_by_label("Event", exact=True).select_option(str(event_id))
        self.page.get_by_role("button", name="Open the gate").click()
        expect(self.page).to_have_url(re.compile(r"/staff/gate/\d+$"))
        self.sees_the_console(name)
        return int(re.search(r"/staff/gate/(\d+)$", self.page.url).group(1))

    def opens_the_console(self, gate_id: int, name: str):
        self.opens(f"/staff/gate/{gate_id}")
        self.sees_the_console(name)

    def sees_the_console(self, name: str):
        expect(self.page.get_by_role("heading", level=1)).to_have_text(name)
        expect(self.scan_field).to_be_focused()  # a USB scanner types into it straight away
        # gate.js runs (a console swapped in by htmx without its scripts would look the same, and do nothing)
        self.page.wait_for_function("() => typeof window.jatraGate === 'object'")

    def waits_for_the_offline_data(self, gate_id: int):
        _until(self.page, OFFLINE_DATA_KEPT, gate_id, "the console keeps the gate's offline data in IndexedDB")

    @property
    def scan_field(self):
        return self.page.locator("#scan-input")

    @property
    def verdict(self):
        return self.page.locator("#verdict")

    @property
    def network_state(self):
        return self.page.locator("#network-state")

    def scans(self, code: str):
        """As a USB scanner does: the code typed into the focused field, then Enter."""
        self.scan_field.focus()
        self.page.keyboard.type(code)
        self.page.keyboard.press("Enter")

    def sees_valid(self, *details: str, mode: str | None = None):
        expect(self.verdict).to_have_attribute("data-result", "admitted")
        expect(self.verdict).to_be_visible()
        expect(self.verdict).to_have_class(VALID)
        expect(self.verdict.locator(".verdict-title")).to_have_text("VALID")
        for detail in details:
            expect(self.verdict.locator(".verdict-detail")).to_contain_text(detail)
        if mode:
            expect(self.verdict).to_have_attribute("data-mode", mode)

    def sees_not_valid(self, reason: str, *words: str, mode: str | None = None):
        expect(self.verdict).to_have_attribute("data-result", "rejected")
        expect(self.verdict).to_have_attribute("data-reason", reason)
        expect(self.verdict).to_be_visible()
        expect(self.verdict).to_have_class(INVALID)
        expect(self.verdict.locator(".verdict-title")).to_have_text("NOT VALID")
        for word in words:
            expect(self.verdict.locator(".verdict-reason")).to_contain_text(word)
        if mode:
            expect(self.verdict).to_have_attribute("data-mode", mode)


def _forged(code: str) -> str:
    """The ticket's payload with one bit of its signature flipped: still base45 that reads as a
    ticket of ours, but the signature no longer matches."""
    raw = bytearray(base45.b45decode(code[len("JT:"):]))
    raw[-1] ^= 0x01
    return "JT:" + base45.b45encode(bytes(raw)).decode()


def _scans(in_tenant, tenant, gate_id: int) -> list[tuple]:
    """(ticket id, result, reason, offline) of every scan at the gate, in order."""
    with in_tenant(tenant):
        db.session.rollback()
        return [tuple(r) for r in db.session.execute(
            sa.select(Scan.ticket_id, Scan.result, Scan.reason, Scan.offline)
            .where(Scan.gate_id == gate_id).order_by(Scan.id))]


@pytest.fixture
def camera_page(browser_type, browser_type_launch_args, csp_violations):
    """camera_page(video, origin) -> a page in its own Chromium whose camera plays `video` (a Y4M
    file, looped), with the camera allowed for `origin` and no prompt; CSP watched as everywhere."""
    launched = []

    def launch(video, origin: str):
        args = [*browser_type_launch_args.get("args", []), "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
        browser = browser_type.launch(**{**browser_type_launch_args, "args": args})
        launched.append(browser)
        context = browser.new_context()
        context.grant_permissions(["camera"], origin=origin)
        context.add_init_script(REPORT_POLICY_VIOLATIONS)
        context.on("console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text))
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield launch
    for browser in launched:
        browser.close()
    if csp_violations:
        pytest.fail("the browser reported Content-Security-Policy violations:\n" + "\n".join(csp_violations))


def test_a_guard_holds_a_ticket_up_to_the_phones_camera_and_it_is_let_in(
        camera_page, live_server, shop, tmp_path):
    zoo = shop.zoo()
    [ticket] = sold_tickets(shop, zoo, quantity=1)
    staff_id, email = gate_staff(shop.in_tenant, zoo)
    gate_id = open_gate(shop.in_tenant, zoo, staff_id, "North gate", event_id=ticket.event_id)
    video = qr_video(ticket.code, tmp_path / "ticket.y4m")  # the phone's camera sees the ticket's QR code
    guard = Guard(camera_page(video, live_server.url(zoo).rstrip("/")), live_server, zoo, email)

    guard.logs_in()
    guard.opens_the_console(gate_id, "North gate")
    camera = guard.page.locator("#camera-toggle")
    expect(camera).to_have_text("Start camera")
    camera.click()

    guard.sees_valid("Adult", "Karim U.", mode="online")
    expect(camera).to_have_text("Stop camera")
    expect(guard.page.locator("#camera")).to_be_visible()
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", gate_id)
    # The verdict goes by itself after a moment; the code, still in front of the camera all along and
    # read again and again, counted once.
    expect(guard.verdict).to_be_hidden()
    assert _scans(shop.in_tenant, zoo, gate_id) == [(ticket.id, "admitted", None, False)]
    camera.click()
    expect(camera).to_have_text("Start camera")
    expect(guard.page.locator("#camera")).to_be_hidden()


def test_a_guard_opens_the_north_gate_and_a_usb_scanner_and_a_typed_number_let_two_people_in(
        page, live_server, shop):
    zoo = shop.zoo()
    first, second = sold_tickets(shop, zoo, quantity=2)
    _, email = gate_staff(shop.in_tenant, zoo)
    guard = Guard(page, live_server, zoo, email)

    guard.logs_in()
    gate_id = guard.opens_a_gate("North gate", first.event_id)
    expect(guard.network_state).to_have_text("Online")

    guard.scans(first.code)  # the scanner types the QR code's text and presses Enter
    guard.sees_valid("Adult", "Karim U.", mode="online")
    expect(guard.scan_field).to_have_value("")  # ready for the next one
    expect(guard.scan_field).to_be_focused()
    assert ticket_status(shop.in_tenant, zoo, first.id) == ("used", gate_id)

    guard.scans(second.number.lower())  # a crumpled code: the guard types the ticket number
    guard.sees_valid("Adult", mode="online")
    assert ticket_status(shop.in_tenant, zoo, second.id) == ("used", gate_id)
    assert _scans(shop.in_tenant, zoo, gate_id) == [(first.id, "admitted", None, False),
                                                    (second.id, "admitted", None, False)]


def _north_gate_ready_for_offline(page, live_server, shop):
    """A ticket sold, and a guard at the North gate's console once it keeps what it needs offline."""
    zoo = shop.zoo()
    [ticket] = sold_tickets(shop, zoo, quantity=1)
    staff_id, email = gate_staff(shop.in_tenant, zoo)
    gate_id = open_gate(shop.in_tenant, zoo, staff_id, "North gate", event_id=ticket.event_id)
    guard = Guard(page, live_server, zoo, email)
    guard.logs_in()
    guard.opens_the_console(gate_id, "North gate")
    guard.waits_for_the_offline_data(gate_id)
    return zoo, ticket, gate_id, guard


def test_the_network_drops_the_console_goes_on_alone_and_hands_its_scans_over_when_it_is_back(
        page, live_server, shop):
    zoo, ticket, gate_id, guard = _north_gate_ready_for_offline(page, live_server, shop)
    expect(guard.network_state).to_have_text("Online")

    page.context.set_offline(True)
    expect(guard.network_state).to_have_attribute("data-state", "offline")
    expect(guard.network_state).to_contain_text("Offline")

    guard.scans(ticket.code)
    guard.sees_valid("Adult", "Karim U.", mode="offline")  # the signature checked on the phone
    guard.scans(_forged(ticket.code))
    guard.sees_not_valid("bad_signature", "signature does not match", mode="offline")
    expect(guard.network_state).to_have_text("Offline — 2 scans waiting")
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("valid", None)  # the server knows nothing yet

    page.context.set_offline(False)
    expect(guard.network_state).to_have_text("Online", timeout=SYNC_MS)
    expect(guard.network_state).to_have_attribute("data-pending", "0")
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", gate_id)
    assert _scans(shop.in_tenant, zoo, gate_id) == [(ticket.id, "admitted", None, True),
                                                    (None, "rejected", "bad_signature", True)]


def test_a_ticket_that_went_in_at_the_north_gate_is_refused_at_the_south_gate_naming_where_and_when(
        page, live_server, shop):
    zoo = shop.zoo()
    [ticket] = sold_tickets(shop, zoo, quantity=1)
    colleague_id, _ = gate_staff(shop.in_tenant, zoo, email="north@zoo.example.com")
    north = open_gate(shop.in_tenant, zoo, colleague_id, "North gate", event_id=ticket.event_id)
    with shop.in_tenant(zoo):  # a colleague's phone at the North gate let the ticket in
        assert checkin.scan(north, ticket.code, device="north-phone").result == "admitted"
        used_at = db.session.scalar(sa.select(Ticket.used_at).where(Ticket.id == ticket.id))
        at = used_at.astimezone(tenant_zone()).strftime("%H:%M")
    staff_id, email = gate_staff(shop.in_tenant, zoo, email="south@zoo.example.com")
    south = open_gate(shop.in_tenant, zoo, staff_id, "South gate", event_id=ticket.event_id)
    guard = Guard(page, live_server, zoo, email)
    guard.logs_in()
    guard.opens_the_console(south, "South gate")

    guard.scans(ticket.code)  # the same ticket, shown again at the South gate
    guard.sees_not_valid("already_used", "Already used at North gate", at, mode="online")
    expect(guard.verdict.locator(".verdict-detail")).to_contain_text("Adult")
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", north)
    assert _scans(shop.in_tenant, zoo, south) == [(ticket.id, "rejected", "already_used", False)]


def test_the_console_reloads_without_network_from_the_service_workers_cache_and_still_checks_tickets(
        page, live_server, shop):
    # the first visit: the service worker keeps the page
    zoo, ticket, gate_id, guard = _north_gate_ready_for_offline(page, live_server, shop)
    _until(page, PAGE_CACHED, what="the service worker controls the page and has it in its cache")

    page.context.set_offline(True)
    reloaded = page.reload()
    assert reloaded is not None and reloaded.from_service_worker
    guard.sees_the_console("North gate")  # gate.js runs too: the scripts came from the cache
    expect(guard.network_state).to_have_attribute("data-state", "offline")

    guard.scans(ticket.code)  # and the reloaded page judges tickets with the data kept from before
    guard.sees_valid("Adult", "Karim U.", mode="offline")
    expect(guard.network_state).to_have_text("Offline — 1 scan waiting")
    page.context.set_offline(False)
    expect(guard.network_state).to_have_text("Online", timeout=SYNC_MS)
    assert ticket_status(shop.in_tenant, zoo, ticket.id) == ("used", gate_id)
