"""The senders with real parts on loopback: an SMTP server (aiosmtpd, plain, STARTTLS and TLS with a
self-signed certificate), a stand-in SSL Wireless (tests/support/sms_provider.py), the tenant's sealed
settings, and the commands that set them."""
from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult, LoginPassword

from models import db
from models.platform import Tenant, TenantConfig
from services import notifications, tenants
from services.notify import channels
from services.notify.senders import DeliveryError
from services.notify.sms import SslWirelessSms, csms_id
from services.notify.smtp import SmtpSender, SmtpSettings
from tests.support.servers import free_port
from tests.support.sms_provider import FakeSmsProvider

BANGLA = "আপনার টিকিট নিশ্চিত: ঢাকা চিড়িয়াখানা, ১২ মে সকাল ১০টা"
SUBJECT = "আপনার টিকিট — ZOO-2026-001234"
PDF = ("tickets.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nticket ZOO-2026-001234\n%%EOF", "application/pdf")


# --- an SMTP server on 127.0.0.1 (the smtp_server fixture: tests/support/mail.py) ------------------------

def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"zoo", b"s3cret-pw")
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1: (server context, client context that trusts it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "cert.pem").write_bytes(pem)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return server, ssl.create_default_context(cadata=pem.decode())


def _sender(port, security="none", *, context=None, username=None, password=None):
    settings = SmtpSettings(host="127.0.0.1", port=port, security=security, sender="Dhaka Zoo <tickets@zoo.example>",
                            username=username, password=password, timeout=5)
    return SmtpSender(settings, scope="zoo", ssl_context=context)


def test_a_plain_smtp_server_receives_the_mail_with_its_pdf_and_bangla_intact(smtp_server):
    mailbox, port = smtp_server()
    answer = _sender(port).send_email("mita@example.com", SUBJECT, BANGLA + "\n\nধন্যবাদ",
                                      key="booking-7-confirmed-email", attachments=[PDF])
    assert answer == f"accepted by 127.0.0.1:{port}: 250 2.0.0 Ok: queued as 4F1C2"
    mail = mailbox.last()
    assert mail["Subject"] == SUBJECT and mail["To"] == "mita@example.com"
    assert mail["From"] == "Dhaka Zoo <tickets@zoo.example>"
    assert mail.get_body(("plain",)).get_content().strip() == BANGLA + "\n\nধন্যবাদ"
    [pdf] = list(mail.iter_attachments())
    assert (pdf.get_filename(), pdf.get_content(), pdf.get_content_type()) == PDF
    assert mail["Message-ID"].endswith("@zoo.example>")
    _sender(port).send_email("mita@example.com", "again", "again", key="booking-7-confirmed-email")
    assert mailbox.last()["Message-ID"] == mail["Message-ID"]  # one notification, one Message-ID


def test_starttls_with_a_login_and_implicit_tls_deliver(smtp_server, certificate):
    server_context, trusting = certificate
    mailbox, port = smtp_server(tls_context=server_context, require_starttls=True, authenticator=_authenticate,
                                auth_require_tls=True)
    answer = _sender(port, "starttls", context=trusting, username="zoo", password="s3cret-pw").send_email(
        "mita@example.com", "টিকিট", BANGLA, key="k-1", attachments=[PDF])
    assert answer.startswith("accepted by")
    session, content = mailbox.mails[-1]
    assert session.ssl is not None and session.authenticated  # encrypted before the login and the mail
    assert mailbox.last()["Subject"] == "টিকিট"

    with pytest.raises(DeliveryError) as wrong_password:
        _sender(port, "starttls", context=trusting, username="zoo", password="nope").send_email(
            "mita@example.com", "x", "x", key="k-2")
    assert not wrong_password.value.retryable and wrong_password.value.answer.startswith(f"127.0.0.1:{port}: 535")

    with pytest.raises(DeliveryError) as untrusted:  # the system's CAs do not know our self-signed certificate
        _sender(port, "starttls").send_email("mita@example.com", "x", "x", key="k-3")
    assert not untrusted.value.retryable and "certificate is not trusted" in untrusted.value.answer

    tls_box, tls_port = smtp_server(ssl_context=server_context)
    assert _sender(tls_port, "tls", context=trusting).send_email("mita@example.com", "TLS", BANGLA, key="k-4")
    assert tls_box.last()["Subject"] == "TLS"


