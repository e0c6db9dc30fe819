"""The periodic job (rule 4): payments whose callback never came are asked about with the gateway's
transaction query; refunds not done yet are asked again; bookings whose hold ran out unpaid end.
Harmless to run twice or alongside callbacks: every change it makes goes through the same
conditional, locked paths as they do."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingAttempt, Payment
from models.sales import Hold
from services import audit, transactions
from services.checkout import callbacks, refunds
from services.checkout.confirm import SYSTEM

log = logging.getLogger(__name__)
PENDING_AFTER = timedelta(minutes=15)  # a payment still `initiated` this long is asked about
ASK_AGAIN_AFTER = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=2)  # no answer at all by then: abandoned (a later callback still settles it)
BATCH = 100


@dataclass
class Reconciled:
    asked: int = 0
    settled: int = 0
    abandoned: int = 0
    refunds: int = 0
    expired: int = 0


def run(now: datetime | None = None) -> Reconciled:
    now = now or utcnow()
    done = Reconciled()
    for payment_id in _pending(now):
        done.asked += 1
        result = callbacks.check_now(payment_id, now=now)
        if result in ("confirmed", "late_refunded", "mismatch", "failed", "cancelled"):
            done.settled += 1
        elif _abandon_if_silent(payment_id, now):
            done.abandoned += 1
    for refund_id in refunds.due(now):
        done.refunds += refunds.process(refund_id, now=now) == "done"
    done.expired = expire_unpaid(now)
    return done


def _pending(now: datetime) -> list[int]:
    return list(db.session.scalars(sa.select(Payment.id).where(
        Payment.status == "initiated", Payment.created_at <= now - PENDING_AFTER,
        sa.or_(Payment.checked_at.is_(None), Payment.checked_at <= now - ASK_AGAIN_AFTER))
        .order_by(Payment.id).limit(BATCH)))


def _abandon_if_silent(payment_id: int, now: datetime) -> bool:
    def unit():
        ended = db.session.execute(
            sa.update(Payment).where(Payment.id == payment_id, Payment.status == "initiated",
                                     Payment.created_at <= now - GIVE_UP_AFTER)
            .values(status="failed", failure_reason="abandoned: the gateway knows of no payment", completed_at=now,
                    checked_at=now)).rowcount
        if ended:
            db.session.execute(sa.update(BookingAttempt).where(BookingAttempt.payment_id == payment_id)
                               .values(result="abandoned", failure_reason="no payment made", updated_at=now))
            audit.record(SYSTEM, "payment.abandoned", "payment", payment_id,
                         after={"reason": "the gateway knows of no payment"})
        else:
            db.session.execute(sa.update(Payment).where(Payment.id == payment_id).values(checked_at=now))
        transactions.commit()
        return bool(ended)

    return transactions.run(unit)


def expire_unpaid(now: datetime) -> int:
    """Bookings still waiting for payment whose hold has ended or run out, with no payment in
    flight: expired; their started attempts abandoned."""
    def unit():
        in_flight = (sa.select(Payment.id).where(Payment.booking_id == Booking.id, Payment.status == "initiated")
                     .exists())
        hold_over = sa.select(Hold.id).where(Hold.id == Booking.hold_id, sa.or_(
            Hold.status != "active", Hold.expires_at <= now)).exists()
        ids = list(db.session.scalars(sa.update(Booking).where(Booking.status == "pending_payment", hold_over,
                                                               ~in_flight)
                                      .values(status="expired").returning(Booking.id)))
        for booking_id in ids:
            audit.record(SYSTEM, "booking.expired", "booking", booking_id, before={"status": "pending_payment"},
                         after={"status": "expired"})
        if ids:
            db.session.execute(sa.update(BookingAttempt).where(BookingAttempt.booking_id.in_(ids),
                                                               BookingAttempt.result == "started")
                               .values(result="abandoned", failure_reason="the hold ran out", updated_at=now))
        transactions.commit()
        return len(ids)

    return transactions.run(unit)
