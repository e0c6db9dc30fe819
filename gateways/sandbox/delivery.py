"""Sending the gateways' server-to-server notifications (SSLCommerz IPN, the bKash webhook stand-in),
timed against the customer's return as the payment's behaviour says, and remembering how each went.

Nothing here holds the sandbox's lock while sending: in the "before_return" mode the merchant answers
the notification by calling the validation API of this very sandbox.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import requests

from gateways.http import loopback
from gateways.sandbox.behaviour import Behaviour

SEND_TIMEOUT = 10.0  # seconds; a merchant that takes longer is recorded as an error


@dataclass(frozen=True)
class Notification:
    gateway: str
    ref: str  # the payment's sessionkey / paymentID
    url: str
    payload: dict
    as_json: bool  # bKash posts JSON, SSLCommerz a form


class Deliveries:
    def __init__(self):
        self._lock = threading.Lock()
        self._sent: list[dict] = []
        self._held: list[Notification] = []
        self._generation = 0  # bumped by reset(): timers started before it are dropped

    def around_return(self, notification: Notification | None, behaviour: Behaviour) -> Callable[[], None]:
        """Send what is due before the browser goes back; the answer is to be called once it went."""
        mode = behaviour.ipn
        if notification is None or mode == "never":
            return _nothing
        if mode == "after_return":
            with self._lock:
                self._held.append(notification)
            return _nothing
        if mode == "late":
            return lambda: self._send_later(notification, behaviour.ipn_delay)
        self.send(notification)  # before_return and duplicate: answered before the browser goes back
        if mode == "duplicate":
            self.send(notification)
            return lambda: self._send_later(notification, 0)
        return _nothing

    def send_held(self) -> int:
        with self._lock:
            held, self._held = self._held, []
        for notification in held:
            self.send(notification)
        return len(held)

    def send(self, notification: Notification) -> None:
        target, headers = loopback(notification.url)  # `zoo.localhost` reaches 127.0.0.1 with its Host
        body = {"json": notification.payload} if notification.as_json else {"data": notification.payload}
        outcome: dict
        try:
            response = requests.post(target, headers=headers, timeout=SEND_TIMEOUT, allow_redirects=False, **body)
        except requests.RequestException as exc:
            outcome = {"error": f"{type(exc).__name__}: {exc}"}
        else:
            outcome = {"status_code": response.status_code}
        with self._lock:
            self._sent.append({"gateway": notification.gateway, "ref": notification.ref, "url": notification.url,
                               "payload": dict(notification.payload), **outcome})

    @property
    def sent(self) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self._sent]

    def reset(self) -> None:
        with self._lock:
            self._sent, self._held = [], []
            self._generation += 1

    def _send_later(self, notification: Notification, delay: float) -> None:
        generation = self._generation

        def send_if_not_reset():
            if generation == self._generation:
                self.send(notification)

        timer = threading.Timer(delay, send_if_not_reset)
        timer.daemon = True
        timer.start()


def _nothing() -> None:
    pass
