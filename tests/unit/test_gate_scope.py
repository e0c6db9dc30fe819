"""Every reason a gate refuses a ticket, from its claims (services/gate/scope.py) and from its
payload (services/tickets/payload.py): pure, no database."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.gate.scope import REASONS, GateScope, Window, check
from services.tickets import payload
from services.tickets.payload import InvalidTicket, TicketClaims

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)  # 10:00 in Dhaka
DAY = date(2026, 12, 6)
SLOT = Window(NOW - timedelta(minutes=30), NOW + timedelta(minutes=30))
ADMISSION = TicketClaims(1, 7, 100, "admission", 5, DAY, 11, None, None, "Adult", "KU")
SEAT = TicketClaims(1, 7, 200, "seat", 9, DAY, None, 2, 5, "KA-12", "RH34")
EVENT_GATE = GateScope(1, "North gate", "event", 5, None, opens_at=NOW - timedelta(hours=1))
TIMED_GATE = GateScope(2, "Zoo gate", "timed", 5, DAY, current_slot_only=True, grace=timedelta(minutes=10),
                       slots={11: SLOT})
TRAIN_GATE = GateScope(3, "Platform 3", "trip", 9, DAY, board_seq=2, stations={0: "Dhaka", 2: "Bhairab"})


@pytest.mark.parametrize("claims, scope, now, reason", [
    (ADMISSION, EVENT_GATE, NOW, None),
    (replace(ADMISSION, subject_id=6), EVENT_GATE, NOW, "wrong_event"),
    (SEAT, EVENT_GATE, NOW, "wrong_event"),
    (ADMISSION, EVENT_GATE, NOW - timedelta(hours=2), "not_yet_open"),
    (ADMISSION, TIMED_GATE, NOW, None),
    (ADMISSION, TIMED_GATE, SLOT.starts_at - timedelta(minutes=9), None),  # within the grace
    (ADMISSION, TIMED_GATE, SLOT.starts_at - timedelta(minutes=11), "not_yet_open"),
    (ADMISSION, TIMED_GATE, SLOT.ends_at + timedelta(minutes=11), "wrong_slot"),
    (ADMISSION, replace(TIMED_GATE, current_slot_only=False), SLOT.ends_at + timedelta(hours=3), None),
    (replace(ADMISSION, day=DAY + timedelta(days=1)), TIMED_GATE, NOW, "wrong_date"),
    (SEAT, TRAIN_GATE, NOW, None),
    (replace(SEAT, subject_id=10), TRAIN_GATE, NOW, "wrong_trip"),
    (replace(SEAT, subject_id=10, day=DAY + timedelta(days=1)), TRAIN_GATE, NOW, "wrong_date"),
    (ADMISSION, TRAIN_GATE, NOW, "wrong_trip"),
    (replace(SEAT, board_seq=0), TRAIN_GATE, NOW, "wrong_station"),
])
def test_a_gate_checks_the_claims_against_what_it_admits(claims, scope, now, reason):
    assert check(claims, scope, now) == reason


KEY = Ed25519PrivateKey.generate()


@pytest.mark.parametrize("make, keys, tenant, reason", [
    (lambda: payload.sign(ADMISSION, KEY), {1: KEY.public_key()}, 7, None),
    (lambda: "hello", {1: KEY.public_key()}, 7, "unreadable"),
    (lambda: payload.sign(ADMISSION, KEY)[:60], {1: KEY.public_key()}, 7, "unreadable"),
    (lambda: payload.sign(ADMISSION, KEY), {1: KEY.public_key()}, 8, "other_operator"),
    (lambda: payload.sign(ADMISSION, KEY), {2: KEY.public_key()}, 7, "unknown_key"),
    (lambda: payload.sign(ADMISSION, Ed25519PrivateKey.generate()), {1: KEY.public_key()}, 7, "bad_signature"),
])
def test_a_payload_is_refused_with_the_gates_reason(make, keys, tenant, reason):
    try:
        payload.verify(make(), keys, tenant)
    except InvalidTicket as exc:
        assert exc.reason == reason
    else:
        assert reason is None


def test_every_reason_is_named_once_and_has_words_for_the_guard():
    from blueprints.gate.messages import REASON_LABELS, REASON_TEXTS

    assert len(set(REASONS)) == len(REASONS)
    assert set(REASON_TEXTS) == set(REASONS) == set(REASON_LABELS)


def test_a_gate_token_names_its_gate_on_its_own_site_until_it_expires(monkeypatch):
    from services.gate import tokens

    token = tokens.make("s" * 40, "zoo", 7)
    assert tokens.read("s" * 40, token, "zoo") == 7
    assert tokens.read("s" * 40, token, "zoo") == 7  # remembered: no HMAC this time
    for secret, slug, text in (("s" * 40, "fort", token), ("t" * 40, "zoo", token), ("s" * 40, "zoo", token[:-2])):
        with pytest.raises(tokens.BadToken):
            tokens.read(secret, text, slug)
    later = tokens.time.time() + tokens.MAX_AGE + 60
    monkeypatch.setattr(tokens.time, "time", lambda: later)  # the time module: itsdangerous reads it too
    with pytest.raises(tokens.BadToken):
        tokens.read("s" * 40, token, "zoo")
