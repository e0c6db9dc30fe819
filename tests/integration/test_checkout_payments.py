"""Payments end to end on PostgreSQL (rule 4, "money is never lost"): the local SSLCommerz simulator
over real HTTP (`app_server`) made to misbehave every way it can, replayed and forged callbacks, late
payments, reconciliation, refunds, two notifications racing for one payment (with a control without
the payment's row lock), and a crash injected at each step of the confirmation.

Each test makes its own tenant; `Shop` below drives a purchase the way a customer and the gateway
would (checkout, Pay at the simulator, the browser's return) and `facts` reads back everything a
payment can change, so "nothing changed" is one comparison."""
from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingAttempt, Notification, Payment, PaymentMessage, Refund
from models.people import AuditLog
from models.rail import SeatClaim
from models.sales import Hold
from services import notifications
from services.audit import Actor
from services.checkout import callbacks, cancel, confirm
from services.demo.payments import DEMO_CREDENTIALS
from services.inventory import Owner, holds
from services.inventory import rail as rail_inventory
from tests.support.people import bulk_customers, remove_test_tenants  # noqa: F401  (autouse)

WAITING = "Payment is being confirmed"
CONFIRMED = "Confirmed — your tickets"
RETRY = "Payment failed — your tickets are held until"  # a zoo: tickets, not seats
TOO_LATE = "Your payment came too late — it is being refunded"
STEPS = ("payment", "booking", "tickets", "notifications", "commit")


def confirmed(**changes) -> dict:
    """The facts of a confirmed 2-ticket purchase paid once (rail claims or event counters added by the caller)."""
    return {"booking": "confirmed", "payments": ["succeeded"], "attempts": ["paid"], "tickets": {"valid": 2},
            "notifications": [("booking_confirmed", "email"), ("booking_confirmed", "sms")], "refunds": [],
            "confirmations": 1, "hold": "checked_out", **changes}


CONFIRMED_TICKETS = confirmed(sold=2, held=0)
CONFIRMED_SEATS = confirmed(claims=["sold", "sold"])


@pytest.fixture
def no_step_hook():
    """Whatever a test sets as confirm.step_hook is gone after it, pass or fail."""
    yield
    confirm.step_hook = None


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def signed_as_the_store(fields: dict) -> dict:
    """`fields` signed by the spec's recipe with the tenant's real store password (a message the adapter
    cannot tell from the gateway's by its signature)."""
    pairs = {**fields, "store_passwd": md5(DEMO_CREDENTIALS["sslcommerz"]["store_passwd"])}
    return {**fields, "verify_key": ",".join(fields),
            "verify_sign": md5("&".join(f"{key}={pairs[key]}" for key in sorted(pairs)))}


def unsigned(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if k not in ("verify_sign", "verify_key")}


# --- the order of the IPN and the browser's return ----------------------------------------------------------

@pytest.mark.parametrize("order", ["ipn_before_return", "return_before_ipn"])
def test_the_ipn_and_the_return_in_either_order_confirm_the_booking_once(shop, order):
    zoo = shop.zoo()
    if order == "return_before_ipn":
        shop.sandbox.behave(ipn="after_return")
    bought = shop.buy_tickets(zoo)
    assert shop.facts(bought)["payments"] == ["initiated"]
    back = shop.pay(bought)
    if order == "ipn_before_return":  # the default: the IPN was answered before the browser went back
        [ipn] = shop.sandbox.notifications
        assert ipn["status_code"] == 200 and ipn["payload"]["tran_id"] == bought.tran_id
        assert shop.facts(bought) == CONFIRMED_TICKETS
    else:
        assert shop.sandbox.notifications == []
        assert shop.facts(bought)["booking"] == "pending_payment"

    returned = shop.come_back(bought, back)
    assert returned.status_code == 303 and returned.headers["Location"].endswith(f"/bookings/{bought.token}")
    assert shop.facts(bought) == CONFIRMED_TICKETS
    if order == "return_before_ipn":
        assert shop.sandbox.send_held_notifications() == 1
        [ipn] = shop.sandbox.notifications
        assert ipn["status_code"] == 200
        assert shop.facts(bought) == CONFIRMED_TICKETS  # the IPN after the return changed nothing
    assert CONFIRMED in shop.page(bought)


# --- each misbehaviour of the simulator ----------------------------------------------------------------------

