"""Every staff page needs a login; admin pages need the admin role; nothing staff see is cached."""

import uuid

import pytest
from flask import url_for

from intake.models import StaffRole
from tests.staff_support import ADMIN_EMAIL, add_staff, log_in
from tests.support import csrf_token

# Endpoints anyone may reach: the patient flow on the tablet, the login page, static files.
# The login's second step checks the password was given first (tests/test_staff_two_step.py).
PUBLIC_BLUEPRINTS = ("kiosk",)
PUBLIC_ENDPOINTS = {
    "static",
    "staff.login",
    "staff.login_code",
    "staff.login_recovery",
    "staff.login_enrol",
}
# A value for each URL argument a rule may have; a new argument name must be added here.
_RECORD_ID = uuid.uuid4()  # pages of one record (a submission, an export batch)
SAMPLE_ARGUMENTS = {
    "public_id": _RECORD_ID,
    "batch_id": _RECORD_ID,
    "decision_id": _RECORD_ID,
    "user_id": 1,
}
# Pages that answer a form error without their query string.
SAMPLE_QUERIES = {"staff.export_range": "?from_date=2026-11-01&to_date=2026-11-02"}


def _routes(app):
    """(endpoint, url, method) for every protected rule, with sample values filled in."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not _protected(rule.endpoint):
                continue
            unknown = rule.arguments - SAMPLE_ARGUMENTS.keys()
            assert not unknown, f"add a sample value for {unknown} ({rule.endpoint})"
            url = url_for(
                rule.endpoint, **{name: SAMPLE_ARGUMENTS[name] for name in rule.arguments}
            )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, url, method


def _protected(endpoint: str) -> bool:
    return endpoint not in PUBLIC_ENDPOINTS and endpoint.split(".")[0] not in PUBLIC_BLUEPRINTS


def test_anonymous_visitors_are_sent_to_login(app, client):
    token = csrf_token(client, "/staff/login")
    checked = []
    for endpoint, url, method in _routes(app):
        # A real token, so the redirect (not the CSRF check) is what answers a POST.
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.location.startswith("/staff/login?next="), (endpoint, response.location)
        checked.append(endpoint)
    # The walk really covered the staff side, admin pages and the export placeholder included.
    assert {"staff.dashboard", "staff.download_pdf", "staff.export_csv"} <= set(checked)
    assert any(endpoint.startswith("staff.admin.") for endpoint in checked)


def test_public_pages_stay_public(app, client):
    assert client.get("/").status_code == 200
    assert client.get("/staff/login").status_code == 200
    assert client.get("/static/css/intake.css").status_code == 200


def test_staff_get_403_on_admin_pages(app, client):
    add_staff(app)
    assert log_in(client).status_code == 302
    token = csrf_token(client, "/staff/account")
    admin_routes = [r for r in _routes(app) if r[0].startswith("staff.admin.")]
    assert len(admin_routes) >= 5
    for endpoint, url, method in admin_routes:
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (endpoint, method, response.status_code)
        assert "Not allowed" in response.get_data(as_text=True)


def test_staff_reach_every_other_page(app, client):
    add_staff(app)
    log_in(client)
    for endpoint, url, method in _routes(app):
        if method != "GET" or endpoint.startswith("staff.admin."):
            continue
        if str(SAMPLE_ARGUMENTS["public_id"]) in url:
            continue  # pages of one record: covered with real records elsewhere
        assert client.get(url + SAMPLE_QUERIES.get(endpoint, "")).status_code == 200, endpoint


def test_admins_reach_admin_pages(app, client):
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    log_in(client, ADMIN_EMAIL)
    for path in ("/staff/admin/accounts", "/staff/admin/audit", "/staff/admin/accounts/1/password"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/staff/login", "/staff/", "/staff/account", "/staff/tablet"])
def test_staff_pages_are_never_cached(app, client, path):
    add_staff(app)
    log_in(client)
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_post_without_csrf_token_is_refused(app, client):
    add_staff(app)
    log_in(client)
    response = client.post("/staff/account/logout-everywhere")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 200  # still logged in: nothing happened
