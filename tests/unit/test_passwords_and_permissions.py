import pytest

from services import passwords, permissions


def test_passwords_hash_with_argon2id_and_verify():
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "wrong")


def test_an_unknown_account_verifies_against_a_dummy_hash_and_fails():
    assert passwords.verify_password(None, "not-a-real-password") is False


@pytest.mark.parametrize("pw,ok", [("short", False), ("12345678901", False), ("longer password", True)])
def test_password_rules(pw, ok):
    assert (passwords.password_problem(pw) is None) is ok


def test_admin_can_do_everything_and_gate_only_scans():
    assert all(permissions.role_allows("admin", p) for p in permissions.PERMISSIONS)
    assert [p for p in permissions.PERMISSIONS if permissions.role_allows("gate", p)] == ["dashboard.view", "gate.scan"]


def test_every_role_may_see_the_dashboard_it_lands_on_after_login():
    assert all(permissions.role_allows(role, "dashboard.view") for role in permissions.ROLE_PERMISSIONS)


def test_viewer_is_read_only():
    allowed = {p for p in permissions.PERMISSIONS if permissions.role_allows("viewer", p)}
    assert allowed == permissions.READ_ONLY


def test_personal_grants_add_to_a_role():
    assert permissions.role_allows("gate", "reports.view", {"reports.view": True})
    assert not permissions.role_allows("gate", "reports.view", {"reports.view": False})


def test_unknown_permissions_are_a_bug_not_a_denial():
    with pytest.raises(KeyError):
        permissions.role_allows("admin", "rockets.launch")
