"""The local gateway simulator, driven over real HTTP as the adapters and a browser would drive it.
No database: the merchant is a tiny recording server, and the expected SSLCommerz signature is worked
out here by hand from the spec. The simulator itself is the `simulator` / `sandbox` fixtures of
tests/conftest.py."""
from __future__ import annotations

import hashlib
import json
import threading
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from gateways.sandbox import mount

STORE = {"store_id": "zoo-store", "store_passwd": "zoo-secret"}
BKASH_APP = {"app_key": "zoo-app", "app_secret": "zoo-app-secret"}
BKASH_USER = {"username": "zoo-user", "password": "zoo-password"}


class Merchant:
    """A merchant site that records what reaches it and answers 200."""

    def __init__(self):
        self.received: list[dict] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://shop.localhost:{self._server.port}"  # reached through gateways.http.loopback

    @Request.application
    def _app(self, request: Request) -> Response:
        body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
        self.received.append({"path": request.path, "host": request.host, "body": body})
        return Response("OK")

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


class Forms(HTMLParser):
    """The forms of a page: action, hidden fields and the submit button's text."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "method": attrs.get("method"), "fields": {},
                               "button": ""})
        elif tag == "input" and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "button":
            self._in_button = True

    def handle_data(self, data):
        if self._in_button:
            self.forms[-1]["button"] += data.strip()

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_button = False


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def expected_verify_sign(fields: dict, store_passwd: str) -> str:
    signed = {name: fields[name] for name in fields["verify_key"].split(",")}
    signed["store_passwd"] = md5(store_passwd)
    return md5("&".join(f"{key}={signed[key]}" for key in sorted(signed)))


def wait_for(condition, seconds=3.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def gateway_url(simulator, sandbox):
    """The simulator's base URL (tests/conftest.py starts it with serve_in_thread; `sandbox` resets it)."""
    return simulator[0]


@pytest.fixture(scope="module")
def module_merchant():
    merchant = Merchant()
    yield merchant
    merchant.stop()


@pytest.fixture
def merchant(module_merchant):
    module_merchant.received.clear()
    return module_merchant


def start_sslcommerz(gateway_url, merchant, tran_id="T-1001", amount="1040.00") -> dict:
    return_url = f"{merchant.url}/payments/sslcommerz/return"
    answer = requests.post(f"{gateway_url}/sslcommerz/gwprocess/v4/api.php", data={
        **STORE, "total_amount": amount, "currency": "BDT", "tran_id": tran_id, "success_url": return_url,
        "fail_url": return_url, "cancel_url": return_url, "ipn_url": f"{merchant.url}/payments/sslcommerz/ipn",
        "cus_name": "Rahim", "cus_email": "rahim@example.com", "cus_phone": "01711000000", "cus_add1": "Dhaka",
        "cus_city": "Dhaka", "cus_country": "Bangladesh", "shipping_method": "NO", "product_name": "Dhaka Zoo entry",
        "product_category": "event-ticket", "product_profile": "non-physical-goods", "num_of_item": "1"}, timeout=5)
    return answer.json()


def sslcommerz_api(gateway_url, **params) -> dict:
    url = f"{gateway_url}/sslcommerz/validator/api/merchantTransIDvalidationAPI.php"
    return requests.get(url, params={**params, **STORE, "v": "1", "format": "json"}, timeout=5).json()


