"""The operator's side of notifications on PostgreSQL: the log lists every message newest first, with
the counts by status, filters and a search by phone (any spelling), email or booking reference, and
pages of 50; a one-time code's text never reaches any page; resending needs bookings.manage and
makes a new row that points at the old one. Message templates: only settings.manage; the preview
renders in both languages with SMS length and parts; a wording with an unknown variable or broken
syntax is refused with 422 and changes nothing; saved, it is the tenant's own; reset, built-in again."""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from blueprints.web import money
from models import db
from models.base import utcnow
from models.bookings import Notification
from models.messaging import MessageTemplate
from models.people import AuditLog
from services.notify import templates as wording
from tests.support.messages import SECRET_CODE, make_booking, make_notification
from tests.support.people import login_staff, make_staff
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
_staff_numbers = itertools.count(1)


@pytest.fixture
def zoo(make_tenant):
    return make_tenant("zoo")


@pytest.fixture
def staff_as(zoo, in_tenant, client_for):
    """staff_as(role) -> a test client logged in as a new staff member with that role."""

    def login(role):
        _, email = make_staff(in_tenant, zoo, role, email=f"{role}{next(_staff_numbers)}@zoo.example.com")
        client = client_for(zoo)
        assert login_staff(client, email).status_code == 303
        return client

    return login


@pytest.fixture
def log(zoo, in_tenant):
    """A small log: a booking's SMS (sent) and email (failed), a reminder still queued, a code (sent)."""
    with in_tenant(zoo):
        booking = make_booking(reference="ZOO-2026-000777", phone="+8801711000002", email="guest@example.com")
        base = utcnow() - timedelta(hours=1)
        ids = {
            "sms": make_notification(booking=booking, status="sent", provider_answer="1001|OK queued as 55",
                                     created_at=base).id,
            "email": make_notification(booking=booking, channel="email", recipient="guest@example.com",
                                       subject="Your tickets: ZOO-2026-000777", body="Dear Karim,\n\nConfirmed.",
                                       status="failed", attempts=5, last_error="550 mailbox unavailable",
                                       attachment="tickets", created_at=base + timedelta(minutes=1)).id,
            "reminder": make_notification(kind="reminder", recipient="+8801811000003", status="queued",
                                          body="Reminder: Evening concert tomorrow.",
                                          created_at=base + timedelta(minutes=2)).id,
            "code": make_notification(kind="otp", recipient="+8801911000004", status="sent", sensitive=True,
                                      created_at=base + timedelta(minutes=3)).id,
        }
        ids["booking"] = booking.id
        return ids


def notification_rows(site, in_tenant):
    with in_tenant(site):
        return {n.id: (n.status, n.resent_from_id) for n in db.session.scalars(sa.select(Notification))}


def audit_actions(site, in_tenant):
    with in_tenant(site):
        return db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()


def listed(html: str, ids) -> list[int]:
    """Which of `ids` the log's table links to, in the order it shows them."""
    found = [(html.find(f'href="/staff/messages/{i}"'), i) for i in ids]
    return [i for at, i in sorted(found) if at >= 0]


# --- the log ----------------------------------------------------------------------------------------

def test_the_log_lists_every_message_newest_first_with_counts_and_links(log, staff_as):
    page = staff_as("viewer").get("/staff/messages")
    assert page.status_code == 200
    html = page.text
    assert listed(html, [log["sms"], log["email"], log["reminder"], log["code"]]) == [
        log["code"], log["reminder"], log["email"], log["sms"]]
    assert "Queued: 1" in html and "Sending: 0" in html and "Sent: 2" in html and "Failed: 1" in html
    assert "550 mailbox unavailable" in html and "1001|OK queued as 55" in html  # last error, provider's answer
    assert f'href="/staff/bookings/{log["booking"]}">ZOO-2026-000777</a>' in html
    assert "01711-000002" in html  # a phone number the way people write it
    assert "Booking confirmed (with the tickets)" in html and "Reminder, 24 hours before" in html


def test_the_log_filters_by_status_channel_and_kind(log, staff_as):
    viewer = staff_as("viewer")
    everything = [log["sms"], log["email"], log["reminder"], log["code"]]
    for query, expected in (({"status": "failed"}, [log["email"]]),
                            ({"status": "sent"}, [log["code"], log["sms"]]),
                            ({"channel": "email"}, [log["email"]]),
                            ({"kind": "reminder"}, [log["reminder"]]),
                            ({"status": "sent", "channel": "sms", "kind": "booking_confirmed"}, [log["sms"]]),
                            ({"kind": "no_such_kind"}, [])):
        page = viewer.get("/staff/messages", query_string=query)
        assert page.status_code == 200, query
        assert listed(page.text, everything) == expected, query
    assert "No message matches." in viewer.get("/staff/messages", query_string={"status": "sending"}).text
    assert viewer.get("/staff/messages", query_string={"status": "lost"}).status_code == 422


