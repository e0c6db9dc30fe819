"""What a customer hears after buying, on real parts on loopback: the SMS through the tenant's SMS
provider (a stand-in SSL Wireless on 127.0.0.1) and the email through a real SMTP server with the
tickets' PDF attached; in the booking's language; a reminder 24 hours before (scheduled with RQ and
found by the sweep as well, once); the tenant's own wording; one-time codes kept out of the log."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from rq.registry import ScheduledJobRegistry

from jobs import queue
from models import db
from models.bookings import Booking, Notification, Ticket
from models.messaging import MessageTemplate
from services import otp, tenants
from services.audit import Actor
from services.checkout import cancel
from services.notify import channels, reminders, templates
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)
from tests.support.sms_provider import FakeSmsProvider

PHONE = "+8801711000002"  # tests/support/payments.event_details


@pytest.fixture
def provider():
    started = FakeSmsProvider(api_token="t0ken", sid="DHAKAZOO").start()
    yield started
    started.stop()


@pytest.fixture
def zoo_with_messages(app, shop, smtp_server, provider):
    """A zoo whose SMS go to the stand-in provider and whose mail goes to a real SMTP server."""
    mailbox, port = smtp_server()
    zoo = shop.zoo()
    with app.app_context():
        settings = {"sms": channels.seal_sms(zoo.slug, provider="sslwireless", url=provider.url, sid="DHAKAZOO",
                                             credentials={"api_token": "t0ken"}),
                    "email": channels.seal_email(zoo.slug, host="127.0.0.1", port=port, security="none",
                                                 sender="Dhaka Zoo <tickets@zoo.example>")}
        zoo = tenants.update_config(zoo.slug, message_channels=settings)
    return zoo, mailbox


def _bought(shop, zoo, **options):
    bought = shop.buy_tickets(zoo, **options)
    shop.come_back(bought, shop.pay(bought))
    with shop.in_tenant(zoo):
        booking = db.session.get(Booking, bought.booking_id)
        numbers = list(db.session.scalars(sa.select(Ticket.number).where(Ticket.booking_id == booking.id)
                                          .order_by(Ticket.id)))
        return bought, booking.reference, booking.token, numbers


def test_a_purchase_sends_a_short_sms_and_an_email_with_the_tickets_pdf(shop, zoo_with_messages, provider):
    zoo, mailbox = zoo_with_messages
    bought, reference, token, numbers = _bought(shop, zoo)
    [sms] = provider.sent
    assert sms["msisdn"] == "8801711000002"
    assert reference in sms["sms"] and "2 x Adult" in sms["sms"]
    assert templates.sms_segments(sms["sms"]) == (1, "GSM")  # one part: a short link, no Unicode spaces
    short = sms["sms"].rsplit(" ", 1)[1]
    assert "/t/" in short
    opened = shop.client_for(zoo).get(short.split("5000", 1)[1])
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/bookings/{token}/tickets")
    assert shop.client_for(zoo).get("/t/" + "A" * 16).status_code == 404

    [(_, raw)] = mailbox.wait_for(1)
    import email
    from email import policy

    mail = email.message_from_bytes(raw, policy=policy.default)
    assert mail["To"] == "guest@example.com" and reference in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert all(number in body for number in numbers) and "Karim Uddin" in body
    [pdf] = list(mail.iter_attachments())
    assert pdf.get_filename() == f"{reference}-tickets.pdf" and pdf.get_content_type() == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert reference in text and all(number in text for number in numbers)

    with shop.in_tenant(zoo):
        log = {(n.channel, n.status, n.attempts) for n in db.session.scalars(
            sa.select(Notification).where(Notification.booking_id == bought.booking_id))}
        assert log == {("sms", "sent", 1), ("email", "sent", 1)}
        answers = set(db.session.scalars(sa.select(Notification.provider_answer).where(
            Notification.booking_id == bought.booking_id)))
        assert any(a.startswith("accepted, reference") for a in answers) and any("250" in a for a in answers)


def test_messages_go_in_the_language_the_customer_chose(shop, zoo_with_messages, provider):
    zoo, mailbox = zoo_with_messages
    _bought(shop, zoo, language="bn")
    [sms] = provider.sent
    assert any("\u0980" <= ch <= "\u09ff" for ch in sms["sms"])  # Bangla letters
    with shop.in_tenant(zoo):
        english = templates.builtin("booking_confirmed", "sms", "en")[1]
        bangla = templates.builtin("booking_confirmed", "sms", "bn")[1]
    assert english != bangla
    mail = mailbox.wait_for(1)[0][1].decode("utf-8", "replace")
    assert "Subject: =?utf-8?" in mail  # a Bangla subject, encoded


def test_the_tenants_own_wording_is_used_and_a_broken_one_falls_back(shop, zoo_with_messages, provider):
    zoo, _ = zoo_with_messages
    with shop.in_tenant(zoo):
        templates.save("booking_confirmed", "sms", "en", "", "Zoo says hi! {{ reference }} for {{ seats }}.",
                       Actor.system("test"))
    _, reference, _, _ = _bought(shop, zoo)
    assert provider.sent[-1]["sms"] == f"Zoo says hi! {reference} for 2 x Adult."
    with shop.in_tenant(zoo):  # written around the checks (an older version, a hand edit): the built-in wording
        db.session.execute(sa.update(MessageTemplate).values(body="{{ reference }"))
        db.session.commit()
    _, reference, _, _ = _bought(shop, zoo)
    assert provider.sent[-1]["sms"].startswith(f"{reference} confirmed")


def test_a_reminder_is_scheduled_for_a_day_before_and_sent_once(shop, zoo_with_messages, provider):
    zoo, mailbox = zoo_with_messages
    bought, reference, _, _ = _bought(shop, zoo)  # an event three days ahead
    with shop.in_tenant(zoo):
        booking = db.session.get(Booking, bought.booking_id)
        starts_at, booking_id = booking.starts_at, booking.id
        registry = ScheduledJobRegistry(queue.get_queue().name, connection=queue.embedded_connection())
        job_id = f"reminder-{zoo.slug}-{booking_id}"
        assert job_id in registry.get_job_ids()
        assert abs(registry.get_scheduled_time(job_id).timestamp() - (starts_at - timedelta(hours=24)).timestamp()) < 1
        day_before = starts_at - timedelta(hours=23)
        assert reminders.due(starts_at - timedelta(hours=25)) == []  # not yet
        assert reminders.due(day_before) == [booking_id]
        assert len(reminders.remind(booking_id, now=day_before)) == 2
        assert reminders.remind(booking_id, now=day_before) == []  # the sweep or a second job: nothing more
        assert reminders.sweep(day_before) == 0
    reminder = provider.sent[-1]["sms"]
    assert reminder.startswith("Reminder:") and len(provider.sent) == 2
    assert len(mailbox.wait_for(2)) == 2


def test_no_reminder_for_a_cancelled_booking_or_one_bought_the_day_before(shop, zoo_with_messages, provider):
    zoo, _ = zoo_with_messages
    bought, _, _, _ = _bought(shop, zoo, starts_in=timedelta(hours=20))
    with shop.in_tenant(zoo):
        booking = db.session.get(Booking, bought.booking_id)
        assert reminders.schedule(booking.id, booking.starts_at) is None
        assert reminders.due(booking.starts_at - timedelta(hours=10)) == []
    later, _, _, _ = _bought(shop, zoo)
    with shop.in_tenant(zoo):
        cancel.cancel(later.booking_id, None, actor=Actor("staff", None, "test"), full_refund=True)
        booking = db.session.get(Booking, later.booking_id)
        assert booking.status == "cancelled"
        assert reminders.remind(booking.id, now=booking.starts_at - timedelta(hours=23)) == []
        assert reminders.due(booking.starts_at - timedelta(hours=23)) == []


def test_a_one_time_code_goes_through_the_log_sealed(app, make_tenant, in_tenant, provider):
    zoo = make_tenant("zoo", "events")
    with app.app_context():
        zoo = tenants.update_config(zoo.slug, message_channels={"sms": channels.seal_sms(
            zoo.slug, provider="sslwireless", url=provider.url, sid="DHAKAZOO", credentials={"api_token": "t0ken"})})
    with in_tenant(zoo):
        otp.send("verify", "+8801712345678")
        row = db.session.scalar(sa.select(Notification).where(Notification.kind == "otp"))
        assert (row.status, row.sensitive, row.channel) == ("sent", True, "sms")
    [sms] = provider.sent
    code = sms["sms"].split()[0]
    assert code.isdigit() and len(code) == 6
    assert code not in row.body and row.body.count(":") == 1  # sealed: key id, then ciphertext
