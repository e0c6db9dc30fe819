"""Bookings (the order a hold becomes), their items and tickets; payments, the gateways' raw
messages, refunds, purchase attempts; and the outbox of notifications a confirmation writes.

A booking is made from one hold when checkout starts (`pending_payment`), and is confirmed in the
same transaction that records its verified payment, turns its claims and counters to sold, issues
its tickets and writes its notifications (services/checkout/confirm.py). States:
  booking: pending_payment -> confirmed -> partially_cancelled | cancelled; pending_payment -> expired | failed
  payment: initiated -> succeeded | failed | cancelled; succeeded -> partially_refunded | refunded;
           succeeded_late (paid after its seats were gone) -> refunded
  refund:  pending -> done | failed (failed ones are retried by the reconciliation job)
  ticket:  valid -> used | cancelled | expired
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from models.base import JSONType, TenantModel, UTCDateTime, utcnow

BIGID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
MONEY = sa.Numeric(12, 2)

BOOKING_STATUSES = ("pending_payment", "confirmed", "partially_cancelled", "cancelled", "expired", "failed")
ITEM_KINDS = ("seat", "plan_seat", "admission")
ITEM_STATUSES = ("active", "cancelled")
FARE_CLASSES = ("ac", "first", "other")  # what a rail refund's flat charge depends on
GENDERS = ("female", "male", "other")
TICKET_STATUSES = ("valid", "used", "cancelled", "expired")
PAYMENT_STATUSES = ("initiated", "succeeded", "succeeded_late", "failed", "cancelled", "partially_refunded",
                    "refunded")
MESSAGE_KINDS = ("start", "return", "ipn", "validation", "query", "refund", "refund_status")
REFUND_STATUSES = ("pending", "done", "failed")
REFUND_KINDS = ("cancellation", "late_payment", "amount_mismatch", "duplicate", "staff")
ATTEMPT_RESULTS = ("started", "paid", "failed", "abandoned")
NOTIFICATION_STATUSES = ("queued", "sending", "sent", "failed")


class Booking(TenantModel):
    __tablename__ = "bookings"

    id = sa.Column(BIGID, primary_key=True)
    reference = sa.Column(sa.String(24), unique=True)  # ZOO-2026-001234: set right after the insert
    pnr = sa.Column(sa.String(10), unique=True)  # rail only
    token = sa.Column(sa.String(43), nullable=False, unique=True)  # the booking page's unguessable link
    link_code = sa.Column(sa.String(16), unique=True)  # the tickets' short link in an SMS: /t/<code>, 96 bits
    hold_id = sa.Column(BIGID, sa.ForeignKey("holds.id"), nullable=False, unique=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    guest_key = sa.Column(sa.String(64))
    trip_id = sa.Column(sa.Integer, sa.ForeignKey("trips.id"))
    board_seq = sa.Column(sa.Integer)
    alight_seq = sa.Column(sa.Integer)
    event_id = sa.Column(sa.Integer, sa.ForeignKey("events.id"))
    starts_at = sa.Column(UTCDateTime(), nullable=False)  # departure from the boarding stop / entry time
    title = sa.Column(sa.String(200), nullable=False)  # "701 Subarna Express, Dhaka → Chattogram"
    contact_name = sa.Column(sa.String(120), nullable=False)
    contact_phone = sa.Column(sa.String(14))
    contact_email = sa.Column(sa.String(254))
    language = sa.Column(sa.String(5), nullable=False, default="en")
    status = sa.Column(sa.String(20), nullable=False, default="pending_payment")
    currency = sa.Column(sa.String(3), nullable=False, default="BDT")
    subtotal = sa.Column(MONEY, nullable=False)
    vat = sa.Column(MONEY, nullable=False, default=0)
    service_charge = sa.Column(MONEY, nullable=False, default=0)
    total = sa.Column(MONEY, nullable=False)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    confirmed_at = sa.Column(UTCDateTime())
    cancelled_at = sa.Column(UTCDateTime())

    items = relationship("BookingItem", order_by="BookingItem.id", back_populates="booking")
    payments = relationship("Payment", order_by="Payment.id", back_populates="booking")
    tickets = relationship("Ticket", order_by="Ticket.id", viewonly=True)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {BOOKING_STATUSES}", name="status_known"),
        sa.CheckConstraint("(trip_id IS NULL) <> (event_id IS NULL)", name="trip_or_event"),
        sa.CheckConstraint("contact_phone IS NOT NULL OR contact_email IS NOT NULL", name="has_contact"),
        sa.CheckConstraint("subtotal >= 0 AND vat >= 0 AND service_charge >= 0 AND total = subtotal + vat + "
                           "service_charge", name="total_adds_up"),
        sa.CheckConstraint("status IN ('pending_payment', 'expired', 'failed') OR reference IS NOT NULL",
                           name="confirmed_has_reference"),
        sa.Index("ix_bookings_customer", "customer_id", "created_at"),
        sa.Index("ix_bookings_contact_phone", "contact_phone"),
        sa.Index("ix_bookings_contact_email", "contact_email"),
        sa.Index("ix_bookings_status_created", "status", "created_at"),
        sa.Index("ix_bookings_starts", "starts_at"),  # reminders
    )


class BookingItem(TenantModel):
    """One line of a booking: a rail seat with its passenger, a plan seat, or n admissions of a
    ticket type (in an entry slot)."""

    __tablename__ = "booking_items"

    id = sa.Column(BIGID, primary_key=True)
    booking_id = sa.Column(BIGID, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(10), nullable=False)
    seat_id = sa.Column(sa.Integer, sa.ForeignKey("seats.id"))
    plan_seat_id = sa.Column(sa.Integer, sa.ForeignKey("event_seats.id"))
    ticket_type_id = sa.Column(sa.Integer, sa.ForeignKey("ticket_types.id"))
    time_slot_id = sa.Column(sa.Integer, sa.ForeignKey("time_slots.id"))
    quantity = sa.Column(sa.Integer, nullable=False, default=1)
    label = sa.Column(sa.String(80), nullable=False)  # "KA-12", "Centre A5", "Adult"
    fare_class = sa.Column(sa.String(8))  # rail: ac | first | other
    unit_price = sa.Column(MONEY, nullable=False)
    amount = sa.Column(MONEY, nullable=False)
    passenger_name = sa.Column(sa.String(120))
    passenger_age = sa.Column(sa.Integer)
    passenger_gender = sa.Column(sa.String(8))
    status = sa.Column(sa.String(10), nullable=False, default="active")
    cancelled_at = sa.Column(UTCDateTime())
    refund_amount = sa.Column(MONEY)

    booking = relationship("Booking", back_populates="items")

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {ITEM_KINDS}", name="kind_known"),
        sa.CheckConstraint(f"status IN {ITEM_STATUSES}", name="status_known"),
        sa.CheckConstraint(f"fare_class IS NULL OR fare_class IN {FARE_CLASSES}", name="fare_class_known"),
        sa.CheckConstraint(f"passenger_gender IS NULL OR passenger_gender IN {GENDERS}", name="gender_known"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0 AND amount = unit_price * quantity",
                           name="amount_adds_up"),
        sa.CheckConstraint("passenger_age IS NULL OR passenger_age BETWEEN 0 AND 120", name="age_range"),
        sa.CheckConstraint("kind <> 'seat' OR (seat_id IS NOT NULL AND passenger_name IS NOT NULL)",
                           name="seat_has_passenger"),
        sa.CheckConstraint("kind <> 'plan_seat' OR plan_seat_id IS NOT NULL", name="plan_seat_named"),
        sa.CheckConstraint("kind <> 'admission' OR ticket_type_id IS NOT NULL", name="admission_typed"),
    )


class Ticket(TenantModel):
    """One admission: a passenger's seat, a plan seat, or one of n admissions of a line."""

    __tablename__ = "tickets"

    id = sa.Column(BIGID, primary_key=True)
    booking_id = sa.Column(BIGID, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True)
    booking_item_id = sa.Column(BIGID, sa.ForeignKey("booking_items.id", ondelete="CASCADE"), nullable=False,
                                index=True)
    number = sa.Column(sa.String(32), nullable=False, unique=True)  # ZOO-2026-001234-1
    holder = sa.Column(sa.String(120))  # the passenger's name on a rail ticket
    status = sa.Column(sa.String(10), nullable=False, default="valid")
    issued_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    used_at = sa.Column(UTCDateTime())  # the first admission (services/gate/checkin.py)
    used_gate_id = sa.Column(sa.Integer, sa.ForeignKey("gates.id", ondelete="SET NULL"))
    exited_at = sa.Column(UTCDateTime())  # out through an exit scan since its last entry: may enter again
    # What the gate scans: the signed payload (services/tickets/payload.py), the key that signed it,
    # and its QR code drawn once as SVG (by a job after confirmation, or on the first view)
    key_id = sa.Column(sa.Integer, sa.ForeignKey("ticket_keys.id"))
    qr_payload = sa.Column(sa.String(200))
    qr_svg = sa.Column(sa.Text)

    used_gate = relationship("Gate", viewonly=True)

    __table_args__ = (sa.CheckConstraint(f"status IN {TICKET_STATUSES}", name="status_known"),)


