"""Encryption at rest for secrets and PII (AES-256-GCM).

A stored value reads `<key id>:<base64(nonce + ciphertext)>`. The key id names which key sealed
it, so the key can be rotated: the current key seals, and any key listed in
DATA_ENCRYPTION_OLD_KEYS still opens what it sealed before.
"""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class DecryptionError(ValueError):
    """The value was not sealed by any key we hold, or was tampered with."""


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM

    def __repr__(self) -> str:  # never show key material
        return f"<key {self.id}>"


def _load(b64: str) -> _Key:
    raw = base64.urlsafe_b64decode(b64.encode())
    if len(raw) != 32:
        raise ValueError("an AES-256 key is 32 bytes")
    return _Key(id=hashlib.sha256(raw).hexdigest()[:8], aead=AESGCM(raw))


class Sealer:
    """Seals and opens short strings with AES-256-GCM; `context` binds a value to its use."""

    def __init__(self, current_key: str, old_keys: list[str] | tuple[str, ...] = ()):
        self._current = _load(current_key)
        self._keys = {self._current.id: self._current}
        for key in old_keys:
            loaded = _load(key)
            self._keys.setdefault(loaded.id, loaded)

    def seal(self, plaintext: str, context: str = "") -> str:
        nonce = os.urandom(12)
        data = self._current.aead.encrypt(nonce, plaintext.encode(), context.encode() or None)
        return f"{self._current.id}:{base64.urlsafe_b64encode(nonce + data).decode()}"

    def open(self, sealed: str, context: str = "") -> str:
        key_id, _, body = sealed.partition(":")
        key = self._keys.get(key_id)
        if key is None or not body:
            raise DecryptionError("sealed with an unknown key")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            return key.aead.decrypt(raw[:12], raw[12:], context.encode() or None).decode()
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("value does not open with its key") from exc

    def __repr__(self) -> str:
        return f"<Sealer current={self._current.id}>"


_sealer: Sealer | None = None


def configure(current_key: str, old_keys: str | None = None) -> None:
    global _sealer
    olds = [k.strip() for k in (old_keys or "").split(",") if k.strip()]
    _sealer = Sealer(current_key, olds)


def sealer() -> Sealer:
    if _sealer is None:
        raise RuntimeError("encryption is not configured: create_app() sets it up")
    return _sealer


def seal(plaintext: str, context: str = "") -> str:
    return sealer().seal(plaintext, context)


def open_sealed(sealed: str, context: str = "") -> str:
    return sealer().open(sealed, context)
