"""Admins manage staff accounts and read the audit log; each change is audited."""

import re

import pytest

from intake import audit
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import StaffRole
from intake.staff import audit_log
from testkit.factories import DEFAULT_PASSWORD
from tests.staff_support import (
    ADMIN_EMAIL,
    STAFF_EMAIL,
    add_staff,
    add_submission,
    audit_events,
    log_in,
    staff_user,
)
from tests.support import csrf_token

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def admin_client(app, client):
    """A client logged in as an admin."""
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    assert log_in(client, ADMIN_EMAIL).status_code == 302
    return client


def _post(client, path: str, **data):
    token = csrf_token(client, "/staff/admin/accounts")
    return client.post(path, data={"csrf_token": token, **data})


def test_create_an_account(app, admin_client):
    response = _post(
        admin_client,
        "/staff/admin/accounts",
        email="New.Person@Example.org",
        role="front_desk",
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.status_code == 302
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "Created the front desk account new.person@example.org." in page
    newcomer = app.test_client()
    assert log_in(newcomer, "new.person@example.org", NEW_PASSWORD).status_code == 302
    (event,) = audit_events(app, "staff.create")
    assert event["detail"] == {"email": "new.person@example.org", "role": "front_desk"}


def test_account_form_errors_keep_what_was_typed(app, admin_client):
    add_staff(app)
    duplicate = _post(
        admin_client,
        "/staff/admin/accounts",
        email=STAFF_EMAIL,
        role="admin",
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert duplicate.status_code == 400
    page = duplicate.get_data(as_text=True)
    assert "already exists; nothing was changed" in page
    assert f'value="{STAFF_EMAIL}"' in page
    mismatch = _post(
        admin_client,
        "/staff/admin/accounts",
        email="other@example.org",
        role="front_desk",
        new_password=NEW_PASSWORD,
        confirm_password="something else entirely",
    )
    assert "The two passwords do not match." in mismatch.get_data(as_text=True)
    short = _post(
        admin_client,
        "/staff/admin/accounts",
        email="other@example.org",
        role="front_desk",
        new_password="short",
        confirm_password="short",
    )
    assert "at least 12 characters" in short.get_data(as_text=True)
    assert audit_events(app, "staff.create") == []


def test_deactivation_ends_sessions_at_once(app, admin_client):
    staff_id = add_staff(app)
    staff = app.test_client()
    log_in(staff)
    assert staff.get("/staff/").status_code == 200
    _post(admin_client, f"/staff/admin/accounts/{staff_id}/deactivate")
    assert staff.get("/staff/").status_code == 302
    assert log_in(staff).status_code == 200  # refused
    _post(admin_client, f"/staff/admin/accounts/{staff_id}/reactivate")
    assert log_in(staff).status_code == 302
    actions = [e["action"] for e in audit_events(app) if e["action"].startswith("staff.")]
    assert actions == ["staff.deactivate", "staff.reactivate"]


def test_admins_cannot_deactivate_themselves(app, admin_client):
    admin_id = staff_user(app, 1)["id"]
    response = _post(admin_client, f"/staff/admin/accounts/{admin_id}/deactivate")
    assert "You cannot deactivate your own account." in admin_client.get(
        response.location
    ).get_data(as_text=True)
    assert staff_user(app, admin_id)["active"] is True


def test_password_reset_ends_sessions_and_lifts_the_wait(app, admin_client):
    staff_id = add_staff(app)
    staff = app.test_client()
    log_in(staff)
    lockout = app.test_client()
    for _ in range(5):
        log_in(lockout, password="wrong password!")
    assert staff_user(app, staff_id)["failed_logins"] == 5
    page = admin_client.get(f"/staff/admin/accounts/{staff_id}/password").get_data(as_text=True)
    assert f"New password for {STAFF_EMAIL}" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = admin_client.post(
        f"/staff/admin/accounts/{staff_id}/password",
        data={"csrf_token": token, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert staff.get("/staff/").status_code == 302  # logged out
    assert staff_user(app, staff_id)["failed_logins"] == 0
    # The same address had used its five tries: a new password starts them afresh.
    assert log_in(staff, password=DEFAULT_PASSWORD).status_code == 200
    assert log_in(staff, password=NEW_PASSWORD).status_code == 302
    assert audit_events(app, "staff.password_reset")


def test_unknown_account_is_404(app, admin_client):
    assert admin_client.get("/staff/admin/accounts/999/password").status_code == 404
    assert _post(admin_client, "/staff/admin/accounts/999/unlock").status_code == 404


def test_audit_log_filters_by_person_action_and_date(app, admin_client):
    staff_id = add_staff(app)
    public_id = add_submission(app)
    staff = app.test_client()
    log_in(staff)
    staff.get(f"/staff/submissions/{public_id}")
    staff.get("/staff/")

    def rows(**filters):
        page = admin_client.get("/staff/admin/audit", query_string=filters).get_data(as_text=True)
        return re.findall(r"<td><code>([^<]+)</code></td>", page), page

    actions, page = rows()
    assert {"auth.login", "submission.view", "dashboard.view"} <= set(actions)
    by_person, _ = rows(actor=str(staff_id))
    assert by_person == ["dashboard.view", "submission.view", "auth.login"]
    by_action, page = rows(action="submission.view")
    assert by_action == ["submission.view"]
    assert f'<a href="/staff/submissions/{public_id}">submission {public_id}</a>' in page
    both, _ = rows(actor=str(staff_id), action="auth.login")
    assert both == ["auth.login"]
    assert rows(from_date="2000-01-01", to_date="2000-01-02")[0] == []
    assert rows(actor="cli")[0] == []
    # Reading the audit log is itself on record.
    assert len(audit_events(app, "audit.view")) == 6


def test_audit_log_offers_every_action_intake_records(admin_client):
    page = admin_client.get("/staff/admin/audit").get_data(as_text=True)
    datalist = re.search(r'<datalist id="known-actions">(.*?)</datalist>', page).group(1)
    offered = re.findall(r'<option value="([^"]+)">', datalist)
    assert offered == [action.value for action in AuditAction]
    # The bulk reads an auditor looks for first.
    assert {"export.new", "export.download", "export.range", "chart.render"} <= set(offered)
    assert "submission.create" in offered


def test_audit_log_filters_every_action_exports_and_chart_events_included(app, admin_client):
    with app.app_context():
        begin_write()
        for action in AuditAction:
            audit.record(action, actor_type="system", detail={"marker": action.value})
        db.session.commit()
    for action in AuditAction:
        page = admin_client.get("/staff/admin/audit", query_string={"action": action.value})
        shown = re.findall(r"<td><code>([^<]+)</code></td>", page.get_data(as_text=True))
        assert shown and set(shown) == {action.value}, action
        assert f"&#34;marker&#34;: &#34;{action.value}&#34;" in page.get_data(as_text=True)


def test_an_action_outside_the_list_is_never_recorded(app):
    with app.app_context(), pytest.raises(ValueError, match="not a valid AuditAction"):
        audit.record("submision.view")


def test_audit_log_pages(app, admin_client):
    for _ in range(audit_log.PAGE_SIZE + 5):
        admin_client.get("/staff/exports")  # not audited: a page without patient data
        admin_client.get("/staff/")
    page = admin_client.get("/staff/admin/audit?action=dashboard.view").get_data(as_text=True)
    assert page.count("<td><code>dashboard.view</code></td>") == audit_log.PAGE_SIZE
    older = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    second = admin_client.get(older).get_data(as_text=True)
    assert second.count("<td><code>dashboard.view</code></td>") == 5
    assert 'rel="next"' not in second


def test_an_admin_sets_the_name_and_credentials_a_therapist_signs_with(app, admin_client):
    therapist = add_staff(app, "dana@example.org", StaffRole.THERAPIST)
    path = f"/staff/admin/accounts/{therapist}/signing-name"
    refused = _post(admin_client, path, display_name="Dana\u202eReyes", credentials="PT")
    assert refused.status_code == 400
    assert "letters, digits and punctuation only" in refused.get_data(as_text=True)
    response = _post(admin_client, path, display_name="Dana  Reyes-Ortiz", credentials="PT, DPT")
    assert response.status_code == 302
    page = admin_client.get("/staff/admin/accounts").get_data(as_text=True)
    assert "Dana Reyes-Ortiz, PT, DPT" in page
    (event,) = audit_events(app, "staff.signing_name")
    assert event["target_id"] == str(therapist)


def test_a_therapist_account_needs_a_name_and_credentials(app, admin_client):
    response = _post(
        admin_client,
        "/staff/admin/accounts",
        email="new.therapist@example.org",
        role="therapist",
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.status_code == 400
    assert "A therapist signs with a full name and credentials." in response.get_data(as_text=True)
    assert audit_events(app, "staff.create") == []
