"""The one small interface every payment gateway adapter implements (DESIGN.md "Gateways").

An adapter speaks one gateway's published protocol and nothing else: it never touches the database
and never decides what a payment means for a booking (services/checkout does). What a browser
return or a notification says is only a hint: `verify` and `query` ask the gateway's own API, and
only their answer (`Verification.outcome == "paid"`) lets a payment count as paid.

Errors: `ForgedCallback` for a callback whose signature or fields do not check out (HTTP 400,
audited, nothing changes); `GatewayUnavailable` when the gateway could not be reached or answered
nonsense after bounded retries (nothing is decided: the reconciliation job asks again later).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal, Mapping, Protocol

# "mismatch": the gateway took money, but not what we asked (tran_id, amount or currency differ); the
# Verification's amount and currency say what was taken, so it can be given back.
Outcome = Literal["paid", "mismatch", "failed", "cancelled", "pending", "unknown"]
RefundStatus = Literal["done", "pending", "failed"]
Source = Literal["return", "ipn"]


class GatewayError(Exception):
    """Anything that went wrong talking to a gateway; the message is for logs and staff."""


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached, timed out or answered something unreadable (after retries)."""


class ForgedCallback(GatewayError):
    """A return or notification whose signature or fields do not check out: refused with 400."""


@dataclass(frozen=True)
class GatewayConfig:
    """One tenant's settings for one gateway: where it is and the credentials (already opened)."""

    name: str  # sslcommerz | bkash
    base_url: str  # e.g. https://sandbox.sslcommerz.com, or the local simulator's URL
    credentials: Mapping[str, str] = field(repr=False)  # sslcommerz: store_id, store_passwd;
    # bkash: app_key, app_secret, username, password
    timeout: float = 10.0  # seconds per HTTP call
    retries: int = 2  # further tries of a call that could not reach the gateway (idempotent calls only)


@dataclass(frozen=True)
class PaymentRequest:
    tran_id: str  # ours, unique per payment (SSLCommerz tran_id; bKash merchantInvoiceNumber)
    amount: Decimal  # to the paisa
    currency: str  # "BDT"
    return_url: str  # where the browser comes back: /payments/<gateway>/return on the tenant host
    ipn_url: str  # where the gateway notifies us: /payments/<gateway>/ipn on the tenant host
    customer_name: str
    customer_phone: str
    customer_email: str
    product_name: str  # "Train ticket: 701 Subarna Express" / "Dhaka Zoo entry"
    product_category: str  # "train-ticket" | "event-ticket"
    num_items: int = 1


@dataclass(frozen=True)
class StartedPayment:
    redirect_url: str  # send the customer's browser here (GatewayPageURL / bkashURL)
    gateway_ref: str  # the gateway's id of the session (SSLCommerz sessionkey; bKash paymentID)
    raw: dict  # the gateway's answer as it came


@dataclass(frozen=True)
class Callback:
    """What a browser return or a notification claims, after its signature was checked. A hint only."""

    tran_id: str | None  # ours, when the message names it
    gateway_ref: str | None  # SSLCommerz val_id; bKash paymentID
    status: Literal["success", "failed", "cancelled"]
    raw: dict  # every field as received


@dataclass(frozen=True)
class Verification:
    """The gateway's own answer about a payment, from its validation / execute / query API."""

    outcome: Outcome
    tran_id: str | None
    amount: Decimal | None
    currency: str | None
    gateway_txn: str | None  # the gateway's transaction id (SSLCommerz bank_tran_id; bKash trxID)
    reason: str  # why not paid, or "" when paid
    raw: dict  # the API's answer as it came
    gateway_ref: str | None = None  # SSLCommerz val_id / bKash paymentID, when the answer names it


@dataclass(frozen=True)
class PaidPayment:
    """What a refund needs to know of a paid payment."""

    tran_id: str
    gateway_ref: str | None  # SSLCommerz val_id / bKash paymentID
    gateway_txn: str  # SSLCommerz bank_tran_id / bKash trxID
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class RefundResult:
    status: RefundStatus
    refund_ref: str | None  # the gateway's id of the refund (SSLCommerz refund_ref_id; bKash refundTrxID)
    reason: str
    raw: dict


