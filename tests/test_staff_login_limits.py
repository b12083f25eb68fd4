"""Wrong passwords are slowed by account and address; no account, an admin's included, is
locked for long, and the real user at another address (or their own browser) still gets in."""

import re
import time

import pytest

from intake import create_app, login_limits
from intake.extensions import db
from intake.models import StaffRole
from intake.rate_limit_storage import storage_uri
from tests.staff_support import (
    ADMIN_EMAIL,
    STAFF_EMAIL,
    add_staff,
    audit_events,
    log_in,
    staff_user,
)
from tests.support import csrf_token

WRONG = "not the password at all"


def _address(number: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"198.51.100.{number}"}}


def _message(response) -> str:
    match = re.search(r'<p class="form-error" role="alert">([^<]+)</p>', response.get_data(True))
    assert match, "no message on the page"
    return match.group(1)


def test_five_tries_from_one_address_wait_there_and_nowhere_else(app, client):
    add_staff(app)
    add_staff(app, "colleague@example.org")
    here = _address(1)
    assert [log_in(client, password=WRONG, **here).status_code for _ in range(5)] == [200] * 5
    refused = log_in(client, **here)  # even the right password waits, from this address
    assert refused.status_code == 429
    assert "Too many tries for this email from this computer" in _message(refused)
    assert "15 minutes" in _message(refused)
    # The real user at another address gets in; a colleague at this address too.
    assert log_in(app.test_client(), **_address(2)).status_code == 302
    assert log_in(app.test_client(), "colleague@example.org", **here).status_code == 302
    outcomes = [e["outcome"] for e in audit_events(app, "auth.login")]
    assert outcomes == ["bad_credentials"] * 5 + ["too_many_here", "success", "success"]


def test_an_email_that_is_no_account_is_answered_the_same(app, client):
    add_staff(app)
    for email in (STAFF_EMAIL, "nobody@example.org"):
        browser = app.test_client()
        for _ in range(5):
            log_in(browser, email, WRONG)
        assert "Too many tries" in _message(log_in(browser, email, WRONG))


@pytest.fixture(params=["memory", "database"])
def limits_app(request, app):
    """The app with its limits counted in memory (tests' default) or in its own database."""
    if request.param == "memory":
        yield app
        return
    counted = create_app(
        {
            "TESTING": True,
            "RATELIMIT_STORAGE_URI": storage_uri(app.config["SQLALCHEMY_DATABASE_URI"]),
        }
    )
    yield counted
    with counted.app_context():
        db.engine.dispose()


def test_a_guesser_on_many_addresses_is_slowed_never_locked_out_for_long(limits_app):
    app = limits_app
    admin_id = add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    desk = app.test_client()  # the admin's own browser, logged in before the attack
    assert log_in(desk, ADMIN_EMAIL, **_address(200)).status_code == 302
    desk.post("/staff/logout", data={"csrf_token": csrf_token(desk, "/staff/")})

    statuses = []
    for number in range(1, 13):  # a new address for each guess
        statuses.append(log_in(app.test_client(), ADMIN_EMAIL, WRONG, **_address(number)))
    codes = [response.status_code for response in statuses]
    assert codes[:6] == [200] * 6  # five free wrong passwords, and the one that starts the wait
    slowed = [r for r in statuses[6:] if r.status_code == 429]
    # (Counted after the login's commit: inside it, on SQLite, the count would wait for the
    # login's own write lock, give up, and nothing would be slowed.)
    assert slowed, "tries after five wrong passwords must wait"
    for response in slowed:
        seconds = int(re.search(r"try again in (\d+) second", _message(response)).group(1))
        assert 1 <= seconds <= login_limits.MAX_DELAY_SECONDS  # never a long lock

    # The admin's own browser is not held up by the guesses; a new one waits a minute at most.
    assert log_in(desk, ADMIN_EMAIL, **_address(201)).status_code == 302
    assert staff_user(app, admin_id)["locked_until"] is None


def test_the_wait_grows_and_stops_at_a_minute():
    assert [login_limits.delay_after(n) for n in range(1, 14)] == [
        0,
        0,
        0,
        0,
        0,
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]


def test_a_slowed_try_waits_only_the_seconds_it_is_told(app, monkeypatch):
    add_staff(app)
    monkeypatch.setattr(login_limits, "MAX_DELAY_SECONDS", 1)
    for number in range(1, 8):
        log_in(app.test_client(), password=WRONG, **_address(number))
    waiting = log_in(app.test_client(), **_address(50))
    assert waiting.status_code == 429
    time.sleep(1.1)
    assert log_in(app.test_client(), **_address(50)).status_code == 302


def test_an_admin_lifts_the_wait_everywhere(app, client):
    staff_id = add_staff(app)
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    for _ in range(5):
        log_in(client, password=WRONG)
    assert log_in(client).status_code == 429
    admin = app.test_client()
    log_in(admin, ADMIN_EMAIL, **_address(9))
    page = admin.get("/staff/admin/accounts").get_data(as_text=True)
    assert "5 wrong passwords in a row" in page and "Lift the wait" in page
    token = csrf_token(admin, "/staff/admin/accounts")
    admin.post(f"/staff/admin/accounts/{staff_id}/unlock", data={"csrf_token": token})
    assert staff_user(app, staff_id)["failed_logins"] == 0
    assert log_in(client).status_code == 302


@pytest.mark.backends("sqlite")
def test_a_success_forgets_the_run_of_wrong_passwords(app, client):
    add_staff(app)
    for _ in range(4):
        log_in(client, password=WRONG)
    assert log_in(client).status_code == 302
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    for _ in range(4):
        assert log_in(client, password=WRONG).status_code == 200
    assert log_in(client).status_code == 302
