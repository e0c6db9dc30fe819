"""Checkout and payments (rules 3-4 of DESIGN.md): a hold becomes a booking, the booking is paid
through a gateway, and only the gateway's own API makes a payment count; confirmation, late
payments, refunds and cancellations each happen in one transaction.

- `pricing`: what a hold costs (fares or ticket prices, VAT, service charge).
- `references`: booking references (ZOO-2026-001234) and PNRs.
- `gateways`: the tenant's enabled gateways and their adapters (credentials sealed at rest).
- `start`: checkout details → booking, payment and attempt → the gateway's page.
- `callbacks`: a return or a notification → verified with the gateway → settled.
- `confirm`: settling a verified payment: the confirmation transaction, late payments.
- `refunds`: the refund policy table, asking for refunds and following them up.
- `cancel`: a customer's or staff member's cancellation of a booking or some of its items.
- `reconcile`: the periodic job for payments whose callback never came and refunds to retry.
- the notifications a confirmation writes are services.notify.outbox's.
- `lookup`: finding bookings (the customer's, by link, staff search).
"""
from __future__ import annotations

from services.errors import ServiceError


class CheckoutError(ServiceError):
    """Checkout or payment could not go on; the message says why, fit to show."""


class CancellationRefused(CheckoutError):
    """The tenant's policy does not allow this cancellation now."""


class PaymentServiceDown(CheckoutError):
    """The gateway could not start a payment (unreachable or refused): nothing was charged."""
