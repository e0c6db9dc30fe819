"""Staff bookings on PostgreSQL with the gateway simulator: a booking bought through the services and
paid at the simulator is found by reference, PNR, phone and email; its page shows the payment with
the gateway's raw messages, refunds, attempts and audit trail; viewers only look, gate staff not even
that; an operator cancels a seat with a full refund (asked of the gateway, audited under their name)
and gives goodwill refunds, where bad amounts change nothing; every purchase attempt is listed."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import db
from models.bookings import Booking, BookingAttempt, BookingItem, Payment, PaymentMessage, Refund, Ticket
from models.people import AuditLog
from services.checkout import reconcile
from services.inventory import Owner
from tests.support import payments as pay
from tests.support.people import login_staff, make_customer, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
EMAIL = "Rahima.Khatun@example.com"
_staff_numbers = itertools.count(1)


@dataclass(frozen=True)
class Bought:
    """A booking made through checkout, as the tests need to name it."""

    id: int
    reference: str
    pnr: str
    status: str
    item_ids: list[int]
    item_amounts: list[Decimal]
    payment_id: int
    tran_id: str
    paid: Decimal
    session_key: str  # SSLCommerz's ids for the payment: its session's, and the validated payment's
    val_id: str


@pytest.fixture
def railway(app, make_tenant):
    return pay.with_gateways(app, make_tenant("rail", "rail"))


def start_rail_payment(site, in_tenant, app_server, *, seats=2, email=EMAIL):
    """A customer holds `seats` seats and starts paying at the simulator; returns (booking id, gateway ref)."""
    customer_id, _ = make_customer(in_tenant, site)
    with in_tenant(site):
        hold, seat_ids = pay.rail_hold(customer_id, seats=seats)
        started = pay.start(site, hold, Owner(customer_id=customer_id), pay.rail_details(seat_ids[:seats], email=email),
                            port=app_server)
        return started.booking.id, started.payment.gateway_ref


def come_back(site, client_for, app_server, browser_return):
    """The customer's browser, sent back from the gateway's page to ours."""
    path = browser_return.url.split(f":{app_server}")[1]
    return client_for(site).post(path, data=browser_return.fields)


def bought(site, in_tenant, booking_id) -> Bought:
    with in_tenant(site):
        booking = db.session.get(Booking, booking_id)
        payment = booking.payments[-1]
        val_id = next((m.payload["val_id"] for m in payment.messages if "val_id" in m.payload), None)
        return Bought(booking.id, booking.reference, booking.pnr, booking.status, [i.id for i in booking.items],
                      [i.amount for i in booking.items], payment.id, payment.tran_id,
                      payment.paid_amount or payment.amount, payment.gateway_ref, val_id)


def buy_rail(site, in_tenant, client_for, sandbox, app_server, **kwargs) -> Bought:
    booking_id, ref = start_rail_payment(site, in_tenant, app_server, **kwargs)
    assert come_back(site, client_for, app_server, sandbox.pay(ref)).status_code == 303
    booking = bought(site, in_tenant, booking_id)
    assert booking.status == "confirmed"
    return booking


@pytest.fixture
def paid(railway, in_tenant, client_for, sandbox, app_server) -> Bought:
    return buy_rail(railway, in_tenant, client_for, sandbox, app_server)


@pytest.fixture
def staff_as(railway, in_tenant, client_for):
    """staff_as(role) -> a test client logged in as a new staff member with that role, and their id."""

    def login(role):
        member_id, email = make_staff(in_tenant, railway, role, email=f"{role}{next(_staff_numbers)}@rail.example.com")
        client = client_for(railway)
        assert login_staff(client, email).status_code == 303
        client.member_id, client.email = member_id, email
        return client

    return login


def audit_rows(site, in_tenant, action):
    with in_tenant(site):
        return db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def gateway_confirms_refunds(site, in_tenant):
    """SSLCommerz only takes a refund request at first; the reconciliation job asks until it is done."""
    with in_tenant(site):
        reconcile.run()


def money_state(site, in_tenant, payment_id):
    """What a refused refund must not change: the refunds, the payment's reserve, the audit rows."""
    with in_tenant(site):
        return (db.session.scalar(sa.select(sa.func.count()).select_from(Refund)),
                db.session.get(Payment, payment_id).refunded_amount,
                db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)))


# --- finding and reading ------------------------------------------------------------------------

