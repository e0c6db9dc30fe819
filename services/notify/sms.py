"""SMS through SSL Wireless ISMS (the SMS arm of the SSLCommerz company), API v3 "send-sms".

Request: POST <url>/api/v3/send-sms, a JSON body {api_token, sid, msisdn, sms, csms_id}; msisdn is
8801XXXXXXXXX, the text is sent as UTF-8 (the provider detects Bangla and bills it as Unicode).
Answer: {status: SUCCESS | FAILED, status_code: 200 | 4xxx | 5000, error_message,
smsinfo: [{sms_status, status_message, msisdn, sms_type, csms_id, reference_id}]}.

`csms_id` is the client's id for one SMS (at most 20 characters): the provider refuses a second SMS
with an id it has seen that day (4023 "Duplicate CSMS ID"). Ours is derived from the notification's
key, so a send repeated after a timeout or a worker's death is refused instead of sent twice, and
that refusal means the first one went: it is answered as accepted. That is also why the HTTP call
may be retried on a connection error, a timeout or a 5xx.
"""
from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

from gateways.base import GatewayUnavailable
from gateways.http import HttpClient, read_json
from services.notify.senders import DeliveryError, SmsSender
from services.phones import PhoneError, normalise_phone

DEFAULT_URL = "https://smsplus.sslwireless.com"
SEND_PATH = "/api/v3/send-sms"
CSMS_ID_LENGTH = 20
DUPLICATE_CSMS_ID = 4023
RETRYABLE_CODES = {4029, 4031}  # too many requests, TPS exceeded; and every 5xxx (provider errors)


def csms_id(key: str, scope: str = "") -> str:
    """The provider's client id for the message with this key: 20 hex digits, the same every time.
    `scope` (the tenant) keeps two tenants sharing one account from refusing each other's messages."""
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()[:CSMS_ID_LENGTH]


def msisdn(to: str) -> str:
    """+8801712345678 (or any way a Bangladeshi number is written) -> 8801712345678."""
    try:
        return normalise_phone(to)[1:]
    except PhoneError:
        raise DeliveryError(f"{to!r} is not a Bangladeshi mobile number", retryable=False) from None


class SslWirelessSms(SmsSender):
    idempotent = True

    def __init__(self, url: str, sid: str, api_token: str, *, scope: str = "", timeout: float = 10.0,
                 retries: int = 2, session=None):
        base = (url or DEFAULT_URL).rstrip("/")
        self.endpoint = base if urlsplit(base).path.endswith("/send-sms") else base + SEND_PATH
        self.sid, self._token, self.scope = sid, api_token, scope
        self.http = HttpClient(timeout=timeout, retries=retries, session=session)

    def __repr__(self) -> str:  # never the token
        return f"<SslWirelessSms {self.endpoint} sid={self.sid}>"

    def send_sms(self, to: str, text: str, *, key: str) -> str:
        client_id = csms_id(key, self.scope)
        body = {"api_token": self._token, "sid": self.sid, "msisdn": msisdn(to), "sms": text, "csms_id": client_id}
        try:
            response = self.http.request(
                "POST", self.endpoint, retry=True,  # safe: a repeat with this csms_id is refused, never sent
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
            answer = read_json(response, "POST", self.endpoint)
        except GatewayUnavailable as exc:
            raise DeliveryError(f"SSL Wireless unreachable: {exc}", retryable=True) from None
        return _read_answer(answer, response.status_code, client_id)


def _read_answer(answer: dict, http_status: int, client_id: str) -> str:
    """The operator's line for an accepted SMS; DeliveryError for a refused one."""
    try:
        code = int(answer.get("status_code") or 0)
    except (TypeError, ValueError):
        code = 0
    info = (answer.get("smsinfo") or [{}])[0] or {}
    reason = str(answer.get("error_message") or info.get("status_message") or answer.get("status") or "")
    if code == DUPLICATE_CSMS_ID or "duplicate c" in reason.lower():  # "Duplicate CSMS ID" / "Duplicate CMS ID"
        return f"accepted earlier (csms_id {client_id} already taken: {reason or code})"
    if code == 200 and str(answer.get("status")).upper() == "SUCCESS" and \
            str(info.get("sms_status", "SUCCESS")).upper() == "SUCCESS":
        return f"accepted, reference {info.get('reference_id') or '?'} ({info.get('sms_type') or 'sms'})"
    if code == 200:  # the request was fine, this SMS was not: "Invalid MSISDN", "Blocked MSISDN"...
        raise DeliveryError(f"SSL Wireless refused the SMS: {reason or 'no reason given'}", retryable=False)
    retryable = code in RETRYABLE_CODES or code >= 5000 or (not code and http_status >= 500)
    raise DeliveryError(f"SSL Wireless {code or 'HTTP ' + str(http_status)}: {reason or 'no reason given'}",
                        retryable=retryable)
