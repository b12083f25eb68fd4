"""Errors answer plain pages in the site layout: no stack trace, no patient data."""

import pytest
from werkzeug.exceptions import RequestEntityTooLarge, ServiceUnavailable

from tests.support import csrf_token


def test_welcome_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Welcome" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (400, "try again"),
        (403, "Not allowed"),
        (404, "Page not found"),
        (413, "too large"),
        (500, "Something went wrong on our side"),
        (503, "tell the front desk"),
    ],
)
def test_error_pages_use_site_layout(app, code, words):
    @app.get("/_raise")
    def _raise():
        from flask import abort

        if code == 500:
            raise RuntimeError("Jane Doe 1970-04-12 secret detail")
        abort(code)

    response = app.test_client().get("/_raise")
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert words in html
    assert "Riverside Physical Therapy" in html  # the site layout
    assert "Traceback" not in html and "secret detail" not in html


def test_405_keeps_allow_header(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "Not allowed" in response.get_data(as_text=True)


def test_error_classes_have_messages():
    from intake.errors import MESSAGES

    for error in (RequestEntityTooLarge, ServiceUnavailable):
        assert error.code in MESSAGES


def test_an_error_page_leads_back_to_its_own_side(client):
    """A patient goes back to the welcome screen; staff to today's intakes, never the tablet's."""
    patient = client.get("/intake/no-such-page").get_data(as_text=True)
    assert 'href="/">Go to the start' in patient and "today&rsquo;s intakes" not in patient
    staff = client.get("/staff/no-such-page").get_data(as_text=True)
    assert 'href="/staff/">Go to today&rsquo;s intakes' in staff and "Go to the start" not in staff


def test_a_patient_error_page_keeps_the_inactivity_guard_while_a_draft_is_on_the_tablet(client):
    assert 'id="idle-discard"' not in client.get("/intake/no-such-page").get_data(as_text=True)
    client.post("/start", data={"csrf_token": csrf_token(client, "/")})
    patient = client.get("/intake/no-such-page").get_data(as_text=True)
    assert 'id="idle-dialog"' in patient and 'id="idle-discard"' in patient
    assert "js/kiosk.js" in patient
    staff = client.get("/staff/no-such-page").get_data(as_text=True)
    assert "idle-discard" not in staff and "js/kiosk.js" not in staff
