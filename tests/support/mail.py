"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd): what it received, and ways to misbehave."""
from __future__ import annotations

import asyncio
import email
import threading
import time
from email import policy

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class Mailbox:
    """aiosmtpd handler: keeps what it receives; refuses `nobody@` (550) and `later@` (451), and the next
    `refuse` messages (451); with `hold`, keeps a message and waits before answering."""

    def __init__(self):
        self.mails: list[tuple[object, bytes]] = []
        self.tries = 0  # DATA commands seen, refused ones too
        self.refuse = 0  # refuse the next n with 451
        self.hold: threading.Event | None = None  # when set: DATA waits until it is set (a slow server)
        self.holding = threading.Event()  # set while a DATA waits

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("nobody@"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address.startswith("later@"):
            return "451 4.7.1 <%s>: Greylisted, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.tries += 1
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Temporary failure, try again later"
        self.mails.append((session, envelope.content))
        if self.hold is not None:  # received; the answer waits (the sender may die meanwhile)
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 30)
        return "250 2.0.0 Ok: queued as 4F1C2"

    def wait_for(self, n: int, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.mails) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.mails

    def last(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.mails[-1][1], policy=policy.default)


def start_smtp(**options) -> tuple[Mailbox, int, Controller]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return mailbox, port, controller