def test_smtp_refusals_say_whether_a_retry_can_help(smtp_server):
    mailbox, port = smtp_server()
    with pytest.raises(DeliveryError) as refused:
        _sender(port).send_email("nobody@example.com", "x", "x", key="k-1")
    assert refused.value.retryable is False and "550 5.1.1" in refused.value.answer
    assert "nobody@example.com" in refused.value.answer

    with pytest.raises(DeliveryError) as later:
        _sender(port).send_email("later@example.com", "x", "x", key="k-2")
    assert later.value.retryable is True and "451 4.7.1" in later.value.answer

    with pytest.raises(DeliveryError) as no_starttls:
        _sender(port, "starttls").send_email("mita@example.com", "x", "x", key="k-3")
    assert no_starttls.value.retryable is False and "STARTTLS" in no_starttls.value.answer

    with pytest.raises(DeliveryError) as down:
        _sender(free_port()).send_email("mita@example.com", "x", "x", key="k-4")
    assert down.value.retryable is True and "ConnectionRefusedError" in down.value.answer

    with pytest.raises(DeliveryError) as not_an_address:
        _sender(port).send_email("01712-345678", "x", "x", key="k-5")
    assert not_an_address.value.retryable is False
    assert mailbox.mails == []


# --- SSL Wireless on loopback ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def provider_server():
    fake = FakeSmsProvider(api_token="t0ken-secret", sid="DHAKAZOO").start()
    yield fake
    fake.stop()


@pytest.fixture
def provider(provider_server):
    provider_server.reset()
    yield provider_server
    provider_server.reset()


def _sms(provider, **overrides) -> SslWirelessSms:
    options = {"url": provider.url, "sid": "DHAKAZOO", "api_token": "t0ken-secret", "scope": "zoo", "timeout": 5}
    return SslWirelessSms(**{**options, **overrides})


def test_an_sms_goes_out_in_the_providers_shape_with_bangla_as_utf8(provider):
    answer = _sms(provider).send_sms("+8801712345678", BANGLA, key="booking-7-confirmed-sms")
    assert answer == "accepted, reference 7001 (BN)"
    [request] = provider.requests
    assert request["path"] == "/api/v3/send-sms"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["json"] == {"api_token": "t0ken-secret", "sid": "DHAKAZOO", "msisdn": "8801712345678",
                               "sms": BANGLA, "csms_id": csms_id("booking-7-confirmed-sms", "zoo")}
    assert BANGLA.encode("utf-8") in request["raw"]  # UTF-8 itself, not \\u escapes
    assert provider.sent[0]["sms"] == BANGLA


def test_one_key_is_one_csms_id_so_a_repeat_is_refused_and_counts_as_sent(provider):
    sender = _sms(provider)
    assert sender.idempotent
    first = sender.send_sms("01712-345678", "Your code is 123456", key="otp-41")
    again = sender.send_sms("+8801712345678", "Your code is 123456", key="otp-41")
    assert first.startswith("accepted, reference") and again.startswith("accepted earlier")
    ids = [r["json"]["csms_id"] for r in provider.requests]
    assert ids[0] == ids[1] and len(ids[0]) <= 20 and ids[0].isalnum()
    assert len(provider.sent) == 1  # the phone got it once
    assert csms_id("otp-42", "zoo") != ids[0] and csms_id("otp-41", "fort") != ids[0]


def test_provider_errors_come_back_with_the_providers_message(provider):
    with pytest.raises(DeliveryError) as unauthorized:
        _sms(provider, api_token="wrong").send_sms("+8801712345678", "hi", key="k-1")
    assert unauthorized.value.retryable is False
    assert unauthorized.value.answer == "SSL Wireless 4001: Unauthorized"

    provider.fail_next(1, code=4029, message="Too Many Requests")
    with pytest.raises(DeliveryError) as busy:
        _sms(provider).send_sms("+8801712345678", "hi", key="k-2")
    assert busy.value.retryable is True and "Too Many Requests" in busy.value.answer

    with pytest.raises(DeliveryError) as not_bangladeshi:
        _sms(provider).send_sms("+447700900123", "hi", key="k-3")
    assert not_bangladeshi.value.retryable is False
    assert len(provider.requests) == 2  # that one never left


