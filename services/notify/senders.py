"""What delivering one message needs from a provider: the sender interfaces and their one error.

A sender sends one SMS or one email and returns the provider's answer ("accepted, reference 123"),
which the notifications log shows the operator. It raises DeliveryError when the message did not go:
`retryable` says whether trying again later may work (a timeout, a refused connection, SMTP 4xx, a
provider's 5xx) or never will (an invalid number, a recipient refused with 5xx, bad credentials).

`key` is the message's idempotency key (one per notification). A sender whose provider refuses a
second message with the same client id derived from the key is `idempotent`: re-sending after a
worker died mid-send is then safe. Senders are made per tenant by services.notify.channels.
"""
from __future__ import annotations

Attachment = tuple[str, bytes, str]  # (file name, data, MIME type)


class DeliveryError(Exception):
    """The message was not delivered; `answer` is the provider's answer (or what happened)."""

    def __init__(self, answer: str, retryable: bool = True):
        super().__init__(answer)
        self.answer = answer
        self.retryable = retryable


class SmsSender:
    idempotent: bool = False

    def send_sms(self, to: str, text: str, *, key: str) -> str:
        raise NotImplementedError


class EmailSender:
    idempotent: bool = False

    def send_email(self, to: str, subject: str, text: str, *, key: str,
                   attachments: list[Attachment] = ()) -> str:
        raise NotImplementedError
