"""bKash adapter against canned answers: one token per merchant until a minute before it expires, execute sent
once and the status query asked whenever execute gives no usable answer, refunds by sku. No network."""
from __future__ import annotations

import threading
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests

from gateways import bkash
from gateways.base import Callback, ForgedCallback, GatewayConfig, GatewayError, PaidPayment, PaymentRequest
from gateways.bkash import Bkash
from gateways.http import HttpClient
from tests.support import gateway_fakes as fakes
from tests.support.gateway_fakes import FakeResponse

BASE = "https://tokenized.sandbox.bka.sh/v1.2.0-beta"
CREDENTIALS = {"app_key": "app-k", "app_secret": "app-s", "username": "jatra", "password": "pw"}
CONFIG = GatewayConfig(name="bkash", base_url=BASE, credentials=CREDENTIALS)
PREFIX = "/v1.2.0-beta/tokenized/checkout"
GRANT, REFRESH = f"{PREFIX}/token/grant", f"{PREFIX}/token/refresh"
CREATE, EXECUTE, STATUS, REFUND = f"{PREFIX}/create", f"{PREFIX}/execute", f"{PREFIX}/payment/status", \
    f"{PREFIX}/payment/refund"
EXPECTED = {"tran_id": "T-1001", "amount": Decimal("1040.00"), "currency": "BDT"}


class FakeTransport(fakes.FakeTransport):
    def tokens_used(self) -> list[str]:
        return [kwargs["headers"]["Authorization"] for _, path, kwargs in self.sent
                if path not in (GRANT, REFRESH)]


