"""SSLCommerz adapter against canned answers: signatures checked by hand, and "paid" only when the validation or
query API says so for our tran_id, to the paisa, in our currency, at risk level 0. No network."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from decimal import Decimal

import pytest
import requests

from gateways import http
from gateways.base import Callback, ForgedCallback, GatewayConfig, GatewayError, GatewayUnavailable, PaidPayment
from gateways.base import PaymentRequest
from gateways.http import HttpClient
from gateways.sslcommerz import SSLCommerz, sign, verify_sign
from tests.support.gateway_fakes import FakeTransport

PASSWD = "jatra@ssl"
CONFIG = GatewayConfig(name="sslcommerz", base_url="https://sandbox.sslcommerz.com",
                       credentials={"store_id": "jatra0test", "store_passwd": PASSWD})
SESSION = "/gwprocess/v4/api.php"
VALIDATION = "/validator/api/validationserverAPI.php"
TRANSACTION = "/validator/api/merchantTransIDvalidationAPI.php"
EXPECTED = {"tran_id": "T-1001", "amount": Decimal("1040.00"), "currency": "BDT"}


def adapter(replies: dict[str, list]) -> tuple[SSLCommerz, FakeTransport]:
    transport = FakeTransport(replies)
    return SSLCommerz(CONFIG, HttpClient(session=transport)), transport


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def hand_signed(fields: dict, names: list[str] | None = None) -> dict:
    """`fields` with verify_key and verify_sign made here by the published recipe, not by the code under test."""
    names = list(fields) if names is None else names
    pairs = {name: fields[name] for name in names} | {"store_passwd": md5(PASSWD)}
    signature = md5("&".join(f"{key}={pairs[key]}" for key in sorted(pairs)))
    return {**fields, "verify_key": ",".join(names), "verify_sign": signature}


def ipn(**changes) -> dict:
    fields = {"status": "VALID", "tran_id": "T-1001", "val_id": "V-77", "amount": "1040.00", "currency": "BDT",
              "bank_tran_id": "B-9", "risk_level": "0"}
    return {**fields, **changes}


def validation(**changes) -> dict:
    answer = {"status": "VALID", "tran_id": "T-1001", "val_id": "V-77", "amount": "1040.00", "currency": "BDT",
              "bank_tran_id": "B-9", "risk_level": "0", "risk_title": "Safe", "APIConnect": "DONE"}
    return {**answer, **changes}


def success_callback() -> Callback:
    return Callback(tran_id="T-1001", gateway_ref="V-77", status="success", raw={})


# Signatures

def test_verify_sign_matches_a_vector_made_by_hand():
    fields = {"tran_id": "T-1001", "val_id": "V-77", "amount": "1040.00", "currency": "BDT", "status": "VALID"}
    text = f"amount=1040.00&currency=BDT&status=VALID&store_passwd={md5(PASSWD)}&tran_id=T-1001&val_id=V-77"
    expected = hashlib.md5(text.encode()).hexdigest()

    assert sign(fields, PASSWD) == (expected, "tran_id,val_id,amount,currency,status")
    signed = {**fields, "verify_sign": expected, "verify_key": "tran_id,val_id,amount,currency,status"}
    assert verify_sign(signed, PASSWD)
    assert not verify_sign(signed, "another password")


def test_verify_sign_sorts_keys_as_plain_strings_and_hashes_utf8():
    # Upper case sorts before lower case, "currency" before "currency_amount"; values are signed raw, in UTF-8.
    fields = {"currency_amount": "1040.00", "currency": "BDT", "Z_note": "x", "value_a": "রহিম & co"}
    text = (f"Z_note=x&currency=BDT&currency_amount=1040.00&store_passwd={md5(PASSWD)}&"
            "value_a=রহিম & co")
    expected = hashlib.md5(text.encode("utf-8")).hexdigest()

    assert sign(fields, PASSWD)[0] == expected
    assert verify_sign({**fields, "verify_sign": expected, "verify_key": ",".join(fields)}, PASSWD)


def test_a_signed_callback_is_read():
    gateway, _ = adapter({})
    callback = gateway.parse_callback(hand_signed(ipn()), source="ipn")
    assert (callback.tran_id, callback.gateway_ref, callback.status) == ("T-1001", "V-77", "success")


@pytest.mark.parametrize("status,meaning", [("FAILED", "failed"), ("EXPIRED", "failed"), ("UNATTEMPTED", "failed"),
                                            ("CANCELLED", "cancelled")])
def test_unpaid_statuses_are_read(status, meaning):
    gateway, _ = adapter({})
    fields = {key: value for key, value in ipn(status=status).items() if key != "val_id"}
    assert gateway.parse_callback(hand_signed(fields), source="return").status == meaning


def test_a_tampered_amount_is_forged():
    gateway, _ = adapter({})
    tampered = {**hand_signed(ipn(amount="10.00")), "amount": "1040.00"}
    with pytest.raises(ForgedCallback):
        gateway.parse_callback(tampered, source="ipn")


def test_a_callback_without_verify_sign_is_forged():
    gateway, _ = adapter({})
    unsigned = {key: value for key, value in hand_signed(ipn()).items() if key != "verify_sign"}
    with pytest.raises(ForgedCallback, match="verify_sign"):
        gateway.parse_callback(unsigned, source="ipn")


def test_a_verify_key_that_skips_the_amount_is_forged():
    gateway, _ = adapter({})
    fields = ipn()
    signed = hand_signed(fields, names=[name for name in fields if name != "amount"])
    assert verify_sign(signed, PASSWD)  # the signature itself is right: only what it covers is not enough
    with pytest.raises(ForgedCallback, match="amount"):
        gateway.parse_callback(signed, source="ipn")


def test_a_valid_callback_whose_verify_key_skips_val_id_is_forged():
    gateway, _ = adapter({})
    fields = ipn()
    with pytest.raises(ForgedCallback, match="val_id"):
        gateway.parse_callback(hand_signed(fields, names=[name for name in fields if name != "val_id"]),
                               source="return")


@pytest.mark.parametrize("fields", [{**ipn(), "status": "PAID"}, {k: v for k, v in ipn().items() if k != "tran_id"}])
def test_an_unknown_status_or_a_missing_tran_id_is_forged(fields):
    gateway, _ = adapter({})
    with pytest.raises(ForgedCallback):
        gateway.parse_callback(hand_signed(fields), source="ipn")


# Validation

@pytest.mark.parametrize("status", ["VALID", "VALIDATED"])
def test_a_validated_payment_is_paid(status):
    gateway, transport = adapter({VALIDATION: [validation(status=status)]})
    verification = gateway.verify(success_callback(), **EXPECTED)

    assert (verification.outcome, verification.reason) == ("paid", "")
    assert (verification.gateway_txn, verification.gateway_ref, verification.amount) == ("B-9", "V-77",
                                                                                          Decimal("1040.00"))
    method, _, sent = transport.sent[0]
    assert method == "GET"
    assert sent["params"] == {"val_id": "V-77", "store_id": "jatra0test", "store_passwd": PASSWD, "v": "1",
                              "format": "json"}


def test_amounts_compare_as_numbers_not_strings():
    gateway, _ = adapter({VALIDATION: [validation(amount="1040.0")]})
    assert gateway.verify(success_callback(), **EXPECTED).outcome == "paid"


def test_an_invalid_transaction_is_not_paid():
    gateway, _ = adapter({VALIDATION: [{"status": "INVALID_TRANSACTION", "APIConnect": "DONE"}]})
    verification = gateway.verify(success_callback(), **EXPECTED)
    assert verification.outcome == "failed"
    assert "INVALID_TRANSACTION" in verification.reason


def test_an_amount_off_by_one_paisa_is_not_paid_and_carries_what_was_paid():
    gateway, _ = adapter({VALIDATION: [validation(amount="1039.99")]})
    verification = gateway.verify(success_callback(), **EXPECTED)
    assert verification.outcome == "mismatch"
    assert verification.reason == "amount mismatch: paid 1039.99, expected 1040.00"
    assert verification.amount == Decimal("1039.99")


def test_a_fraction_of_a_paisa_is_not_rounded_away():
    gateway, _ = adapter({VALIDATION: [validation(amount="1040.004")]})
    verification = gateway.verify(success_callback(), **EXPECTED)
    assert verification.outcome == "mismatch"
    assert verification.reason == "amount mismatch: paid 1040.004, expected 1040.00"


def test_another_currency_is_not_paid():
    gateway, _ = adapter({VALIDATION: [validation(currency="USD")]})
    verification = gateway.verify(success_callback(), **EXPECTED)
    assert verification.outcome == "mismatch"
    assert verification.reason == "currency mismatch: paid USD, expected BDT"


def test_another_tran_id_is_not_paid():
    gateway, _ = adapter({VALIDATION: [validation(tran_id="T-9999")]})
    verification = gateway.verify(success_callback(), **EXPECTED)
    assert verification.outcome == "failed"
    assert "tran_id mismatch" in verification.reason


def test_risk_level_one_is_held_pending():
    gateway, _ = adapter({VALIDATION: [validation(risk_level="1", risk_title="Risky")]})
    verification = gateway.verify(success_callback(), **EXPECTED)
    assert (verification.outcome, verification.reason) == ("pending", "held for risk review")


def test_validation_is_retried_after_a_lost_answer(monkeypatch):
    monkeypatch.setattr(http, "RETRY_PAUSE", 0)
    gateway, transport = adapter({VALIDATION: [requests.ConnectionError("reset"), validation()]})
    assert gateway.verify(success_callback(), **EXPECTED).outcome == "paid"
    assert transport.paths() == [VALIDATION, VALIDATION]


def test_an_api_connect_other_than_done_decides_nothing():
    gateway, _ = adapter({VALIDATION: [{"APIConnect": "INACTIVE"}]})
    with pytest.raises(GatewayUnavailable, match="INACTIVE"):
        gateway.verify(success_callback(), **EXPECTED)


def test_an_unsuccessful_callback_asks_the_transaction_query_not_the_validation_api():
    gateway, transport = adapter({TRANSACTION: [{"APIConnect": "DONE", "no_of_trans_found": 1,
                                                 "element": [validation(status="CANCELLED", val_id="")]}]})
    callback = Callback(tran_id="T-1001", gateway_ref=None, status="cancelled", raw={})
    assert gateway.verify(callback, **EXPECTED).outcome == "cancelled"
    assert transport.paths() == [TRANSACTION]
    assert transport.sent[0][2]["params"]["tran_id"] == "T-1001"


def test_a_failed_callback_naming_a_val_id_still_asks_the_transaction_query():
    gateway, transport = adapter({TRANSACTION: [query_answer(validation(status="FAILED"))]})
    callback = Callback(tran_id="T-1001", gateway_ref="V-77", status="failed", raw={})
    assert gateway.verify(callback, **EXPECTED).outcome == "failed"
    assert transport.paths() == [TRANSACTION]


# Transaction query

def query_answer(*elements: dict) -> dict:
    return {"APIConnect": "DONE", "no_of_trans_found": len(elements), "element": list(elements)}


def test_a_query_that_finds_nothing_is_unknown():
    gateway, transport = adapter({TRANSACTION: [query_answer()]})
    verification = gateway.query(gateway_ref=None, **EXPECTED)
    assert verification.outcome == "unknown"
    assert transport.sent[0][2]["params"] == {"tran_id": "T-1001", "store_id": "jatra0test",
                                              "store_passwd": PASSWD, "format": "json"}


def test_a_query_with_a_failed_try_and_a_valid_one_is_paid():
    gateway, _ = adapter({TRANSACTION: [query_answer(validation(status="FAILED", val_id="V-1"), validation())]})
    verification = gateway.query(gateway_ref=None, **EXPECTED)
    assert (verification.outcome, verification.gateway_ref) == ("paid", "V-77")


@pytest.mark.parametrize("statuses,outcome", [
    (["FAILED"], "failed"),
    (["EXPIRED", "CANCELLED"], "failed"),
    (["CANCELLED", "CANCELLED"], "cancelled"),
    (["FAILED", "PENDING"], "pending"),
    (["UNATTEMPTED"], "pending"),
])
def test_a_query_without_a_valid_element_says_what_the_elements_say(statuses, outcome):
    gateway, _ = adapter({TRANSACTION: [query_answer(*(validation(status=status) for status in statuses))]})
    assert gateway.query(gateway_ref=None, **EXPECTED).outcome == outcome


def test_a_valid_element_with_the_wrong_amount_outranks_a_pending_one():
    # Money was taken for it, so the caller must see it (and its amount) to refund.
    gateway, _ = adapter({TRANSACTION: [query_answer(validation(status="PENDING"), validation(amount="1000.00"))]})
    verification = gateway.query(gateway_ref=None, **EXPECTED)
    assert verification.outcome == "mismatch"
    assert verification.reason == "amount mismatch: paid 1000.00, expected 1040.00"
    assert verification.amount == Decimal("1000.00")


# Session, refunds

def payment_request() -> PaymentRequest:
    return PaymentRequest(tran_id="T-1001", amount=Decimal("1040"), currency="BDT",
                          return_url="https://zoo.jatra.test/payments/sslcommerz/return",
                          ipn_url="https://zoo.jatra.test/payments/sslcommerz/ipn", customer_name="Rahim",
                          customer_phone="+8801712345678", customer_email="rahim@example.com",
                          product_name="Dhaka Zoo entry", product_category="event-ticket", num_items=2)


def test_start_opens_a_session_with_the_published_fields():
    gateway, transport = adapter({SESSION: [{"status": "SUCCESS", "failedreason": "", "sessionkey": "S-1",
                                             "GatewayPageURL": "https://sandbox.sslcommerz.com/gw/S-1"}]})
    started = gateway.start(payment_request())

    assert (started.redirect_url, started.gateway_ref) == ("https://sandbox.sslcommerz.com/gw/S-1", "S-1")
    method, _, sent = transport.sent[0]
    form = sent["data"]
    assert method == "POST"
    assert (form["total_amount"], form["num_of_item"], form["store_id"]) == ("1040.00", "2", "jatra0test")
    assert form["success_url"] == form["fail_url"] == form["cancel_url"] == payment_request().return_url
    assert form["product_profile"] == "non-physical-goods"


def test_an_amount_with_a_fraction_of_a_paisa_is_never_sent():
    gateway, transport = adapter({})
    with pytest.raises(ValueError, match="paisa"):
        gateway.start(replace(payment_request(), amount=Decimal("1040.005")))
    assert transport.sent == []


def test_a_refused_session_is_a_gateway_error():
    gateway, _ = adapter({SESSION: [{"status": "FAILED", "failedreason": "Store is de-active"}]})
    with pytest.raises(GatewayError, match="de-active"):
        gateway.start(payment_request())


def test_a_lost_session_answer_is_not_retried(monkeypatch):
    monkeypatch.setattr(http, "RETRY_PAUSE", 0)
    gateway, transport = adapter({SESSION: [requests.ConnectionError("reset"), {"status": "SUCCESS"}]})
    with pytest.raises(GatewayUnavailable):
        gateway.start(payment_request())
    assert transport.paths() == [SESSION]


PAID = PaidPayment(tran_id="T-1001", gateway_ref="V-77", gateway_txn="B-9", amount=Decimal("1040.00"),
                   currency="BDT")


def test_refund_sends_our_refund_key_as_refe_id():
    gateway, transport = adapter({TRANSACTION: [{"APIConnect": "DONE", "bank_tran_id": "B-9", "trans_id": "T-1001",
                                                 "refund_ref_id": "R-5", "status": "success", "errorReason": ""}]})
    result = gateway.refund(PAID, amount=Decimal("500"), reason="show cancelled", refund_key="RF-1")

    assert (result.status, result.refund_ref) == ("pending", "R-5")  # initiated; the refund query says refunded
    assert transport.sent[0][2]["params"] == {"bank_tran_id": "B-9", "refund_amount": "500.00",
                                              "refund_remarks": "show cancelled", "refe_id": "RF-1",
                                              "store_id": "jatra0test", "store_passwd": PASSWD, "v": "1",
                                              "format": "json"}


def test_a_refused_refund_says_why():
    gateway, _ = adapter({TRANSACTION: [{"APIConnect": "DONE", "status": "failed", "errorReason": "Too late"}]})
    result = gateway.refund(PAID, amount=Decimal("500"), reason="show cancelled", refund_key="RF-1")
    assert (result.status, result.reason) == ("failed", "Too late")


@pytest.mark.parametrize("status,meaning", [("refunded", "done"), ("processing", "pending"), ("cancelled", "failed")])
def test_refund_status_asks_by_refund_ref_id(status, meaning):
    gateway, transport = adapter({TRANSACTION: [{"APIConnect": "DONE", "refund_ref_id": "R-5", "status": status}]})
    assert gateway.refund_status(PAID, refund_ref="R-5", refund_key="RF-1").status == meaning
    assert transport.sent[0][2]["params"] == {"refund_ref_id": "R-5", "store_id": "jatra0test",
                                              "store_passwd": PASSWD, "format": "json"}
