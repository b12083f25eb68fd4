"""Staff name the tablet in hand; the name travels in a signed cookie that holds nothing else."""

import re

from flask import request
from itsdangerous import URLSafeSerializer

from intake.tablets import COOKIE_NAME, read_tablet_label
from tests.staff_support import add_staff, audit_events, log_in
from tests.support import csrf_token


def test_name_this_tablet(app, client):
    add_staff(app)
    log_in(client)
    assert "not named yet" in client.get("/staff/tablet").get_data(as_text=True)
    token = csrf_token(client, "/staff/tablet")
    response = client.post(
        "/staff/tablet", data={"label": "  Front   desk 1 ", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "This tablet is now “Front desk 1”" in response.get_data(as_text=True)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME)]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert max_age >= 365 * 24 * 3600
    # The cookie is signed and carries the name alone.
    value = client.get_cookie(COOKIE_NAME).value
    assert URLSafeSerializer(app.secret_key, salt="intake.tablet-label").loads(value) == (
        "Front desk 1"
    )
    with app.test_request_context(headers={"Cookie": f"{COOKIE_NAME}={value}"}):
        assert read_tablet_label(request) == "Front desk 1"
    # Saving logged staff out: the tablet is ready for patients.
    assert client.get("/staff/").status_code == 302
    (event,) = audit_events(app, "tablet.name")
    assert event["detail"] == {"label": "Front desk 1", "previous": None}


def test_renaming_shows_the_current_name(app, client):
    add_staff(app)
    log_in(client)
    client.post(
        "/staff/tablet",
        data={"label": "Front desk 1", "csrf_token": csrf_token(client, "/staff/tablet")},
    )
    log_in(client)
    page = client.get("/staff/tablet").get_data(as_text=True)
    assert "named <strong>Front desk 1</strong>" in page
    assert 'value="Front desk 1"' in page


def test_a_bad_name_is_explained(app, client):
    add_staff(app)
    log_in(client)
    token = csrf_token(client, "/staff/tablet")
    empty = client.post("/staff/tablet", data={"label": "   ", "csrf_token": token})
    assert "Enter a name for this tablet." in empty.get_data(as_text=True)
    long_name = "x" * 81
    too_long = client.post("/staff/tablet", data={"label": long_name, "csrf_token": token})
    assert "Use at most 80 characters." in too_long.get_data(as_text=True)
    assert f'value="{long_name}"' in too_long.get_data(as_text=True)
    assert client.get_cookie(COOKIE_NAME) is None
    assert client.get("/staff/").status_code == 200  # still logged in
