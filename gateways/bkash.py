"""bKash tokenized checkout v1.2.0-beta as /tmp/spec/gateways.md "bKash" describes it: cached tokens, create,
the browser callback, execute, the status query, refunds and refund status."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

import requests

from gateways.base import (
    Callback,
    ForgedCallback,
    GatewayConfig,
    GatewayError,
    GatewayUnavailable,
    Outcome,
    PaidPayment,
    PaymentRequest,
    RefundResult,
    Source,
    StartedPayment,
    Verification,
    paid_outcome,
    read_amount,
    wire_amount,
)
from gateways.http import HttpClient, read_json

GRANT_PATH = "/tokenized/checkout/token/grant"
REFRESH_PATH = "/tokenized/checkout/token/refresh"
CREATE_PATH = "/tokenized/checkout/create"
EXECUTE_PATH = "/tokenized/checkout/execute"
STATUS_PATH = "/tokenized/checkout/payment/status"
REFUND_PATH = "/tokenized/checkout/payment/refund"  # also the refund status, asked without an amount

SUCCESS = "0000"
DUPLICATE_REFUND = "2071"
RENEW_BEFORE_EXPIRY = 60  # seconds
CALLBACK_STATUS = {"success": "success", "failure": "failed", "cancel": "cancelled"}
NOT_COMPLETED: dict[str, Outcome] = {"Failed": "failed", "Cancelled": "cancelled", "Expired": "failed",
                                     "Initiated": "pending", "Pending Authorized": "pending"}


@dataclass(frozen=True)
class _Token:
    id_token: str
    refresh_token: str
    renew_at: float  # time.monotonic() from which it is refreshed


# Tokens are per merchant, not per adapter instance: bKash frowns on a grant per payment.
_tokens: dict[tuple[str, str], _Token] = {}
_token_locks: dict[tuple[str, str], threading.Lock] = {}
_token_locks_guard = threading.Lock()


def _token_lock(key: tuple[str, str]) -> threading.Lock:
    """One lock per merchant, so one thread grants while the others wait for its token."""
    with _token_locks_guard:
        return _token_locks.setdefault(key, threading.Lock())


def _error(answer: Mapping) -> str:
    return f"{answer.get('statusCode')} {answer.get('statusMessage')}"


class Bkash:
    name = "bkash"

    def __init__(self, config: GatewayConfig, client: HttpClient | None = None):
        self.base_url = config.base_url.rstrip("/")
        self.app_key = config.credentials["app_key"]
        self.app_secret = config.credentials["app_secret"]
        self.username = config.credentials["username"]
        self.password = config.credentials["password"]
        self.client = client or HttpClient(timeout=config.timeout, retries=config.retries)
        self.token_key = (self.base_url, self.app_key)

    def start(self, request: PaymentRequest) -> StartedPayment:
        body = {"mode": "0011", "payerReference": request.customer_phone or "guest",
                "callbackURL": request.return_url, "amount": wire_amount(request.amount),
                "currency": request.currency, "intent": "sale", "merchantInvoiceNumber": request.tran_id}
        # Not retried: a lost answer only leaves an unused payment behind.
        answer = self._call(CREATE_PATH, body, retry=False)
        if answer.get("statusCode") != SUCCESS:
            raise GatewayError(f"bKash refused the payment: {_error(answer)}")
        if not answer.get("paymentID") or not answer.get("bkashURL"):
            raise GatewayUnavailable("bKash create answer without paymentID or bkashURL")
        return StartedPayment(redirect_url=answer["bkashURL"], gateway_ref=answer["paymentID"], raw=answer)

    def parse_callback(self, params: Mapping[str, str], *, source: Source) -> Callback:
        """The browser's callback (GET paymentID, status), or the simulator's JSON webhook standing in for
        bKash's portal webhook: only "ask about this paymentID", so none of its other fields is trusted."""
        fields = {key: params[key] for key in params}
        if not fields.get("paymentID"):
            raise ForgedCallback("bKash callback without paymentID")
        if source == "ipn":
            status = "success" if fields.get("transactionStatus") == "Completed" else "failed"
        elif fields.get("status") in CALLBACK_STATUS:
            status = CALLBACK_STATUS[fields["status"]]
        else:
            raise ForgedCallback(f"bKash callback with status {fields.get('status')!r}")
        return Callback(tran_id=None, gateway_ref=str(fields["paymentID"]), status=status, raw=fields)

    def verify(self, callback: Callback, *, tran_id: str, amount: Decimal, currency: str) -> Verification:
        # Only the browser's success callback leads to execute; a webhook tells of a payment executed
        # already (or not at all), so the status query answers it.
        if callback.status == "success" and "transactionStatus" not in callback.raw:
            executed = self._execute(callback.gateway_ref)
            if executed is not None:
                return _verdict(executed, tran_id=tran_id, amount=amount, currency=currency)
        return self.query(tran_id=tran_id, gateway_ref=callback.gateway_ref, amount=amount, currency=currency)

    def _execute(self, payment_id: str | None) -> dict | None:
        """Execute's answer, or None when it gave no usable one (an error such as 2062 / 2117, already completed
        or executed, or no answer at all). Execute is not idempotent, so it is sent once and the status query
        tells the rest."""
        try:
            answer = self._call(EXECUTE_PATH, {"paymentID": payment_id}, retry=False)
        except GatewayUnavailable:
            return None
        return answer if answer.get("statusCode") == SUCCESS else None

    def query(self, *, tran_id: str, gateway_ref: str | None, amount: Decimal, currency: str) -> Verification:
        if not gateway_ref:
            return _unknown(tran_id, "no bKash paymentID to ask about", {})
        answer = self._call(STATUS_PATH, {"paymentID": gateway_ref}, retry=True)
        if answer.get("statusCode") != SUCCESS:
            return _unknown(tran_id, f"bKash status query: {_error(answer)}", answer)
        return _verdict(answer, tran_id=tran_id, amount=amount, currency=currency)

    def refund(self, payment: PaidPayment, *, amount: Decimal, reason: str, refund_key: str) -> RefundResult:
        body = {"paymentID": payment.gateway_ref, "amount": wire_amount(amount), "trxID": payment.gateway_txn,
                "sku": refund_key, "reason": reason}
        # Retried safely: a repeated sku answers the first refund again, or 2071.
        answer = self._call(REFUND_PATH, body, retry=True)
        if answer.get("statusCode") == DUPLICATE_REFUND:
            return self.refund_status(payment, refund_ref=None, refund_key=refund_key)
        return _refund_result(answer)

    def refund_status(self, payment: PaidPayment, *, refund_ref: str | None, refund_key: str) -> RefundResult:
        answer = self._call(REFUND_PATH, {"paymentID": payment.gateway_ref, "trxID": payment.gateway_txn},
                            retry=True)
        return _refund_result(answer)

    def _call(self, path: str, body: dict, *, retry: bool) -> dict:
        """POST with the merchant's token. A token bKash refuses (401) is dropped and the call sent once more
        with a fresh grant; bKash did nothing with the refused call, so even execute may be sent again."""
        token = self._token()
        response = self._post(path, body, token, retry=retry)
        if response.status_code == 401:
            self._drop_token(token)
            response = self._post(path, body, self._token(), retry=retry)
            if response.status_code == 401:
                raise GatewayError(f"bKash refused a freshly granted token on {path}")
        return read_json(response, "POST", self.base_url + path)

    def _post(self, path: str, body: dict, token: str, *, retry: bool) -> requests.Response:
        headers = {"Authorization": token, "X-APP-Key": self.app_key}
        return self.client.request("POST", self.base_url + path, retry=retry, json=body, headers=headers)

    def _token(self) -> str:
        """The cached id_token, refreshed (or granted anew) from a minute before it expires."""
        with _token_lock(self.token_key):
            token = _tokens.get(self.token_key)
            if token is None or time.monotonic() >= token.renew_at:
                token = _tokens[self.token_key] = self._renewed(token)
            return token.id_token

    def _drop_token(self, id_token: str) -> None:
        with _token_lock(self.token_key):
            cached = _tokens.get(self.token_key)
            if cached is not None and cached.id_token == id_token:  # another thread may have renewed it already
                del _tokens[self.token_key]

    def _renewed(self, old: _Token | None) -> _Token:
        if old is not None:
            answer = self._token_call(REFRESH_PATH, {"refresh_token": old.refresh_token})
            if answer.get("statusCode") == SUCCESS and answer.get("id_token"):
                return _token_from(answer)
        answer = self._token_call(GRANT_PATH, {})
        if answer.get("statusCode") != SUCCESS or not answer.get("id_token"):
            raise GatewayError(f"bKash refused a token grant: {_error(answer)}")
        return _token_from(answer)

    def _token_call(self, path: str, extra: dict) -> dict:
        headers = {"username": self.username, "password": self.password}
        body = {"app_key": self.app_key, "app_secret": self.app_secret, **extra}
        return self.client.json("POST", self.base_url + path, retry=True, json=body, headers=headers)


