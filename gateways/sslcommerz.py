"""SSLCommerz v4 as /tmp/spec/gateways.md "SSLCommerz" describes it: the hosted session, the signed browser
return and IPN, the validation API, the transaction query, refunds and refund queries."""
from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Mapping

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
    RefundStatus,
    Source,
    StartedPayment,
    Verification,
    paid_outcome,
    read_amount,
    wire_amount,
)
from gateways.http import HttpClient

SESSION_PATH = "/gwprocess/v4/api.php"
VALIDATION_PATH = "/validator/api/validationserverAPI.php"
TRANSACTION_PATH = "/validator/api/merchantTransIDvalidationAPI.php"  # the query, refunds and refund queries

CALLBACK_STATUS = {"VALID": "success", "FAILED": "failed", "EXPIRED": "failed", "UNATTEMPTED": "failed",
                   "CANCELLED": "cancelled"}
SIGNED_ALWAYS = ("tran_id", "amount", "currency", "status")  # a verify_key must cover these (and val_id if VALID)
PAID_STATUSES = ("VALID", "VALIDATED")  # VALIDATED: the same val_id validated before, still paid
CLOSED_STATUSES: dict[str, Outcome] = {"FAILED": "failed", "EXPIRED": "failed", "CANCELLED": "cancelled",
                                       "INVALID_TRANSACTION": "failed"}
OUTCOME_ORDER: tuple[Outcome, ...] = ("paid", "mismatch", "pending", "failed", "cancelled")
# A refund's "success" only means SSLCommerz took the request; the refund query says when it is "refunded".
REFUND_STATUS: dict[str, RefundStatus] = {"success": "pending", "processing": "pending", "failed": "failed"}
REFUND_QUERY_STATUS: dict[str, RefundStatus] = {"refunded": "done", "processing": "pending", "cancelled": "failed"}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _signature(signed: Mapping[str, str], store_passwd: str) -> str:
    """md5 of the signed fields plus store_passwd=md5(store_passwd), sorted by key and joined as k=v&k=v."""
    pairs = {**signed, "store_passwd": _md5(store_passwd)}
    return _md5("&".join(f"{key}={pairs[key]}" for key in sorted(pairs)))


def sign(fields: Mapping[str, str], store_passwd: str) -> tuple[str, str]:
    """(verify_sign, verify_key) for a message carrying `fields`: every field is signed except verify_sign and
    verify_key themselves."""
    signed = {key: value for key, value in fields.items() if key not in ("verify_sign", "verify_key")}
    return _signature(signed, store_passwd), ",".join(signed)


def verify_sign(fields: Mapping[str, str], store_passwd: str) -> bool:
    """Whether `fields` carry a verify_sign that signs the fields their verify_key names, as posted."""
    claimed, names = fields.get("verify_sign", ""), fields.get("verify_key", "").split(",")
    if not claimed or any(name not in fields for name in names):
        return False
    expected = _signature({name: fields[name] for name in names}, store_passwd)
    return hmac.compare_digest(expected.encode(), claimed.encode())


