"""What an attacker can learn about other people's accounts, and what a customer is told about codes.

Registration, password resets and changing the phone or email on the profile answer the same way
whether or not an account has the number or email (the owner is told by message instead); the
code-check limit counts what is really being checked, not a form field; a customer who used up a
code's tries is told the truth and can get a new one; the reset link in an email opens on the
tenant's real host."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.customers import OtpCode
from models.people import AuditLog, User
from services import notifications
from tests.support.people import PASSWORD, last_code, login_customer, make_customer, next_phone
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


@pytest.fixture
def zoo(make_tenant):
    return make_tenant("zoo")


def _canonical(phone: str) -> str:
    return "+880" + phone[1:]


def _shown(canonical: str) -> str:
    local = "0" + canonical[4:]
    return f"{local[:5]}-{local[5:]}"


def _page_without(html: str, *contacts: str) -> str:
    """The page with the contact and everything that differs per session or minute taken out."""
    for contact in contacts:
        html = html.replace(contact, "CONTACT")
    html = re.sub(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"', "CSRF", html)  # signed CSRF tokens
    return re.sub(r"\d{1,2}:\d{2}\s*[AP]M", "TIME", html)


def _messages_to(tenant, contact):
    return notifications.outbox().messages(tenant.slug, to=contact)


def _users(in_tenant, tenant) -> int:
    with in_tenant(tenant):
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def _age_codes(in_tenant, tenant, seconds=61):
    """As if the codes had been sent `seconds` ago (past the resend cooldown)."""
    with in_tenant(tenant):
        db.session.execute(sa.update(OtpCode).values(sent_at=utcnow() - timedelta(seconds=seconds)))
        db.session.commit()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _register(client, **data):
    return client.post("/account/register", data={"name": "Someone", "password": "attacker-pass-1", **data})


# ---- registration -----------------------------------------------------------------------------

def test_registering_a_taken_number_answers_as_for_a_new_one_and_tells_the_owner(zoo, client_for, in_tenant,
                                                                                  monkeypatch):
    from services import passwords

    hashed = []
    real_hash = passwords.hash_password
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashed.append(p) or real_hash(p))
    _, taken = make_customer(in_tenant, zoo)
    hashed.clear()
    fresh = _canonical(next_phone())

    attacker, newcomer = client_for(zoo), client_for(zoo)
    on_taken = _register(attacker, phone=_shown(taken))
    on_fresh = _register(newcomer, phone=_shown(fresh))
    assert on_taken.status_code == on_fresh.status_code == 303
    assert on_taken.headers["Location"] == on_fresh.headers["Location"]
    assert len(hashed) == 2  # the same work either way (roughly the same time)

    taken_page = attacker.get("/account/verify").get_data(as_text=True)
    fresh_page = newcomer.get("/account/verify").get_data(as_text=True)
    assert _shown(taken) in taken_page
    assert _page_without(taken_page, _shown(taken)) == _page_without(fresh_page, _shown(fresh))
    for client in (attacker, newcomer):  # codes are counted the same way too
        wrong = client.post("/account/verify", data={"code": "000000"}, headers={"HX-Request": "true"})
        assert wrong.status_code == 422 and "4 attempts left" in wrong.get_data(as_text=True)

    notice = _messages_to(zoo, taken)[0].text.replace(_shown(taken), "")
    assert "already" in notice and "reset your password" in notice and not re.search(r"\b\d{6}\b", notice)
    assert re.search(r"\b\d{6}\b", _messages_to(zoo, fresh)[0].text)  # the newcomer got a real code
    assert _users(in_tenant, zoo) == 1  # nothing was created for either yet
    assert login_customer(client_for(zoo), taken, "attacker-pass-1").status_code == 422
    assert login_customer(client_for(zoo), taken, PASSWORD).status_code == 303  # the owner is untouched
    with in_tenant(zoo):
        audit = db.session.scalars(sa.select(AuditLog.action)).all()
        assert "customer.register_existing" in audit


def test_registering_a_taken_email_answers_as_for_a_new_one_and_tells_the_owner(zoo, client_for, in_tenant):
    make_customer(in_tenant, zoo, phone=None, email="mita@example.com")
    attacker, newcomer = client_for(zoo), client_for(zoo)
    on_taken = _register(attacker, email="Mita@Example.com")
    on_fresh = _register(newcomer, email="nila@example.com")
    assert on_taken.status_code == on_fresh.status_code == 303
    assert on_taken.headers["Location"] == on_fresh.headers["Location"]
    taken_page = attacker.get("/account/verify").get_data(as_text=True)
    fresh_page = newcomer.get("/account/verify").get_data(as_text=True)
    assert _page_without(taken_page, "mita@example.com") == _page_without(fresh_page, "nila@example.com")

    (notice,) = _messages_to(zoo, "mita@example.com")
    assert "already" in notice.text and not re.search(r"\b\d{6}\b", notice.text)
    code = last_code("nila@example.com", zoo)
    assert newcomer.post("/account/verify", data={"code": code}).status_code == 303
    assert newcomer.get("/account/profile").status_code == 200
    assert _users(in_tenant, zoo) == 2


def test_a_new_number_with_a_taken_email_gets_its_code_and_the_email_stays_with_its_owner(zoo, client_for,
                                                                                        in_tenant):
    owner_id, _ = make_customer(in_tenant, zoo, email="mita@example.com")
    phone = _canonical(next_phone())
    client = client_for(zoo)
    assert _register(client, phone=_shown(phone), email="mita@example.com").status_code == 303
    assert "already" in _messages_to(zoo, "mita@example.com")[0].text
    assert client.post("/account/verify", data={"code": last_code(phone, zoo)}).status_code == 303
    with in_tenant(zoo):
        new = db.session.scalar(sa.select(User).where(User.phone == phone))
        assert new.email is None and new.phone_verified_at is not None
        assert db.session.get(User, owner_id).email == "mita@example.com"


def test_a_registration_someone_abandons_holds_nothing_back(zoo, client_for, in_tenant):
    phone = _canonical(next_phone())
    _register(client_for(zoo), phone=_shown(phone))  # never verified
    _age_codes(in_tenant, zoo)
    owner = client_for(zoo)
    assert _register(owner, phone=_shown(phone), name="Real Owner").status_code == 303
    assert owner.post("/account/verify", data={"code": last_code(phone, zoo)}).status_code == 303
    assert "Real Owner" in owner.get("/account/profile").get_data(as_text=True)


# ---- password resets ----------------------------------------------------------------------------

def test_a_reset_for_an_unknown_number_answers_exactly_as_for_a_known_one_cooldown_and_tries_too(
        zoo, client_for, in_tenant):
    _, known = make_customer(in_tenant, zoo)
    unknown = _canonical(next_phone())
    answers = {}
    for label, phone in (("known", known), ("unknown", unknown)):
        client = client_for(zoo)
        first = client.post("/account/forgot", data={"identifier": _shown(phone)})
        page = client.get("/account/reset").get_data(as_text=True)
        wrong = client.post("/account/reset", data={"code": "000000", "password": "new-password-1"},
                            headers={"HX-Request": "true"})
        again = client.post("/account/forgot", data={"identifier": _shown(phone)}, headers={"HX-Request": "true"})
        answers[label] = (first.status_code, first.headers.get("Location"), _page_without(page, _shown(phone)),
                          wrong.status_code, _page_without(wrong.get_data(as_text=True), _shown(phone)),
                          again.status_code, _page_without(again.get_data(as_text=True), _shown(phone)))
    assert answers["known"] == answers["unknown"]
    status, _, _, wrong_status, wrong_html, again_status, again_html = answers["known"]
    assert status == 303 and wrong_status == 422 and "4 attempts left" in wrong_html
    assert again_status == 422 and "You can ask for another in" in again_html
    assert len(_messages_to(zoo, known)) == 1 and _messages_to(zoo, unknown) == []


def test_changing_the_phone_field_on_each_try_does_not_escape_the_code_check_limit(zoo, client_for, in_tenant,
                                                                                    app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_OTP_VERIFY", "3 per minute")
    _, phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    client.post("/account/forgot", data={"identifier": phone})
    statuses = [client.post("/account/reset", data={"phone": next_phone(), "code": "000000",
                                                    "password": "new-password-1"}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_changing_form_fields_on_the_verify_page_does_not_escape_its_limit_either(zoo, client_for, app,
                                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_OTP_VERIFY", "3 per minute")
    client = client_for(zoo)
    _register(client, phone=next_phone())
    statuses = [client.post("/account/verify", data={"phone": next_phone(), "email": f"x{i}@example.com",
                                                     "identifier": next_phone(), "code": "000000"}).status_code
                for i in range(4)]
    assert statuses == [422, 422, 422, 429]


# ---- used-up codes ------------------------------------------------------------------------------

def test_after_five_wrong_codes_the_page_says_so_and_when_a_new_code_can_come(zoo, client_for, in_tenant):
    phone = _canonical(next_phone())
    client = client_for(zoo)
    _register(client, phone=_shown(phone))
    code = last_code(phone, zoo)
    texts = [client.post("/account/verify", data={"code": _wrong(code)}).get_data(as_text=True) for _ in range(5)]
    assert "1 attempt left." in texts[3] and "attempts left" not in texts[3]

    locked = texts[4]
    assert "You have used every try for the code we sent to " + _shown(phone) in locked
    assert re.search(r"You can ask for a new code in \d+ seconds", locked)
    assert "We sent a 6-digit code" not in locked and 'name="code"' not in locked  # no form for a dead code

    early = client.post("/account/verify/resend", follow_redirects=True).get_data(as_text=True)
    assert "A code was sent a moment ago" in early  # refused, and said so
    assert "We sent a new code" not in early and "We sent a 6-digit code" not in early
    assert len(_messages_to(zoo, phone)) == 1

    _age_codes(in_tenant, zoo)
    assert "You can ask for a new code now." in client.get("/account/verify").get_data(as_text=True)
    later = client.post("/account/verify/resend", follow_redirects=True).get_data(as_text=True)
    assert f"We sent a new code to {_shown(phone)}" in later and "We sent a 6-digit code" in later
    new_code = last_code(phone, zoo)
    assert client.post("/account/verify", data={"code": new_code}).status_code == 303
    assert client.get("/account/profile").status_code == 200


def test_the_verify_page_never_claims_a_code_was_sent_when_none_was(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo, verified=False)  # made by a script: no code sent yet
    client = client_for(zoo)
    login_customer(client, phone)
    page = client.get("/account/verify").get_data(as_text=True)
    assert "No code has been sent to" in page and "We sent a 6-digit code" not in page
    assert "Send a code" in page


def test_a_reset_code_used_up_says_when_to_ask_again(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    client.post("/account/forgot", data={"identifier": phone})
    code = last_code(phone, zoo)
    for _ in range(5):
        answer = client.post("/account/reset", data={"code": _wrong(code), "password": "new-password-1"})
    html = answer.get_data(as_text=True)
    assert "You have used every try" in html and re.search(r"ask for a new code in \d+ seconds", html)
    assert 'name="code"' not in html and "/account/forgot" in html


# ---- the emailed reset link -----------------------------------------------------------------------

def test_the_emailed_reset_link_opens_on_the_tenants_own_host(zoo, client_for, in_tenant):
    make_customer(in_tenant, zoo, phone=None, email="mita@example.com")
    client = client_for(zoo)
    client.post("/account/forgot", data={"identifier": "mita@example.com"})
    link = re.search(r"https?://\S+", _messages_to(zoo, "mita@example.com")[0].text).group(0)
    assert link.startswith(f"http://{zoo.slug}.localhost/account/reset?token=")
    page = client_for(zoo).get(link)
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)


def test_full_urls_made_during_a_request_carry_the_requests_host_and_public_scheme(app, zoo, monkeypatch):
    from flask import url_for

    with app.test_request_context("/", base_url=f"http://{zoo.slug}.localhost:8123"):
        assert url_for("account.login", _external=True) == f"http://{zoo.slug}.localhost:8123/account/login"
        assert url_for("set_language").startswith(f"http://{zoo.slug}.localhost:8123/")  # served on every site
    with app.test_request_context("/", base_url="http://localhost:8123"):
        assert url_for("platform.home", _external=True) == "http://localhost:8123/"
    monkeypatch.setitem(app.config, "PREFERRED_URL_SCHEME", "https")  # TLS ends at the proxy in front
    with app.test_request_context("/", base_url=f"http://{zoo.slug}.example.org"):
        assert url_for("account.reset", token="t", _external=True) == f"https://{zoo.slug}.example.org/account/reset?token=t"


def test_public_port_from_the_environment_reaches_links_made_outside_a_request(app, zoo, monkeypatch, tmp_path):
    import config
    from services import tenants
    from tests.conftest import TEST_KEY

    monkeypatch.setenv("PUBLIC_PORT", "443")
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    loaded = config.load_config({"JATRA_ENV": "testing", "SECRET_KEY": "k" * 40, "DATA_ENCRYPTION_KEY": TEST_KEY,
                                 "INSTANCE_DIR": str(tmp_path)})
    assert loaded["PUBLIC_PORT"] == "443"
    for name in ("PUBLIC_PORT", "PREFERRED_URL_SCHEME"):
        monkeypatch.setitem(app.config, name, loaded[name])
    with app.app_context():
        assert tenants.tenant_url(zoo, "/account/login") == f"https://{zoo.slug}.localhost/account/login"


# ---- changing the phone or email on the profile ---------------------------------------------------

def _logged_in(client_for, in_tenant, tenant, **customer):
    user_id, login = make_customer(in_tenant, tenant, **customer)
    client = client_for(tenant)
    assert login_customer(client, login).status_code == 303
    return client, user_id, login


def _change_phone(client, phone):
    return client.post("/account/profile", data={"name": "Rahima Khatun", "phone": _shown(phone)})


def _contacts(in_tenant, tenant, user_id):
    with in_tenant(tenant):
        user = db.session.get(User, user_id)
        return user.phone, user.phone_verified_at is not None, user.email


def test_changing_the_phone_to_a_taken_number_answers_as_for_a_free_one_and_tells_the_owner(zoo, client_for,
                                                                                          in_tenant):
    owner_id, taken = make_customer(in_tenant, zoo, name="Owner")
    fresh = _canonical(next_phone())
    prober, prober_id, prober_phone = _logged_in(client_for, in_tenant, zoo)
    mover, mover_id, mover_phone = _logged_in(client_for, in_tenant, zoo)

    on_taken, on_fresh = _change_phone(prober, taken), _change_phone(mover, fresh)
    assert on_taken.status_code == on_fresh.status_code == 303
    assert on_taken.headers["Location"] == on_fresh.headers["Location"] == "/account/verify"
    pages = {}
    for label, client, contact, own in (("taken", prober, taken, prober_phone), ("fresh", mover, fresh, mover_phone)):
        verify = client.get("/account/verify").get_data(as_text=True)
        profile = client.get("/account/profile").get_data(as_text=True)
        wrong = client.post("/account/verify", data={"code": "000000"}, headers={"HX-Request": "true"})
        assert f"We sent a 6-digit code to {_shown(contact)}" in verify
        assert f"Waiting for the code sent to {_shown(contact)}" in profile
        pages[label] = (_page_without(verify, _shown(contact)), _page_without(profile, _shown(contact), _shown(own)),
                        wrong.status_code, _page_without(wrong.get_data(as_text=True), _shown(contact)))
    assert pages["taken"] == pages["fresh"]
    assert pages["taken"][2] == 422 and "4 attempts left" in pages["taken"][3]

    notice = _messages_to(zoo, taken)[0].text.replace(_shown(taken), "")
    assert len(_messages_to(zoo, taken)) == 1
    assert "another Zoo account" in notice and not re.search(r"\b\d{6}\b", notice)
    assert re.search(r"\b\d{6}\b", _messages_to(zoo, fresh)[0].text)  # the free number got a real code
    assert _contacts(in_tenant, zoo, prober_id) == (prober_phone, True, None)  # nothing changed
    assert _contacts(in_tenant, zoo, owner_id) == (taken, True, None)
    assert _contacts(in_tenant, zoo, mover_id) == (mover_phone, True, None)  # not before its code
    with in_tenant(zoo):
        (tried,) = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "customer.contact_change_existing"))
        assert (tried.actor_id, tried.resource_id) == (prober_id, str(owner_id))


def test_changing_the_email_to_a_taken_one_answers_as_for_a_free_one(zoo, client_for, in_tenant):
    make_customer(in_tenant, zoo, phone=None, email="mita@example.com")
    prober, prober_id, prober_phone = _logged_in(client_for, in_tenant, zoo)
    mover, _, mover_phone = _logged_in(client_for, in_tenant, zoo)
    answers = [client.post("/account/profile", data={"name": "Rahima Khatun", "phone": phone, "email": email})
               for client, phone, email in ((prober, prober_phone, "Mita@Example.com"),
                                            (mover, mover_phone, "nila@example.com"))]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert _page_without(prober.get("/account/verify").get_data(as_text=True), "mita@example.com") == \
        _page_without(mover.get("/account/verify").get_data(as_text=True), "nila@example.com")
    (notice,) = _messages_to(zoo, "mita@example.com")
    assert "another Zoo account" in notice.text and not re.search(r"\b\d{6}\b", notice.text)
    assert _contacts(in_tenant, zoo, prober_id) == (prober_phone, True, None)


def test_a_free_number_replaces_the_old_one_only_after_its_code(zoo, client_for, in_tenant):
    client, user_id, old_phone = _logged_in(client_for, in_tenant, zoo)
    fresh = _canonical(next_phone())
    _change_phone(client, fresh)
    code = last_code(fresh, zoo)
    assert client.post("/account/verify", data={"code": _wrong(code)}).status_code == 422
    assert _contacts(in_tenant, zoo, user_id) == (old_phone, True, None)

    done = client.post("/account/verify", data={"code": code}, follow_redirects=True).get_data(as_text=True)
    assert f"Thank you: {_shown(fresh)} is verified." in done
    assert f'value="{_shown(fresh)}"' in done and "Waiting for the code" not in done
    assert _contacts(in_tenant, zoo, user_id) == (fresh, True, None)
    assert login_customer(client_for(zoo), fresh).status_code == 303
    assert login_customer(client_for(zoo), old_phone).status_code == 422  # the old number left the account


def test_a_pending_change_can_be_cancelled_and_the_code_then_changes_nothing(zoo, client_for, in_tenant):
    client, user_id, old_phone = _logged_in(client_for, in_tenant, zoo)
    fresh = _canonical(next_phone())
    _change_phone(client, fresh)
    cancelled = client.post("/account/profile/cancel-change", follow_redirects=True).get_data(as_text=True)
    assert "The change is cancelled" in cancelled and "Waiting for the code" not in cancelled
    answer = client.post("/account/verify", data={"code": last_code(fresh, zoo)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/account/profile"
    assert _contacts(in_tenant, zoo, user_id) == (old_phone, True, None)


def test_a_name_saves_at_once_and_only_one_new_contact_is_asked_for_at_a_time(zoo, client_for, in_tenant):
    client, user_id, phone = _logged_in(client_for, in_tenant, zoo)
    both = client.post("/account/profile", data={"name": "Rahima", "phone": next_phone(), "email": "r@example.com"})
    assert both.status_code == 422 and "Change one contact at a time" in both.get_data(as_text=True)
    swap = client.post("/account/profile", data={"name": "Rahima", "email": "r@example.com"})
    assert swap.status_code == 422 and "until the new one is verified" in swap.get_data(as_text=True)
    renamed = client.post("/account/profile", data={"name": "Rahima K.", "phone": _shown(phone)})
    assert renamed.headers["Location"] == "/account/profile"
    with in_tenant(zoo):
        user = db.session.get(User, user_id)
        assert (user.name, user.phone, user.email) == ("Rahima K.", phone, None)


def test_two_customers_verifying_a_change_to_the_same_free_number_at_once_leave_one_owner(zoo, client_for,
                                                                                        in_tenant, race):
    fresh = _canonical(next_phone())
    first, first_id, _ = _logged_in(client_for, in_tenant, zoo)
    second, second_id, _ = _logged_in(client_for, in_tenant, zoo)
    for client in (first, second):  # the second asks within the cooldown: the first code still works
        assert _change_phone(client, fresh).status_code == 303
    code = last_code(fresh, zoo)
    clients = iter((first, second))
    with in_tenant(zoo):
        answers = race(2, lambda: next(clients).post("/account/verify", data={"code": code}))
    assert sorted(a.status_code for a in answers) == [303, 422]
    loser = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert f"The code we sent to {_shown(fresh)} no longer works." in loser and "Send a new code" in loser
    with in_tenant(zoo):
        owners = db.session.scalars(sa.select(User.id).where(User.phone == fresh)).all()
    assert len(owners) == 1 and owners[0] in (first_id, second_id)


def test_a_number_another_account_gets_meanwhile_gives_a_clear_message_and_changes_nothing(zoo, client_for,
                                                                                          in_tenant):
    client, user_id, old_phone = _logged_in(client_for, in_tenant, zoo)
    fresh = _canonical(next_phone())
    _change_phone(client, fresh)
    code = last_code(fresh, zoo)
    other_id, _ = make_customer(in_tenant, zoo, phone=fresh)  # an operator's script gives it away meanwhile
    answer = client.post("/account/verify", data={"code": code}, follow_redirects=True)
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "Another account got this mobile number before you entered the code. Nothing was changed." in text
    assert "Waiting for the code" not in text
    assert _contacts(in_tenant, zoo, user_id) == (old_phone, True, None)
    assert _contacts(in_tenant, zoo, other_id)[0] == fresh


def test_a_number_that_gets_an_account_while_its_code_is_entered_gives_a_clear_message(zoo, client_for,
                                                                                     in_tenant):
    fresh = _canonical(next_phone())
    client = client_for(zoo)
    assert _register(client, phone=fresh).status_code == 303
    code = last_code(fresh, zoo)
    make_customer(in_tenant, zoo, phone=fresh)  # someone else's registration finished first
    answer = client.post("/account/verify", data={"code": code})
    assert answer.status_code == 422
    assert f"{_shown(fresh)} has an account already: log in, or reset your password" in answer.get_data(as_text=True)
    with in_tenant(zoo):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.phone == fresh)) == 1
