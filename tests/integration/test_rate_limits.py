"""Rate limits on login, registration and one-time codes: a friendly 429 that says when to retry."""
import pytest

from tests.support.people import PASSWORD, login_customer, make_customer, make_staff, next_phone
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


@pytest.fixture
def small_limits(app, monkeypatch):
    for name in ("RATE_LIMIT_LOGIN_ACCOUNT", "RATE_LIMIT_REGISTER", "RATE_LIMIT_OTP_SEND", "RATE_LIMIT_OTP_VERIFY"):
        monkeypatch.setitem(app.config, name, "3 per minute")
    monkeypatch.setitem(app.config, "RATE_LIMIT_LOGIN_ADDRESS", "5 per minute")


def test_the_limiter_keeps_its_counts_in_redis_under_the_run_prefix(app):
    from blueprints.limits import limiter

    assert app.config["RATELIMIT_STORAGE_URI"] == app.config["REDIS_URL"]
    assert app.config["RATELIMIT_KEY_PREFIX"].startswith(app.config["REDIS_KEY_PREFIX"])
    assert type(limiter.storage).__name__.lower().startswith("redis")


def test_repeated_failed_logins_get_a_429_page_that_says_when_to_retry(small_limits, make_tenant, in_tenant,
                                                                       client_for):
    zoo = make_tenant("zoo")
    _, phone = make_customer(in_tenant, zoo)
    client = client_for(zoo)
    for _ in range(3):
        assert login_customer(client, phone, "wrong-password").status_code == 422
    blocked = login_customer(client, phone, PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    retry = int(blocked.headers["Retry-After"])
    assert 1 <= retry <= 61  # the window is a minute (reset times are whole seconds)
    html = blocked.get_data(as_text=True)
    assert "Too many attempts" in html and f"try again in {retry} seconds" in html
    assert client.get("/account/login").status_code == 200  # only posts count


def test_the_login_limit_is_per_account_and_per_address(small_limits, make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    client = client_for(zoo)
    statuses = [login_customer(client, next_phone(), "whatever-pass").status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]  # many accounts from one address: the address limit


def test_limits_are_per_tenant(small_limits, make_tenant, in_tenant, client_for):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    _, email = make_staff(in_tenant, zoo, "admin")
    for _ in range(3):
        client_for(zoo).post("/staff/login", data={"email": email, "password": "nope-nope-1"})
    assert client_for(zoo).post("/staff/login", data={"email": email, "password": "x"}).status_code == 429
    assert client_for(fort).post("/staff/login", data={"email": email, "password": "x"}).status_code == 422


def test_registration_is_limited(small_limits, make_tenant, client_for):
    zoo = make_tenant("zoo")
    client = client_for(zoo)
    statuses = [client.post("/account/register", data={"name": "N", "phone": next_phone(), "password": PASSWORD})
                .status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]


def test_sending_and_checking_codes_is_limited(small_limits, make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    client = client_for(zoo)
    sends = [client.post("/account/forgot", data={"identifier": next_phone()}).status_code for _ in range(4)]
    assert sends == [303, 303, 303, 429]

    _, phone = make_customer(in_tenant, zoo, verified=False)
    login_customer(client, phone)
    checks = [client.post("/account/verify", data={"code": "000000"}).status_code for _ in range(4)]
    assert checks[-1] == 429 and all(s in (422, 303) for s in checks[:3])


def test_an_htmx_form_gets_the_429_message_as_a_fragment(small_limits, make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    client = client_for(zoo)
    for _ in range(3):
        login_customer(client, "01711111111", "wrong-password")
    answer = client.post("/account/login", data={"identifier": "01711111111", "password": "x"},
                         headers={"HX-Request": "true"})
    assert answer.status_code == 429 and "<html" not in answer.get_data(as_text=True)
    assert "Too many attempts" in answer.get_data(as_text=True)
