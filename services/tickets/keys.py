"""The tenant's ticket signing keys (Ed25519), one active for signing at a time.

Keys are numbered 1, 2, 3... (the `kid` a payload names). The newest active key signs; older active
keys still verify, so tickets issued before a rotation stay valid until their key is retired.
Private keys are sealed with services.crypto under a context naming the tenant and the key, so a
sealed key cannot be moved to another tenant. The first signature makes the first key (the insert
is race-free: two processes making key 1 at once end with one key 1).
"""
from __future__ import annotations

import base64
import threading
import time

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models import db
from models.base import utcnow
from models.messaging import TicketKey
from services import crypto, tenant_db, transactions

PUBLIC_KEYS_TTL = 30
_public_cache: dict[str, tuple[float, dict[int, Ed25519PublicKey]]] = {}
_private_cache: dict[tuple[str, int, str], Ed25519PrivateKey] = {}
_lock = threading.Lock()


class UnknownKey(LookupError):
    """No such key, or it is retired."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _context(kid: int) -> str:
    return f"ticket-key:{tenant_db.require_tenant().slug}:{kid}"


def _new_key_values(kid: int) -> dict:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"id": kid, "public_key": b64url(raw_public), "status": "active", "created_at": utcnow(),
            "private_key": crypto.seal(b64url(raw_private), context=_context(kid))}


def signing_key() -> TicketKey:
    """The newest active key, made on first use (inside the caller's transaction)."""
    key = db.session.scalar(sa.select(TicketKey).where(TicketKey.status == "active").order_by(TicketKey.id.desc())
                            .limit(1))
    if key is None:
        db.session.execute(transactions.insert_or_skip(TicketKey, "id").values(**_new_key_values(1)))
        key = db.session.scalar(sa.select(TicketKey).where(TicketKey.status == "active")
                                .order_by(TicketKey.id.desc()).limit(1))
        if key is None:  # key 1 exists but was retired with no successor: make the next one
            return rotate(commit=False)
    return key


def private_key(key: TicketKey) -> Ed25519PrivateKey:
    cache_key = (tenant_db.require_tenant().slug, key.id, key.private_key)
    found = _private_cache.get(cache_key)
    if found is None:
        raw = _unb64url(crypto.open_sealed(key.private_key, context=_context(key.id)))
        found = Ed25519PrivateKey.from_private_bytes(raw)
        with _lock:
            _private_cache[cache_key] = found
    return found


def public_keys(*, active_only: bool = True) -> dict[int, Ed25519PublicKey]:
    query = sa.select(TicketKey.id, TicketKey.public_key)
    if active_only:
        query = query.where(TicketKey.status == "active")
    return {kid: Ed25519PublicKey.from_public_bytes(_unb64url(public))
            for kid, public in db.session.execute(query.order_by(TicketKey.id))}


def cached_public_keys() -> dict[int, Ed25519PublicKey]:
    """The active public keys, kept by this process for PUBLIC_KEYS_TTL seconds: a gate verifies
    hundreds of tickets a second and must not ask the database each time. A key retired here is
    forgotten at once; in the other processes within the TTL."""
    slug = tenant_db.require_tenant().slug
    found = _public_cache.get(slug)
    if found is None or found[0] < time.monotonic():
        found = (time.monotonic() + PUBLIC_KEYS_TTL, public_keys())
        _public_cache[slug] = found
    return found[1]


def rotate(*, commit: bool = True) -> TicketKey:
    """Add a new key that signs from now on; the older ones keep verifying until retired."""
    def unit():
        newest = db.session.scalar(sa.select(sa.func.max(TicketKey.id))) or 0
        values = _new_key_values(newest + 1)
        db.session.execute(transactions.insert_or_skip(TicketKey, "id").values(**values))
        key = db.session.get(TicketKey, values["id"])
        if commit:
            transactions.commit()
        _public_cache.pop(tenant_db.require_tenant().slug, None)
        return key

    return transactions.run(unit) if commit else unit()


def retire(kid: int) -> TicketKey:
    """The key signs nothing more and its tickets admit nobody (a lost or leaked key)."""
    def unit():
        key = db.session.get(TicketKey, kid)
        if key is None:
            raise UnknownKey(f"no ticket key {kid}")
        if key.status != "retired":
            key.status, key.retired_at = "retired", utcnow()
        transactions.commit()
        _public_cache.pop(tenant_db.require_tenant().slug, None)
        return key

    return transactions.run(unit)


def listing() -> list[TicketKey]:
    return list(db.session.scalars(sa.select(TicketKey).order_by(TicketKey.id)))


def jwks() -> dict:
    """The public keys that admit, as a JWK set (RFC 8037: OKP, Ed25519), for gate devices."""
    rows = db.session.execute(sa.select(TicketKey.id, TicketKey.public_key).where(TicketKey.status == "active")
                              .order_by(TicketKey.id))
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": str(kid), "x": public, "use": "sig", "alg": "EdDSA"}
                     for kid, public in rows]}