def test_the_search_finds_a_phone_in_any_spelling_an_email_or_a_booking_reference(log, staff_as):
    viewer = staff_as("viewer")
    everything = [log["sms"], log["email"], log["reminder"], log["code"]]
    for query, expected in (("01711-000002", [log["sms"]]), ("+880 1711 000002", [log["sms"]]),
                            ("8801711000002", [log["sms"]]), ("০১৭১১০০০০০২", [log["sms"]]),
                            ("GUEST@example.com", [log["email"]]),
                            ("zoo-2026-000777", [log["email"], log["sms"]]),
                            ("01811000003", [log["reminder"]]), ("01555000000", []), ("nobody", [])):
        page = viewer.get("/staff/messages", query_string={"q": query})
        assert page.status_code == 200, query
        assert listed(page.text, everything) == expected, query

    # Active search: htmx gets the results alone, and caches keep the page and the fragment apart.
    fragment = viewer.get("/staff/messages", query_string={"q": "01811000003"}, headers=HTMX)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert fragment.text.lstrip().startswith('<section id="message-results"') and "<html" not in fragment.text
    assert listed(fragment.text, everything) == [log["reminder"]]

    too_long = viewer.get("/staff/messages", query_string={"q": "x" * 300}, headers=HTMX)
    assert too_long.status_code == 422 and "Field cannot be longer than 254 characters" in too_long.text


def test_the_log_comes_in_pages_of_fifty(zoo, in_tenant, staff_as):
    with in_tenant(zoo):
        ids = [make_notification(recipient=f"+88017110{i:05d}", body=f"message {i}").id for i in range(55)]
    viewer = staff_as("viewer")
    first = viewer.get("/staff/messages", query_string={"channel": "sms"})
    assert listed(first.text, ids) == ids[:4:-1]  # the newest 50
    assert f'href="/staff/messages?before={ids[5]}&amp;channel=sms"' in first.text
    second = viewer.get("/staff/messages", query_string={"channel": "sms", "before": ids[5]})
    assert listed(second.text, ids) == ids[4::-1] and "Older messages" not in second.text


def test_a_message_page_shows_every_field_and_the_text(log, staff_as):
    page = staff_as("viewer").get(f"/staff/messages/{log['email']}")
    assert page.status_code == 200
    html = page.text
    assert "Your tickets: ZOO-2026-000777" in html and "Dear Karim,\n\nConfirmed." in html
    assert "550 mailbox unavailable" in html and "The tickets, as a PDF" in html and "guest@example.com" in html
    assert f'href="/staff/bookings/{log["booking"]}"' in html
    assert "Resend" not in html  # a viewer may look, not resend
    assert staff_as("viewer").get("/staff/messages/99999999").status_code == 404


def test_a_one_time_code_never_appears_on_any_page(zoo, log, staff_as, in_tenant):
    with in_tenant(zoo):
        sealed = db.session.get(Notification, log["code"]).body
    operator = staff_as("operator")
    pages = [operator.get("/staff/messages"), operator.get(f"/staff/messages/{log['code']}"),
             operator.get("/staff/messages", query_string={"q": "01911000004"}),
             operator.get("/staff/messages", query_string={"kind": "otp"}, headers=HTMX)]
    refused = operator.post(f"/staff/messages/{log['code']}/resend")
    pages.append(refused)
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 409]
    for page in pages:
        assert SECRET_CODE not in page.text and sealed not in page.text
    assert "(one-time code, hidden)" in pages[1].text
    assert "A one-time code is never sent again" in refused.text
    assert len(notification_rows(zoo, in_tenant)) == 4  # nothing was sent again


# --- resending --------------------------------------------------------------------------------------

def test_resending_needs_bookings_manage(zoo, log, staff_as, in_tenant):
    viewer, gate = staff_as("viewer"), staff_as("gate")
    before = notification_rows(zoo, in_tenant)
    assert viewer.get(f"/staff/messages/{log['email']}").status_code == 200
    assert gate.get("/staff/messages").status_code == 403
    assert gate.get(f"/staff/messages/{log['email']}").status_code == 403
    for client in (viewer, gate):
        assert client.post(f"/staff/messages/{log['email']}/resend").status_code == 403
    assert notification_rows(zoo, in_tenant) == before
    assert 'href="/staff/messages"' in viewer.get("/staff/").text
    assert 'href="/staff/messages"' not in gate.get("/staff/").text


