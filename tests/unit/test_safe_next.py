"""`safe_next`: after a login or a language switch, only ever a path on this same site."""
import pytest

from blueprints.redirects import safe_next
from tests.support.redirects import LOCAL_TARGETS, OPEN_REDIRECT_ATTEMPTS

DEFAULT = "/home"


@pytest.mark.parametrize("target", OPEN_REDIRECT_ATTEMPTS)
def test_a_target_that_could_leave_the_site_gives_the_default(target):
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize(("target", "expected"), LOCAL_TARGETS.items())
def test_a_path_on_the_site_is_kept(target, expected):
    assert safe_next(target, DEFAULT) == expected


@pytest.mark.parametrize("target", [None, 42, b"/bytes"])
def test_no_target_gives_the_default(target):
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize(("target", "kept"), [
    ("/staff", True), ("/staff/", True), ("/staff/people?x=1", True), ("/st%61ff/audit", True),
    ("/staffing", False), ("/account/profile", False), ("/staff/../account/profile", False),
    ("/staff/%2e%2e/account", False), ("/", False),
])
def test_under_keeps_to_one_area(target, kept):
    assert safe_next(target, DEFAULT, under="/staff") == (target if kept else DEFAULT)


def test_every_answer_is_a_header_safe_local_path():
    for target in [*OPEN_REDIRECT_ATTEMPTS, *LOCAL_TARGETS]:
        answer = safe_next(target, DEFAULT)
        assert answer.isascii() and answer.startswith("/") and not answer.startswith("//")
        assert not any(ord(ch) < 0x21 or ch == "\\" for ch in answer), repr(answer)
