"""Limits per client address: new intakes, login bursts, and what happens when Redis is away."""

import pytest
from sqlalchemy import func, select

from intake import create_app, drafts
from intake.extensions import db
from intake.models import Draft
from intake.staff.auth import LOGIN_ATTEMPT_CEILING
from testkit.races import at_once
from tests.staff_support import add_staff, log_in
from tests.support import csrf_token


def _drafts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Draft))


def test_new_intakes_from_one_address_are_limited(app, client):
    """Dropping the draft's cookie and tapping Start again must not fill the disk with drafts."""
    app.config["KIOSK_START_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(client, "/")
    for _ in range(3):
        client.delete_cookie(drafts.COOKIE_NAME)
        assert client.post("/start", data={"csrf_token": token}).status_code == 303
    client.delete_cookie(drafts.COOKIE_NAME)
    refused = client.post("/start", data={"csrf_token": token})
    assert refused.status_code == 429
    assert "Please wait a minute and try again." in refused.get_data(as_text=True)
    assert _drafts(app) == 3
    # Another address (another clinic's tablets) is not held up.
    other = client.post(
        "/start", data={"csrf_token": token}, environ_base={"REMOTE_ADDR": "192.0.2.8"}
    )
    assert other.status_code == 303


def test_a_burst_of_simultaneous_logins_is_capped(app):
    """Failed logins are counted once answered; the ceiling counts each post before its
    password is checked, so guesses sent all at once cannot slip through together."""
    add_staff(app)
    ceiling = int(LOGIN_ATTEMPT_CEILING.split()[0])
    attempts = ceiling + 10
    clients = [app.test_client() for _ in range(attempts)]
    tokens = [csrf_token(client, "/staff/login") for client in clients]

    def guess(number: int) -> int:
        data = {
            "email": f"nobody{number}@example.org",
            "password": "x" * 12,
            "csrf_token": tokens[number],
        }
        return clients[number].post("/staff/login", data=data).status_code

    statuses = at_once(attempts, guess)
    assert statuses.count(200) <= ceiling  # a password checked and refused
    assert statuses.count(429) >= attempts - ceiling
    assert set(statuses) <= {200, 429}


@pytest.mark.backends("sqlite")
def test_limits_fall_back_to_memory_when_redis_is_unreachable(app):
    """Redis down must not stop patients or staff: limits are counted in memory meanwhile."""
    add_staff(app)
    away = create_app({"TESTING": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0"})
    away.config["KIOSK_START_RATE_LIMIT"] = "2 per minute"
    client = away.test_client()
    token = csrf_token(client, "/")
    assert client.post("/start", data={"csrf_token": token}).status_code == 303
    assert log_in(client).status_code == 302
    token = csrf_token(client, "/")  # a new session since the login
    assert client.post("/start", data={"csrf_token": token}).status_code == 303
    assert client.post("/start", data={"csrf_token": token}).status_code == 429
    with away.app_context():
        db.engine.dispose()
