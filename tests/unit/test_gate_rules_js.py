"""The gate console's offline rules (static/js/gate-rules.js) against the server's: Node reads and judges
signed payloads of every kind, tampered ones, and gate scopes at many instants, and must give the verdict
of services/tickets/payload.verify then services/gate/scope.check, and read the same claims, every time.
Pure: no database. Node runs tests/unit/gate_rules_driver.mjs once, on all the cases."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import base45
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.gate.offline import gate_json
from services.gate.scope import GateScope, Window, check
from services.tickets import payload
from services.tickets.keys import b64url
from services.tickets.payload import EPOCH, InvalidTicket, TicketClaims

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "static" / "js" / "gate-rules.js"
DRIVER = Path(__file__).with_name("gate_rules_driver.mjs")
NODE = shutil.which("node")



@pytest.fixture(scope="module", autouse=True)
def _node():
    # Not a skip: `make test` installs Node (scripts/system-deps.sh), and a skipped parity test
    # would let the console and the server drift apart unseen.
    assert NODE is not None, "no node to run static/js/gate-rules.js: run scripts/system-deps.sh"

KEY, OTHER_KEY = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
PUBLIC = {1: KEY.public_key(), 65535: KEY.public_key()}
TENANT, MAX32 = 7, 2**32 - 1
MS = timedelta(milliseconds=1)
UNIX = datetime(1970, 1, 1, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)  # 10:00 in Dhaka
DAY, NEXT_DAY, LAST_DAY = date(2026, 12, 6), date(2026, 12, 7), EPOCH + timedelta(days=65535)
SLOT = Window(NOW - timedelta(minutes=30), NOW + timedelta(minutes=30))
LATER_SLOT = Window(NOW + timedelta(minutes=30), NOW + timedelta(minutes=90))

SEAT = TicketClaims(1, TENANT, 200, "seat", 9, DAY, None, 2, 5, "KA-12", "RH34")
PLAN_SEAT = TicketClaims(1, TENANT, 300, "plan_seat", 5, DAY, None, None, None, "A-12", "MK")
ADMISSION = TicketClaims(1, TENANT, 100, "admission", 5, DAY, 11, None, None, "Adult", "KU")
BANGLA = replace(ADMISSION, label="অগ্রিম টিকিট প্রাপ্তবয়স্ক", tag=payload.passenger_tag("অমিত কুমার রায়", 120))
SIGNED = {
    "seat, board 2": SEAT,
    "seat, board 0": replace(SEAT, board_seq=0, alight_seq=3),
    "seat, other trip": replace(SEAT, subject_id=10),
    "seat, other trip and day": replace(SEAT, subject_id=10, day=NEXT_DAY),
    "seat, next day": replace(SEAT, day=NEXT_DAY),
    "plan seat": PLAN_SEAT,
    "plan seat, stops in its bytes": replace(PLAN_SEAT, board_seq=3, alight_seq=4),  # read as none
    "admission, slot 11": ADMISSION,
    "admission, slot 12": replace(ADMISSION, slot_id=12),
    "admission, a slot the gate does not know": replace(ADMISSION, slot_id=13),
    "admission, no slot": replace(ADMISSION, slot_id=None),
    "admission, next day": replace(ADMISSION, day=NEXT_DAY),
    "admission, other event": replace(ADMISSION, subject_id=6),
    "admission, long Bangla label": BANGLA,
    "admission, max ids": TicketClaims(65535, MAX32, MAX32, "admission", MAX32, LAST_DAY, MAX32, None, None,
                                       "X" * 20, "Y" * 10),
    "seat, max ids": TicketClaims(65535, MAX32, MAX32, "seat", MAX32, LAST_DAY, None, 255, 255, "Z" * 16, "W" * 8),
}

EVENT_GATE = GateScope(1, "North gate", "event", 5, None, opens_at=NOW - timedelta(hours=1), allows_exit=True)
TIMED_GATE = GateScope(2, "Zoo gate", "timed", 5, DAY, current_slot_only=True, grace=timedelta(minutes=10),
                       slots={11: SLOT, 12: LATER_SLOT})
TRAIN_GATE = GateScope(3, "Platform 3", "trip", 9, DAY, board_seq=2, stations={0: "Dhaka", 2: "Bhairab"})
GATES = {
    "event": EVENT_GATE,
    "event, doors open later": replace(EVENT_GATE, opens_at=NOW + timedelta(minutes=30)),
    "event, any time, max id": GateScope(4, "Hall", "event", MAX32, None),
    "timed, current slot": TIMED_GATE,
    "timed, current slot, no grace": replace(TIMED_GATE, grace=timedelta(0)),
    "timed, any slot": replace(TIMED_GATE, current_slot_only=False, opens_at=NOW - timedelta(hours=3)),
    "timed, max ids": GateScope(5, "Far", "timed", MAX32, LAST_DAY, current_slot_only=True,
                                grace=timedelta(minutes=5), slots={MAX32: SLOT}),
    "trip, board 2": TRAIN_GATE,
    "trip, board 0": replace(TRAIN_GATE, board_seq=0),
    "trip, max ids": GateScope(6, "Last stop", "trip", MAX32, LAST_DAY, board_seq=255),
}


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    tenant: int
    gate: str
    now: datetime

    def __str__(self):
        return f"{self.name} | gate {self.gate!r} at {self.now:%Y-%m-%d %H:%M:%S.%f}"


def instants(scope: GateScope) -> list[datetime]:
    """Some ordinary moments, and each edge the scope has: a millisecond before, at and after it."""
    found = {NOW, NOW - timedelta(hours=2), NOW + timedelta(hours=6), NOW - timedelta(days=1)}
    edges = [moment for w in scope.slots.values() for moment in (w.starts_at - scope.grace, w.ends_at + scope.grace)]
    for edge in edges + ([scope.opens_at] if scope.opens_at else []):
        found |= {edge - MS, edge, edge + MS}
    return sorted(found)


def _text(raw: bytes) -> str:
    return payload.PREFIX + base45.b45encode(bytes(raw)).decode()


def _signed(body: bytes, key: Ed25519PrivateKey = KEY) -> str:
    return _text(body + key.sign(body))


def tampered() -> dict[str, str]:
    """Texts that must be refused, each for its own reason."""
    seat, bangla = payload.sign(SEAT, KEY), payload.sign(BANGLA, KEY)
    body = payload.body(SEAT)
    found = {
        "other tenant": payload.sign(replace(SEAT, tenant_id=8), KEY),
        "unknown key id": payload.sign(replace(SEAT, key_id=2), KEY),
        "other key, same key id": payload.sign(SEAT, OTHER_KEY),
        "wrong prefix JX:": "JX:" + seat[3:],
        "lower-case prefix": "jt:" + seat[3:],
        "no prefix": seat[3:],
        "prefix only": "JT:",
        "empty": "",
        "lower-case base45": seat[:10] + seat[10:20].lower() + seat[20:],
        "a base45 triple over 0xFFFF": seat + "GGW",
        "a base45 pair over 0xFF": seat + "::",
        "one base45 character too many": seat + "0",
        "re-signed, version 2": _signed(b"\x02" + body[1:]),
        "re-signed, kind 0": _signed(body[:11] + b"\x00" + body[12:]),
        "re-signed, kind 4": _signed(body[:11] + b"\x04" + body[12:]),
        "re-signed, a byte after the tag": _signed(body + b"\x00"),
        "re-signed, label longer than the body": _signed(body[:24] + b"\xc8" + body[25:]),
        "re-signed, label not UTF-8": _signed(body[:24] + b"\x02\xc3\x28" + body[24 + 1 + 5:]),
        "re-signed, tag not UTF-8": _signed(body[:30] + b"\x01\xff"),
        "re-signed, no tag length": _signed(body[:24] + b"\x00"),
        "re-signed, head only (cut short)": _signed(body[:24]),
    }
    for name, text in (("seat", seat), ("Bangla", bangla)):
        raw = base45.b45decode(text[3:])
        for i in range(len(raw)):
            for bit in (0x01, 0x80):
                flipped = bytearray(raw)
                flipped[i] ^= bit
                where = "signature" if i >= len(raw) - payload.SIGNATURE_BYTES else "body"
                found[f"{name}: {where} byte {i} ^ {bit:#04x}"] = _text(flipped)
    for n in range(len(seat)):
        found[f"seat cut to {n} characters"] = seat[:n]
    return found


def cases() -> list[Case]:
    found = [Case(name, payload.sign(claims, KEY), claims.tenant_id, gate, now)
             for name, claims in SIGNED.items() for gate, scope in GATES.items() for now in instants(scope)]
    found += [Case(name, text, TENANT, "timed, current slot", NOW) for name, text in tampered().items()]
    return found


def python_verdict(case: Case) -> str | None:
    try:
        claims = payload.verify(case.text, PUBLIC, case.tenant)
    except InvalidTicket as exc:
        return exc.reason
    return check(claims, GATES[case.gate], case.now)


def python_claims(text: str) -> dict | None:
    """payload.read()'s claims (signed or not), named as gate-rules.js names them."""
    try:
        c = payload.read(text)[0]
    except InvalidTicket:
        return None
    return {"kid": c.key_id, "tenant": c.tenant_id, "ticket": c.ticket_id, "kind": c.kind, "subject": c.subject_id,
            "day": (c.day - EPOCH).days, "slot": c.slot_id, "board": c.board_seq, "alight": c.alight_seq,
            "label": c.label, "tag": c.tag}


