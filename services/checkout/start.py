"""Starting a payment: the checkout details turn the hold into a booking (pending payment), a
payment and an attempt are written, the hold is extended once for the time at the gateway, all in
one transaction; then the gateway opens its session (a network call, outside any transaction) and
the customer's browser is sent to its page. A gateway that does not answer fails the payment with
its reason and leaves the hold and the booking as they were, so the customer can try again."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingAttempt, BookingItem, Payment
from models.sales import Hold
from services import audit, transactions
from services.checkout import CheckoutError, PaymentServiceDown, gateways, messages, pricing, references
from services.errors import Retryable
from services.inventory import Owner, holds


@dataclass(frozen=True)
class Passenger:
    name: str
    age: int
    gender: str


@dataclass
class CheckoutDetails:
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    language: str = "en"
    passengers: dict[int, Passenger] = field(default_factory=dict)  # rail: seat id -> who sits there


@dataclass(frozen=True)
class Client:
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class CallbackUrls:
    return_url: str
    ipn_url: str


@dataclass
class Started:
    booking: Booking
    payment: Payment | None  # None when nothing was due (free tickets): the booking is confirmed
    redirect_url: str | None


def start_payment(token: str, owner: Owner, details: CheckoutDetails, gateway: str, urls: CallbackUrls,
                  client: Client, *, now: datetime | None = None) -> Started:
    """Hold → booking → payment → the gateway's page. Raises HoldNotFound, CheckoutError."""
    from gateways.base import GatewayError, PaymentRequest

    now = now or utcnow()
    adapter = gateways.adapter_for(gateway)  # a method that is off or misconfigured fails before any write

    def unit():
        hold = holds.get_active(token, owner, now=now, for_update=True)
        quote = pricing.price_hold(hold, now)
        if not quote.lines:
            raise CheckoutError(str(_l("Your hold is empty: choose seats or tickets first.")))
        booking = _write_booking(hold, quote, details, owner, now)
        if quote.total == 0:
            return booking, None
        payment = Payment(booking_id=booking.id, gateway=gateway, tran_id=_tran_id(), amount=quote.total,
                          currency=booking.currency, status="initiated", refunded_amount=Decimal(0), created_at=now)
        db.session.add(payment)
        db.session.flush()
        db.session.add(BookingAttempt(booking_id=booking.id, payment_id=payment.id, customer_id=owner.customer_id,
                                      gateway=gateway, amount=payment.amount, result="started",
                                      ip_address=client.ip, user_agent=(client.user_agent or "")[:300] or None,
                                      created_at=now, updated_at=now))
        audit.record(audit.Actor("customer", owner.customer_id, None if owner.customer_id else "guest", client.ip,
                                 client.user_agent), "payment.initiated", "payment", payment.id,
                     after={"booking": booking.reference, "gateway": gateway, "amount": str(payment.amount)})
        if hold.extensions == 0:  # rule 3: once, for the time at the gateway
            holds.extend_locked(hold, now)
        transactions.commit({"uq_bookings_pnr": Retryable(str(transactions.RETRY_MESSAGE))})
        return booking, payment

    booking, payment = transactions.run(unit)
    if payment is None:
        from services.checkout import confirm

        confirm.confirm_free(booking.id, now=now)
        return Started(booking, None, None)
    request = PaymentRequest(
        tran_id=payment.tran_id, amount=payment.amount, currency=payment.currency, return_url=urls.return_url,
        ipn_url=urls.ipn_url, customer_name=booking.contact_name, customer_phone=booking.contact_phone or "",
        customer_email=booking.contact_email or _no_email(), product_name=booking.title[:250],
        product_category="train-ticket" if booking.trip_id else "event-ticket",
        num_items=sum(item.quantity for item in booking.items))
    try:
        started = adapter.start(request)
    except GatewayError as exc:
        messages.record(payment.id, gateway, "start", "unreachable", {"error": str(exc)})
        _fail_start(payment.id, str(exc), now)
        raise PaymentServiceDown(str(_l("The payment service did not answer. Nothing was charged: please try again, "
                                   "or choose another payment method."))) from exc
    _started(payment.id, gateway, started)
    return Started(booking, payment, started.redirect_url)


