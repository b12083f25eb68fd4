"""Logging in and out: one message for every failure, lockout, rate limit, session timeouts."""

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEvent, StaffUser
from intake.staff import sessions
from testkit.factories import DEFAULT_PASSWORD
from tests.staff_support import (
    STAFF_EMAIL,
    add_staff,
    audit_events,
    log_in,
    staff_user,
)
from tests.support import csrf_token


def _error_message(response) -> str:
    match = re.search(
        r'<p class="form-error" role="alert">([^<]+)</p>', response.get_data(as_text=True)
    )
    assert match, "no error message on the page"
    return match.group(1)


def _next_of(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == "/staff/login"
    return parse_qs(parts.query)["next"][0]


def _logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_login_with_email_and_password(app, client):
    staff_id = add_staff(app)
    page = client.get("/staff/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert ">Log in</button>" in page
    response = log_in(client, email="  Staff@Example.ORG ")
    assert response.status_code == 302
    assert response.location == "/staff/"
    assert _logged_in(client)
    assert staff_user(app, staff_id)["last_login_at"] is not None
    (event,) = audit_events(app, "auth.login")
    assert (event["outcome"], event["actor_id"]) == ("success", staff_id)


def test_wrong_email_and_wrong_password_get_the_same_message(app, client):
    add_staff(app)
    wrong_password = log_in(client, password="not the password at all")
    wrong_email = log_in(client, email="nobody@example.org")
    assert wrong_password.status_code == wrong_email.status_code == 200
    assert _error_message(wrong_password) == _error_message(wrong_email)
    # What was typed in the email field stays; the password never comes back.
    assert 'value="nobody@example.org"' in wrong_email.get_data(as_text=True)
    assert "not the password at all" not in wrong_password.get_data(as_text=True)
    assert not _logged_in(client)
    outcomes = [e["outcome"] for e in audit_events(app, "auth.login")]
    assert outcomes == ["bad_credentials", "bad_credentials"]


def test_a_success_resets_the_count(app, client):
    staff_id = add_staff(app)
    for _ in range(4):
        log_in(client, password="wrong password!")
    log_in(client)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    for _ in range(4):
        log_in(client, password="wrong password!")
    assert staff_user(app, staff_id)["locked_until"] is None
    assert log_in(client).status_code == 302


def test_deactivated_accounts_cannot_log_in(app, client):
    staff_id = add_staff(app)
    with app.app_context():
        db.session.get(StaffUser, staff_id).active = False
        db.session.commit()
    response = log_in(client)
    assert response.status_code == 200 and not _logged_in(client)
    assert audit_events(app, "auth.login")[-1]["outcome"] == "inactive"


def test_successful_logins_do_not_count_towards_the_limit(app, client):
    add_staff(app)
    for _ in range(12):
        assert log_in(client).status_code == 302
        client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/account")})


def test_login_starts_a_new_session_without_remember_me(app, client):
    add_staff(app)
    with client.session_transaction() as session:
        session["planted"] = "set before login"
    response = log_in(client)
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))
    with client.session_transaction() as session:
        assert "planted" not in session
        first_id = session[sessions.SESSION_ID]
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    log_in(client)
    with client.session_transaction() as session:
        assert session[sessions.SESSION_ID] != first_id
        assert not session.permanent  # ends with the browser too


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/staff/",
        "//evil.example/staff/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " /staff/account",
        "/staff/%0d%0aSet-Cookie:x=y",
        "/staff/\r\nLocation: https://evil.example",
    ],
)
def test_next_never_leaves_the_app(app, client, target):
    add_staff(app)
    token = csrf_token(client, "/staff/login")
    response = client.post(
        "/staff/login",
        query_string={"next": target},
        data={"email": STAFF_EMAIL, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.location in ("/staff/", "/staff/%0d%0aSet-Cookie:x=y")
    assert "evil" not in response.location


def test_next_returns_to_the_page_asked_for(app, client):
    add_staff(app)
    first = client.get("/staff/account?tab=password")
    assert first.location == "/staff/login?next=%2Fstaff%2Faccount%3Ftab%3Dpassword"
    login_page = client.get(first.location).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', login_page).group(1))
    assert _next_of(action) == "/staff/account?tab=password"  # the form carries it along
    token = csrf_token(client, first.location)
    response = client.post(
        first.location,
        data={"email": STAFF_EMAIL, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.location == "/staff/account?tab=password"


def test_logout_ends_the_session_and_any_copy_of_its_cookie(app, client):
    add_staff(app)
    log_in(client)
    copied = client.get_cookie("session").value
    response = client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.location == "/staff/login"
    assert "You are logged out." in client.get("/staff/login").get_data(as_text=True)
    assert not _logged_in(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/staff/").status_code == 302
    assert [e["action"] for e in audit_events(app)][-2:] == [
        "auth.logout",
        "auth.session_logged_out",
    ]


def test_logout_here_keeps_other_devices_logged_in(app, client):
    add_staff(app)
    other_device = app.test_client()
    log_in(client)
    log_in(other_device)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert _logged_in(other_device)


def test_logout_everywhere(app, client):
    add_staff(app)
    other_device = app.test_client()
    log_in(client)
    log_in(other_device)
    token = csrf_token(client, "/staff/account")
    client.post("/staff/account/logout-everywhere", data={"csrf_token": token})
    assert not _logged_in(client)
    assert not _logged_in(other_device)
    assert log_in(client).status_code == 302  # the password still works


def _shift_session(client, key: str, seconds: float) -> None:
    """Move a session timestamp into the past, as if that much time had gone by."""
    with client.session_transaction() as session:
        session[key] -= seconds


def test_idle_sessions_end_with_a_message(app, client):
    add_staff(app)
    log_in(client)
    _shift_session(client, sessions.LAST_SEEN_AT, app.config["STAFF_IDLE_TIMEOUT_SECONDS"] + 1)
    response = client.get("/staff/?q=doe")
    assert response.status_code == 302
    assert _next_of(response.location) == "/staff/?q=doe"
    page = client.get(response.location).get_data(as_text=True)
    assert "You were logged out after 15 minutes without activity." in page
    assert not _logged_in(client)
    (event,) = audit_events(app, "auth.session_idle")
    assert event["actor_type"] == "staff"


def test_activity_keeps_a_session_alive(app, client):
    add_staff(app)
    log_in(client)
    _shift_session(client, sessions.LAST_SEEN_AT, app.config["STAFF_IDLE_TIMEOUT_SECONDS"] - 30)
    assert _logged_in(client)
    with client.session_transaction() as session:
        assert time.time() - session[sessions.LAST_SEEN_AT] < 5


def test_stay_logged_in_resets_the_idle_clock(app, client):
    add_staff(app)
    log_in(client)
    page = client.get("/staff/").get_data(as_text=True)
    assert 'data-seconds-left="' in page and 'data-warning-seconds="120"' in page
    assert "<script>" not in page  # settings travel in data- attributes, no inline script
    token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    _shift_session(client, sessions.LAST_SEEN_AT, app.config["STAFF_IDLE_TIMEOUT_SECONDS"] - 60)
    response = client.post("/staff/session/keepalive", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["seconds_left"] >= app.config["STAFF_IDLE_TIMEOUT_SECONDS"] - 2


def test_sessions_end_at_their_absolute_lifetime(app, client):
    add_staff(app)
    log_in(client)
    _shift_session(client, sessions.STARTED_AT, app.config["STAFF_SESSION_MAX_SECONDS"] + 1)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "reached its limit of 12 hours" in client.get(response.location).get_data(as_text=True)
    assert audit_events(app, "auth.session_lifetime")


def test_expired_login_form_keeps_the_email(app, client):
    add_staff(app)
    response = client.post(
        "/staff/login", data={"email": STAFF_EMAIL, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The login page had expired" in page
    assert f'value="{STAFF_EMAIL}"' in page
    assert not _logged_in(client)


def test_change_own_password(app, client):
    staff_id = add_staff(app)
    other_device = app.test_client()
    log_in(client)
    log_in(other_device)
    token = csrf_token(client, "/staff/account")
    new = "a different long passphrase"
    wrong = client.post(
        "/staff/account/password",
        data={
            "current_password": "not my password",
            "new_password": new,
            "confirm_password": new,
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.get_data(as_text=True)
    response = client.post(
        "/staff/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert _logged_in(client)  # this session carries on
    assert not _logged_in(other_device)  # every other one ended
    assert staff_user(app, staff_id)["password_hash"].startswith("$argon2id$")
    assert log_in(other_device, password=new).status_code == 302
    assert audit_events(app, "auth.password_change")


def test_an_address_longer_than_its_column_is_cut_not_a_failed_login(app, client):
    # An IPv6 address with a zone id can be longer than the 45 characters the column keeps.
    address = "fe80::1234:5678:9abc:def0%" + "enp0s31f6-with-a-long-name"
    add_staff(app)
    response = log_in(client, environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(select(AuditEvent.ip_address)).all()
    assert stored and all(ip == address[:45] for ip in stored)
