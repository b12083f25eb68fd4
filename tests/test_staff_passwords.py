"""Weak passwords are refused everywhere one is set, with a message that says what to do."""

import pytest

from intake import accounts
from intake.models import StaffRole
from testkit.factories import DEFAULT_PASSWORD
from tests.staff_support import ADMIN_EMAIL, STAFF_EMAIL, add_staff, audit_events, log_in
from tests.support import csrf_token

WEAK = ["aaaaaaaaaaaa", "111111111111", "password1234", "qwertyuiop12", "staff@example.org1"]


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("password", WEAK)
def test_an_estimator_refuses_passwords_easy_to_guess(app_context, password):
    with pytest.raises(accounts.AccountError, match="too easy to guess"):
        accounts.check_password_strength(password, [STAFF_EMAIL])


@pytest.mark.backends("sqlite")
def test_unrelated_words_pass(app_context):
    accounts.check_password_strength(DEFAULT_PASSWORD, [STAFF_EMAIL])
    accounts.check_password_strength("lantern orbit pickle fjord", [STAFF_EMAIL])


def test_an_admin_cannot_create_an_account_with_a_weak_password(app, client):
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    log_in(client, ADMIN_EMAIL)
    token = csrf_token(client, "/staff/admin/accounts")
    data = {
        "csrf_token": token,
        "email": "new@example.org",
        "role": "staff",
        "new_password": "aaaaaaaaaaaa",
        "confirm_password": "aaaaaaaaaaaa",
    }
    response = client.post("/staff/admin/accounts", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This password is too easy to guess." in page
    assert "Repeats like" in page  # the estimator's own advice
    assert audit_events(app, "staff.create") == []


def test_staff_cannot_change_to_a_weak_password(app, client):
    add_staff(app)
    log_in(client)
    token = csrf_token(client, "/staff/account")
    data = {
        "csrf_token": token,
        "current_password": DEFAULT_PASSWORD,
        "new_password": "111111111111",
        "confirm_password": "111111111111",
    }
    response = client.post("/staff/account/password", data=data)
    assert response.status_code == 400
    assert "too easy to guess" in response.get_data(as_text=True)
    assert audit_events(app, "auth.password_change") == []


def test_the_command_line_refuses_a_weak_first_password(app, runner):
    args = ["intake", "create-staff", "boss@example.org", "--admin", "--password-stdin"]
    result = runner.invoke(args=args, input="aaaaaaaaaaaa\n")
    assert result.exit_code == 1
    assert "too easy to guess" in result.output
