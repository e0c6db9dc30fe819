"""QR payloads: compact, signed with Ed25519, refused when cut, changed, unknown or another tenant's,
and small enough for a QR code of version 10 or less at error correction M (measured here)."""
from __future__ import annotations

from datetime import date

import base45
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.tickets import payload, qr
from services.tickets.payload import InvalidTicket, TicketClaims


def claims(**changes) -> TicketClaims:
    values = dict(key_id=1, tenant_id=7, ticket_id=123456, kind="seat", subject_id=4242, day=date(2026, 12, 12),
                  slot_id=None, board_seq=1, alight_seq=3, label="KA-12",
                  tag=payload.passenger_tag("Rahima Khatun", 34))
    values.update(changes)
    return TicketClaims(**values)


@pytest.fixture
def key():
    return Ed25519PrivateKey.generate()


def test_a_signed_payload_verifies_and_says_what_the_gate_needs(key):
    text = payload.sign(claims(), key)
    assert text.startswith("JT:")
    assert payload.verify(text, {1: key.public_key()}, tenant_id=7) == claims()
    assert claims().tag == "RK34"


def test_the_payload_fits_a_qr_code_of_version_10_or_less_at_m_for_the_longest_labels(key):
    longest = claims(ticket_id=2**32 - 1, subject_id=2**32 - 1, slot_id=2**32 - 1, key_id=65535,
                     label="অগ্রিম টিকিট প্রাপ্তবয়স্ক", tag=payload.passenger_tag("অমিত কুমার রায়", 120))
    text = payload.sign(longest, key)
    code = qr.make(text)
    assert code.mode == "alphanumeric" and code.error == "M"
    assert code.version <= 10
    print(f"QR payload: {len(text)} characters, version {code.version}-M ({code.symbol_size()[0]} modules)")
    # the label is cut at 16 bytes, never in the middle of a letter
    assert payload.verify(text, {65535: key.public_key()}, tenant_id=7).label == "অগ্রি"


@pytest.mark.parametrize("kind, slot", [("plan_seat", None), ("admission", 99)])
def test_event_tickets_round_trip(key, kind, slot):
    event = claims(kind=kind, slot_id=slot, board_seq=None, alight_seq=None, label="Adult", tag="MK")
    assert payload.verify(payload.sign(event, key), {1: key.public_key()}, tenant_id=7) == event


def _raw(text: str) -> bytearray:
    return bytearray(base45.b45decode(text[3:]))


def _text(raw: bytes) -> str:
    return "JT:" + base45.b45encode(bytes(raw)).decode()


def test_a_changed_byte_anywhere_is_refused(key):
    text = payload.sign(claims(), key)
    raw = _raw(text)
    for position in range(len(raw)):
        changed = bytearray(raw)
        changed[position] ^= 0x01
        with pytest.raises(InvalidTicket):
            payload.verify(_text(changed), {1: key.public_key()}, tenant_id=7)


def test_a_cut_or_missing_signature_is_refused(key):
    text = payload.sign(claims(), key)
    raw = _raw(text)
    for cut in (1, 10, 63, 64, len(raw) - 1):
        with pytest.raises(InvalidTicket):
            payload.verify(_text(raw[:-cut]), {1: key.public_key()}, tenant_id=7)
    with pytest.raises(InvalidTicket):
        payload.verify(text[:-5], {1: key.public_key()}, tenant_id=7)


def test_a_seat_moved_to_another_ticket_is_refused(key):
    """Someone copies a signature onto a payload naming another seat."""
    genuine, forged = _raw(payload.sign(claims(), key)), _raw(payload.sign(claims(label="KA-13"), key))
    spliced = forged[:-64] + genuine[-64:]
    with pytest.raises(InvalidTicket, match="signature"):
        payload.verify(_text(spliced), {1: key.public_key()}, tenant_id=7)


@pytest.mark.parametrize("text", ["", "RAIL-2026-000123-1", "JT:", "JT:!!!", "JT:" + "0" * 30,
                                  "https://example.com/JT:ABC"])
def test_a_ticket_number_or_garbage_admits_nobody(key, text):
    with pytest.raises(InvalidTicket):
        payload.verify(text, {1: key.public_key()}, tenant_id=7)


def test_an_unknown_key_or_another_tenants_ticket_is_refused(key):
    text = payload.sign(claims(), key)
    other = Ed25519PrivateKey.generate()
    with pytest.raises(InvalidTicket, match="unknown or retired"):
        payload.verify(text, {2: key.public_key()}, tenant_id=7)
    with pytest.raises(InvalidTicket, match="signature"):
        payload.verify(text, {1: other.public_key()}, tenant_id=7)
    with pytest.raises(InvalidTicket, match="another operator"):
        payload.verify(text, {1: key.public_key()}, tenant_id=8)


def test_the_qr_drawing_is_an_inline_svg_that_scales():
    svg = qr.svg("JT:ABC", title="RAIL-2026-000123-1")
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg and "<title>RAIL-2026-000123-1</title>" in svg
    assert "width=" not in svg.split(">")[0]  # the page's CSS sizes it
