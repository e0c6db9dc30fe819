"""HTTP for gateway calls: timeouts on every call, bounded retries for calls that are safe to
repeat, and nothing swallowed (a failure is GatewayUnavailable with what happened).

Local hosts: `zoo.localhost` is loopback to a browser, but Python's resolver may not know it, so a
URL on a `*.localhost` host is sent to 127.0.0.1 with the original Host header (the simulator's
notifications reach the tenant's host that way, as a real gateway's would through DNS).
"""
from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit, urlunsplit

import requests

from gateways.base import GatewayUnavailable

log = logging.getLogger(__name__)
RETRY_PAUSE = 0.2  # seconds, doubled after each failed try


def loopback(url: str) -> tuple[str, dict]:
    """(url to connect to, extra headers): `*.localhost` goes to 127.0.0.1 with its Host kept."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith(".localhost"):
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc)), {"Host": parts.netloc}
    return url, {}


class HttpClient:
    """One requests.Session per adapter instance; every call has a timeout."""

    def __init__(self, timeout: float = 10.0, retries: int = 2, session: requests.Session | None = None):
        self.timeout, self.retries = timeout, retries
        self.session = session or requests.Session()

    def request(self, method: str, url: str, *, retry: bool, **kwargs) -> requests.Response:
        """Send; when `retry`, a connection failure, a timeout or a 5xx is tried again up to
        `retries` more times. Raises GatewayUnavailable when no usable answer came."""
        target, extra = loopback(url)
        headers = {**extra, **(kwargs.pop("headers", None) or {})}
        tries = 1 + (self.retries if retry else 0)
        problem = ""
        for attempt in range(1, tries + 1):
            try:
                response = self.session.request(method, target, headers=headers, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500:
                    return response
                problem = f"HTTP {response.status_code}"
            log.warning("gateway call %s %s failed (%s), try %d of %d", method, urlsplit(url).path, problem,
                        attempt, tries)
            if attempt < tries:
                time.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
        raise GatewayUnavailable(f"{method} {urlsplit(url).path}: {problem}")

    def json(self, method: str, url: str, *, retry: bool, **kwargs) -> dict:
        """The answer's JSON object; an answer that is not one is GatewayUnavailable."""
        return read_json(self.request(method, url, retry=retry, **kwargs), method, url)


def read_json(response: requests.Response, method: str, url: str) -> dict:
    """`response`'s JSON object (for callers that look at the HTTP status first); GatewayUnavailable when it is
    not one. `method` and `url` only name the call in the error."""
    try:
        data = response.json()
    except ValueError:
        raise GatewayUnavailable(f"{method} {urlsplit(url).path}: HTTP {response.status_code}, not JSON") from None
    if not isinstance(data, dict):
        raise GatewayUnavailable(f"{method} {urlsplit(url).path}: JSON that is not an object")
    return data
