"""The simulated bKash tokenized checkout v1.2.0-beta (spec "bKash tokenized checkout"): tokens, create,
the customer's choice with its redirect and webhook stand-in, execute, status query, refund and refund
status. HTTP is routes_bkash.py's business; this module only keeps the state and builds the answers.

Error codes are bKash's published ones; those the spec fixes are used where it says (2056, 2117)."""
from __future__ import annotations

import copy
import secrets
import threading
import time
from decimal import Decimal
from typing import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gateways.sandbox.behaviour import Behaviour
from gateways.sandbox.delivery import Notification
from gateways.sandbox.records import BkashPayment, BrowserReturn, Refund
from gateways.sandbox.values import dhaka_now, money, new_id, parse_money

API_VERSION = "1.2.0-beta"
TOKEN_SECONDS = 3600
WEBHOOK_PATH = "/payments/bkash/ipn"  # on the callback URL's origin (spec §8)
CALLBACK_STATUS = {"pay": "success", "fail": "failure", "cancel": "cancel"}
STATUS_OF_CHOICE = {"pay": "Initiated", "fail": "Failed", "cancel": "Cancelled"}  # Initiated until executed
CUSTOMER_MSISDN = "01770618575"
OK = {"statusCode": "0000", "statusMessage": "Successful"}
INVALID_TOKEN = {"statusCode": "9999", "statusMessage": "Invalid token"}
CREATE_REQUIRED = ("mode", "payerReference", "callbackURL", "amount", "currency", "intent", "merchantInvoiceNumber")


def _error(code: str, message: str) -> dict:
    return {"statusCode": code, "statusMessage": message}