class Payment(TenantModel):
    __tablename__ = "payments"

    id = sa.Column(BIGID, primary_key=True)
    booking_id = sa.Column(BIGID, sa.ForeignKey("bookings.id"), nullable=False, index=True)
    gateway = sa.Column(sa.String(16), nullable=False)
    tran_id = sa.Column(sa.String(30), nullable=False, unique=True)  # ours
    gateway_ref = sa.Column(sa.String(100))  # SSLCommerz sessionkey; bKash paymentID (val_id is in the messages)
    gateway_txn = sa.Column(sa.String(100))  # SSLCommerz bank_tran_id; bKash trxID
    amount = sa.Column(MONEY, nullable=False)
    paid_amount = sa.Column(MONEY)  # what the gateway says was taken (differs only on a mismatch)
    currency = sa.Column(sa.String(3), nullable=False, default="BDT")
    status = sa.Column(sa.String(20), nullable=False, default="initiated")
    refunded_amount = sa.Column(MONEY, nullable=False, default=0)
    failure_reason = sa.Column(sa.String(300))
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    completed_at = sa.Column(UTCDateTime())
    checked_at = sa.Column(UTCDateTime())  # last asked about by reconciliation

    booking = relationship("Booking", back_populates="payments")
    messages = relationship("PaymentMessage", order_by="PaymentMessage.id", viewonly=True)
    refunds = relationship("Refund", order_by="Refund.id", viewonly=True)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="status_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= coalesce(paid_amount, amount)",
                           name="refund_within_paid"),
        sa.Index("ix_payments_gateway_ref", "gateway", "gateway_ref"),
        sa.Index("ix_payments_status_created", "status", "created_at"),
    )


