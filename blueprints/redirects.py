"""Where to send someone after a login or a language switch: only ever a path on this same site.

Checked by parsing, not by matching prefixes. Browsers forgive a lot in a Location header: they drop
tabs and newlines (`/\\t/evil.example` becomes `//evil.example`), read a backslash as a slash, and some
proxies decode `%2F` before routing; so anything that needs forgiving is refused outright.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import request
from werkzeug.urls import iri_to_uri


def _has_control_character(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text)


def _is_local_path(path: str) -> bool:
    """`path` begins with one slash, has no backslash, no control character and no dot segment."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or _has_control_character(path):
        return False
    return not any(segment in (".", "..") for segment in path.split("/"))


def safe_next(target: str | None, default: str, *, under: str = "/") -> str:
    """`target` if it is a path on this site within `under` (e.g. "/staff"), else `default`. The
    answer is ASCII (other scripts percent-encoded), fit for a Location or HX-Location header."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target or _has_control_character(target):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 host
        return default
    if parts.scheme or parts.netloc or not _is_local_path(parts.path):
        return default
    decoded = unquote(parts.path)  # what a decoding proxy or router would see
    if not _is_local_path(decoded) or not _is_local_path(unquote(decoded)):
        return default
    under = under.rstrip("/")
    if under and not (decoded == under or decoded.startswith(under + "/")):
        return default
    return iri_to_uri(target)


def requested_next(default: str, *, under: str = "/") -> str:
    """The request's `?next=` if it is safe (see `safe_next`), else `default`."""
    return safe_next(request.args.get("next"), default, under=under)


def referrer_path() -> str | None:
    """The path of the page this request came from, for `safe_next` to check as a path on this site."""
    try:
        return urlsplit(request.referrer).path if request.referrer else None
    except ValueError:  # a malformed Referer header
        return None