def test_staff_find_a_booking_by_reference_pnr_phone_and_email(paid, staff_as):
    viewer = staff_as("viewer")
    for query in (paid.reference, paid.reference.lower(), paid.pnr, "01711000001", "+880 1711-000001",
                  EMAIL.lower()):
        found = viewer.get("/staff/bookings", query_string={"q": query})
        assert found.status_code == 200, query
        assert f'href="/staff/bookings/{paid.id}"' in found.text and paid.reference in found.text, query
        assert "1 booking found" in found.text, query

    nothing = viewer.get("/staff/bookings", query_string={"q": "ZZZ-2000-000001"})
    assert nothing.status_code == 200 and paid.reference not in nothing.text
    assert "No booking has this reference" in nothing.text
    latest = viewer.get("/staff/bookings")  # no query: the latest bookings
    assert latest.status_code == 200 and paid.reference in latest.text and "The latest bookings" in latest.text

    # Active search: htmx gets the results alone, and caches keep the page and the fragment apart.
    fragment = viewer.get("/staff/bookings", query_string={"q": paid.pnr}, headers=HTMX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert fragment.text.lstrip().startswith('<section id="booking-results"') and "<html" not in fragment.text
    assert paid.reference in fragment.text

    too_long = viewer.get("/staff/bookings", query_string={"q": "x" * 300})
    assert too_long.status_code == 422 and "Field cannot be longer than 254 characters" in too_long.text


def test_the_booking_page_shows_items_tickets_payment_raw_gateway_messages_and_the_audit_trail(
        railway, paid, staff_as, in_tenant):
    with in_tenant(railway):
        kinds = {m.kind for m in db.session.scalars(sa.select(PaymentMessage).where(
            PaymentMessage.payment_id == paid.payment_id))}
        tickets = db.session.scalars(sa.select(Ticket.number).where(Ticket.booking_id == paid.id)).all()
    page = staff_as("viewer").get(f"/staff/bookings/{paid.id}")
    assert page.status_code == 200
    html = page.text
    assert paid.reference in html and paid.pnr in html and "Passenger 0" in html and "Passenger 1" in html
    assert all(number in html for number in tickets) and len(tickets) == 2
    assert paid.tran_id in html and paid.session_key in html  # our id and the gateway's
    assert {"start", "validation"} <= kinds
    for kind in kinds:
        assert f"<code>{kind}</code>" in html
    assert f'"val_id": "{paid.val_id}"' in html  # the validated payment's id, in the raw messages
    assert "<details><summary>Show the raw message</summary><pre>" in html
    assert "<code>booking.confirmed</code>" in html  # the audit trail
    assert "Paid" in html and "Every try to pay for" in html
    # A viewer sees no forms that change anything.
    assert 'id="cancel-form"' not in html and 'id="refund-form"' not in html

    assert staff_as("viewer").get("/staff/bookings/999999").status_code == 404


def test_viewers_see_but_may_not_cancel_or_refund_and_gate_staff_may_not_even_look(railway, paid, staff_as,
                                                                                    in_tenant):
    viewer, gate = staff_as("viewer"), staff_as("gate")
    for path in ("/staff/bookings", f"/staff/bookings/{paid.id}", "/staff/bookings/attempts"):
        assert viewer.get(path).status_code == 200, path
        assert gate.get(path).status_code == 403, path
    before = money_state(railway, in_tenant, paid.payment_id)
    for client in (viewer, gate):
        assert client.post(f"/staff/bookings/{paid.id}/cancel", data={"item": paid.item_ids[0],
                                                                     "full_refund": "y"}).status_code == 403
        assert client.post(f"/staff/bookings/{paid.id}/refund", data={"amount": "10",
                                                                     "reason": "sorry"}).status_code == 403
        assert client.post(f"/staff/bookings/{paid.id}/refunds/1/retry").status_code == 403
    assert money_state(railway, in_tenant, paid.payment_id) == before
    assert bought(railway, in_tenant, paid.id).status == "confirmed"
    # Nor do they see the link in the staff header.
    assert 'href="/staff/bookings"' in viewer.get("/staff/").text
    assert 'href="/staff/bookings"' not in gate.get("/staff/").text


# --- cancelling and refunding -------------------------------------------------------------------

def test_an_operator_cancels_one_seat_with_a_full_refund_which_is_made_and_audited(railway, paid, staff_as,
                                                                                   in_tenant, sandbox):
    operator = staff_as("operator")
    page = operator.get(f"/staff/bookings/{paid.id}")
    assert 'id="cancel-form"' in page.text and "the policy refunds" in page.text

    nothing_chosen = operator.post(f"/staff/bookings/{paid.id}/cancel", data={"full_refund": "y"}, headers=HTMX)
    assert nothing_chosen.status_code == 422 and "Choose what to cancel." in nothing_chosen.text
    assert nothing_chosen.text.lstrip().startswith('<section id="cancel-section"')  # the form's block alone

    first, second = paid.item_ids
    done = operator.post(f"/staff/bookings/{paid.id}/cancel", data={"item": first, "full_refund": "y"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/staff/bookings/{paid.id}")

    with in_tenant(railway):
        booking = db.session.get(Booking, paid.id)
        assert booking.status == "partially_cancelled"
        item = db.session.get(BookingItem, first)
        assert (item.status, item.refund_amount) == ("cancelled", paid.item_amounts[0])  # all of it, not the policy's
        assert db.session.get(BookingItem, second).status == "active"
        assert {t.status for t in db.session.scalars(sa.select(Ticket).where(Ticket.booking_item_id == first))} == {
            "cancelled"}
        [refund] = db.session.scalars(sa.select(Refund).where(Refund.booking_id == paid.id)).all()
        assert (refund.kind, refund.amount, refund.requested_by) == ("staff", paid.item_amounts[0], operator.email)
        assert refund.status in ("pending", "done")
    gateway_confirms_refunds(railway, in_tenant)
    with in_tenant(railway):
        refund = db.session.get(Refund, refund.id)
        assert refund.status == "done" and refund.gateway_ref
        assert db.session.get(Payment, paid.payment_id).status == "partially_refunded"
    at_gateway = sandbox.transaction(paid.tran_id)
    assert [r.amount for r in at_gateway.refunds] == [paid.item_amounts[0]]

    [cancelled] = audit_rows(railway, in_tenant, "booking.cancelled")
    assert (cancelled.actor_type, cancelled.actor_id, cancelled.actor_label) == ("staff", operator.member_id,
                                                                                 operator.email)
    assert cancelled.ip_address == "127.0.0.1"
    assert cancelled.changes["after"]["full_refund"] is True
    assert cancelled.changes["after"]["refund"] == str(paid.item_amounts[0])

    page = operator.get(f"/staff/bookings/{paid.id}")
    assert "Cancelled. Any refund is listed under Refunds." in page.text
    assert "By staff: cancelled:" in page.text and "<code>booking.cancelled</code>" in page.text

    # The rest, then once more: nothing is left to cancel, and the page says so.
    assert operator.post(f"/staff/bookings/{paid.id}/cancel", data={"item": second}).status_code == 303
    again = operator.post(f"/staff/bookings/{paid.id}/cancel", data={"item": second, "full_refund": "y"})
    assert again.status_code == 422 and "Only a confirmed booking can be cancelled." in again.text
    assert bought(railway, in_tenant, paid.id).status == "cancelled"


@pytest.mark.parametrize(("amount", "reason", "message"), [
    ("1000000", "Train was late", "That is more than is left to refund on this payment."),
    ("abc", "Train was late", "Not a valid decimal value"),
    ("0", "Train was late", "Enter an amount more than zero."),
    ("-20", "Train was late", "Enter an amount more than zero."),
    ("NaN", "Train was late", "Enter an amount more than zero."),
    ("10.005", "Train was late", "at most two decimals"),
    ("", "Train was late", "Enter the amount to refund."),
    ("50", "", "Say why the money goes back."),
    ("50", "   ", "Say why the money goes back."),
])
def test_a_goodwill_refund_with_a_bad_amount_or_no_reason_is_refused_and_changes_nothing(
        railway, paid, staff_as, in_tenant, amount, reason, message):
    operator = staff_as("operator")
    before = money_state(railway, in_tenant, paid.payment_id)
    refused = operator.post(f"/staff/bookings/{paid.id}/refund", data={"amount": amount, "reason": reason})
    assert refused.status_code == 422 and message in refused.text
    assert money_state(railway, in_tenant, paid.payment_id) == before

    fragment = operator.post(f"/staff/bookings/{paid.id}/refund", data={"amount": amount, "reason": reason},
                             headers=HTMX)
    assert fragment.status_code == 422 and fragment.text.lstrip().startswith('<section id="refund-section"')
    assert money_state(railway, in_tenant, paid.payment_id) == before


def test_a_goodwill_refund_up_to_what_is_left_is_made_and_audited(railway, paid, staff_as, in_tenant, sandbox):
    operator = staff_as("operator")
    made = operator.post(f"/staff/bookings/{paid.id}/refund", data={"amount": "50", "reason": "Train was 3 h late"})
    assert made.status_code == 303
    with in_tenant(railway):
        [refund] = db.session.scalars(sa.select(Refund).where(Refund.booking_id == paid.id)).all()
        assert (refund.kind, refund.amount, refund.reason) == ("staff", Decimal("50.00"), "Train was 3 h late")
        assert db.session.get(Payment, paid.payment_id).refunded_amount == Decimal("50.00")
    assert [r.amount for r in sandbox.transaction(paid.tran_id).refunds] == [Decimal("50.00")]  # asked at once
    gateway_confirms_refunds(railway, in_tenant)
    with in_tenant(railway):
        assert db.session.get(Refund, refund.id).status == "done"
    [row] = audit_rows(railway, in_tenant, "refund.on_behalf")
    assert (row.actor_type, row.actor_id, row.changes["after"]["amount"]) == ("staff", operator.member_id, "50")
    page = operator.get(f"/staff/bookings/{paid.id}")
    assert "A refund of ৳50.00 is asked for." in page.text and "Train was 3 h late" in page.text

    # What is left is the limit: one paisa more is refused, exactly what is left goes back.
    left = paid.paid - Decimal("50")
    too_much = operator.post(f"/staff/bookings/{paid.id}/refund", data={"amount": str(left + Decimal("0.01")),
                                                                      "reason": "Goodwill"})
    assert too_much.status_code == 422
    assert operator.post(f"/staff/bookings/{paid.id}/refund", data={"amount": str(left),
                                                                  "reason": "Goodwill"}).status_code == 303
    gateway_confirms_refunds(railway, in_tenant)
    with in_tenant(railway):
        assert db.session.get(Payment, paid.payment_id).status == "refunded"
    nothing_left = operator.get(f"/staff/bookings/{paid.id}")
    assert 'id="refund-form"' not in nothing_left.text and "no paid payment with money left" in nothing_left.text


def test_a_refund_the_gateway_refused_is_asked_again_by_staff(railway, paid, staff_as, in_tenant, sandbox):
    operator = staff_as("operator")
    sandbox.behave(refund_fail_once=True)
    assert operator.post(f"/staff/bookings/{paid.id}/refund", data={"amount": "20",
                                                                  "reason": "Dirty coach"}).status_code == 303
    with in_tenant(railway):
        refund = db.session.scalar(sa.select(Refund).where(Refund.booking_id == paid.id))
        assert refund.status == "failed" and "refund_fail_once" in refund.last_error
        refund_id = refund.id
    page = operator.get(f"/staff/bookings/{paid.id}")
    assert "refund_fail_once" in page.text and f"/refunds/{refund_id}/retry" in page.text
    assert staff_as("viewer").post(f"/staff/bookings/{paid.id}/refunds/{refund_id}/retry").status_code == 403

    retried = operator.post(f"/staff/bookings/{paid.id}/refunds/{refund_id}/retry")
    assert retried.status_code == 303
    with in_tenant(railway):
        assert db.session.get(Refund, refund_id).status == "pending"  # taken by the gateway this time
    assert "Asked again; the gateway has not answered yet." in operator.get(f"/staff/bookings/{paid.id}").text
    assert [r.amount for r in sandbox.transaction(paid.tran_id).refunds] == [Decimal("20.00")]
    gateway_confirms_refunds(railway, in_tenant)
    with in_tenant(railway):
        assert db.session.get(Refund, refund_id).status == "done"
    [row] = audit_rows(railway, in_tenant, "refund.retried")
    assert (row.actor_type, row.actor_id) == ("staff", operator.member_id)

    # Done now: asking again is refused, as is a refund of another booking or none at all.
    assert operator.post(f"/staff/bookings/{paid.id}/refunds/{refund_id}/retry").status_code == 409
    assert operator.post(f"/staff/bookings/{paid.id}/refunds/999999/retry").status_code == 409


# --- purchase attempts ----------------------------------------------------------------------------

def test_every_purchase_attempt_is_listed_with_its_result_and_reason(railway, paid, in_tenant, client_for, sandbox,
                                                                     app_server, staff_as):
    failed_id, failed_ref = start_rail_payment(railway, in_tenant, app_server)
    come_back(railway, client_for, app_server, sandbox.pay(failed_ref, outcome="fail"))
    started_id, _ = start_rail_payment(railway, in_tenant, app_server)  # still at the gateway
    with in_tenant(railway):
        results = dict(db.session.execute(sa.select(BookingAttempt.booking_id, BookingAttempt.result)).all())
        reason = db.session.scalar(sa.select(BookingAttempt.failure_reason).where(
            BookingAttempt.booking_id == failed_id))
    assert results == {paid.id: "paid", failed_id: "failed", started_id: "started"} and reason

    viewer = staff_as("viewer")
    page = viewer.get("/staff/bookings/attempts")
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1].split("<tr")[1:]
    assert len(rows) == 3 and "Started" in rows[0] and "Failed" in rows[1] and "Paid" in rows[2]  # newest first
    assert reason in rows[1] and "127.0.0.1" in rows[1] and "sslcommerz" in rows[1]
    assert f'href="/staff/bookings/{paid.id}"' in rows[2] and paid.reference in rows[2]

    only_failed = viewer.get("/staff/bookings/attempts", query_string={"result": "failed"}, headers=HTMX)
    assert only_failed.status_code == 200 and "<html" not in only_failed.text
    assert reason in only_failed.text and f"/staff/bookings/{paid.id}\"" not in only_failed.text
    assert viewer.get("/staff/bookings/attempts", query_string={"result": "lost"}).status_code == 422

    # The failed booking's own page lists its attempt with the reason too.
    assert reason in viewer.get(f"/staff/bookings/{failed_id}").text
