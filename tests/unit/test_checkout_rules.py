"""Checkout rules that need no database: the refund policy table at each of its boundaries, booking
references and PNRs, and SSLCommerz's verify_sign against a vector made here by the published recipe
(/tmp/spec/gateways.md, SSLCommerz §3), which the local simulator's signatures must agree with."""
from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from gateways.base import ForgedCallback, GatewayConfig
from gateways.sandbox import Sandbox
from gateways.sandbox.sslcommerz import _signed as simulator_signed
from gateways.sslcommerz import SSLCommerz, verify_sign
from services.checkout import policy, references

# --- the refund policy -----------------------------------------------------------------------------

RAIL = policy.default_for("rail")
EVENTS = policy.default_for("events")
FARE = Decimal("450.00")
JUST = 0.01  # hours: 36 seconds either side of a boundary


def back(hours: float, fare_class: str | None = "other", amount: Decimal = FARE, rules=RAIL) -> Decimal | None:
    return policy.refund_for(amount, hours, rules, fare_class)


@pytest.mark.parametrize("fare_class,charge", [("ac", 40), ("first", 30), ("other", 25), (None, 25)])
def test_more_than_48_hours_ahead_a_rail_refund_loses_only_the_flat_charge_of_its_class(fare_class, charge):
    assert back(48 + JUST, fare_class) == FARE - charge
    assert back(240, fare_class) == FARE - charge  # ten days ahead: the same flat charge


@pytest.mark.parametrize("hours,kept_percent", [
    # "more than 48 h" is flat: exactly 48 h is already the 48-24 h tier
    (48, 25), (48 - JUST, 25),
    # 48-24 h: 25 % deducted; each tier's own bound "A-B" covers A and stops short of B (the module's tiers)
    (24 + JUST, 25), (24, 50), (24 - JUST, 50),
    # 24-12 h: 50 %
    (12 + JUST, 50), (12, 75), (12 - JUST, 75),
    # 12-6 h: 75 %, and exactly 6 h still counts ("under 6 h no refund")
    (6 + JUST, 75), (6, 75),
])
def test_the_rail_percent_tiers_at_just_above_at_and_just_below_each_boundary(hours, kept_percent):
    expected = (FARE * (100 - kept_percent) / 100).quantize(Decimal("0.01"))
    for fare_class in ("ac", "first", "other"):  # percent tiers ignore the class
        assert back(hours, fare_class) == expected, (hours, fare_class)


@pytest.mark.parametrize("hours", [6 - JUST, 3, 0, -1])
def test_under_6_hours_before_departure_a_rail_ticket_cannot_be_cancelled(hours):
    assert back(hours) is None


def test_a_refund_is_rounded_to_the_paisa_and_never_negative():
    # 25 % of 333.33 is 83.3325: 249.9975 back, shown and paid as 250.00
    assert back(30, amount=Decimal("333.33")) == Decimal("250.00")
    # A fare below the flat charge gives back nothing, never a negative amount
    assert back(72, "ac", amount=Decimal("30.00")) == Decimal("0.00")


@pytest.mark.parametrize("hours,expected", [(24 * 7, FARE), (24 + JUST, FARE), (24, FARE), (24 - JUST, None),
                                            (1, None)])
def test_events_are_refunded_in_full_until_24_hours_before_and_not_after(hours, expected):
    assert back(hours, None, rules=EVENTS) == expected


def test_the_defaults_are_the_railway_table_for_rail_and_free_until_24_hours_for_the_rest():
    assert policy.default_for("rail") is policy.BANGLADESH_RAILWAY
    assert policy.default_for("events") is policy.FREE_UNTIL_24_HOURS
    assert policy.describe(policy.BANGLADESH_RAILWAY)[0] == (48.0, False, "flat", {"ac": 40, "first": 30, "other": 25})


# --- references and PNRs -------------------------------------------------------------------------------

