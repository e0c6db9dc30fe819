import base64
import os

import pytest

from services.crypto import DecryptionError, Sealer


def key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_seal_and_open_round_trip_and_hide_the_plaintext():
    sealer = Sealer(key())
    sealed = sealer.seal("1234567890123", context="nid")
    assert "1234567890123" not in sealed
    assert sealer.open(sealed, context="nid") == "1234567890123"
    assert sealer.seal("same") != sealer.seal("same")  # a fresh nonce every time


def test_a_value_sealed_for_one_use_does_not_open_for_another():
    sealer = Sealer(key())
    with pytest.raises(DecryptionError):
        sealer.open(sealer.seal("pw", context="tenant-db:zoo"), context="tenant-db:fort")


def test_tampering_is_detected():
    sealer = Sealer(key())
    key_id, body = sealer.seal("secret").split(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        sealer.open(f"{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}")


def test_old_keys_still_open_after_rotation_and_unknown_keys_do_not():
    old, new = key(), key()
    sealed_before = Sealer(old).seal("secret")
    assert Sealer(new, [old]).open(sealed_before) == "secret"
    with pytest.raises(DecryptionError):
        Sealer(new).open(sealed_before)


def test_keys_never_show_in_reprs():
    k = key()
    assert k not in repr(Sealer(k))


def test_keys_must_be_32_bytes():
    with pytest.raises(ValueError):
        Sealer(base64.urlsafe_b64encode(b"short").decode())
