"""A browser return or a gateway notification: read it, keep it raw with its payment, ask the
gateway's own API about it, settle what the API says. Replays and duplicates find the payment
settled and change nothing; a callback whose signature does not check out, that names no payment
of ours, or that claims a success the gateway denies is refused (ForgedCallback), audited, and
changes nothing."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, Payment
from services import audit
from services.checkout import confirm, gateways, messages


ASK_GATEWAY_AFTER = timedelta(seconds=15)  # a payment still unconfirmed this long: ask the gateway ourselves


@dataclass(frozen=True)
class CallbackResult:
    booking_token: str
    state: str  # what settle answered, or "pending" when the gateway could not be asked


def find_payment(gateway: str, tran_id: str | None, gateway_ref: str | None) -> Payment | None:
    if tran_id:
        return db.session.scalar(sa.select(Payment).where(Payment.tran_id == tran_id[:30], Payment.gateway == gateway))
    if gateway_ref:
        return db.session.scalar(sa.select(Payment).where(Payment.gateway == gateway,
                                                          Payment.gateway_ref == gateway_ref[:100]))
    return None


def handle(gateway: str, params: dict, *, source: str, actor: audit.Actor,
           now: datetime | None = None) -> CallbackResult:
    """Raises ForgedCallback (refuse with 400), or GatewayMisconfigured for a gateway the tenant lacks."""
    from gateways.base import ForgedCallback, GatewayUnavailable

    now = now or utcnow()
    adapter = gateways.adapter_for(gateway, require_enabled=False)
    try:
        callback = adapter.parse_callback(params, source=source)
    except ForgedCallback as exc:
        _refuse(gateway, source, params, str(exc), actor, payment=None)
        raise
    payment = find_payment(gateway, callback.tran_id, callback.gateway_ref)
    if payment is None:
        _refuse(gateway, source, params, "names no payment of ours", actor, payment=None)
        raise ForgedCallback("the callback names no payment of ours")
    payment_id, token = payment.id, _token_of(payment)
    amount, currency, tran_id = payment.amount, payment.currency, payment.tran_id
    settled = payment.status in confirm.SETTLED
    messages.record(payment_id, gateway, source, "received", params)
    if settled:
        return CallbackResult(token, "already")
    db.session.rollback()  # no transaction stays open while the gateway is asked
    try:
        verification = adapter.verify(callback, tran_id=tran_id, amount=amount, currency=currency)
    except GatewayUnavailable as exc:
        messages.record(payment_id, gateway, "validation", "unreachable", {"error": str(exc)})
        return CallbackResult(token, "pending")
    messages.record(payment_id, gateway, "validation", verification.outcome, verification.raw)
    if callback.status == "success" and verification.outcome in ("failed", "unknown", "cancelled"):
        # Signed as a success, denied by the gateway's own API: a forgery or a replay of another
        # store's message. Nothing changes.
        _refuse(gateway, source, params, f"the gateway denies it: {verification.reason}", actor, payment=payment_id)
        raise ForgedCallback(f"claimed success, the gateway says {verification.outcome}")
    if source == "return" and callback.status != "success" and verification.outcome in ("unknown", "pending"):
        # A cancel before any try leaves nothing for the query to find: the customer's return says
        # enough. Money arriving later is still honoured: a failed payment can be settled as paid.
        verification = replace(verification, outcome=callback.status, reason=f"{source}: {callback.status}")
    return CallbackResult(token, confirm.settle(payment_id, verification, now=now))


def _token_of(payment: Payment) -> str:
    return db.session.scalar(sa.select(Booking.token).where(Booking.id == payment.booking_id))


def _refuse(gateway: str, source: str, params: dict, why: str, actor: audit.Actor, *, payment: int | None) -> None:
    from services import transactions

    def unit():
        messages.add(payment, gateway, source, "forged", params)
        audit.record(actor, "payment.callback_refused", "payment", payment,
                     after={"gateway": gateway, "source": source, "why": why[:300],
                            "tran_id": str(params.get("tran_id") or params.get("paymentID") or "")[:40]})
        transactions.commit()

    transactions.run(unit)


def check_now(payment_id: int, *, now: datetime | None = None) -> str:
    """Ask the gateway's transaction query about one payment now (a waiting page, the reconciliation
    job) and settle what it says."""
    from gateways.base import GatewayUnavailable

    now = now or utcnow()
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status in confirm.SETTLED:
        return "already"
    gateway, tran_id, ref, amount, currency = (payment.gateway, payment.tran_id, payment.gateway_ref, payment.amount,
                                               payment.currency)
    db.session.rollback()
    try:
        verification = gateways.adapter_for(gateway, require_enabled=False).query(
            tran_id=tran_id, gateway_ref=ref, amount=amount, currency=currency)
    except GatewayUnavailable as exc:
        messages.record(payment_id, gateway, "query", "unreachable", {"error": str(exc)})
        return "pending"
    messages.record(payment_id, gateway, "query", verification.outcome, verification.raw)
    return confirm.settle(payment_id, verification, now=now)


def check_if_slow(payment: Payment | None, *, now: datetime | None = None) -> bool:
    """While a customer waits on the booking page: ask the gateway about a payment whose answer is
    slow to come (at most once per ASK_GATEWAY_AFTER). Returns whether it asked."""
    now = now or utcnow()
    if (payment is None or payment.status != "initiated" or now - payment.created_at <= ASK_GATEWAY_AFTER
            or (payment.checked_at is not None and now - payment.checked_at <= ASK_GATEWAY_AFTER)):
        return False
    check_now(payment.id, now=now)
    return True