def test_a_reference_is_prefix_year_and_the_booking_id_of_six_digits_or_more():
    assert references.reference(1234, datetime(2026, 12, 5), tenant_prefix="ZOO") == "ZOO-2026-001234"
    assert references.REFERENCE_RE.match("ZOO-2026-001234")
    long = references.reference(12_345_678, datetime(2027, 1, 1), tenant_prefix="BR")
    assert long == "BR-2027-12345678" and references.REFERENCE_RE.match(long)
    for wrong in ("ZOO-26-001234", "zoo-2026-001234", "ZOO-2026-1234", "ZOO2026001234", "TOOLONGX-2026-001234"):
        assert not references.REFERENCE_RE.match(wrong), wrong


@pytest.mark.parametrize("setting,slug,expected", [
    ("br", "rail3", "BR"),  # the tenant's booking_prefix, upper-cased
    (None, "zoo12", "ZOO12"),  # else its slug
    (None, "rail-dhaka-east", "RAILDH"),  # letters and digits only, at most 6
    (None, "z", "ZB"),  # at least 2
])
def test_the_prefix_comes_from_the_tenants_setting_or_slug(monkeypatch, setting, slug, expected):
    tenant = SimpleNamespace(slug=slug, setting=lambda name: setting if name == "booking_prefix" else None)
    monkeypatch.setattr(references.tenant_db, "require_tenant", lambda: tenant)
    made = references.reference(7, datetime(2026, 3, 1))
    assert made == f"{expected}-2026-000007"
    assert references.REFERENCE_RE.match(made)


def test_a_pnr_is_ten_characters_without_look_alikes():
    for look_alike in "0O1IL":
        assert look_alike not in references.PNR_ALPHABET
    for _ in range(200):
        pnr = references.new_pnr()
        assert len(pnr) == 10 and set(pnr) <= set(references.PNR_ALPHABET), pnr
        assert references.PNR_RE.match(pnr)
    assert not references.PNR_RE.match("ABCDEFGHJ0")  # a zero is never a PNR character
    assert not references.PNR_RE.match("ABCDEFGHJK2")  # eleven characters


def test_twenty_thousand_pnrs_are_all_distinct():
    drawn = [references.new_pnr() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)
    assert len(set("".join(drawn))) == len(references.PNR_ALPHABET)  # every character of the alphabet is used


# --- SSLCommerz verify_sign ------------------------------------------------------------------------------

PASSWD = "jatrademo@ssl"
PASSWD_MD5 = hashlib.md5(PASSWD.encode()).hexdigest()
IPN = {"status": "VALID", "tran_id": "J0A1B2C3D4E5F60718293A4B5", "val_id": "2612051011121ABCDEF123456",
       "amount": "1040.00", "store_amount": "1014.00", "currency": "BDT", "bank_tran_id": "261205101112XYZ123",
       "card_type": "VISA-Dutch Bangla", "currency_amount": "1040.00", "currency_type": "BDT",
       "tran_date": "2026-12-05 10:11:12", "risk_level": "0", "risk_title": "Safe"}
# The spec's recipe written out: the signed fields plus store_passwd=md5(store_passwd), sorted by key in
# plain string order ("currency" before "currency_amount" before "currency_type"), joined as k=v with "&".
SIGNED_TEXT = ("amount=1040.00&bank_tran_id=261205101112XYZ123&card_type=VISA-Dutch Bangla&currency=BDT"
               "&currency_amount=1040.00&currency_type=BDT&risk_level=0&risk_title=Safe&status=VALID"
               "&store_amount=1014.00&store_passwd=" + PASSWD_MD5 + "&tran_date=2026-12-05 10:11:12"
               "&tran_id=J0A1B2C3D4E5F60718293A4B5&val_id=2612051011121ABCDEF123456")
HAND_SIGN = hashlib.md5(SIGNED_TEXT.encode("utf-8")).hexdigest()


def hand_signed(**changes) -> dict:
    return {**IPN, "verify_key": ",".join(IPN), "verify_sign": HAND_SIGN, **changes}


def test_verify_sign_accepts_the_vector_made_by_hand_from_the_spec():
    assert verify_sign(hand_signed(), PASSWD)
    # The order verify_key names the fields in does not matter: they are sorted before signing.
    assert verify_sign(hand_signed(verify_key=",".join(reversed(list(IPN)))), PASSWD)
    # Fields that are posted but not named in verify_key are not signed.
    assert verify_sign({**hand_signed(), "value_a": "anything"}, PASSWD)


