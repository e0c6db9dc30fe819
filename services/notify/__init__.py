"""Telling customers: messages written as rows of the notifications log in the transaction that
makes them due (outbox.py), worded by the tenant's templates or the built-in ones (templates.py),
sent by RQ jobs through the tenant's SMS provider and SMTP server (channels.py), retried with
backoff, and reminders before departure (reminders.py)."""
