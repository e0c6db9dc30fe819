"""A customer, the gateway simulator and the shop's own jobs, driving a purchase in a test the way
they do for real (tests/integration/test_checkout_payments.py and the tests of what follows a
purchase: tickets, messages)."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.bookings import Booking, BookingAttempt, Notification, Payment, PaymentMessage, Refund, Ticket
from models.events import TicketType
from models.people import AuditLog
from models.rail import SeatClaim
from models.sales import Hold
from services.checkout import reconcile
from services.inventory import Owner
from tests.support import payments as pay
from tests.support.people import bulk_customers

EMAIL = "rahima@example.com"


@dataclass
class Purchase:
    tenant: object  # TenantInfo
    booking_id: int
    token: str  # the booking page's
    hold_token: str
    owner: Owner
    payment_id: int
    tran_id: str
    session: str  # the simulator's sessionkey
    amount: Decimal
    trip_id: int | None = None
    seat_ids: tuple[int, ...] = ()


class Shop:
    """A customer, the gateway and the shop's own jobs, for one test."""

    def __init__(self, app, make_tenant, in_tenant, client_for, sandbox, port):
        self.app, self.make_tenant, self.in_tenant = app, make_tenant, in_tenant
        self.client_for, self.sandbox, self.port = client_for, sandbox, port

    # -- tenants and purchases ------------------------------------------------------------------------

    def zoo(self):
        return pay.with_gateways(self.app, self.make_tenant("zoo", "events"), names=("sslcommerz",))

    def rail(self):
        return pay.with_gateways(self.app, self.make_tenant("rail", "rail"), names=("sslcommerz",))

    def buy_tickets(self, zoo, *, quantity: int = 2, language: str = "en", **hold_options) -> Purchase:
        """A guest's hold of `quantity` admissions, checked out to SSLCommerz (the simulator's page is open)."""
        with self.in_tenant(zoo):
            owner = Owner(guest_key=f"guest-{time.monotonic_ns()}")
            hold, _, _ = pay.event_hold(owner, quantity=quantity, **hold_options)
            return self._checkout(zoo, hold.token, owner, replace(pay.event_details(), language=language))

    def buy_seats(self, rail, *, seats: int = 2, customer_id: int | None = None) -> Purchase:
        """A customer's hold of `seats` S_CHAIR seats on a train 3 days ahead, checked out to SSLCommerz."""
        with self.in_tenant(rail):
            customer_id = customer_id or bulk_customers(1)[0]
            hold, seat_ids = pay.rail_hold(customer_id, seats=seats)
            held = tuple(seat_ids[:seats])
            purchase = self._checkout(rail, hold.token, Owner(customer_id=customer_id),
                                      pay.rail_details(held, email=EMAIL))
            purchase.trip_id, purchase.seat_ids = hold.trip_id, held
            return purchase

    def checkout_again(self, purchase: Purchase) -> Purchase:
        """The same hold checked out once more (the customer's "Try again")."""
        details = pay.event_details() if purchase.trip_id is None else pay.rail_details(purchase.seat_ids, email=EMAIL)
        with self.in_tenant(purchase.tenant):
            again = self._checkout(purchase.tenant, purchase.hold_token, purchase.owner, details)
        again.trip_id, again.seat_ids = purchase.trip_id, purchase.seat_ids
        return again

    def _checkout(self, tenant, hold_token, owner, details) -> Purchase:
        hold = db.session.scalar(sa.select(Hold).where(Hold.token == hold_token))
        started = pay.start(tenant, hold, owner, details, port=self.port)
        payment = started.payment
        return Purchase(tenant, started.booking.id, started.booking.token, hold_token, owner, payment.id,
                        payment.tran_id, payment.gateway_ref, payment.amount)

    # -- the customer at the gateway, the browser, the gateway's server ----------------------------------------

    def pay(self, purchase: Purchase, outcome: str = "pay"):
        """Press a button on the simulator's page; the notifications due before the return go out here."""
        return self.sandbox.pay(purchase.session, outcome)

    def come_back(self, purchase: Purchase, back):
        """The browser's return, posted to the tenant as the simulator's page makes it."""
        return self.client_for(purchase.tenant).post(urlsplit(back.url).path, data=back.fields)

    def notify(self, tenant, payload: dict):
        """A gateway notification posted to the tenant (a replay, a forgery)."""
        return self.client_for(tenant).post("/payments/sslcommerz/ipn", data=payload)

    def page(self, purchase: Purchase) -> str:
        response = self.client_for(purchase.tenant).get(f"/bookings/{purchase.token}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def notifications_sent(self, n: int, timeout: float = 5.0) -> list[dict]:
        """The simulator's notifications, once `n` of them went (a late one goes from a timer)."""
        deadline = time.monotonic() + timeout
        while len(self.sandbox.notifications) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.sandbox.notifications

    def at_gateway(self, purchase: Purchase):
        """The simulator's own record of the payment (its refunds)."""
        return self.sandbox.transaction(purchase.session)

    # -- what the database says ---------------------------------------------------------------------------

    def facts(self, purchase: Purchase) -> dict:
        with self.in_tenant(purchase.tenant):
            return facts(purchase.booking_id)

    def refusals(self, tenant) -> tuple[int, int]:
        """(audit rows payment.callback_refused, raw messages kept with verdict forged)."""
        with self.in_tenant(tenant):
            return (db.session.scalar(sa.select(sa.func.count(AuditLog.id))
                                      .where(AuditLog.action == "payment.callback_refused")),
                    db.session.scalar(sa.select(sa.func.count(PaymentMessage.id))
                                      .where(PaymentMessage.verdict == "forged")))

    def reconcile(self, tenant, *, minutes: float = 0):
        with self.in_tenant(tenant):
            return reconcile.run(now=utcnow() + timedelta(minutes=minutes))


def facts(booking_id: int) -> dict:
    """Everything a payment can change about a booking, read fresh (needs its tenant bound)."""
    db.session.rollback()
    booking = db.session.get(Booking, booking_id)
    hold = db.session.get(Hold, booking.hold_id)

    def rows(query):
        return list(db.session.scalars(query))

    found = {
        "booking": booking.status,
        "payments": [p.status for p in rows(sa.select(Payment).where(Payment.booking_id == booking_id)
                                             .order_by(Payment.id))],
        "attempts": [a.result for a in rows(sa.select(BookingAttempt).where(BookingAttempt.booking_id == booking_id)
                                             .order_by(BookingAttempt.id))],
        "tickets": dict(Counter(rows(sa.select(Ticket.status).where(Ticket.booking_id == booking_id)))),
        "notifications": sorted((n.kind, n.channel) for n in rows(
            sa.select(Notification).where(Notification.booking_id == booking_id))),
        "refunds": [(r.kind, r.amount, r.status) for r in rows(sa.select(Refund).where(Refund.booking_id == booking_id)
                                                              .order_by(Refund.id))],
        "confirmations": db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(
            AuditLog.action == "booking.confirmed", AuditLog.resource == "booking",
            AuditLog.resource_id == str(booking_id))),
        "hold": hold.status,
    }
    if booking.trip_id is not None:
        found["claims"] = sorted(rows(sa.select(SeatClaim.status).where(SeatClaim.hold_id == hold.id)))
    else:
        types = rows(sa.select(TicketType).where(TicketType.event_id == booking.event_id))
        found["sold"], found["held"] = sum(t.sold for t in types), sum(t.held for t in types)
    return found