@pytest.mark.parametrize("changes", [
    {"amount": "1041.00"},  # a signed field changed after signing
    {"verify_sign": HAND_SIGN[:-1] + ("1" if HAND_SIGN.endswith("0") else "0")},  # one character off
    {"verify_sign": ""},
    {"verify_key": ",".join(IPN) + ",value_b"},  # names a field that was not posted
    {"verify_key": "tran_id,amount"},  # signs fewer fields than the signature covers
])
def test_verify_sign_refuses_anything_else(changes):
    assert not verify_sign(hand_signed(**changes), PASSWD)


def test_verify_sign_refuses_another_stores_password_and_a_message_without_a_signature():
    assert not verify_sign(hand_signed(), "another-store@ssl")
    assert not verify_sign(IPN, PASSWD)


def test_the_simulator_signs_exactly_as_the_spec_and_the_adapter_verify():
    signed = simulator_signed(dict(IPN), PASSWD)
    assert signed["verify_sign"] == HAND_SIGN
    assert signed["verify_key"].split(",") == list(IPN)
    assert verify_sign(signed, PASSWD)


def _simulated_return(**behaviour) -> dict:
    """A whole session at an in-process simulator (no HTTP, no IPN URL): what it posts back after Pay."""
    sandbox = Sandbox()
    sandbox.behave(**behaviour)
    form = {"store_id": "jatrademo", "store_passwd": PASSWD, "total_amount": "1040.00", "currency": "BDT",
            "tran_id": "J0TEST", "success_url": "http://zoo.localhost/payments/sslcommerz/return",
            "fail_url": "http://zoo.localhost/payments/sslcommerz/return",
            "cancel_url": "http://zoo.localhost/payments/sslcommerz/return", "cus_name": "Karim Uddin",
            "cus_email": "guest@example.com", "cus_phone": "+8801711000002", "cus_add1": "Dhaka", "cus_city": "Dhaka",
            "cus_country": "Bangladesh", "shipping_method": "NO", "product_name": "Zoo entry",
            "product_category": "event-ticket", "product_profile": "non-physical-goods", "num_of_item": "2"}
    answer = sandbox.sslcommerz.init_session(form, page_url=lambda ref: f"http://sim/pay/{ref}")
    assert answer["status"] == "SUCCESS", answer
    browser_return, notification, _ = sandbox.sslcommerz.choose(answer["sessionkey"], "pay")
    assert notification is None  # no ipn_url was given: nothing to send
    return browser_return.fields


def test_what_the_simulator_posts_back_verifies_with_the_adapter_and_a_tampered_amount_does_not():
    adapter = SSLCommerz(GatewayConfig(name="sslcommerz", base_url="http://sim/sslcommerz",
                                       credentials={"store_id": "jatrademo", "store_passwd": PASSWD}))
    fields = _simulated_return()
    assert verify_sign(fields, PASSWD)
    callback = adapter.parse_callback(fields, source="return")
    assert (callback.status, callback.tran_id, callback.gateway_ref) == ("success", "J0TEST", fields["val_id"])

    tampered = _simulated_return(tamper_amount=True)
    assert tampered["amount"] == "1041.00"
    assert not verify_sign(tampered, PASSWD)
    with pytest.raises(ForgedCallback):
        adapter.parse_callback(tampered, source="ipn")


@pytest.mark.parametrize("bad", [
    {"hours": 24, "percent": 0},  # not a list
    [{"percent": 10}],  # no hours
    [{"hours": 24}],  # neither flat nor percent
    [{"hours": 24, "percent": 10, "flat": {"other": 25}}],  # both
    [{"hours": 24, "percent": 120}],
    [{"hours": 24, "flat": {"other": -5}}],
    [{"hours": 6, "percent": 75}, {"hours": 24, "percent": 25}],  # not from most hours to fewest
])
def test_a_refund_policy_that_does_not_make_sense_is_refused(bad):
    from services.checkout.policy import validated

    with pytest.raises(ValueError):
        validated(bad)


def test_the_default_policies_are_valid():
    from services.checkout.policy import BANGLADESH_RAILWAY, FREE_UNTIL_24_HOURS, validated

    assert validated(BANGLADESH_RAILWAY) is BANGLADESH_RAILWAY and validated(FREE_UNTIL_24_HOURS)