class SSLCommerz:
    name = "sslcommerz"

    def __init__(self, config: GatewayConfig, client: HttpClient | None = None):
        self.base_url = config.base_url.rstrip("/")
        self.store_id = config.credentials["store_id"]
        self.store_passwd = config.credentials["store_passwd"]
        self.client = client or HttpClient(timeout=config.timeout, retries=config.retries)

    def start(self, request: PaymentRequest) -> StartedPayment:
        # Not retried: a lost answer only leaves an unused session behind.
        answer = self.client.json("POST", self.base_url + SESSION_PATH, retry=False, data=self._session_form(request))
        if answer.get("status") != "SUCCESS":
            raise GatewayError(f"SSLCommerz refused the session: {answer.get('failedreason') or answer.get('status')}")
        if not answer.get("GatewayPageURL") or not answer.get("sessionkey"):
            raise GatewayUnavailable("SSLCommerz session answer without GatewayPageURL or sessionkey")
        return StartedPayment(redirect_url=answer["GatewayPageURL"], gateway_ref=answer["sessionkey"], raw=answer)

    def _session_form(self, request: PaymentRequest) -> dict[str, str]:
        return {
            **self._credentials(),
            "total_amount": wire_amount(request.amount),
            "currency": request.currency,
            "tran_id": request.tran_id,
            "success_url": request.return_url,
            "fail_url": request.return_url,
            "cancel_url": request.return_url,
            "ipn_url": request.ipn_url,
            "cus_name": request.customer_name,
            "cus_email": request.customer_email,
            "cus_phone": request.customer_phone,
            "cus_add1": "Dhaka",
            "cus_city": "Dhaka",
            "cus_country": "Bangladesh",
            "shipping_method": "NO",
            "product_name": request.product_name,
            "product_category": request.product_category,
            "product_profile": "non-physical-goods",
            "num_of_item": str(request.num_items),
        }

    def parse_callback(self, params: Mapping[str, str], *, source: Source) -> Callback:
        """The browser return and the IPN carry the same signed fields, so `source` changes nothing."""
        fields = {key: params[key] for key in params}
        if not verify_sign(fields, self.store_passwd):
            raise ForgedCallback("SSLCommerz callback: verify_sign missing or wrong")
        status = fields.get("status", "")
        required = SIGNED_ALWAYS + (("val_id",) if status == "VALID" else ())
        uncovered = sorted(set(required) - set(fields["verify_key"].split(",")))
        if uncovered:
            raise ForgedCallback(f"SSLCommerz callback: verify_key does not cover {', '.join(uncovered)}")
        if status not in CALLBACK_STATUS or not fields["tran_id"] or (status == "VALID" and not fields["val_id"]):
            raise ForgedCallback(f"SSLCommerz callback: status {status!r}, tran_id or val_id unusable")
        return Callback(tran_id=fields["tran_id"], gateway_ref=fields.get("val_id") or None,
                        status=CALLBACK_STATUS[status], raw=fields)

    def verify(self, callback: Callback, *, tran_id: str, amount: Decimal, currency: str) -> Verification:
        if callback.status != "success" or not callback.gateway_ref:
            return self.query(tran_id=tran_id, gateway_ref=None, amount=amount, currency=currency)
        params = {"val_id": callback.gateway_ref, **self._credentials(), "v": "1", "format": "json"}
        answer = self._ask(VALIDATION_PATH, params)
        return _verdict(answer, answer, tran_id=tran_id, amount=amount, currency=currency)

    def query(self, *, tran_id: str, gateway_ref: str | None, amount: Decimal, currency: str) -> Verification:
        answer = self._ask(TRANSACTION_PATH, {"tran_id": tran_id, **self._credentials(), "format": "json"})
        records = answer.get("element") or []
        if not records:
            return Verification(outcome="unknown", tran_id=tran_id, amount=None, currency=None, gateway_txn=None,
                                reason="SSLCommerz has no transaction with this tran_id", raw=answer)
        verdicts = [(record, _verdict(record, answer, tran_id=tran_id, amount=amount, currency=currency))
                    for record in records]
        # A paid element wins; then one SSLCommerz took money for (held or mismatched: it may need a refund);
        # then pending before failed before cancelled, so "cancelled" only when every element says so.
        _, telling = min(verdicts, key=lambda pair: (pair[0].get("status") not in PAID_STATUSES,
                                                     OUTCOME_ORDER.index(pair[1].outcome)))
        return telling

    def refund(self, payment: PaidPayment, *, amount: Decimal, reason: str, refund_key: str) -> RefundResult:
        # Retried safely: SSLCommerz refunds one refe_id once.
        params = {"bank_tran_id": payment.gateway_txn, "refund_amount": wire_amount(amount),
                  "refund_remarks": reason, "refe_id": refund_key, **self._credentials(), "v": "1", "format": "json"}
        return _refund_result(self._ask(TRANSACTION_PATH, params), REFUND_STATUS)

    def refund_status(self, payment: PaidPayment, *, refund_ref: str | None, refund_key: str) -> RefundResult:
        if not refund_ref:
            # The refund query knows only refund_ref_id; asking refund() again with the same key is safe instead.
            raise GatewayError("SSLCommerz refund query needs the refund_ref_id of an accepted refund")
        params = {"refund_ref_id": refund_ref, **self._credentials(), "format": "json"}
        return _refund_result(self._ask(TRANSACTION_PATH, params), REFUND_QUERY_STATUS)

    def _credentials(self) -> dict[str, str]:
        return {"store_id": self.store_id, "store_passwd": self.store_passwd}

    def _ask(self, path: str, params: dict[str, str]) -> dict:
        """GET one of the validator APIs (all safe to repeat); an APIConnect other than DONE decides nothing."""
        answer = self.client.json("GET", self.base_url + path, retry=True, params=params)
        if answer.get("APIConnect", "DONE") != "DONE":
            raise GatewayUnavailable(f"SSLCommerz {path}: APIConnect {answer['APIConnect']}")
        return answer


def _verdict(record: Mapping, raw: dict, *, tran_id: str, amount: Decimal, currency: str) -> Verification:
    """What one validation answer or query element says about our payment."""
    paid_amount = read_amount(record.get("amount"))
    outcome, reason = _outcome(record, paid_amount, tran_id=tran_id, amount=amount, currency=currency)
    return Verification(outcome=outcome, tran_id=record.get("tran_id") or None, amount=paid_amount,
                        currency=record.get("currency") or None, gateway_txn=record.get("bank_tran_id") or None,
                        reason=reason, raw=raw, gateway_ref=record.get("val_id") or None)


def _outcome(record: Mapping, paid_amount: Decimal | None, *, tran_id: str, amount: Decimal,
             currency: str) -> tuple[Outcome, str]:
    status = record.get("status")
    if status in PAID_STATUSES:
        outcome, wrong = paid_outcome(paid_tran_id=record.get("tran_id"), paid_amount=paid_amount,
                                      paid_currency=record.get("currency"), tran_id=tran_id, amount=amount,
                                      currency=currency)
        if wrong:
            return outcome, wrong
        if str(record.get("risk_level")) != "0":
            return "pending", "held for risk review"
        return "paid", ""
    return CLOSED_STATUSES.get(status, "pending"), f"SSLCommerz status {status}"


def _refund_result(answer: dict, statuses: Mapping[str, RefundStatus]) -> RefundResult:
    status = statuses.get(answer.get("status"))
    if status is None:
        raise GatewayUnavailable(f"SSLCommerz refund answer with status {answer.get('status')!r}")
    return RefundResult(status=status, refund_ref=answer.get("refund_ref_id") or None,
                        reason=answer.get("errorReason") or "", raw=answer)