@pytest.fixture(scope="module")
def judged() -> list[tuple[Case, dict]]:
    """Every case with what Node made of it: {reason, claims}."""
    all_cases = cases()
    raw_public = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    given = {
        "keys": [{"kid": kid, "x": b64url(raw_public)} for kid in PUBLIC],
        "gates": {name: gate_json(scope) for name, scope in GATES.items()},  # as the offline data sends them
        "cases": [{"text": c.text, "tenant": c.tenant, "gate": c.gate, "now": (c.now - UNIX) // MS}
                  for c in all_cases],
    }
    run = subprocess.run([NODE, str(DRIVER), str(RULES)], input=json.dumps(given), capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, f"node failed:\n{run.stderr}"
    answer = json.loads(run.stdout)
    assert answer["keys"] == len(PUBLIC), "Node imported no Ed25519 key: every ticket would read as unknown_key"
    return list(zip(all_cases, answer["results"], strict=True))


def _differences(judged, what) -> list[str]:
    found = [f"{case}: Python {mine!r}, JS {theirs!r}" for case, result in judged
             for mine, theirs in [what(case, result)] if mine != theirs]
    return found[:20] + ([f"... and {len(found) - 20} more"] if len(found) > 20 else [])


def test_the_cases_cover_every_verdict_the_rules_can_give(judged):
    assert len(judged) > 1500
    verdicts = {python_verdict(case) for case, _ in judged}
    assert verdicts == {None, "unreadable", "other_operator", "unknown_key", "bad_signature", "wrong_event",
                        "wrong_trip", "wrong_date", "wrong_station", "wrong_slot", "not_yet_open"}


def test_the_console_gives_the_servers_verdict_on_every_case(judged):
    assert _differences(judged, lambda case, result: (python_verdict(case), result["reason"])) == []


def test_the_console_reads_the_claims_the_server_reads_field_by_field(judged):
    assert _differences(judged, lambda case, result: (python_claims(case.text), result["claims"])) == []