class BkashSimulator:
    def __init__(self, lock: threading.RLock, behaviour: Callable[[], Behaviour]):
        self._lock, self._behaviour = lock, behaviour
        self._apps: dict[str, tuple[str, str, str]] = {}  # app_key -> (app_secret, username, password), first seen
        self._tokens: dict[str, tuple[str, float]] = {}  # id_token -> (app_key, monotonic expiry)
        self._refresh_tokens: dict[str, str] = {}  # refresh_token -> app_key
        self._payments: dict[str, BkashPayment] = {}  # by paymentID, in creation order
        self._latest_by_invoice: dict[str, str] = {}  # merchantInvoiceNumber -> paymentID, for find()
        self._refunds_by_sku: dict[tuple[str, str], Refund] = {}  # (app_key, sku)

    # -- tokens ---------------------------------------------------------------------------------------------------

    def grant(self, headers: Mapping[str, str], body: Mapping) -> tuple[dict, int]:
        """Spec §1 grant; the first credentials seen for an app_key become its credentials."""
        app_key = str(body.get("app_key") or "")
        credentials = (str(body.get("app_secret") or ""), headers.get("username", ""), headers.get("password", ""))
        if not app_key or not all(credentials):
            return _error("2065", "Mandatory field missing: app_key, app_secret, username, password"), 401
        with self._lock:
            if self._apps.setdefault(app_key, credentials) != credentials:
                return _error("2001", "Invalid App Key"), 401
            refresh_token = secrets.token_urlsafe(24)
            self._refresh_tokens[refresh_token] = app_key
            return self._token_answer(app_key, refresh_token), 200

    def refresh(self, headers: Mapping[str, str], body: Mapping) -> tuple[dict, int]:
        app_key, refresh_token = str(body.get("app_key") or ""), str(body.get("refresh_token") or "")
        credentials = (str(body.get("app_secret") or ""), headers.get("username", ""), headers.get("password", ""))
        with self._lock:
            if self._apps.get(app_key) != credentials or self._refresh_tokens.get(refresh_token) != app_key:
                return _error("2001", "Invalid App Key or refresh token"), 401
            return self._token_answer(app_key, refresh_token), 200

    def app_of_token(self, authorization: str, app_key: str) -> str | None:
        """The app_key an unexpired id_token was granted to, when it is the one the call names."""
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            owner, expires = self._tokens.get(token, ("", 0.0))
        return owner if owner and owner == app_key and time.monotonic() < expires else None

    def _token_answer(self, app_key: str, refresh_token: str) -> dict:
        id_token = secrets.token_urlsafe(32)
        self._tokens[id_token] = (app_key, time.monotonic() + TOKEN_SECONDS)
        return {**OK, "id_token": id_token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS,
                "refresh_token": refresh_token}

    # -- payments -------------------------------------------------------------------------------------------------

    def create(self, app_key: str, body: Mapping, page_url: Callable[[str], str]) -> dict:
        """Spec §2. `page_url(paymentID)` is the customer page's absolute URL (bkashURL)."""
        problem = _create_problem(body)
        if problem:
            return problem
        with self._lock:
            payment = BkashPayment(
                ref="TR0011" + new_id(length=16), app_key=app_key, tran_id=body["merchantInvoiceNumber"],
                amount=parse_money(body["amount"]), currency=body["currency"],
                payer_reference=body["payerReference"], callback_url=body["callbackURL"],
                behaviour=self._behaviour(), created_at=dhaka_now(), signature=secrets.token_hex(10))
            self._payments[payment.ref] = payment
            self._latest_by_invoice[payment.tran_id] = payment.ref
        return {**OK, "paymentID": payment.ref, "bkashURL": page_url(payment.ref),
                "callbackURL": payment.callback_url, "successCallbackURL": _callback(payment, "success").url,
                "failureCallbackURL": _callback(payment, "failure").url,
                "cancelledCallbackURL": _callback(payment, "cancel").url,
                "amount": money(payment.amount), "intent": "sale", "currency": payment.currency,
                "paymentCreateTime": _bkash_time(payment.created_at), "transactionStatus": "Initiated",
                "merchantInvoiceNumber": payment.tran_id}

    def choose(self, payment_id: str, outcome: str) -> tuple[BrowserReturn, Notification | None, Behaviour]:
        """The customer pressed Pay / Fail / Cancel. A second press changes nothing and notifies no one.
        Paying only approves: the money moves when the merchant executes. KeyError for an unknown payment."""
        with self._lock:
            payment = self._payments[payment_id]
            notification = None
            if not payment.decided:
                payment.customer_choice, payment.status = outcome, STATUS_OF_CHOICE[outcome]
                if outcome == "pay":
                    payment.paid_amount = payment.behaviour.charged(payment.amount)
                notification = self._webhook(payment)
            return _callback(payment, CALLBACK_STATUS[payment.customer_choice]), notification, payment.behaviour

    def execute(self, app_key: str, body: Mapping) -> dict:
        """Spec §4: completes an approved payment, once; a second call answers 2117."""
        with self._lock:
            payment = self._own_payment(app_key, body)
            if payment is None:
                return _error("2056", "Invalid Payment State")
            if payment.status == "Completed":
                return _error("2117", "Payment execution already been called before")
            if payment.customer_choice != "pay":  # not approved by the customer (yet)
                return _error("2056", "Invalid Payment State")
            payment.status, payment.trx_id, payment.executed_at = "Completed", new_id(length=10), dhaka_now()
            if payment.behaviour.bkash_execute_error:  # completed all the same: the status query says so
                return _error("2117", "Payment execution already been called before")
            return {**OK, **_payment_fields(payment)}

    def status(self, app_key: str, body: Mapping) -> dict:
        with self._lock:
            payment = self._own_payment(app_key, body)
            if payment is None:
                return _error("2056", "Invalid Payment State")
            return {**OK, **_payment_fields(payment)}

    def refund(self, app_key: str, body: Mapping) -> dict:
        """Spec §6-7: with an amount a refund, without one the refund status."""
        with self._lock:
            if body.get("amount") in (None, ""):
                return self._refund_status(app_key, body)
            return self._refund(app_key, body)

    def _refund(self, app_key: str, body: Mapping) -> dict:
        sku, amount = str(body.get("sku") or ""), parse_money(body.get("amount"))
        if not sku or not body.get("trxID") or not body.get("paymentID"):
            return _error("2065", "Mandatory field missing: paymentID, amount, trxID, sku")
        if amount is None:
            return _error("2006", "Invalid Amount")
        if (app_key, sku) in self._refunds_by_sku:  # the same refund asked again: answered once
            return dict(self._refunds_by_sku[app_key, sku].answer)
        payment = self._own_payment(app_key, body)
        if payment is None or payment.status != "Completed" or payment.trx_id != body["trxID"]:
            return _error("2033", "Transaction not found")
        if payment.failed_refunds == 0 and (payment.behaviour.refund_fail_once or self._behaviour().refund_fail_once):
            payment.failed_refunds += 1
            return _error("2003", "Process failed (sandbox: refund_fail_once)")
        refundable = payment.paid_amount - sum(refund.amount for refund in payment.refunds)
        if amount > refundable:
            return _error("2026", f"The reversal amount cannot be greater than {money(refundable)}")
        refund_trx_id, now = new_id(length=10), dhaka_now()
        refund = Refund(ref=refund_trx_id, key=sku, amount=amount, reason=str(body.get("reason") or ""),
                        created_at=now, answer={
                            **OK, "completedTime": _bkash_time(now), "transactionStatus": "Completed",
                            "originalTrxID": payment.trx_id, "refundTrxID": refund_trx_id, "amount": money(amount),
                            "currency": payment.currency, "charge": "0.00"})
        payment.refunds.append(refund)
        self._refunds_by_sku[app_key, sku] = refund
        return dict(refund.answer)

    def _refund_status(self, app_key: str, body: Mapping) -> dict:
        """The payment's latest refund: the protocol names no refund, only the payment."""
        payment = self._own_payment(app_key, body)
        if payment is None or not payment.refunds or payment.trx_id != body.get("trxID"):
            return _error("2033", "Transaction not found")
        refund = payment.refunds[-1]
        return {**OK, "originalTrxID": payment.trx_id, "refundTrxID": refund.ref, "transactionStatus": "Completed",
                "amount": money(refund.amount), "completedTime": _bkash_time(refund.created_at), "charge": "0.00"}

    def _own_payment(self, app_key: str, body: Mapping) -> BkashPayment | None:
        payment = self._payments.get(str(body.get("paymentID") or ""))
        return payment if payment is not None and payment.app_key == app_key else None

    def _webhook(self, payment: BkashPayment) -> Notification:
        """Our stand-in for the merchant-portal webhook: the payment as it stands when the customer chose."""
        parts = urlsplit(payment.callback_url)
        payload = {"paymentID": payment.ref, "trxID": payment.trx_id or "", "transactionStatus": payment.status,
                   "amount": money(payment.paid_amount or payment.amount), "currency": payment.currency,
                   "merchantInvoiceNumber": payment.tran_id}
        if payment.behaviour.tamper_amount:
            payload["amount"] = money(Decimal(payload["amount"]) + 1)
        return Notification("bkash", payment.ref, f"{parts.scheme}://{parts.netloc}{WEBHOOK_PATH}", payload,
                            as_json=True)

    # -- lookups --------------------------------------------------------------------------------------------------

    def find(self, ref: str) -> BkashPayment | None:
        """A copy of the payment with this paymentID or (latest) merchantInvoiceNumber."""
        with self._lock:
            return copy.deepcopy(self._payments.get(ref) or self._payments.get(self._latest_by_invoice.get(ref, "")))

    def payments(self) -> list[BkashPayment]:
        with self._lock:
            return copy.deepcopy(list(self._payments.values()))