class Gateway(Protocol):
    name: str

    def start(self, request: PaymentRequest) -> StartedPayment:
        """Open a payment session; raises GatewayUnavailable, or GatewayError when refused."""

    def parse_callback(self, params: Mapping[str, str], *, source: Source) -> Callback:
        """Read a browser return or a notification; raises ForgedCallback when it does not check out."""

    def verify(self, callback: Callback, *, tran_id: str, amount: Decimal, currency: str) -> Verification:
        """Ask the gateway about what the callback claims (SSLCommerz: the validation API with its
        val_id; bKash: execute on success, else the status query). "paid" only when the gateway
        says so for this tran_id, to the paisa, in this currency (and an acceptable risk)."""

    def query(self, *, tran_id: str, gateway_ref: str | None, amount: Decimal, currency: str) -> Verification:
        """The transaction query, for payments whose callback never came (reconciliation)."""

    def refund(self, payment: PaidPayment, *, amount: Decimal, reason: str, refund_key: str) -> RefundResult:
        """Ask for money back; `refund_key` is ours and unique per refund (sent where the protocol
        has a merchant reference), so asking twice refunds once."""

    def refund_status(self, payment: PaidPayment, *, refund_ref: str | None, refund_key: str) -> RefundResult:
        """Where a refund asked for earlier stands."""


# Money as the gateways speak it, and the one rule every "paid" needs (used by all adapters).
PAISA = Decimal("0.01")


def wire_amount(amount: Decimal) -> str:
    """An amount as gateways take it: "1040.00". A fraction of a paisa is refused rather than rounded."""
    if amount != amount.quantize(PAISA):
        raise ValueError(f"{amount} is not a whole number of paisa")
    return f"{amount:.2f}"


def read_amount(value: object) -> Decimal | None:
    """A gateway's amount ("1040.00", "1040.0", 1040) as a Decimal; None when it is not a finite number."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def mismatch(*, paid_tran_id: str | None, paid_amount: Decimal | None, paid_currency: str | None,
             tran_id: str, amount: Decimal, currency: str) -> str:
    """Why what the gateway says was paid is not our payment ("" when tran_id, amount to the paisa and currency
    all agree), e.g. "amount mismatch: paid 1000.00, expected 1040.00"."""
    problems = []
    if paid_tran_id != tran_id:
        problems.append(f"tran_id mismatch: paid {paid_tran_id}, expected {tran_id}")
    if paid_amount != amount:
        problems.append(f"amount mismatch: paid {_shown(paid_amount)}, expected {_shown(amount)}")
    if paid_currency != currency:
        problems.append(f"currency mismatch: paid {paid_currency}, expected {currency}")
    return "; ".join(problems)


def paid_outcome(*, paid_tran_id: str | None, paid_amount: Decimal | None, paid_currency: str | None,
                 tran_id: str, amount: Decimal, currency: str) -> tuple[Outcome, str]:
    """What a payment the gateway calls paid means for ours: "paid"; "mismatch" when the gateway took
    money for our tran_id but another amount or currency (it must go back); "failed" when what was
    paid is another transaction (a replayed or forged callback: nothing of ours was paid)."""
    reason = mismatch(paid_tran_id=paid_tran_id, paid_amount=paid_amount, paid_currency=paid_currency,
                      tran_id=tran_id, amount=amount, currency=currency)
    if not reason:
        return "paid", ""
    return ("failed" if paid_tran_id != tran_id else "mismatch"), reason


def _shown(amount: Decimal | None) -> str:
    """Two decimals, or all of them when there are more (so 1040.001 never reads as 1040.00)."""
    if amount is None:
        return "nothing readable"
    return f"{amount:.2f}" if amount.as_tuple().exponent >= -2 else str(amount)