def test_a_late_ipn_finds_the_booking_the_return_confirmed_and_changes_nothing(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="late", ipn_delay=1.0)  # a second: room for the page and the return on a busy machine
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    page = shop.page(bought)  # the customer's browser is slower to come back than the page loads
    assert shop.sandbox.notifications == [], "the late IPN came before the page was read: nothing was shown"
    assert WAITING in page and CONFIRMED not in page

    assert shop.come_back(bought, back).status_code == 303
    assert shop.sandbox.notifications == []  # the return came first, and confirmed on its own
    assert shop.facts(bought) == CONFIRMED_TICKETS
    assert CONFIRMED in shop.page(bought)

    [ipn] = shop.notifications_sent(1)
    assert ipn["status_code"] == 200
    assert shop.facts(bought) == CONFIRMED_TICKETS


def test_a_return_the_gateway_cannot_confirm_yet_waits_and_the_ipn_after_it_confirms(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="after_return")
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    shop.sandbox.behave(unreachable=True)  # the validation API is down while the browser comes back
    assert shop.come_back(bought, back).status_code == 303
    assert shop.facts(bought)["payments"] == ["initiated"]
    page = shop.page(bought)
    assert WAITING in page and CONFIRMED not in page

    shop.sandbox.behave(unreachable=False)
    assert shop.sandbox.send_held_notifications() == 1
    assert shop.sandbox.notifications[0]["status_code"] == 200
    assert shop.facts(bought) == CONFIRMED_TICKETS
    assert CONFIRMED in shop.page(bought)


def test_a_duplicated_ipn_confirms_once(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="duplicate")
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    assert shop.come_back(bought, back).status_code == 303
    sent = shop.notifications_sent(3)  # twice before the return, once more right after it
    assert [n["status_code"] for n in sent] == [200, 200, 200]
    assert shop.facts(bought) == CONFIRMED_TICKETS  # one set of tickets, one message per channel, one "paid"
    sms = [m for m in notifications.outbox().messages(zoo.slug) if m.channel == "sms" and "confirmed" in m.text]
    assert len(sms) == 1, sms


def test_without_an_ipn_the_browser_return_alone_confirms(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="never")
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    assert shop.facts(bought)["payments"] == ["initiated"]
    assert shop.come_back(bought, back).status_code == 303
    assert shop.sandbox.notifications == []
    assert shop.facts(bought) == CONFIRMED_TICKETS


def test_reconciliation_confirms_a_payment_whose_ipn_and_return_never_came(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="never")
    bought = shop.buy_tickets(zoo)
    shop.pay(bought)  # paid at the gateway; the customer closed the browser there
    assert WAITING in shop.page(bought)

    early = shop.reconcile(zoo, minutes=10)
    assert (early.asked, shop.facts(bought)["payments"]) == (0, ["initiated"])  # not 15 minutes yet
    found = shop.reconcile(zoo, minutes=16)
    assert (found.asked, found.settled) == (1, 1)
    assert shop.facts(bought) == CONFIRMED_TICKETS
    assert CONFIRMED in shop.page(bought)
    assert shop.reconcile(zoo, minutes=22).asked == 0  # harmless to run again
    assert shop.facts(bought) == CONFIRMED_TICKETS


def test_a_tampered_amount_is_refused_audited_and_nothing_is_paid(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(tamper_amount=True)
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    [ipn] = shop.sandbox.notifications
    assert ipn["status_code"] == 400
    assert back.fields["amount"] != f"{bought.amount:.2f}"  # the simulator did change it after signing
    assert shop.come_back(bought, back).status_code == 400
    after = shop.facts(bought)
    assert after == {"booking": "pending_payment", "payments": ["initiated"], "attempts": ["started"], "tickets": {},
                     "notifications": [], "refunds": [], "confirmations": 0, "hold": "active", "sold": 0, "held": 2}
    assert shop.refusals(zoo) == (2, 2)  # the IPN and the return, each audited and kept raw as forged


def test_a_payment_the_validation_api_calls_invalid_is_refused_and_stays_initiated(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(validation="INVALID_TRANSACTION")
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    [ipn] = shop.sandbox.notifications
    assert ipn["status_code"] == 400
    assert shop.come_back(bought, back).status_code == 400
    assert shop.facts(bought)["payments"] == ["initiated"]
    assert shop.facts(bought)["tickets"] == {} and shop.facts(bought)["booking"] == "pending_payment"
    with shop.in_tenant(zoo):
        refused = list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "payment.callback_refused")))
        validations = list(db.session.scalars(sa.select(PaymentMessage.verdict).where(
            PaymentMessage.payment_id == bought.payment_id, PaymentMessage.kind == "validation")))
    assert [r.resource_id for r in refused] == [str(bought.payment_id)] * 2
    assert validations == ["failed", "failed"]