def _no_email() -> str:
    """SSLCommerz requires an email; a customer who gave none gets the platform's no-reply address."""
    from flask import current_app

    return f"noreply@{current_app.config['PLATFORM_DOMAIN']}"


def _tran_id() -> str:
    return "J" + secrets.token_hex(12).upper()  # 25 characters: SSLCommerz allows 30


def _write_booking(hold: Hold, quote: pricing.Quote, details: CheckoutDetails, owner: Owner,
                   now: datetime) -> Booking:
    """The hold's booking with the details and items of this checkout (a retry rewrites them)."""
    booking = db.session.scalar(sa.select(Booking).where(Booking.hold_id == hold.id).with_for_update())
    if booking is not None and booking.status != "pending_payment":
        raise CheckoutError(str(_l("This booking is already paid for.")))
    if booking is None:
        booking = Booking(token=secrets.token_urlsafe(32), link_code=secrets.token_urlsafe(12), hold_id=hold.id,
                          trip_id=hold.trip_id, board_seq=hold.board_seq, alight_seq=hold.alight_seq,
                          event_id=hold.event_id, status="pending_payment", currency=_currency(), created_at=now)
        db.session.add(booking)
        if hold.trip_id is not None:
            booking.pnr = references.new_pnr()
    else:
        db.session.execute(sa.delete(BookingItem).where(BookingItem.booking_id == booking.id))
        db.session.expire(booking, ["items"])
    booking.customer_id, booking.guest_key = owner.customer_id, owner.guest_key if owner.customer_id is None else None
    booking.title, booking.starts_at = quote.title[:200], quote.starts_at
    booking.contact_name = details.contact_name
    booking.contact_phone, booking.contact_email = details.contact_phone or None, details.contact_email or None
    booking.language = details.language
    booking.subtotal, booking.vat, booking.service_charge = quote.subtotal, quote.vat, quote.service_charge
    booking.total = quote.total
    db.session.flush()
    if booking.reference is None:
        booking.reference = references.reference(booking.id, _local(now))
    for line in quote.lines:
        passenger = details.passengers.get(line.seat_id) if line.kind == "seat" else None
        if line.kind == "seat" and passenger is None:
            raise CheckoutError(str(_l("Give the name, age and gender of the passenger on seat %(seat)s.",
                                       seat=line.label)))
        db.session.add(BookingItem(
            booking_id=booking.id, kind=line.kind, seat_id=line.seat_id, plan_seat_id=line.plan_seat_id,
            ticket_type_id=line.ticket_type_id, time_slot_id=line.time_slot_id, quantity=line.quantity,
            label=line.label, fare_class=line.fare_class, unit_price=line.unit_price, amount=line.amount,
            passenger_name=passenger.name if passenger else None, passenger_age=passenger.age if passenger else None,
            passenger_gender=passenger.gender if passenger else None, status="active"))
    db.session.flush()
    return booking


def _currency() -> str:
    from services import tenant_db

    return tenant_db.require_tenant().setting("currency") or "BDT"


def _local(now: datetime) -> datetime:
    from services.events.times import to_local
    from services import tenant_db

    return to_local(now, tenant_db.require_tenant().setting("timezone"))


def _fail_start(payment_id: int, reason: str, now: datetime) -> None:
    def unit():
        db.session.execute(sa.update(Payment).where(Payment.id == payment_id, Payment.status == "initiated")
                           .values(status="failed", failure_reason=reason[:300], completed_at=now))
        db.session.execute(sa.update(BookingAttempt).where(BookingAttempt.payment_id == payment_id)
                           .values(result="failed", failure_reason=f"gateway did not start: {reason}"[:300],
                                   updated_at=now))
        transactions.commit()

    transactions.run(unit)


def _started(payment_id: int, gateway: str, started) -> None:
    def unit():
        db.session.execute(sa.update(Payment).where(Payment.id == payment_id).values(gateway_ref=started.gateway_ref))
        messages.add(payment_id, gateway, "start", "ok", started.raw)
        transactions.commit()

    transactions.run(unit)