def _token_from(answer: dict) -> _Token:
    try:
        lifetime = float(answer["expires_in"])
    except (KeyError, TypeError, ValueError):
        raise GatewayUnavailable("bKash token answer without a usable expires_in") from None
    return _Token(id_token=answer["id_token"], refresh_token=answer.get("refresh_token", ""),
                  renew_at=time.monotonic() + lifetime - RENEW_BEFORE_EXPIRY)


def _verdict(answer: dict, *, tran_id: str, amount: Decimal, currency: str) -> Verification:
    """What an execute or status answer says about our payment."""
    status = answer.get("transactionStatus")
    paid_amount = read_amount(answer.get("amount"))
    if status == "Completed":
        outcome, reason = paid_outcome(paid_tran_id=answer.get("merchantInvoiceNumber"), paid_amount=paid_amount,
                                       paid_currency=answer.get("currency"), tran_id=tran_id, amount=amount,
                                       currency=currency)
    else:
        outcome, reason = NOT_COMPLETED.get(status, "unknown"), f"bKash transactionStatus {status}"
    return Verification(outcome=outcome, tran_id=answer.get("merchantInvoiceNumber") or None, amount=paid_amount,
                        currency=answer.get("currency") or None, gateway_txn=answer.get("trxID") or None,
                        reason=reason, raw=answer, gateway_ref=answer.get("paymentID") or None)


def _unknown(tran_id: str, reason: str, raw: dict) -> Verification:
    return Verification(outcome="unknown", tran_id=tran_id, amount=None, currency=None, gateway_txn=None,
                        reason=reason, raw=raw)


def _refund_result(answer: dict) -> RefundResult:
    if answer.get("statusCode") != SUCCESS:
        return RefundResult(status="failed", refund_ref=None, reason=f"bKash refund: {_error(answer)}", raw=answer)
    if answer.get("transactionStatus") == "Completed":
        return RefundResult(status="done", refund_ref=answer.get("refundTrxID") or None, reason="", raw=answer)
    return RefundResult(status="pending", refund_ref=answer.get("refundTrxID") or None,
                        reason=f"bKash transactionStatus {answer.get('transactionStatus')}", raw=answer)