def test_a_refund_that_fails_once_is_retried_and_made_exactly_once(shop):
    rail = shop.rail()
    shop.sandbox.behave(refund_fail_once=True)
    bought = shop.buy_seats(rail)
    assert shop.come_back(bought, shop.pay(bought)).status_code == 303
    with shop.in_tenant(rail):
        cancel.cancel(bought.booking_id, None, actor=Actor("customer", bought.owner.customer_id, "Rahima"))
        refund = db.session.scalar(sa.select(Refund).where(Refund.booking_id == bought.booking_id))
        first = (refund.status, refund.attempts, refund.last_error)
    assert first == ("failed", 1, "Refund failed (sandbox: refund_fail_once)")
    assert shop.at_gateway(bought).refunds == []

    for _ in range(3):  # asked again (accepted), then asked where it stands (refunded)
        shop.reconcile(rail)
    [(kind, amount, status)] = shop.facts(bought)["refunds"]
    assert (kind, status) == ("cancellation", "done")
    assert [r.amount for r in shop.at_gateway(bought).refunds] == [amount]


# --- replayed and forged notifications -----------------------------------------------------------------------

def test_a_replayed_ipn_or_return_changes_nothing(shop):
    zoo = shop.zoo()
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    assert shop.come_back(bought, back).status_code == 303
    [ipn] = shop.sandbox.notifications
    before, refused = shop.facts(bought), shop.refusals(zoo)
    assert before == CONFIRMED_TICKETS

    replayed = shop.notify(zoo, ipn["payload"])
    assert (replayed.status_code, replayed.get_json()) == (200, {"status": "already"})
    assert shop.come_back(bought, back).status_code == 303
    assert shop.facts(bought) == before
    assert shop.refusals(zoo) == refused


def test_a_forged_ipn_is_refused_audited_and_changes_nothing(shop):
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="never")
    bought = shop.buy_tickets(zoo)
    genuine = shop.pay(bought).fields  # paid at the gateway, not yet told to us
    before = shop.facts(bought)

    wrong_sign = {**genuine, "verify_sign": md5("not the store's signature")}
    assert shop.notify(zoo, wrong_sign).status_code == 400
    assert (shop.facts(bought), shop.refusals(zoo)) == (before, (1, 1))
    # Signed with the store's own password, but naming a tran_id we never issued.
    stranger = signed_as_the_store({**unsigned(genuine), "tran_id": "JNEVERISSUED0000000000000"})
    assert shop.notify(zoo, stranger).status_code == 400
    assert (shop.facts(bought), shop.refusals(zoo)) == (before, (2, 2))
    with shop.in_tenant(zoo):
        why = [r.changes["after"]["why"] for r in db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "payment.callback_refused").order_by(AuditLog.id))]
    assert "verify_sign" in why[0] and "names no payment of ours" in why[1]

    # The genuine message is taken: the two above were refused for what they were.
    assert shop.notify(zoo, genuine).status_code == 200
    assert shop.facts(bought) == CONFIRMED_TICKETS


# --- late payments -------------------------------------------------------------------------------------------

def _paid_after_the_hold_was_swept(shop):
    rail = shop.rail()
    shop.sandbox.behave(ipn="never")
    bought = shop.buy_seats(rail)
    back = shop.pay(bought)
    with shop.in_tenant(rail):
        assert holds.expire_due(now=utcnow() + timedelta(minutes=11)) == 1
    assert shop.facts(bought)["hold"] == "expired" and shop.facts(bought)["claims"] == []
    return rail, bought, back


def test_a_late_payment_is_honoured_while_its_seats_are_still_free(shop):
    rail, bought, back = _paid_after_the_hold_was_swept(shop)
    assert shop.come_back(bought, back).status_code == 303
    assert shop.facts(bought) == CONFIRMED_SEATS
    with shop.in_tenant(rail):
        sold = sorted(db.session.scalars(sa.select(SeatClaim.seat_id).where(
            SeatClaim.trip_id == bought.trip_id, SeatClaim.status == "sold")))
    assert sold == sorted(bought.seat_ids)
    assert CONFIRMED in shop.page(bought)