class PaymentMessage(TenantModel):
    """Everything a gateway said or was asked, raw: starts, returns, notifications, API answers.
    Forged callbacks are kept too (payment_id NULL when they name no payment of ours)."""

    __tablename__ = "payment_messages"

    id = sa.Column(BIGID, primary_key=True)
    payment_id = sa.Column(BIGID, sa.ForeignKey("payments.id"), index=True)
    gateway = sa.Column(sa.String(16), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False)
    verdict = sa.Column(sa.String(16), nullable=False)  # ok | forged | mismatch | unreachable | ...
    payload = sa.Column(JSONType(), nullable=False, default=dict)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (sa.CheckConstraint(f"kind IN {MESSAGE_KINDS}", name="kind_known"),)


class Refund(TenantModel):
    __tablename__ = "refunds"

    id = sa.Column(BIGID, primary_key=True)
    payment_id = sa.Column(BIGID, sa.ForeignKey("payments.id"), nullable=False, index=True)
    booking_id = sa.Column(BIGID, sa.ForeignKey("bookings.id"), nullable=False, index=True)
    key = sa.Column(sa.String(40), nullable=False, unique=True)  # ours: the gateway's merchant reference
    kind = sa.Column(sa.String(16), nullable=False)
    amount = sa.Column(MONEY, nullable=False)
    reason = sa.Column(sa.String(300), nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default="pending")
    gateway_ref = sa.Column(sa.String(100))
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_error = sa.Column(sa.String(300))
    requested_by = sa.Column(sa.String(254), nullable=False)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    completed_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(f"status IN {REFUND_STATUSES}", name="status_known"),
        sa.CheckConstraint(f"kind IN {REFUND_KINDS}", name="kind_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_refunds_status", "status"),
    )


class BookingAttempt(TenantModel):
    """Every try to pay (seed 004): started, then paid, failed (with the reason) or abandoned."""

    __tablename__ = "booking_attempts"

    id = sa.Column(BIGID, primary_key=True)
    booking_id = sa.Column(BIGID, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True)
    payment_id = sa.Column(BIGID, sa.ForeignKey("payments.id"), unique=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    gateway = sa.Column(sa.String(16), nullable=False)
    amount = sa.Column(MONEY, nullable=False)
    result = sa.Column(sa.String(10), nullable=False, default="started")
    failure_reason = sa.Column(sa.String(300))
    ip_address = sa.Column(sa.String(45))
    user_agent = sa.Column(sa.String(300))
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"result IN {ATTEMPT_RESULTS}", name="result_known"),
        sa.Index("ix_booking_attempts_result_created", "result", "created_at"),
    )


class Notification(TenantModel):
    """One message and its delivery log: written in the transaction that makes it due, sent by a
    worker. `key` makes writing it twice impossible (one confirmation, one message); the worker claims
    the row (queued -> sending) before it sends, so a job that runs again never sends it again.
    A sensitive body (a one-time code) is sealed and never shown in the log."""

    __tablename__ = "notifications"

    id = sa.Column(BIGID, primary_key=True)
    key = sa.Column(sa.String(120), nullable=False, unique=True)
    kind = sa.Column(sa.String(32), nullable=False)  # booking_confirmed, reminder, otp...
    channel = sa.Column(sa.String(8), nullable=False)  # sms | email
    recipient = sa.Column(sa.String(254), nullable=False)
    language = sa.Column(sa.String(5))
    subject = sa.Column(sa.String(200), nullable=False, default="")
    body = sa.Column(sa.Text, nullable=False)
    sensitive = sa.Column(sa.Boolean, nullable=False, default=False)
    attachment = sa.Column(sa.String(16))  # "tickets": the booking's tickets as a PDF
    booking_id = sa.Column(BIGID, sa.ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    resent_from_id = sa.Column(BIGID, sa.ForeignKey("notifications.id", ondelete="SET NULL"))
    status = sa.Column(sa.String(8), nullable=False, default="queued")
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    next_attempt_at = sa.Column(UTCDateTime())
    claimed_at = sa.Column(UTCDateTime())
    last_error = sa.Column(sa.String(300))
    provider_answer = sa.Column(sa.String(500))
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    sent_at = sa.Column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(f"status IN {NOTIFICATION_STATUSES}", name="status_known"),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="channel_known"),
        sa.Index("ix_notifications_status_created", "status", "created_at"),
        sa.Index("ix_notifications_created", "created_at"),
    )
