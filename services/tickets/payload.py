"""The QR payload: compact binary, signed with Ed25519, written in base45 so that the QR code uses
its alphanumeric mode (RFC 9285, as the EU's health certificates do): about 95 bytes become about
145 characters, a version 6 code at error correction M, big modules that scan from a cracked screen.

Layout (big-endian), then the 64-byte signature of all of it:
  version u8 | key id u16 | tenant id u32 | ticket id u32 | kind u8 | trip or event id u32 |
  day u16 (local date, days since 2000-01-01) | slot id u32 (0: none) | board u8 | alight u8 (a seat's
  stop sequence numbers, 0 the origin; 0 on other tickets) |
  seat or admission type (u8 length + UTF-8, at most 16 bytes) | passenger tag (u8 length + UTF-8, at most 8)
Only what the gate needs: no name, phone or price. A ticket number alone, or a payload whose
signature is cut or changed, admits nobody.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date

import base45
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "JT:"
VERSION = 1
KINDS = {"seat": 1, "plan_seat": 2, "admission": 3}
KIND_NAMES = {v: k for k, v in KINDS.items()}
EPOCH = date(2000, 1, 1)
_HEAD = struct.Struct(">BHIIBIHIBB")
SIGNATURE_BYTES = 64
MAX_LABEL, MAX_TAG = 16, 8


class InvalidTicket(ValueError):
    """Not a ticket we issued: unreadable, cut, changed, signed by an unknown or retired key, or
    another tenant's. `reason` is the gate's code for it (services/gate/scope.REASONS)."""

    def __init__(self, message: str, reason: str = "unreadable"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TicketClaims:
    key_id: int
    tenant_id: int
    ticket_id: int
    kind: str
    subject_id: int  # the trip (rail) or the event
    day: date
    slot_id: int | None
    board_seq: int | None
    alight_seq: int | None
    label: str  # the seat, or the admission's ticket type
    tag: str  # a short passenger tag: initials and age


def _short(text: str, limit: int) -> bytes:
    """UTF-8, cut to `limit` bytes without splitting a character."""
    return (text or "").encode()[:limit].decode(errors="ignore").encode()


def passenger_tag(name: str | None, age: int | None = None) -> str:
    """Initials (up to three) and the age: 'RH34'. Enough for a guard to glance at an ID card."""
    initials = "".join(word[0] for word in (name or "").split()[:3]).upper()
    return _short(f"{initials}{age if age is not None else ''}", MAX_TAG).decode()


def body(claims: TicketClaims) -> bytes:
    label, tag = _short(claims.label, MAX_LABEL), _short(claims.tag, MAX_TAG)
    head = _HEAD.pack(VERSION, claims.key_id, claims.tenant_id, claims.ticket_id, KINDS[claims.kind],
                      claims.subject_id, (claims.day - EPOCH).days, claims.slot_id or 0, claims.board_seq or 0,
                      claims.alight_seq or 0)
    return head + bytes([len(label)]) + label + bytes([len(tag)]) + tag


def sign(claims: TicketClaims, private: Ed25519PrivateKey) -> str:
    data = body(claims)
    return PREFIX + base45.b45encode(data + private.sign(data)).decode()


def _parse(data: bytes) -> TicketClaims:
    try:
        version, kid, tenant, ticket, kind, subject, day, slot, board, alight = _HEAD.unpack_from(data)
        pos = _HEAD.size
        label = data[pos + 1:pos + 1 + data[pos]]
        pos += 1 + data[pos]
        tag = data[pos + 1:pos + 1 + data[pos]]
        pos += 1 + data[pos]
        if version != VERSION or kind not in KIND_NAMES or pos != len(data):
            raise InvalidTicket("not a ticket payload")
        rail = KIND_NAMES[kind] == "seat"  # a seat's stops are sequence numbers, 0 the origin
        return TicketClaims(kid, tenant, ticket, KIND_NAMES[kind], subject, date.fromordinal(EPOCH.toordinal() + day),
                            slot or None, board if rail else None, alight if rail else None, label.decode(),
                            tag.decode())
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise InvalidTicket("not a ticket payload") from exc


def read(text: str) -> tuple[TicketClaims, bytes, bytes]:
    """The claims, the signed bytes and the signature, unverified (InvalidTicket if unreadable)."""
    text = (text or "").strip()
    if not text.startswith(PREFIX):
        raise InvalidTicket("not a ticket payload")
    try:
        raw = base45.b45decode(text[len(PREFIX):])
    except (ValueError, TypeError) as exc:
        raise InvalidTicket("not a ticket payload") from exc
    if len(raw) <= _HEAD.size + SIGNATURE_BYTES:
        raise InvalidTicket("payload cut short")
    data, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    return _parse(data), data, signature


def verify(text: str, public_keys: dict[int, Ed25519PublicKey], tenant_id: int) -> TicketClaims:
    """The claims of a payload signed by one of `public_keys` for `tenant_id`, or InvalidTicket."""
    claims, data, signature = read(text)
    if claims.tenant_id != tenant_id:
        raise InvalidTicket("another operator's ticket", "other_operator")
    key = public_keys.get(claims.key_id)
    if key is None:
        raise InvalidTicket("signed by an unknown or retired key", "unknown_key")
    try:
        key.verify(signature, data)
    except InvalidSignature as exc:
        raise InvalidTicket("the signature does not match", "bad_signature") from exc
    return claims
