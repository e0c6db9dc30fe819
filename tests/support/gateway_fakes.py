"""A stand-in for requests.Session in the gateway adapters' unit tests: no network, canned answers."""
from __future__ import annotations

from urllib.parse import urlsplit


class FakeResponse:
    def __init__(self, payload: dict, status_code: int = 200):
        self.payload, self.status_code = payload, status_code

    def json(self) -> dict:
        return self.payload


class FakeTransport:
    """Records each request and answers from canned replies queued per path (a dict is a 200 JSON
    answer, a FakeResponse is sent as it is, an exception is raised)."""

    def __init__(self, replies: dict[str, list]):
        self.replies, self.sent = replies, []

    def request(self, method: str, url: str, **kwargs) -> FakeResponse:
        path = urlsplit(url).path
        self.sent.append((method, path, kwargs))
        reply = self.replies[path].pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply if isinstance(reply, FakeResponse) else FakeResponse(reply)

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.sent]
