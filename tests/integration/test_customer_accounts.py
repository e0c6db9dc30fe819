"""Customers register, verify their phone with a code, log in, reset a password, keep a profile
and saved passengers; sessions are theirs alone."""
import re

import pytest
import sqlalchemy as sa

from models import db
from models.customers import SavedPassenger
from models.people import AuditLog, User
from services import crypto
from tests.support.people import (PASSWORD, last_code, login_customer, login_staff, make_customer, make_staff,
                                  next_phone)
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


@pytest.fixture
def zoo(make_tenant):
    return make_tenant("zoo")


def _actions(in_tenant, tenant):
    with in_tenant(tenant):
        return [a.action for a in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]


def test_a_customer_registers_with_a_phone_verifies_it_and_is_logged_in(zoo, client_for, in_tenant):
    client = client_for(zoo)
    phone = next_phone()
    answer = client.post("/account/register", data={"name": "Karim Uddin", "phone": phone.replace("017", "017-", 1),
                                                    "password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account/verify")
    page = client.get("/account/verify").get_data(as_text=True)
    assert f"{phone[:5]}-{phone[5:]}" in page
    with in_tenant(zoo):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0  # nothing until the code

    canonical = "+880" + phone[1:]
    wrong_code = "000000" if last_code(canonical, zoo) != "000000" else "111111"
    wrong = client.post("/account/verify", data={"code": wrong_code})
    assert wrong.status_code == 422 and "attempts left" in wrong.get_data(as_text=True)
    ok = client.post("/account/verify", data={"code": last_code(canonical, zoo)})
    assert ok.status_code == 303
    with in_tenant(zoo):
        user = db.session.scalar(sa.select(User))
        assert user.phone == canonical and user.phone_verified_at is not None
        assert user.password_hash.startswith("$argon2id$")
    assert "Karim Uddin" in client.get("/account/bookings").get_data(as_text=True)
    assert _actions(in_tenant, zoo) == ["customer.register"]
    with in_tenant(zoo):
        assert db.session.scalar(sa.select(AuditLog)).changes["after"]["verified"] == canonical


@pytest.mark.parametrize("data,field_error", [
    ({"name": "A", "phone": "01212345678", "password": PASSWORD}, "013 to 019"),
    ({"name": "A", "phone": "", "email": "", "password": PASSWORD}, "mobile number or an email"),
    ({"name": "A", "email": "not-an-email", "password": PASSWORD}, "valid email"),
    ({"name": "A", "phone": "01712345678", "password": "short"}, "at least 8"),
])
def test_registration_errors_are_shown_on_the_form_and_change_nothing(zoo, client_for, in_tenant, data, field_error):
    answer = client_for(zoo).post("/account/register", data=data, headers={"HX-Request": "true"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert field_error in html.replace("&#39;", "'") and "<form" in html and "<html" not in html
    with in_tenant(zoo):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_a_number_registered_once_in_another_form_makes_no_second_account(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    typed = "+880 " + phone[4:8] + "-" + phone[8:]
    client = client_for(zoo)
    answer = client.post("/account/register", data={"name": "B", "phone": typed, "password": PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account/verify")
    with in_tenant(zoo):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert login_customer(client_for(zoo), phone, PASSWORD).status_code == 303  # the owner's password is theirs


def test_login_works_with_phone_in_any_form_or_email(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo, email="rahima@example.com")
    for identifier in ("0" + phone[4:], phone, "RAHIMA@example.com"):
        client = client_for(zoo)
        assert login_customer(client, identifier).status_code == 303
        assert client.get("/account/profile").status_code == 200


def test_a_wrong_password_or_unknown_account_gets_one_message_and_an_audit_row(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    wrong = login_customer(client, phone, "not-the-password")
    unknown = login_customer(client, "01899999999", PASSWORD)
    assert wrong.status_code == unknown.status_code == 422
    message = "do not match an account"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert _actions(in_tenant, zoo)[-2:] == ["customer.login_failed", "customer.login_failed"]
    with in_tenant(zoo):
        row = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert row.actor_label == "+8801899999999" and row.ip_address == "127.0.0.1"


def test_an_unknown_account_still_costs_a_password_verification(zoo, client_for, monkeypatch):
    from services import passwords

    calls = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    login_customer(client_for(zoo), "nobody@example.com", PASSWORD)
    assert calls == [None]  # verified against the dummy hash (see the unit tests), like a wrong password


def test_login_starts_a_fresh_session(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    client.get("/account/login")
    with client.session_transaction(f"http://{zoo.slug}.localhost/") as before:
        before["planted"] = "by someone else"
        before["_user_id"] = "customer:99:1"
    login_customer(client, phone)
    with client.session_transaction(f"http://{zoo.slug}.localhost/") as after:
        assert "planted" not in after and after["_user_id"].startswith(f"customer:{zoo.slug}:")


def test_session_and_remember_cookies_are_httponly_lax_and_secure_when_configured(zoo, client_for, in_tenant, app,
                                                                                 monkeypatch):
    _, phone = make_customer(in_tenant, zoo)
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    answer = client_for(zoo).post("/account/login", data={"identifier": phone, "password": PASSWORD, "remember": "y"})
    cookies = answer.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        cookie = next(c for c in cookies if c.startswith(name))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie, cookie


def test_remember_me_survives_the_session_and_log_out_everywhere_ends_every_session(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    phone_browser, laptop = client_for(zoo), client_for(zoo)
    login_customer(laptop, phone)
    phone_browser.post("/account/login", data={"identifier": phone, "password": PASSWORD, "remember": "y"})
    phone_browser.delete_cookie("session", domain=f"{zoo.slug}.localhost")  # the browser was closed
    assert phone_browser.get("/account/profile").status_code == 200  # remembered

    assert laptop.post("/account/logout-everywhere").status_code == 303
    assert laptop.get("/account/profile").status_code == 302
    phone_browser.delete_cookie("session", domain=f"{zoo.slug}.localhost")
    assert phone_browser.get("/account/profile").status_code == 302  # the remember cookie is void too
    assert "customer.logout_everywhere" in _actions(in_tenant, zoo)


def test_a_forgotten_password_is_reset_with_an_sms_code(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    other_device = client_for(zoo)
    login_customer(other_device, phone)

    client = client_for(zoo)
    answer = client.post("/account/forgot", data={"identifier": "0" + phone[4:]})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/account/reset")
    bad = client.post("/account/reset", data={"code": "12345", "password": "new-password-1"})
    assert bad.status_code == 422
    ok = client.post("/account/reset", data={"code": last_code(phone, zoo), "password": "new-password-1"})
    assert ok.status_code == 303
    assert client.get("/account/profile").status_code == 200  # logged in with the new password
    assert other_device.get("/account/profile").status_code == 302  # every other session ended
    assert login_customer(client_for(zoo), phone, "new-password-1").status_code == 303
    assert login_customer(client_for(zoo), phone, PASSWORD).status_code == 422
    assert "customer.password_reset" in _actions(in_tenant, zoo)


def test_a_forgotten_password_is_reset_with_an_email_link_that_works_once(zoo, client_for, in_tenant):
    from services import notifications

    make_customer(in_tenant, zoo, phone=None, email="mita@example.com")
    client = client_for(zoo)
    answer = client.post("/account/forgot", data={"identifier": "mita@example.com"})
    assert answer.status_code == 200 and "we sent it a link" in answer.get_data(as_text=True)
    mail = notifications.outbox().messages(zoo.slug, to="mita@example.com")[0]
    link = re.search(r"http://\S+", mail.text).group(0)
    path = link.split(".localhost", 1)[1].split("/", 1)[1]
    token = re.search(r"token=([^&\s]+)", path).group(1)
    assert client.post("/account/reset", data={"token": token, "password": "brand-new-pass"}).status_code == 303
    again = client_for(zoo).post("/account/reset", data={"token": token, "password": "another-pass-2"})
    assert again.status_code == 422 and "has been used" in again.get_data(as_text=True)
    assert login_customer(client_for(zoo), "mita@example.com", "brand-new-pass").status_code == 303


def test_asking_for_a_reset_does_not_reveal_whether_an_account_exists(zoo, client_for):
    from services import notifications

    answer = client_for(zoo).post("/account/forgot", data={"identifier": "01911111111"})
    assert answer.status_code == 303  # same answer as for a real account
    assert notifications.outbox().messages(zoo.slug, to="+8801911111111") == []


def test_the_profile_keeps_the_nid_encrypted_and_a_changed_phone_needs_its_code(zoo, client_for, in_tenant):
    user_id, phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    login_customer(client, phone)
    bad = client.post("/account/profile", data={"name": "Rahima", "phone": phone, "nid": "12345"})
    assert bad.status_code == 422 and "10, 13 or 17 digits" in bad.get_data(as_text=True)
    new_phone = next_phone()
    ok = client.post("/account/profile", data={"name": "Rahima K.", "phone": new_phone, "nid": "1990 1234 567 89"})
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/account/verify")
    with in_tenant(zoo):
        user = db.session.get(User, user_id)
        assert "1990123456789" not in user.nid_encrypted
        assert crypto.open_sealed(user.nid_encrypted, "nid") == "1990123456789"
        assert user.name == "Rahima K." and user.phone == phone  # the new number waits for its code
    assert "1990123456789" in client.get("/account/profile").get_data(as_text=True)
    assert "customer.profile_update" in _actions(in_tenant, zoo)
    canonical = "+880" + new_phone[1:]
    assert client.post("/account/verify", data={"code": last_code(canonical, zoo)}).status_code == 303
    with in_tenant(zoo):
        user = db.session.get(User, user_id)
        assert user.phone == canonical and user.phone_verified_at is not None


def test_saved_passengers_are_added_listed_and_removed_by_their_owner_only(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo)
    _, other_phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    login_customer(client, phone)
    bad = client.post("/account/passengers", data={"name": "Amma", "document_kind": "nid", "document_number": "12"})
    assert bad.status_code == 422
    ok = client.post("/account/passengers", data={"name": "Amma", "date_of_birth": "1961-03-26", "gender": "female",
                                                  "document_kind": "passport", "document_number": "bx0123456"})
    assert ok.status_code == 303
    page = client.get("/account/passengers").get_data(as_text=True)
    assert "Amma" in page and "BX0123456" in page
    with in_tenant(zoo):
        saved = db.session.scalar(sa.select(SavedPassenger))
        assert "BX0123456" not in saved.document_number_encrypted

    thief = client_for(zoo)
    login_customer(thief, other_phone)
    thief.post(f"/account/passengers/{saved.id}/delete")
    assert "Amma" in client.get("/account/passengers").get_data(as_text=True)
    client.post(f"/account/passengers/{saved.id}/delete")
    assert "No saved passengers yet" in client.get("/account/passengers").get_data(as_text=True)


def test_customer_pages_need_a_customer_and_the_header_shows_who_is_logged_in(zoo, client_for, in_tenant):
    _, phone = make_customer(in_tenant, zoo, name="Nusrat Jahan")
    client = client_for(zoo)
    for path in ("/account/profile", "/account/passengers", "/account/bookings", "/account/verify"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/account/login" in answer.headers["Location"]
    home = client.get("/").get_data(as_text=True)
    assert "/account/login" in home and "/account/register" in home
    login_customer(client, phone)
    home = client.get("/").get_data(as_text=True)
    assert "Nusrat Jahan" in home and "/account/register" not in home
    assert "no bookings yet" in client.get("/account/bookings").get_data(as_text=True)


def test_a_customer_session_is_never_a_staff_session(zoo, client_for, in_tenant):
    _, staff_email = make_staff(in_tenant, zoo, "admin")  # staff id 1 exists, as does customer id 1
    user_id, phone = make_customer(in_tenant, zoo)
    assert user_id == 1
    client = client_for(zoo)
    login_customer(client, phone)
    answer = client.get("/staff/")
    assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]
    with client.session_transaction(f"http://{zoo.slug}.localhost/") as session:
        kind, site, key = session["_user_id"].split(":")
        assert (kind, site) == ("customer", zoo.slug)
        session["_user_id"] = f"staff:{site}:{key}"  # the customer's own login session, claimed as staff's
    assert client.get("/staff/").status_code == 302
    staff_client = client_for(zoo)
    login_staff(staff_client, staff_email)
    with staff_client.session_transaction(f"http://{zoo.slug}.localhost/") as staff_session:
        staff_id = staff_session["_user_id"]
    with client.session_transaction(f"http://{zoo.slug}.localhost/") as session:
        session["_user_id"] = staff_id
    assert client.get("/staff/").status_code == 200  # (control: the session is read, and is staff's now)


def test_a_staff_session_is_not_a_customer_session(zoo, client_for, in_tenant):
    _, email = make_staff(in_tenant, zoo, "admin")
    make_customer(in_tenant, zoo)
    client = client_for(zoo)
    client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert client.get("/staff/").status_code == 200
    assert client.get("/account/profile").status_code == 302


def test_a_customer_session_from_one_tenant_is_nothing_on_another(make_tenant, client_for, in_tenant):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    _, phone = make_customer(in_tenant, zoo)
    make_customer(in_tenant, fort)  # fort has a customer 1 too, another person
    zoo_client = client_for(zoo)
    login_customer(zoo_client, phone)
    cookie = zoo_client.get_cookie("session", domain=f"{zoo.slug}.localhost")
    fort_client = client_for(fort)
    fort_client.set_cookie("session", cookie.value, domain=f"{fort.slug}.localhost")
    assert fort_client.get("/account/profile").status_code == 302
    # and the same credentials mean nothing on fort
    assert login_customer(client_for(fort), phone).status_code == 422


def test_the_dev_outbox_shows_this_tenants_messages_only(make_tenant, client_for):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    phone = next_phone()
    client_for(zoo).post("/account/register", data={"name": "Z", "phone": phone, "password": PASSWORD})
    canonical = "+880" + phone[1:]
    assert canonical in client_for(zoo).get("/dev/outbox").get_data(as_text=True)
    assert canonical not in client_for(fort).get("/dev/outbox").get_data(as_text=True)