def test_sslcommerz_purchase_notifies_signed_then_validates_and_refunds_once(gateway_url, merchant):
    session = start_sslcommerz(gateway_url, merchant)
    assert session["status"] == "SUCCESS"
    assert session["GatewayPageURL"] == f"{gateway_url}/sslcommerz/pay/{session['sessionkey']}"

    page = requests.get(session["GatewayPageURL"], timeout=5)
    assert "Sandbox — no real money moves" in page.text and "1040.00" in page.text
    buttons = {form["button"]: form for form in Forms(page.text).forms}
    assert set(buttons) == {"Pay", "Fail", "Cancel"}

    pay = buttons["Pay"]
    back = requests.post(requests.compat.urljoin(page.url, pay["action"]), data=pay["fields"], timeout=5)
    (ipn,) = merchant.received  # sent, and answered, before the browser was sent back
    assert ipn["path"] == "/payments/sslcommerz/ipn" and ipn["host"] == urlsplit(merchant.url).netloc
    fields = ipn["body"]
    assert fields["status"] == "VALID" and fields["tran_id"] == "T-1001" and fields["amount"] == "1040.00"
    assert fields["verify_sign"] == expected_verify_sign(fields, STORE["store_passwd"])
    assert {"tran_id", "amount", "currency", "status", "val_id"} <= set(fields["verify_key"].split(","))

    (return_form,) = Forms(back.text).forms
    assert return_form["action"] == f"{merchant.url}/payments/sslcommerz/return"
    assert return_form["button"] == "Return to merchant" and return_form["fields"] == fields
    assert 'src="/_sandbox/static/auto-submit.js"' in back.text and "<script>" not in back.text

    validation_url = f"{gateway_url}/sslcommerz/validator/api/validationserverAPI.php"
    params = {"val_id": fields["val_id"], **STORE, "v": "1", "format": "json"}
    first, second = (requests.get(validation_url, params=params, timeout=5).json() for _ in range(2))
    assert (first["status"], second["status"]) == ("VALID", "VALIDATED")
    assert first["amount"] == "1040.00" and first["tran_id"] == "T-1001" and first["risk_level"] == "0"
    wrong_store = requests.get(validation_url, params={**params, "store_passwd": "guess"}, timeout=5).json()
    assert wrong_store["status"] == "FAILED"

    refund = {"bank_tran_id": fields["bank_tran_id"], "refund_amount": "500.00", "refund_remarks": "cancelled"}
    once, again = (sslcommerz_api(gateway_url, **refund, refe_id="RF-1") for _ in range(2))
    assert once["status"] == "success" and again == once
    too_much = sslcommerz_api(gateway_url, **{**refund, "refund_amount": "540.01"}, refe_id="RF-2")
    assert too_much["status"] == "failed"
    assert sslcommerz_api(gateway_url, refund_ref_id=once["refund_ref_id"])["status"] == "refunded"
    query = sslcommerz_api(gateway_url, tran_id="T-1001")
    assert query["no_of_trans_found"] == 1 and query["element"][0]["status"] == "VALIDATED"


def test_sslcommerz_refund_fails_once_then_succeeds(gateway_url, sandbox, merchant):
    sandbox.behave(refund_fail_once=True, ipn="never")
    start_sslcommerz(gateway_url, merchant, tran_id="T-1002")
    paid = sandbox.pay("T-1002")
    refund = {"bank_tran_id": paid.fields["bank_tran_id"], "refund_amount": "1040.00", "refe_id": "RF-9"}
    assert [sslcommerz_api(gateway_url, **refund)["status"] for _ in range(2)] == ["failed", "success"]
    assert merchant.received == [] and sandbox.notifications == []


def test_sslcommerz_notification_timing_and_tampering(gateway_url, sandbox, merchant):
    sandbox.behave(ipn="after_return", tamper_amount=True)
    start_sslcommerz(gateway_url, merchant, tran_id="T-1003")
    returned = sandbox.pay("T-1003")
    assert returned.fields["amount"] != "1040.00"
    assert returned.fields["verify_sign"] != expected_verify_sign(returned.fields, STORE["store_passwd"])
    assert merchant.received == []
    assert sandbox.send_held_notifications() == 1 and len(merchant.received) == 1

    sandbox.behave(ipn="duplicate", tamper_amount=False)
    start_sslcommerz(gateway_url, merchant, tran_id="T-1004")
    sandbox.pay("T-1004")
    wait_for(lambda: len(merchant.received) == 4)  # two before the return, one after it
    assert [sent["status_code"] for sent in sandbox.notifications] == [200] * 4


