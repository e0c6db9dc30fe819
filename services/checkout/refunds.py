"""Asking for money back and following the request up.

`request` reserves the amount on the payment with one conditional update (refunds can never add
up to more than was paid) and writes a pending refund, in the caller's transaction. `process`
asks the gateway after the commit; the refund's key is sent as the gateway's merchant reference
(SSLCommerz refe_id, bKash sku), so asking again after a lost answer refunds once. A refund the
gateway refused stays `failed` with the reason and is asked again by the reconciliation job.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.base import utcnow
from models.bookings import Booking, Payment, Refund
from services import audit, transactions
from services.audit import Actor
from services.checkout import CheckoutError, messages
from services.notify import outbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def request(payment: Payment, booking: Booking, amount: Decimal, *, kind: str, reason: str, actor: Actor,
            now: datetime) -> Refund:
    """Reserve `amount` of the payment for a refund and write the pending refund (caller commits)."""
    reserved = db.session.execute(
        sa.update(Payment).where(
            Payment.id == payment.id,
            Payment.refunded_amount + amount <= sa.func.coalesce(Payment.paid_amount, Payment.amount))
        .values(refunded_amount=Payment.refunded_amount + amount),
        execution_options={"synchronize_session": False}).rowcount
    db.session.expire(payment, ["refunded_amount"])
    if reserved != 1:
        raise CheckoutError(str(_l("That is more than is left to refund on this payment.")))
    refund = Refund(payment_id=payment.id, booking_id=booking.id, key="R" + secrets.token_hex(10).upper(), kind=kind,
                    amount=amount, reason=reason[:300], status="pending", attempts=0,
                    requested_by=(actor.label or actor.type)[:254], created_at=now)
    db.session.add(refund)
    db.session.flush()
    audit.record(actor, "refund.requested", "booking", booking.id,
                 after={"refund": refund.key, "amount": str(amount), "kind": kind, "payment": payment.tran_id})
    return refund


def process(refund_id: int, *, now: datetime | None = None) -> str:
    """Ask the gateway for a pending or failed refund (or where one asked before stands)."""
    from gateways.base import GatewayError, PaidPayment, RefundResult
    from services.checkout import gateways

    now = now or utcnow()
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status == "done":
        return refund.status if refund else "missing"
    payment = db.session.get(Payment, refund.payment_id)
    paid = PaidPayment(tran_id=payment.tran_id, gateway_ref=payment.gateway_ref, gateway_txn=payment.gateway_txn or "",
                       amount=payment.paid_amount or payment.amount, currency=payment.currency)
    asked_before, amount, reason, key = refund.gateway_ref, refund.amount, refund.reason, refund.key
    gateway = payment.gateway
    db.session.rollback()  # no transaction stays open while the gateway is asked
    try:
        adapter = gateways.adapter_for(gateway, require_enabled=False)
        if asked_before:
            result = adapter.refund_status(paid, refund_ref=asked_before, refund_key=key)
        else:
            result = adapter.refund(paid, amount=amount, reason=reason, refund_key=key)
    except GatewayError as exc:
        result = RefundResult("failed", None, f"gateway unreachable: {exc}", {"error": str(exc)})
    return _record(refund_id, result, now)


def _record(refund_id: int, result, now: datetime) -> str:
    notify: list[int] = []

    def unit():
        notify.clear()
        refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
        payment = db.session.get(Payment, refund.payment_id)
        messages.add(payment.id, payment.gateway, "refund_status" if refund.gateway_ref else "refund",
                     result.status, result.raw)
        if refund.status == "done":
            transactions.commit()
            return "done"
        refund.attempts += 1
        refund.gateway_ref = result.refund_ref or refund.gateway_ref
        refund.status = result.status
        refund.last_error = None if result.status == "done" else (result.reason or result.status)[:300]
        if result.status == "done":
            refund.completed_at = now
            if payment.status in ("succeeded", "succeeded_late", "partially_refunded"):
                paid = payment.paid_amount or payment.amount
                done = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount), 0)).where(
                    Refund.payment_id == payment.id, sa.or_(Refund.status == "done", Refund.id == refund.id)))
                payment.status = "refunded" if Decimal(done) >= paid else "partially_refunded"
            audit.record(Actor.system("payments"), "refund.done", "booking", refund.booking_id,
                         after={"refund": refund.key, "amount": str(refund.amount), "gateway_ref": refund.gateway_ref})
            notify.extend(outbox.queue(db.session.get(Booking, refund.booking_id), "refund_done", now,
                                       amount=refund.amount, key_suffix=refund.key))
        transactions.commit()
        return refund.status

    status = transactions.run(unit)
    if notify:
        from services.checkout.confirm import AfterCommit

        AfterCommit(notifications=notify).run()
    return status


def due(now: datetime, limit: int = 50) -> list[int]:
    """Refunds to ask about again: pending ones not done at once, and failed ones, within the tries."""
    return list(db.session.scalars(sa.select(Refund.id).where(Refund.status.in_(("pending", "failed")),
                                                           Refund.attempts < MAX_ATTEMPTS)
                                   .order_by(Refund.id).limit(limit)))