def test_a_lost_answer_or_a_5xx_is_retried_and_sent_once(provider):
    provider.fail_next(1, accept=True)  # taken, then HTTP 500: the retry meets 4023 "Duplicate CSMS ID"
    assert _sms(provider).send_sms("+8801712345678", "hi", key="k-1").startswith("accepted earlier")
    assert len(provider.sent) == 1 and len(provider.requests) == 2

    provider.fail_next(2)
    assert _sms(provider).send_sms("+8801712345678", "hi", key="k-2").startswith("accepted, reference")
    provider.fail_next(3)
    with pytest.raises(DeliveryError) as down:
        _sms(provider).send_sms("+8801712345678", "hi", key="k-3")
    assert down.value.retryable is True and "HTTP 500" in down.value.answer
    assert [s["csms_id"] for s in provider.sent] == [csms_id("k-1", "zoo"), csms_id("k-2", "zoo")]


# --- the tenant's settings ---------------------------------------------------------------------------

def _fresh(app, slug):
    with app.app_context():
        return tenants.get(slug)


def _stored(app, slug) -> dict:
    with app.app_context():
        return db.session.scalar(sa.select(TenantConfig.message_channels).join(Tenant).where(Tenant.slug == slug))


def test_settings_are_sealed_and_pick_the_configured_senders(app, make_tenant, in_tenant, provider):
    zoo = make_tenant("zoo", "events")
    with app.app_context():
        sms = channels.seal_sms(zoo.slug, provider="sslwireless", url=provider.url, sid="DHAKAZOO",
                                credentials={"api_token": "t0ken-secret"})
        mail = channels.seal_email(zoo.slug, host="127.0.0.1", port=2525, security="none",
                                   sender="tickets@zoo.example", username="zoo", password="s3cret-pw")
        zoo = tenants.update_config(zoo.slug, message_channels={"sms": sms, "email": mail})
    stored = _stored(app, zoo.slug)
    assert stored["sms"]["sid"] == "DHAKAZOO" and stored["email"]["username"] == "zoo"
    assert "t0ken-secret" not in str(stored) and "s3cret-pw" not in str(stored)
    with in_tenant(zoo):
        sender = channels.sender_for("sms")
        assert isinstance(sender, SslWirelessSms) and channels.sender_for("sms") is sender  # cached
        assert "t0ken-secret" not in repr(sender)
        assert sender.send_sms("+8801712345678", "hello", key="k-1").startswith("accepted")
        email_sender = channels.sender_for("email")
        assert isinstance(email_sender, SmtpSender) and email_sender.settings.password == "s3cret-pw"
    assert provider.requests[-1]["json"]["api_token"] == "t0ken-secret"

    fort = make_tenant("fort", "events")
    with app.app_context():
        fort = tenants.update_config(fort.slug, message_channels={"sms": sms})  # zoo's sealed token, copied
    with in_tenant(fort), pytest.raises(channels.NotConfigured, match="do not open"):
        channels.sender_for("sms")


def test_without_settings_tests_use_the_outbox_and_production_refuses(app, production_app, make_tenant, in_tenant):
    from services.tenant_db import tenant_context

    zoo = make_tenant("zoo", "events")
    with in_tenant(zoo):
        outbox = channels.sender_for("email")
        assert outbox is notifications.sender() and outbox.idempotent is False
        answer = outbox.send_email("mita@example.com", "টিকিট", BANGLA, key="k-1", attachments=[PDF])
        assert answer == "kept in the development outbox"
        assert channels.sender_for("sms").send_sms("+8801712345678", BANGLA, key="k-2") == answer
    [sms, mail] = notifications.outbox().messages(zoo.slug)
    assert mail.attachments == ("tickets.pdf",) and sms.text == BANGLA

    with production_app.app_context(), tenant_context(zoo):
        with pytest.raises(channels.NotConfigured, match="no SMS provider is set up for this operator") as refused:
            channels.sender_for("sms")
        assert refused.value.retryable is False and isinstance(refused.value, DeliveryError)
        with pytest.raises(channels.NotConfigured, match="no email"):
            channels.sender_for("email")
        production_app.config["MESSAGES_TO_OUTBOX"] = True
        assert channels.sender_for("sms") is notifications.sender()
        production_app.config["MESSAGES_TO_OUTBOX"] = False
        off = tenants.update_config(zoo.slug, message_channels={"sms": {"enabled": False}})
    with production_app.app_context(), tenant_context(off):
        with pytest.raises(channels.NotConfigured, match="switched off"):
            channels.sender_for("sms")