def test_bkash_checkout_execute_once_then_status(gateway_url, merchant):
    api = f"{gateway_url}/bkash/tokenized/checkout"
    token = requests.post(f"{api}/token/grant", json=BKASH_APP, headers=BKASH_USER, timeout=5).json()
    assert token["statusCode"] == "0000" and token["expires_in"] == 3600
    headers = {"Authorization": token["id_token"], "X-APP-Key": BKASH_APP["app_key"]}
    callback_url = f"{merchant.url}/payments/bkash/return"
    created = requests.post(f"{api}/create", headers=headers, timeout=5, json={
        "mode": "0011", "payerReference": "01711000000", "callbackURL": callback_url, "amount": "1040.00",
        "currency": "BDT", "intent": "sale", "merchantInvoiceNumber": "T-2001"}).json()
    assert created["statusCode"] == "0000" and created["transactionStatus"] == "Initiated"
    payment_id = created["paymentID"]

    page = requests.get(created["bkashURL"], timeout=5)
    pay = next(form for form in Forms(page.text).forms if form["button"] == "Pay")
    back = requests.post(requests.compat.urljoin(page.url, pay["action"]), data=pay["fields"], timeout=5,
                         allow_redirects=False)
    assert back.status_code == 302
    location = urlsplit(back.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == callback_url
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert query["paymentID"] == payment_id and query["status"] == "success" and query["signature"]
    assert query["apiVersion"] == "1.2.0-beta"
    (webhook,) = merchant.received
    assert webhook["path"] == "/payments/bkash/ipn" and webhook["body"]["paymentID"] == payment_id

    executed = requests.post(f"{api}/execute", headers=headers, json={"paymentID": payment_id}, timeout=5).json()
    assert executed["statusCode"] == "0000" and executed["transactionStatus"] == "Completed"
    assert executed["amount"] == "1040.00" and executed["merchantInvoiceNumber"] == "T-2001" and executed["trxID"]
    again = requests.post(f"{api}/execute", headers=headers, json={"paymentID": payment_id}, timeout=5).json()
    assert again["statusCode"] == "2117"
    status = requests.post(f"{api}/payment/status", headers=headers, json={"paymentID": payment_id}, timeout=5)
    assert status.json()["transactionStatus"] == "Completed" and status.json()["trxID"] == executed["trxID"]

    no_token = requests.post(f"{api}/payment/status", json={"paymentID": payment_id}, timeout=5,
                             headers={"X-APP-Key": BKASH_APP["app_key"]})
    assert no_token.status_code == 401 and no_token.json() == {"statusCode": "9999", "statusMessage": "Invalid token"}


def test_unreachable_gateways_answer_503(gateway_url, sandbox):
    requests.post(f"{gateway_url}/_sandbox/behave", json={"unreachable": True}, timeout=5).raise_for_status()
    assert requests.post(f"{gateway_url}/sslcommerz/gwprocess/v4/api.php", data=STORE, timeout=5).status_code == 503
    grant = requests.post(f"{gateway_url}/bkash/tokenized/checkout/token/grant", json=BKASH_APP,
                          headers=BKASH_USER, timeout=5)
    assert grant.status_code == 503
    refused = requests.post(f"{gateway_url}/_sandbox/behave", data=json.dumps({"ipn": "sometimes"}), timeout=5,
                            headers={"Content-Type": "application/json"})
    assert refused.status_code == 400


def test_mounted_under_a_prefix_its_pages_carry_the_prefix(merchant):
    host_app = Flask("host")
    mount(host_app)
    client = host_app.test_client()
    session = client.post("/sandbox/sslcommerz/gwprocess/v4/api.php", data={
        **STORE, "total_amount": "50.00", "currency": "BDT", "tran_id": "T-3001",
        **{name: f"{merchant.url}/payments/sslcommerz/return" for name in ("success_url", "fail_url", "cancel_url")},
        "cus_name": "Rahim", "cus_email": "rahim@example.com", "cus_phone": "01711000000", "cus_add1": "Dhaka",
        "cus_city": "Dhaka", "cus_country": "Bangladesh", "shipping_method": "NO", "product_name": "Entry",
        "product_category": "event-ticket", "product_profile": "non-physical-goods", "num_of_item": "1"}).get_json()
    assert session["GatewayPageURL"] == f"http://localhost/sandbox/sslcommerz/pay/{session['sessionkey']}"
    page = client.get(urlsplit(session["GatewayPageURL"]).path)
    assert page.status_code == 200 and "/sandbox/_sandbox/static/sandbox.css" in page.text
