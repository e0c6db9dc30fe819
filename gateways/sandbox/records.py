"""What the simulated gateways remember. Both kinds of payment share the names the index page and
`Sandbox.transaction()` use: gateway, ref, tran_id, amount, paid_amount, currency, status, created_at."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from gateways.sandbox.behaviour import Behaviour


@dataclass(frozen=True)
class BrowserReturn:
    """The request the gateway makes the customer's browser send back to the merchant. For a GET, `url`
    already carries `fields` as its query string."""

    method: str  # POST (SSLCommerz) | GET (bKash)
    url: str
    fields: dict[str, str]


@dataclass
class Refund:
    ref: str  # the gateway's id: SSLCommerz refund_ref_id, bKash refundTrxID
    key: str  # the merchant's: SSLCommerz refe_id, bKash sku
    amount: Decimal
    reason: str
    created_at: datetime
    answer: dict  # the API's answer, given again when the same key is asked again


@dataclass
class SslcommerzSession:
    ref: str  # sessionkey
    store_id: str
    tran_id: str
    amount: Decimal  # asked
    currency: str
    init_fields: dict[str, str]
    behaviour: Behaviour
    created_at: datetime
    status: str = "UNATTEMPTED"  # VALID | FAILED | CANCELLED once the customer chose
    customer_choice: str | None = None  # pay | fail | cancel
    decided_at: datetime | None = None
    paid_amount: Decimal | None = None
    val_id: str | None = None
    bank_tran_id: str | None = None
    callback_fields: dict[str, str] = field(default_factory=dict)  # as posted: signed, maybe tampered
    return_url: str | None = None  # the success/fail/cancel URL the customer's choice sends the browser to
    validations: int = 0  # validation API answers given (the second says VALIDATED)
    refunds: list[Refund] = field(default_factory=list)
    failed_refunds: int = 0
    gateway: str = "sslcommerz"

    @property
    def decided(self) -> bool:
        """The customer pressed a button."""
        return self.customer_choice is not None


@dataclass
class BkashPayment:
    ref: str  # paymentID
    app_key: str
    tran_id: str  # merchantInvoiceNumber
    amount: Decimal  # asked
    currency: str
    payer_reference: str
    callback_url: str
    behaviour: Behaviour
    created_at: datetime
    status: str = "Initiated"  # Completed (after execute) | Failed | Cancelled
    customer_choice: str | None = None  # pay | fail | cancel
    paid_amount: Decimal | None = None
    signature: str | None = None
    trx_id: str | None = None
    executed_at: datetime | None = None
    refunds: list[Refund] = field(default_factory=list)
    failed_refunds: int = 0
    gateway: str = "bkash"

    @property
    def decided(self) -> bool:
        """The customer pressed a button."""
        return self.customer_choice is not None