def test_a_late_payment_whose_seats_were_taken_is_refunded_in_full_and_the_customer_told(shop):
    rail, bought, back = _paid_after_the_hold_was_swept(shop)
    with shop.in_tenant(rail):
        [other] = bulk_customers(1)
        theirs = rail_inventory.hold_seats(bought.trip_id, list(bought.seat_ids), board_seq=0, alight_seq=1,
                                           owner=Owner(customer_id=other))
        theirs_id, theirs_expiry = theirs.id, theirs.expires_at

    assert shop.come_back(bought, back).status_code == 303
    after = shop.facts(bought)
    assert after["booking"] == "expired" and after["tickets"] == {} and after["confirmations"] == 0
    assert after["payments"] == ["succeeded_late"] and after["attempts"] == ["failed"]
    assert after["refunds"][0][:2] == ("late_payment", bought.amount)
    assert ("late_refund", "sms") in after["notifications"] and ("booking_confirmed", "sms") not in after[
        "notifications"]
    with shop.in_tenant(rail):
        hold = db.session.get(Hold, theirs_id)
        claims = list(db.session.scalars(sa.select(SeatClaim).where(SeatClaim.hold_id == theirs_id)))
        assert (hold.status, hold.expires_at) == ("active", theirs_expiry)
        assert sorted((c.seat_id, c.status) for c in claims) == [(s, "held") for s in sorted(bought.seat_ids)]
    page = shop.page(bought)
    assert TOO_LATE in page and CONFIRMED not in page

    shop.reconcile(rail)
    assert shop.facts(bought)["refunds"] == [("late_payment", bought.amount, "done")]
    assert shop.facts(bought)["payments"] == ["refunded"]
    assert [r.amount for r in shop.at_gateway(bought).refunds] == [bought.amount]


# --- cancellation and refund ---------------------------------------------------------------------------------

def test_cancelling_a_rail_booking_three_days_ahead_refunds_the_fare_less_tk_25_a_seat(shop):
    rail = shop.rail()
    bought = shop.buy_seats(rail)
    assert shop.come_back(bought, shop.pay(bought)).status_code == 303
    assert shop.facts(bought) == CONFIRMED_SEATS
    with shop.in_tenant(rail):
        items = db.session.get(Booking, bought.booking_id).items
        assert {i.fare_class for i in items} == {"other"}  # S_CHAIR
        expected = sum(i.amount - 25 for i in items)
        cancel.cancel(bought.booking_id, None, actor=Actor("customer", bought.owner.customer_id, "Rahima"))
    assert 0 < expected < bought.amount

    after = shop.facts(bought)
    assert (after["booking"], after["tickets"], after["claims"]) == ("cancelled", {"cancelled": 2}, [])
    [(kind, amount, status)] = after["refunds"]
    assert (kind, amount) == ("cancellation", expected)
    with shop.in_tenant(rail):  # the seats are on sale again
        [other] = bulk_customers(1)
        rail_inventory.hold_seats(bought.trip_id, list(bought.seat_ids), board_seq=0, alight_seq=1,
                                  owner=Owner(customer_id=other))

    if status != "done":  # SSLCommerz took the request; its refund query says when it is refunded
        shop.reconcile(rail)
    assert shop.facts(bought)["refunds"] == [("cancellation", expected, "done")]
    assert shop.facts(bought)["payments"] == ["partially_refunded"]
    assert [r.amount for r in shop.at_gateway(bought).refunds] == [expected]


# --- concurrency and crashes -------------------------------------------------------------------------------

class _Unlocked(sa.Select):
    """A SELECT whose FOR UPDATE is dropped."""

    inherit_cache = True

    def with_for_update(self, **_):
        return self


class _SqlalchemyWithoutRowLocks:
    """`sqlalchemy` as services/checkout/confirm.py sees it, but its SELECT ... FOR UPDATE take no lock."""

    def __getattr__(self, name):
        return getattr(sa, name)

    @staticmethod
    def select(*entities):
        return _Unlocked(*entities)


def _race_ipns(shop, race, purchase, payload, n=3):
    with shop.in_tenant(purchase.tenant):
        return race(n, lambda: callbacks.handle("sslcommerz", dict(payload), source="ipn",
                                                 actor=Actor.system("ipn")))