def test_an_operator_resends_a_failed_message_as_a_new_row(zoo, log, staff_as, in_tenant):
    operator = staff_as("operator")
    assert ">Resend</button>" in operator.get(f"/staff/messages/{log['email']}").text

    done = operator.post(f"/staff/messages/{log['email']}/resend")
    assert done.status_code == 303
    rows = notification_rows(zoo, in_tenant)
    [new_id] = set(rows) - set(log.values())
    assert rows[new_id][1] == log["email"] and rows[log["email"]] == ("failed", None)  # the old row stays as it was
    assert done.headers["Location"].endswith(f"/staff/messages/{new_id}")
    assert "notification.resent" in audit_actions(zoo, in_tenant)

    new_page = operator.get(f"/staff/messages/{new_id}")
    assert "Sent again: this is the new message." in new_page.text
    assert f'href="/staff/messages/{log["email"]}"' in new_page.text  # sent again from
    chain = operator.get(f"/staff/messages/{log['email']}").text
    assert "The first message and every resend of it" in chain and f'href="/staff/messages/{new_id}"' in chain

    # A sent SMS goes again too (the customer lost it); one still on its way does not.
    assert operator.post(f"/staff/messages/{log['sms']}/resend").status_code == 303
    still_queued = operator.post(f"/staff/messages/{log['reminder']}/resend")
    assert still_queued.status_code == 409 and "still being sent" in still_queued.text
    assert ">Resend</button>" not in operator.get(f"/staff/messages/{log['reminder']}").text
    assert len(notification_rows(zoo, in_tenant)) == 6


# --- templates --------------------------------------------------------------------------------------

EDITOR = "/staff/messages/templates/booking_confirmed/sms/en"


def template_state(site, in_tenant):
    with in_tenant(site):
        return ([(t.kind, t.channel, t.language, t.subject, t.body) for t in db.session.scalars(
                    sa.select(MessageTemplate))],
                db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)))


def test_only_settings_managers_see_or_change_templates(zoo, staff_as, in_tenant):
    operator, viewer, admin = staff_as("operator"), staff_as("viewer"), staff_as("admin")
    before = template_state(zoo, in_tenant)
    for client in (operator, viewer):
        assert client.get("/staff/messages/templates").status_code == 403
        assert client.get(EDITOR).status_code == 403
        assert client.post(EDITOR + "/preview", data={"body": "Hi {{ name }}"}).status_code == 403
        assert client.post(EDITOR, data={"body": "Hi {{ name }}"}).status_code == 403
        assert client.post(EDITOR + "/reset").status_code == 403
    assert template_state(zoo, in_tenant) == before
    assert 'href="/staff/messages/templates"' not in operator.get("/staff/").text

    listing = admin.get("/staff/messages/templates")
    assert listing.status_code == 200 and listing.text.count("Built-in") == 24  # 6 kinds, 2 channels, 2 languages
    assert f'href="{EDITOR}"' in listing.text
    assert admin.get(EDITOR).status_code == 200
    for path in ("/staff/messages/templates/nothing/sms/en", "/staff/messages/templates/reminder/fax/en",
                 "/staff/messages/templates/reminder/sms/fr"):
        assert admin.get(path).status_code == 404, path


def test_the_editor_shows_the_built_in_wording_and_the_variables(staff_as):
    page = staff_as("admin").get("/staff/messages/templates/booking_confirmed/email/en")
    assert page.status_code == 200
    html = page.text
    assert "The built-in wording" in html and 'name="subject"' in html
    assert "Your tickets: {{ reference }}, {{ title }}" in html  # the subject's template
    assert "Your tickets: RAIL-2026-000123, 701 Subarna Express" in html  # and its preview
    assert "<code>{{ tickets_link }}</code>" in html and "The tickets page" in html
    sms = staff_as("admin").get(EDITOR).text
    assert 'name="subject"' not in sms and "SMS parts" in sms  # the built-in SMS, with the sample booking