def test_bad_settings_are_refused_before_they_are_stored(app, make_tenant):
    zoo = make_tenant("zoo", "events")
    with app.app_context():
        with pytest.raises(channels.ChannelError, match="api_token"):
            channels.seal_sms(zoo.slug, provider="sslwireless", url="https://x", sid="S", credentials={})
        with pytest.raises(channels.ChannelError, match="unknown SMS provider"):
            channels.seal_sms(zoo.slug, provider="twilio", url="https://x", sid="S", credentials={"api_token": "t"})
        with pytest.raises(channels.ChannelError, match="security"):
            channels.seal_email(zoo.slug, host="h", port=25, security="ssl", sender="a@b.c")
        with pytest.raises(channels.ChannelError, match="From"):
            channels.seal_email(zoo.slug, host="h", port=25, security="none", sender="tickets")


# --- the commands ------------------------------------------------------------------------------------

def test_the_sms_and_email_commands_seal_set_and_disable(app, make_tenant, in_tenant, provider):
    zoo = make_tenant("zoo", "events")
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["tenants", "sms", zoo.slug, "sslwireless", "--sid", "DHAKAZOO"])
    assert missing.exit_code != 0 and "api_token" in missing.output
    done = runner.invoke(args=["tenants", "sms", zoo.slug, "sslwireless", "--url", provider.url, "--sid", "DHAKAZOO",
                               "--credential", "api_token=t0ken-secret"])
    assert done.exit_code == 0, done.output
    assert "t0ken-secret" not in done.output

    asked = runner.invoke(args=["tenants", "email", zoo.slug, "--host", "smtp.zoo.example", "--from",
                                "Dhaka Zoo <tickets@zoo.example>", "--username", "zoo"], input="s3cret-pw\n")
    assert asked.exit_code == 0, asked.output
    assert "smtp.zoo.example:587 (starttls)" in asked.output
    stored = _stored(app, zoo.slug)
    assert stored["email"]["port"] == 587 and stored["sms"]["url"] == provider.url
    assert "t0ken-secret" not in str(stored) and "s3cret-pw" not in str(stored)
    with in_tenant(_fresh(app, zoo.slug)):
        assert channels.sender_for("sms").send_sms("01712345678", "hi", key="cli-1").startswith("accepted")
        assert channels.sender_for("email").settings.password == "s3cret-pw"

    tls = runner.invoke(args=["tenants", "email", zoo.slug, "--host", "smtp.zoo.example", "--security", "tls",
                              "--from", "tickets@zoo.example"])
    assert tls.exit_code == 0 and _stored(app, zoo.slug)["email"]["port"] == 465
    assert runner.invoke(args=["tenants", "email", zoo.slug, "--host", "h"]).exit_code != 0  # no --from

    for channel, args in (("sms", ["sslwireless"]), ("email", [])):
        off = runner.invoke(args=["tenants", channel, zoo.slug, *args, "--disable"])
        assert off.exit_code == 0 and "disabled" in off.output, off.output
    stored = _stored(app, zoo.slug)
    assert stored["sms"]["enabled"] is False and stored["sms"]["sid"] == "DHAKAZOO"  # kept, switched off
    assert stored["email"]["enabled"] is False
    with in_tenant(_fresh(app, zoo.slug)):
        assert channels.sender_for("sms") is notifications.sender()  # testing: the outbox again
    assert runner.invoke(args=["tenants", "sms", "nosuchtenant", "sslwireless", "--disable"]).exit_code != 0