class Clock:
    """bkash's view of time.monotonic, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    monkeypatch.setattr(bkash, "_tokens", {})  # every test starts with no cached token
    fake = Clock()
    monkeypatch.setattr(bkash, "time", fake)
    return fake


def adapter(replies: dict[str, list], config: GatewayConfig = CONFIG) -> tuple[Bkash, FakeTransport]:
    transport = FakeTransport(replies)
    return Bkash(config, HttpClient(session=transport)), transport


def token(id_token: str, refresh_token: str = "refresh-1") -> dict:
    return {"statusCode": "0000", "statusMessage": "Successful", "id_token": id_token, "token_type": "Bearer",
            "expires_in": 3600, "refresh_token": refresh_token}


def payment(**changes) -> dict:
    answer = {"statusCode": "0000", "statusMessage": "Successful", "paymentID": "P-1", "trxID": "TRX-1",
              "transactionStatus": "Completed", "amount": "1040.00", "currency": "BDT", "intent": "sale",
              "merchantInvoiceNumber": "T-1001", "payerReference": "01712345678"}
    return {**answer, **changes}


def error(code: str, message: str) -> dict:
    return {"statusCode": code, "statusMessage": message}


def callback(status: str) -> Callback:
    return Callback(tran_id=None, gateway_ref="P-1", status=status, raw={})


# Tokens

def test_one_grant_serves_two_calls():
    gateway, transport = adapter({GRANT: [token("tok-1")], STATUS: [payment(), payment()]})
    gateway.query(gateway_ref="P-1", **EXPECTED)
    gateway.query(gateway_ref="P-1", **EXPECTED)

    assert transport.paths() == [GRANT, STATUS, STATUS]
    _, _, grant = transport.sent[0]
    assert grant["headers"] == {"username": "jatra", "password": "pw"}
    assert grant["json"] == {"app_key": "app-k", "app_secret": "app-s"}
    assert [kwargs["headers"] for _, _, kwargs in transport.sent[1:]] == \
        [{"Authorization": "tok-1", "X-APP-Key": "app-k"}] * 2


def test_the_token_is_shared_by_adapters_of_one_merchant_only():
    replies = {GRANT: [token("tok-1"), token("tok-other")], STATUS: [payment(), payment(), payment()]}
    first, transport = adapter(replies)
    second = Bkash(CONFIG, first.client)
    other_merchant = Bkash(GatewayConfig(name="bkash", base_url=BASE, credentials={**CREDENTIALS, "app_key": "k2"}),
                           first.client)
    for gateway in (first, second, other_merchant):
        gateway.query(gateway_ref="P-1", **EXPECTED)
    assert transport.paths() == [GRANT, STATUS, STATUS, GRANT, STATUS]
    assert transport.tokens_used() == ["tok-1", "tok-1", "tok-other"]


def test_threads_of_one_merchant_wait_for_one_grant():
    class SlowGrant(FakeTransport):
        def request(self, method: str, url: str, **kwargs) -> FakeResponse:
            if urlsplit(url).path == GRANT:
                time.sleep(0.05)  # long enough for every thread to ask for a token meanwhile
            return super().request(method, url, **kwargs)

    transport = SlowGrant({GRANT: [token("tok-1"), token("tok-2")], STATUS: [payment() for _ in range(8)]})
    gateway = Bkash(CONFIG, HttpClient(session=transport))
    threads = [threading.Thread(target=gateway.query, kwargs={"gateway_ref": "P-1", **EXPECTED}) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert transport.paths().count(GRANT) == 1
    assert transport.tokens_used() == ["tok-1"] * 8


def test_the_token_is_refreshed_a_minute_before_it_expires(clock):
    gateway, transport = adapter({GRANT: [token("tok-1", "refresh-1")], REFRESH: [token("tok-2", "refresh-2")],
                                  STATUS: [payment(), payment(), payment()]})
    gateway.query(gateway_ref="P-1", **EXPECTED)
    clock.now += 3600 - 61
    gateway.query(gateway_ref="P-1", **EXPECTED)
    clock.now += 2
    gateway.query(gateway_ref="P-1", **EXPECTED)

    assert transport.paths() == [GRANT, STATUS, STATUS, REFRESH, STATUS]
    assert transport.tokens_used() == ["tok-1", "tok-1", "tok-2"]
    _, _, refresh = transport.sent[3]
    assert refresh["json"] == {"app_key": "app-k", "app_secret": "app-s", "refresh_token": "refresh-1"}
    assert refresh["headers"] == {"username": "jatra", "password": "pw"}


def test_a_refused_refresh_falls_back_to_a_grant(clock):
    gateway, transport = adapter({GRANT: [token("tok-1"), token("tok-3")], REFRESH: [error("2001", "Invalid")],
                                  STATUS: [payment(), payment()]})
    gateway.query(gateway_ref="P-1", **EXPECTED)
    clock.now += 3600
    gateway.query(gateway_ref="P-1", **EXPECTED)
    assert transport.paths() == [GRANT, STATUS, REFRESH, GRANT, STATUS]
    assert transport.tokens_used() == ["tok-1", "tok-3"]


def test_a_refused_token_is_dropped_and_granted_again_once():
    unauthorized = FakeResponse({"message": "Unauthorized"}, status_code=401)
    gateway, transport = adapter({GRANT: [token("tok-1"), token("tok-2")],
                                  STATUS: [unauthorized, payment(), payment()]})
    assert gateway.query(gateway_ref="P-1", **EXPECTED).outcome == "paid"
    gateway.query(gateway_ref="P-1", **EXPECTED)
    assert transport.paths() == [GRANT, STATUS, GRANT, STATUS, STATUS]
    assert transport.tokens_used() == ["tok-1", "tok-2", "tok-2"]


def test_a_fresh_token_refused_too_is_an_error():
    unauthorized = FakeResponse({"message": "Unauthorized"}, status_code=401)
    gateway, transport = adapter({GRANT: [token("tok-1"), token("tok-2")], STATUS: [unauthorized, unauthorized]})
    with pytest.raises(GatewayError, match="refused"):
        gateway.query(gateway_ref="P-1", **EXPECTED)
    assert transport.paths() == [GRANT, STATUS, GRANT, STATUS]


def test_a_refused_grant_is_an_error():
    gateway, _ = adapter({GRANT: [error("2001", "Invalid App Key")]})
    with pytest.raises(GatewayError, match="Invalid App Key"):
        gateway.query(gateway_ref="P-1", **EXPECTED)


# Create and callbacks

def payment_request() -> PaymentRequest:
    return PaymentRequest(tran_id="T-1001", amount=Decimal("1040"), currency="BDT",
                          return_url="https://zoo.jatra.test/payments/bkash/return",
                          ipn_url="https://zoo.jatra.test/payments/bkash/ipn", customer_name="Rahim",
                          customer_phone="01712345678", customer_email="rahim@example.com",
                          product_name="Dhaka Zoo entry", product_category="event-ticket")


def test_start_creates_a_payment_with_the_published_fields():
    created = {"statusCode": "0000", "paymentID": "P-1", "bkashURL": "https://sandbox.bka.sh/pay/P-1",
               "transactionStatus": "Initiated", "merchantInvoiceNumber": "T-1001"}
    gateway, transport = adapter({GRANT: [token("tok-1")], CREATE: [created]})
    started = gateway.start(payment_request())

    assert (started.redirect_url, started.gateway_ref) == ("https://sandbox.bka.sh/pay/P-1", "P-1")
    _, _, sent = transport.sent[1]
    assert sent["json"] == {"mode": "0011", "payerReference": "01712345678",
                            "callbackURL": "https://zoo.jatra.test/payments/bkash/return", "amount": "1040.00",
                            "currency": "BDT", "intent": "sale", "merchantInvoiceNumber": "T-1001"}


def test_a_refused_create_is_a_gateway_error():
    gateway, _ = adapter({GRANT: [token("tok-1")], CREATE: [error("2023", "Insufficient Balance")]})
    with pytest.raises(GatewayError, match="2023"):
        gateway.start(payment_request())


@pytest.mark.parametrize("status,meaning", [("success", "success"), ("failure", "failed"), ("cancel", "cancelled")])
def test_the_browser_callback_is_read(status, meaning):
    gateway, _ = adapter({})
    params = {"paymentID": "P-1", "status": status, "signature": "sig", "apiVersion": "1.2.0-beta"}
    callback = gateway.parse_callback(params, source="return")
    assert (callback.tran_id, callback.gateway_ref, callback.status) == (None, "P-1", meaning)


@pytest.mark.parametrize("params", [{"paymentID": "P-1", "status": "paid"}, {"paymentID": "P-1"},
                                    {"status": "success"}, {"paymentID": "", "status": "success"}])
def test_a_callback_without_paymentID_or_with_another_status_is_forged(params):
    gateway, _ = adapter({})
    with pytest.raises(ForgedCallback):
        gateway.parse_callback(params, source="return")


@pytest.mark.parametrize("transaction_status,meaning", [("Completed", "success"), ("Failed", "failed")])
def test_the_webhook_is_only_a_hint_about_its_paymentID(transaction_status, meaning):
    gateway, _ = adapter({})
    webhook = {"paymentID": "P-1", "trxID": "TRX-1", "transactionStatus": transaction_status, "amount": "1040.00",
               "currency": "BDT", "merchantInvoiceNumber": "T-1001"}
    callback = gateway.parse_callback(webhook, source="ipn")
    assert (callback.tran_id, callback.gateway_ref, callback.status) == (None, "P-1", meaning)


# Execute and the status query

def test_execute_completed_is_paid():
    gateway, transport = adapter({GRANT: [token("tok-1")], EXECUTE: [payment()]})
    verification = gateway.verify(callback("success"), **EXPECTED)

    assert (verification.outcome, verification.reason) == ("paid", "")
    assert (verification.gateway_txn, verification.gateway_ref, verification.amount) == ("TRX-1", "P-1",
                                                                                          Decimal("1040.00"))
    assert transport.paths() == [GRANT, EXECUTE]
    assert transport.sent[1][2]["json"] == {"paymentID": "P-1"}


def test_an_execute_error_falls_back_to_the_status_query():
    gateway, transport = adapter({GRANT: [token("tok-1")],
                                  EXECUTE: [error("2117", "Payment execution already been called before")],
                                  STATUS: [payment()]})
    assert gateway.verify(callback("success"), **EXPECTED).outcome == "paid"
    assert transport.paths() == [GRANT, EXECUTE, STATUS]


def test_an_unreachable_execute_is_sent_once_then_the_status_query_asked():
    gateway, transport = adapter({GRANT: [token("tok-1")], EXECUTE: [requests.ConnectionError("reset")],
                                  STATUS: [payment(transactionStatus="Initiated")]})
    assert gateway.verify(callback("success"), **EXPECTED).outcome == "pending"
    assert transport.paths() == [GRANT, EXECUTE, STATUS]


@pytest.mark.parametrize("status,outcome", [("failed", "failed"), ("cancelled", "cancelled")])
def test_a_failure_or_cancel_callback_never_executes(status, outcome):
    transaction_status = {"failed": "Failed", "cancelled": "Cancelled"}[status]
    gateway, transport = adapter({GRANT: [token("tok-1")], STATUS: [payment(transactionStatus=transaction_status)]})
    assert gateway.verify(callback(status), **EXPECTED).outcome == outcome
    assert transport.paths() == [GRANT, STATUS]


@pytest.mark.parametrize("changes,outcome,reason", [
    # another transaction's payment: nothing of ours was paid
    ({"merchantInvoiceNumber": "T-9999"}, "failed", "tran_id mismatch: paid T-9999, expected T-1001"),
    # ours, but not what we asked: a mismatch, whose money must go back
    ({"amount": "1039.99"}, "mismatch", "amount mismatch: paid 1039.99, expected 1040.00"),
    ({"currency": "USD"}, "mismatch", "currency mismatch: paid USD, expected BDT"),
])
def test_a_completed_payment_that_is_not_ours_to_the_paisa_is_not_paid(changes, outcome, reason):
    gateway, _ = adapter({GRANT: [token("tok-1")], EXECUTE: [payment(**changes)]})
    verification = gateway.verify(callback("success"), **EXPECTED)
    assert (verification.outcome, verification.reason) == (outcome, reason)
    assert verification.amount == Decimal(payment(**changes)["amount"])


def test_amounts_compare_as_numbers_not_strings():
    gateway, _ = adapter({GRANT: [token("tok-1")], EXECUTE: [payment(amount="1040")]})
    assert gateway.verify(callback("success"), **EXPECTED).outcome == "paid"


@pytest.mark.parametrize("transaction_status,outcome", [
    ("Initiated", "pending"), ("Pending Authorized", "pending"), ("Failed", "failed"), ("Cancelled", "cancelled"),
    ("Expired", "failed"),
])
def test_the_status_query_says_what_bkash_says(transaction_status, outcome):
    gateway, transport = adapter({GRANT: [token("tok-1")], STATUS: [payment(transactionStatus=transaction_status)]})
    assert gateway.query(gateway_ref="P-1", **EXPECTED).outcome == outcome
    assert transport.sent[1][2]["json"] == {"paymentID": "P-1"}


def test_a_status_query_for_an_unknown_payment_is_unknown():
    gateway, _ = adapter({GRANT: [token("tok-1")], STATUS: [error("2056", "Invalid Payment State")]})
    verification = gateway.query(gateway_ref="P-404", **EXPECTED)
    assert verification.outcome == "unknown"
    assert "2056" in verification.reason


def test_a_query_without_a_paymentID_asks_nobody():
    gateway, transport = adapter({})
    assert gateway.query(gateway_ref=None, **EXPECTED).outcome == "unknown"
    assert transport.sent == []


# Refunds

PAID = PaidPayment(tran_id="T-1001", gateway_ref="P-1", gateway_txn="TRX-1", amount=Decimal("1040.00"),
                   currency="BDT")
REFUNDED = {"statusCode": "0000", "originalTrxID": "TRX-1", "refundTrxID": "RTRX-1", "transactionStatus": "Completed",
            "amount": "500.00", "currency": "BDT", "charge": "0.00"}


def test_refund_sends_our_refund_key_as_sku():
    gateway, transport = adapter({GRANT: [token("tok-1")], REFUND: [REFUNDED]})
    result = gateway.refund(PAID, amount=Decimal("500"), reason="show cancelled", refund_key="RF-1")

    assert (result.status, result.refund_ref) == ("done", "RTRX-1")
    assert transport.sent[1][2]["json"] == {"paymentID": "P-1", "amount": "500.00", "trxID": "TRX-1",
                                            "sku": "RF-1", "reason": "show cancelled"}


def test_a_duplicate_refund_asks_the_refund_status():
    gateway, transport = adapter({GRANT: [token("tok-1")],
                                  REFUND: [error("2071", "Duplicate for all transactions"), REFUNDED]})
    result = gateway.refund(PAID, amount=Decimal("500"), reason="show cancelled", refund_key="RF-1")

    assert (result.status, result.refund_ref) == ("done", "RTRX-1")
    assert transport.paths() == [GRANT, REFUND, REFUND]
    assert transport.sent[2][2]["json"] == {"paymentID": "P-1", "trxID": "TRX-1"}


def test_a_refused_refund_says_why():
    gateway, _ = adapter({GRANT: [token("tok-1")], REFUND: [error("2077", "Refund amount exceeds")]})
    result = gateway.refund(PAID, amount=Decimal("5000"), reason="show cancelled", refund_key="RF-1")
    assert (result.status, result.refund_ref) == ("failed", None)
    assert "Refund amount exceeds" in result.reason


def test_refund_status_without_a_refund_is_failed():
    gateway, _ = adapter({GRANT: [token("tok-1")], REFUND: [error("2056", "Invalid Payment State")]})
    assert gateway.refund_status(PAID, refund_ref=None, refund_key="RF-1").status == "failed"


def test_a_webhook_telling_of_a_completed_payment_is_answered_by_the_status_query_not_execute():
    gateway, transport = adapter({GRANT: [token("tok-1")], STATUS: [payment()]})
    webhook = {"paymentID": "P-1", "trxID": "TRX-1", "transactionStatus": "Completed", "amount": "1040.00",
               "currency": "BDT", "merchantInvoiceNumber": "T-1001"}
    verification = gateway.verify(gateway.parse_callback(webhook, source="ipn"), **EXPECTED)
    assert verification.outcome == "paid"
    assert transport.paths() == [GRANT, STATUS]  # execute is the browser callback's alone