def test_concurrent_ipns_for_one_payment_confirm_it_once(shop, race, monkeypatch, no_step_hook):
    rail = shop.rail()
    shop.sandbox.behave(ipn="never")  # we deliver the notifications, all at once
    guarded = shop.buy_seats(rail)
    guarded_ipn = shop.pay(guarded).fields
    unguarded = shop.buy_seats(rail)
    unguarded_ipn = shop.pay(unguarded).fields
    # Every racer pauses once it has read the payment: without the lock all of them read it unsettled.
    confirm.step_hook = lambda step: time.sleep(0.5) if step == "payment" else None

    results = _race_ipns(shop, race, guarded, guarded_ipn)
    assert sorted(getattr(r, "state", repr(r)) for r in results) == ["already", "already", "confirmed"], results
    assert shop.facts(guarded) == CONFIRMED_SEATS

    # Control: the same race against settle() without its row locks settles the payment more than once.
    monkeypatch.setattr(confirm, "sa", _SqlalchemyWithoutRowLocks())
    results = _race_ipns(shop, race, unguarded, unguarded_ipn)
    settled = [r for r in results if getattr(r, "state", None) != "already"]
    assert len(settled) > 1, results


def test_a_crash_at_any_step_of_confirmation_leaves_nothing_and_a_replay_confirms(shop, no_step_hook):
    rail = shop.rail()
    shop.sandbox.behave(ipn="never")
    bought = shop.buy_seats(rail)
    ipn = shop.pay(bought).fields
    untouched = shop.facts(bought)
    assert untouched == {"booking": "pending_payment", "payments": ["initiated"], "attempts": ["started"],
                         "tickets": {}, "notifications": [], "refunds": [], "confirmations": 0, "hold": "active",
                         "claims": ["held", "held"]}

    class Crash(Exception):
        pass

    for step in STEPS:
        reached = []

        def crash_at(name, step=step, reached=reached):
            reached.append(name)
            if name == step:
                raise Crash(step)

        confirm.step_hook = crash_at
        with shop.in_tenant(rail):
            with pytest.raises(Crash, match=step):
                callbacks.handle("sslcommerz", dict(ipn), source="ipn", actor=Actor.system("ipn"))
        assert reached[-1] == step
        assert shop.facts(bought) == untouched, f"a crash at {step!r} left something behind"
        with shop.in_tenant(rail):
            claims = sorted(db.session.scalars(sa.select(SeatClaim.seat_id).where(
                SeatClaim.hold_id == db.session.get(Booking, bought.booking_id).hold_id)))
        assert claims == sorted(bought.seat_ids)  # still held by the customer's hold
    assert not [m for m in notifications.outbox().messages(rail.slug) if "confirmed" in m.text]

    confirm.step_hook = None
    assert shop.notify(rail, ipn).status_code == 200  # the gateway tries again
    assert shop.facts(bought) == CONFIRMED_SEATS


# --- purchase attempts --------------------------------------------------------------------------------------

def test_every_attempt_is_recorded_and_a_failed_payment_can_be_retried_on_the_same_hold(shop):
    zoo = shop.zoo()
    first = shop.buy_tickets(zoo)
    assert shop.facts(first)["attempts"] == ["started"]
    back = shop.pay(first, "fail")
    assert shop.come_back(first, back).status_code == 303
    with shop.in_tenant(zoo):
        attempt = db.session.scalar(sa.select(BookingAttempt).where(BookingAttempt.payment_id == first.payment_id))
        failed = (attempt.result, attempt.failure_reason)
    assert failed[0] == "failed" and failed[1], failed
    after_failure = shop.facts(first)
    assert (after_failure["booking"], after_failure["payments"], after_failure["hold"]) == (
        "pending_payment", ["failed"], "active")
    page = shop.page(first)
    assert RETRY in page and CONFIRMED not in page

    second = shop.checkout_again(first)
    assert (second.booking_id, second.token) == (first.booking_id, first.token)
    assert second.payment_id != first.payment_id and second.tran_id != first.tran_id
    assert shop.facts(first)["attempts"] == ["failed", "started"]
    assert shop.come_back(second, shop.pay(second)).status_code == 303
    told = sorted(CONFIRMED_TICKETS["notifications"] + [("payment_failed", "email"), ("payment_failed", "sms")])
    assert shop.facts(first) == {**CONFIRMED_TICKETS, "payments": ["failed", "succeeded"],
                                 "attempts": ["failed", "paid"], "notifications": told}
    assert CONFIRMED in shop.page(first)


def test_the_booking_page_waits_then_confirms_without_the_browser_coming_back(shop):
    """A customer who keeps the page open sees it turn from waiting to confirmed once the IPN came."""
    zoo = shop.zoo()
    shop.sandbox.behave(ipn="late", ipn_delay=1.0)
    bought = shop.buy_tickets(zoo)
    shop.pay(bought)
    assert WAITING in shop.page(bought)
    [ipn] = shop.notifications_sent(1)
    assert ipn["status_code"] == 200
    assert CONFIRMED in shop.page(bought)
    assert shop.facts(bought) == CONFIRMED_TICKETS


