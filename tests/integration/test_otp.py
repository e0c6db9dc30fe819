"""One-time codes: 6 digits, 5 minutes, 5 attempts, a minute between sends, stored hashed."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.customers import OtpCode
from services import otp
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)

PHONE = "+8801712345678"


@pytest.fixture
def tenant(make_tenant, in_tenant):
    info = make_tenant("zoo")
    with in_tenant(info):
        yield info


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_has_six_digits_and_only_its_hash_is_stored(tenant):
    code = otp.issue("verify", PHONE)
    assert len(code) == 6 and code.isdigit()
    row = db.session.scalar(sa.select(OtpCode))
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.sent_at == timedelta(minutes=5)


def test_the_right_code_is_accepted_once(tenant):
    code = otp.issue("verify", PHONE)
    otp.check("verify", PHONE, code)
    db.session.commit()
    with pytest.raises(otp.OtpUnusable):
        otp.check("verify", PHONE, code)


def test_a_code_expires_after_five_minutes(tenant):
    sent = utcnow() - timedelta(minutes=10)
    code = otp.issue("verify", PHONE, now=sent)
    otp_still_good_at = sent + timedelta(minutes=4, seconds=59)
    otp.check("verify", PHONE, code, now=otp_still_good_at)  # accepted just inside the lifetime
    db.session.rollback()  # (not consumed: try again, now too late)
    with pytest.raises(otp.OtpUnusable):
        otp.check("verify", PHONE, code, now=sent + timedelta(minutes=5))


def test_five_wrong_attempts_use_the_code_up_even_for_the_right_code_after(tenant):
    code = otp.issue("verify", PHONE)
    for left in (4, 3, 2, 1):
        with pytest.raises(otp.OtpWrong) as caught:
            otp.check("verify", PHONE, _wrong(code))
        assert caught.value.attempts_left == left
    with pytest.raises(otp.OtpUnusable):  # the fifth wrong attempt
        otp.check("verify", PHONE, _wrong(code))
    with pytest.raises(otp.OtpUnusable, match="Too many"):
        otp.check("verify", PHONE, code)
    assert db.session.scalar(sa.select(OtpCode.attempts)) == 5


def test_a_new_code_waits_a_minute_and_replaces_the_old_one(tenant):
    start = utcnow() - timedelta(minutes=3)
    first = otp.issue("verify", PHONE, now=start)
    with pytest.raises(otp.OtpCooldown) as caught:
        otp.issue("verify", PHONE, now=start + timedelta(seconds=20))
    assert caught.value.retry_after == 40
    second = otp.issue("verify", PHONE, now=start + timedelta(seconds=60))
    if first != second:  # (one in a million they are equal)
        with pytest.raises(otp.OtpWrong):
            otp.check("verify", PHONE, first, now=start + timedelta(seconds=61))
    otp.check("verify", PHONE, second, now=start + timedelta(seconds=62))


def test_a_reissued_code_gets_five_fresh_attempts(tenant):
    start = utcnow() - timedelta(minutes=3)
    code = otp.issue("verify", PHONE, now=start)
    for _ in range(5):
        with pytest.raises(otp.OtpError):
            otp.check("verify", PHONE, _wrong(code), now=start + timedelta(seconds=1))
    code = otp.issue("verify", PHONE, now=start + timedelta(seconds=61))
    otp.check("verify", PHONE, code, now=start + timedelta(seconds=62))


def test_codes_are_per_purpose_and_destination(tenant):
    verify = otp.issue("verify", PHONE)
    reset = otp.issue("reset", PHONE)  # no cooldown across purposes
    other = otp.issue("verify", "+8801812345678")
    if verify != reset:
        with pytest.raises(otp.OtpWrong):
            otp.check("reset", PHONE, verify)
    otp.check("reset", PHONE, reset)
    otp.check("verify", "+8801812345678", other)


def test_concurrent_sends_issue_exactly_one_code(tenant, race):
    results = race(8, lambda: otp.issue("verify", "+8801912345678"))
    codes = [r for r in results if isinstance(r, str)]
    assert len(codes) == 1, results
    assert all(isinstance(r, otp.OtpCooldown) for r in results if not isinstance(r, str))


def test_concurrent_guesses_never_exceed_five_attempts(tenant, race):
    code = otp.issue("verify", "+8801612345678")
    results = race(12, lambda: otp.check("verify", "+8801612345678", _wrong(code)))
    assert sum(isinstance(r, otp.OtpWrong) for r in results) == 4
    assert sum(isinstance(r, otp.OtpUnusable) for r in results) == 8
    db.session.expire_all()
    assert db.session.scalar(sa.select(OtpCode.attempts)) == 5