def _create_problem(body: Mapping) -> dict | None:
    missing = [name for name in CREATE_REQUIRED if not str(body.get(name) or "").strip()]
    if missing:
        return _error("2065", f"Mandatory field missing: {', '.join(missing)}")
    if body["mode"] != "0011":
        return _error("2063", "Mode is not valid as per request data")
    if not isinstance(body["amount"], str) or parse_money(body["amount"]) is None:
        return _error("2006", "Invalid Amount")
    if body["currency"] != "BDT":
        return _error("2007", "Invalid Currency")
    if body["intent"] != "sale":
        return _error("2008", "Invalid Intent")
    if urlsplit(str(body["callbackURL"])).scheme not in ("http", "https"):
        return _error("2049", "Invalid Merchant Callback URL")
    return None


def _callback(payment: BkashPayment, status: str) -> BrowserReturn:
    """callbackURL with paymentID, status, signature and apiVersion added to its query (spec §3)."""
    fields = {"paymentID": payment.ref, "status": status, "signature": payment.signature, "apiVersion": API_VERSION}
    parts = urlsplit(payment.callback_url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *fields.items()])
    return BrowserReturn("GET", urlunsplit(parts._replace(query=query)), fields)


def _payment_fields(payment: BkashPayment) -> dict:
    """What execute and the status query say of a payment."""
    return {"paymentID": payment.ref, "trxID": payment.trx_id or "", "transactionStatus": payment.status,
            "amount": money(payment.paid_amount or payment.amount), "currency": payment.currency, "intent": "sale",
            "paymentExecuteTime": _bkash_time(payment.executed_at) if payment.executed_at else "",
            "merchantInvoiceNumber": payment.tran_id, "payerReference": payment.payer_reference,
            "customerMsisdn": CUSTOMER_MSISDN}


def _bkash_time(moment) -> str:
    """bKash's own time format: "2026-12-05T10:11:12:123 GMT+0600"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S:") + f"{moment.microsecond // 1000:03d} GMT+0600"
