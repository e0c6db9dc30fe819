"""A loopback stand-in for SSL Wireless ISMS (API v3 "send-sms"), for tests and local runs.

It speaks the provider's request and answer shape (services/notify/sms.py), checks the token and
sid, refuses an invalid MSISDN or a csms_id it has seen (4023, as the real one does within a day),
records every request, and can be told to fail the next calls:

    provider = FakeSmsProvider(api_token="t0ken", sid="JATRA").start()
    provider.fail_next(2)                          # HTTP 500 twice
    provider.fail_next(1, code=4029, message="Too Many Requests")
    provider.fail_next(1, accept=True)             # takes the SMS, then the answer is lost (HTTP 500)
    provider.stop()

`python -m tests.support.sms_provider [PORT]` serves one until interrupted (token "local", sid "JATRA").
"""
from __future__ import annotations

import itertools
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MSISDN = re.compile(r"^8801[3-9]\d{8}$")


@dataclass
class Failure:
    http_status: int = 500
    code: int | None = None  # an error answer (HTTP 200, status FAILED) instead of an HTTP error
    message: str = "Internal Error"
    accept: bool = False  # take the SMS first: the answer is lost, the message is not


@dataclass
class FakeSmsProvider:
    api_token: str = "t0ken"
    sid: str = "JATRA"
    requests: list[dict] = field(default_factory=list)  # {"path", "headers", "raw", "json"}
    sent: list[dict] = field(default_factory=list)  # accepted SMS: {"msisdn", "sms", "csms_id", "reference_id"}

    def __post_init__(self):
        self._lock = threading.Lock()
        self._failures: list[Failure] = []
        self._seen: set[str] = set()
        self._refs = itertools.count(7001)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> FakeSmsProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = provider.answer(self.path, dict(self.headers), raw)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-sms-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def fail_next(self, n: int = 1, **how) -> None:
        with self._lock:
            self._failures += [Failure(**how) for _ in range(n)]

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._seen.clear()
            self.requests.clear()
            self.sent.clear()

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict | bytes]:
        with self._lock:
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            self.requests.append({"path": path, "headers": headers, "raw": raw, "json": body})
            if path.rstrip("/") != "/api/v3/send-sms":
                return 404, _failed(4004, "Invalid API URL")
            failure = self._failures.pop(0) if self._failures else None
            if failure and failure.accept:
                self._take(body)
            if failure:
                if failure.code is None:
                    return failure.http_status, failure.message.encode()
                return 200, _failed(failure.code, failure.message)
            if not isinstance(body, dict):
                return 200, _failed(4005, "Invalid Request Format")
            return 200, self._send(body)

    def _send(self, body: dict) -> dict:
        if body.get("api_token") != self.api_token:
            return _failed(4001, "Unauthorized")
        if body.get("sid") != self.sid:
            return _failed(4002, "SID Not Permitted")
        if not all(body.get(k) for k in ("msisdn", "sms", "csms_id")):
            return _failed(4022, "Required Parameter Missing")
        if len(str(body["csms_id"])) > 20:
            return _failed(4020, "Invalid CSMS ID")
        if not MSISDN.match(str(body["msisdn"])):
            return _failed(4025, "Invalid MSISDN")
        if body["csms_id"] in self._seen:
            return _failed(4023, "Duplicate CSMS ID")
        sms = self._take(body)
        return {"status": "SUCCESS", "status_code": 200, "error_message": "",
                "smsinfo": [{"sms_status": "SUCCESS", "status_message": "Success", "msisdn": sms["msisdn"],
                             "sms_type": "EN" if sms["sms"].isascii() else "BN", "sms_body": sms["sms"],
                             "csms_id": sms["csms_id"], "reference_id": sms["reference_id"]}]}

    def _take(self, body: dict) -> dict:
        sms = {"msisdn": body["msisdn"], "sms": body["sms"], "csms_id": body["csms_id"],
               "reference_id": str(next(self._refs))}
        self._seen.add(body["csms_id"])
        self.sent.append(sms)
        return sms


def _failed(code: int, message: str) -> dict:
    return {"status": "FAILED", "status_code": code, "error_message": message, "smsinfo": []}


if __name__ == "__main__":
    fake = FakeSmsProvider(api_token="local").start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"fake SSL Wireless at {fake.url} (api_token=local, sid=JATRA); Ctrl-C stops it")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()
