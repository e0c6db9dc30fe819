"""The sandbox: both simulated gateways, how they misbehave, and the notifications they sent.
Thread-safe: the simulator serves many requests at once while tests read it from their own thread."""
from __future__ import annotations

import threading
from typing import Callable

from gateways.sandbox.behaviour import Behaviour
from gateways.sandbox.bkash import BkashSimulator
from gateways.sandbox.delivery import Deliveries
from gateways.sandbox.records import BkashPayment, BrowserReturn, SslcommerzSession
from gateways.sandbox.sslcommerz import SslcommerzSimulator

OUTCOMES = ("pay", "fail", "cancel")


class Sandbox:
    def __init__(self):
        self._lock = threading.RLock()
        self._behaviour = Behaviour()
        self.deliveries = Deliveries()
        self.sslcommerz = SslcommerzSimulator(self._lock, lambda: self.behaviour)
        self.bkash = BkashSimulator(self._lock, lambda: self.behaviour)

    @property
    def behaviour(self) -> Behaviour:
        with self._lock:
            return self._behaviour

    def behave(self, **flags) -> Behaviour:
        """Set misbehaviour flags (see Behaviour) for payments started from now on; ValueError when unknown."""
        with self._lock:
            self._behaviour = self._behaviour.with_flags(**flags)
            return self._behaviour

    def reset(self) -> None:
        """Forget every payment, token, refund and notification, and behave again."""
        with self._lock:
            self._behaviour = Behaviour()
            self.sslcommerz = SslcommerzSimulator(self._lock, lambda: self.behaviour)
            self.bkash = BkashSimulator(self._lock, lambda: self.behaviour)
        self.deliveries.reset()

    def customer_chooses(self, gateway: str, ref: str, outcome: str) -> tuple[BrowserReturn, Callable[[], None]]:
        """The customer pressed a button on `gateway`'s page for payment `ref` (sessionkey / paymentID).
        Notifications due before the return are sent, and their answers awaited, here; call the second
        item once the browser has been sent back. KeyError for an unknown payment."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        simulator = self.sslcommerz if gateway == "sslcommerz" else self.bkash
        browser_return, notification, behaviour = simulator.choose(ref, outcome)
        return browser_return, self.deliveries.around_return(notification, behaviour)

    def pay(self, ref: str, outcome: str = "pay") -> BrowserReturn:
        """Act as the customer, for tests without a browser: `ref` is anything `transaction()` finds.
        Returns the request the browser would now make to the merchant."""
        record = self.transaction(ref)
        if record is None:
            raise KeyError(ref)
        browser_return, after_return = self.customer_chooses(record.gateway, record.ref, outcome)
        after_return()
        return browser_return

    def send_held_notifications(self) -> int:
        """Send the notifications ipn="after_return" kept back; how many went."""
        return self.deliveries.send_held()

    @property
    def notifications(self) -> list[dict]:
        """Every notification sent: gateway, ref, url, payload, and status_code or error."""
        return self.deliveries.sent

    def transaction(self, ref: str) -> SslcommerzSession | BkashPayment | None:
        """A copy of the payment with this sessionkey, tran_id, val_id, bank_tran_id, paymentID or
        merchantInvoiceNumber (the latest, when several sessions share a tran_id)."""
        return self.sslcommerz.find(ref) or self.bkash.find(ref)

    @property
    def transactions(self) -> list[SslcommerzSession | BkashPayment]:
        """Copies of every payment of both gateways, newest first."""
        records = [*self.sslcommerz.sessions(), *self.bkash.payments()]
        return sorted(records, key=lambda record: record.created_at, reverse=True)
