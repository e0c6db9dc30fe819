"""The token a gate console sends with each scan (header X-Gate-Token): the tenant and the gate,
signed with the app's secret. It spares a scan the login-session lookup every other staff request
makes; the gate itself must still be open (checked through the gate's cached scope)."""
from __future__ import annotations

import time

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "jatra-gate-token"
MAX_AGE = 36 * 3600  # a long shift and the night after it; opening the gate again makes a new one
KEPT = 4096  # tokens this process has checked, so that a gate's every scan does not check its HMAC again
_checked: dict[tuple[str, str], tuple[str, int, float]] = {}  # (secret, token) -> (slug, gate id, valid until)


class BadToken(Exception):
    """Missing, forged, expired, or for another tenant."""


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def make(secret: str, tenant_slug: str, gate_id: int) -> str:
    return _serializer(secret).dumps([tenant_slug, gate_id])


def read(secret: str, token: str | None, tenant_slug: str) -> int:
    """The gate id the token names, or BadToken."""
    key = (secret, token or "")
    found = _checked.get(key)
    if found is None or found[2] < time.time():
        try:
            (slug, gate_id), signed_at = _serializer(secret).loads(token or "", max_age=MAX_AGE,
                                                                   return_timestamp=True)
        except (BadSignature, ValueError, TypeError) as exc:
            raise BadToken("bad gate token") from exc
        if len(_checked) >= KEPT:
            _checked.clear()
        found = _checked[key] = (slug, gate_id, signed_at.timestamp() + MAX_AGE)
    slug, gate_id, _ = found
    if slug != tenant_slug or not isinstance(gate_id, int):
        raise BadToken("another site's gate token")
    return gate_id