# --- a different amount paid (last: it fails today, see its docstring) ----------------------------------------

def test_a_different_amount_paid_is_not_confirmed_and_what_was_taken_is_refunded(shop):
    """The gateway took money, but not what we asked: the booking is not confirmed, the payment fails with
    the mismatch as its reason, and what was taken goes back (gateways/base.py's "mismatch" outcome,
    services/checkout/confirm.py `_mismatch`), once however often the gateway's messages come."""
    zoo = shop.zoo()
    shop.sandbox.behave(paid_amount="1.00")
    bought = shop.buy_tickets(zoo)
    back = shop.pay(bought)
    assert shop.come_back(bought, back).status_code == 303  # the return after the notification: nothing more
    with shop.in_tenant(zoo):
        payment = db.session.get(Payment, bought.payment_id)
        seen = (payment.status, payment.paid_amount, payment.failure_reason)
    assert seen == ("failed", Decimal("1.00"), f"amount mismatch: paid 1.00, expected {bought.amount:.2f}")
    assert shop.facts(bought)["refunds"][0][:2] == ("amount_mismatch", Decimal("1.00"))
    assert shop.facts(bought)["tickets"] == {} and shop.facts(bought)["booking"] != "confirmed"
    [ipn] = shop.sandbox.notifications
    assert ipn["status_code"] == 200  # a genuine message about a wrong amount is not a forgery
    shop.reconcile(zoo)
    assert shop.facts(bought)["refunds"] == [("amount_mismatch", Decimal("1.00"), "done")]
    assert [r.amount for r in shop.at_gateway(bought).refunds] == [Decimal("1.00")]


def test_an_abandoned_payment_and_its_booking_end_and_the_seats_stay_free(shop):
    """The customer left at the gateway's page: nothing paid, no callback. Reconciliation asks the
    gateway (nothing known), gives up after two hours (payment failed, attempt abandoned, audited),
    and the unpaid booking whose hold ran out becomes expired; the tickets went back with the hold."""
    zoo = shop.zoo()
    bought = shop.buy_tickets(zoo)
    assert shop.reconcile(zoo, minutes=20).asked == 1  # asked, the gateway knows of no payment: still waiting
    assert shop.facts(bought)["payments"] == ["initiated"]
    later = shop.reconcile(zoo, minutes=150)
    assert (later.abandoned, later.expired) == (1, 1)
    facts_now = shop.facts(bought)
    assert (facts_now["booking"], facts_now["payments"], facts_now["attempts"]) == ("expired", ["failed"],
                                                                                   ["abandoned"])
    with shop.in_tenant(zoo):
        actions = set(db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action.in_(
            ("payment.abandoned", "booking.expired")))))
        assert actions == {"payment.abandoned", "booking.expired"}
    assert shop.reconcile(zoo, minutes=151).expired == 0  # harmless to run again


def test_a_message_the_provider_refuses_stays_queued_with_its_reason_and_is_sent_later(shop, monkeypatch):
    from services import notifications
    from services.notify import outbox
    from services.notify.senders import DeliveryError

    zoo = shop.zoo()
    bought = shop.buy_tickets(zoo)
    refusing = notifications.OutboxSender()
    monkeypatch.setattr(refusing, "send_sms",
                        lambda to, text, **_: (_ for _ in ()).throw(DeliveryError("provider down")))
    monkeypatch.setattr(notifications, "_sender", refusing)
    shop.come_back(bought, shop.pay(bought))
    with shop.in_tenant(zoo):
        sms = db.session.scalar(sa.select(Notification).where(Notification.booking_id == bought.booking_id,
                                                              Notification.channel == "sms"))
        assert (sms.status, sms.attempts, sms.last_error) == ("queued", 1, "provider down")
        sms_id = sms.id
    working = notifications.OutboxSender()
    monkeypatch.setattr(notifications, "_sender", working)
    with shop.in_tenant(zoo):
        reference = db.session.get(Booking, bought.booking_id).reference
        later = utcnow() + timedelta(minutes=2)  # after its backoff
        assert outbox.deliver(sms_id) == "not due"  # not before its time
        assert outbox.due(later) == [sms_id]
        assert outbox.deliver(sms_id, now=later) == "sent"
        assert outbox.deliver(sms_id, now=later) == "not due"  # sent once, never twice
    [sent] = working.messages()
    assert sent.channel == "sms" and reference in sent.text