def test_the_preview_renders_in_both_languages_with_sms_length_and_parts(zoo, staff_as, in_tenant):
    admin = staff_as("admin")
    english = admin.post(EDITOR + "/preview", data={"body": "{{ reference }} for {{ name }}, {{ seats }}"},
                         headers=HTMX)
    assert english.status_code == 200
    assert english.text.lstrip().startswith('<section id="template-preview"') and "<html" not in english.text
    text = "RAIL-2026-000123 for Rahima Khatun, KA-12, KA-13"
    assert text in english.text
    assert f"{len(text)} characters" in english.text and "1 SMS ·" in english.text and "GSM" in english.text

    with in_tenant(zoo):
        with force_locale("bn"):
            taka_bn = money(Decimal("1040"))
    assert taka_bn != "৳1,040.00"  # Bangla digits and the sign after the amount
    bangla = admin.post("/staff/messages/templates/booking_confirmed/sms/bn/preview",
                        data={"body": "{{ reference }} নিশ্চিত: {{ total }}। " + "টিকিট " * 20}, headers=HTMX)
    assert bangla.status_code == 200
    text = (f"RAIL-2026-000123 নিশ্চিত: {taka_bn}। " + "টিকিট " * 20).strip()
    assert f"RAIL-2026-000123 নিশ্চিত: {taka_bn}" in bangla.text and 'lang="bn"' in bangla.text
    assert f"{len(text)} characters" in bangla.text and f"{-(-len(text) // 67)} SMS parts" in bangla.text
    assert "Unicode" in bangla.text

    email = admin.post("/staff/messages/templates/refund_done/email/bn/preview",
                       data={"subject": "ফেরত: {{ reference }}", "body": "{{ amount }} ফেরত দেওয়া হয়েছে"},
                       headers=HTMX)
    assert email.status_code == 200 and "ফেরত: RAIL-2026-000123" in email.text

    broken = admin.post(EDITOR + "/preview", data={"body": "Hi {{ nobody }}"}, headers=HTMX)
    assert broken.status_code == 200 and "Unknown variable: nobody" in broken.text


@pytest.mark.parametrize("data, error", [
    ({"body": "Hello {{ nobody }}, {{ reference }}"}, "Unknown variable: nobody"),
    ({"body": "Hello {{ name "}, "Line 1:"),
    ({"body": "{% for x in seats %}{{ x }}"}, "Line 1:"),
    ({"body": "   "}, "Write the message."),
])
def test_a_wording_that_cannot_render_is_refused_and_changes_nothing(zoo, staff_as, in_tenant, data, error):
    admin = staff_as("admin")
    before = template_state(zoo, in_tenant)
    refused = admin.post(EDITOR, data=data, headers=HTMX)
    assert refused.status_code == 422 and error in refused.text
    assert refused.text.lstrip().startswith('<section id="template-editor"')  # the form's block alone
    assert 'aria-invalid="true"' in refused.text
    assert template_state(zoo, in_tenant) == before
    with in_tenant(zoo):
        assert wording.effective("booking_confirmed", "sms", "en")[2] is False


def test_an_email_needs_a_subject(zoo, staff_as, in_tenant):
    admin = staff_as("admin")
    before = template_state(zoo, in_tenant)
    refused = admin.post("/staff/messages/templates/reminder/email/en", data={"subject": "", "body": "Dear {{ name }}"})
    assert refused.status_code == 422 and "This cannot be empty." in refused.text
    assert template_state(zoo, in_tenant) == before


def test_a_saved_wording_is_the_tenants_own_until_reset(zoo, staff_as, in_tenant):
    admin = staff_as("admin")
    body = "{{ reference }}: {{ title }}, {{ when }}. Tickets {{ tickets_link }}"
    saved = admin.post(EDITOR, data={"body": body})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(EDITOR)
    with in_tenant(zoo):
        assert wording.effective("booking_confirmed", "sms", "en") == ("", body, True)
        assert wording.effective("booking_confirmed", "sms", "bn")[2] is False  # the other language is untouched
    assert "message_template.saved" in audit_actions(zoo, in_tenant)

    page = admin.get(EDITOR).text
    assert "Saved: these messages now use your wording." in page and "Your own wording" in page
    assert "Back to the built-in wording" in page
    assert admin.get("/staff/messages/templates").text.count("Your own wording") == 1

    email = admin.post("/staff/messages/templates/reminder/email/bn", data={"subject": "কাল: {{ title }}",
                                                                             "body": "প্রিয় {{ name }}"})
    assert email.status_code == 303
    with in_tenant(zoo):
        assert wording.effective("reminder", "email", "bn") == ("কাল: {{ title }}", "প্রিয় {{ name }}", True)

    reset = admin.post(EDITOR + "/reset")
    assert reset.status_code == 303 and reset.headers["Location"].endswith(EDITOR)
    with in_tenant(zoo):
        subject, text, own = wording.effective("booking_confirmed", "sms", "en")
        assert own is False and (subject, text) == wording.builtin("booking_confirmed", "sms", "en")
    assert "message_template.reset" in audit_actions(zoo, in_tenant)
    page = admin.get(EDITOR).text
    assert "Back to the built-in wording." in page and "The built-in wording" in page
    assert 'action="/staff/messages/templates/booking_confirmed/sms/en/reset"' not in page
