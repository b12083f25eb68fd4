"""Every state-changing request needs a CSRF token: a post without one changes nothing."""

import uuid

from flask import url_for
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AuditEvent, Draft, ExportBatch, StaffRole, StaffUser, Submission
from tests.staff_support import ADMIN_EMAIL, add_staff, add_submission, log_in
from tests.support import csrf_token


def _post_endpoints(app, sample: dict) -> list[tuple[str, str]]:
    """(endpoint, url) of every rule that accepts a state-changing method."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
                continue
            missing = rule.arguments - sample.keys()
            assert not missing, f"add a sample value for {missing} ({rule.endpoint})"
            routes.append(
                (rule.endpoint, url_for(rule.endpoint, **{a: sample[a] for a in rule.arguments}))
            )
    return routes


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Draft, Submission, ExportBatch, StaffUser)
        }


def test_every_post_without_a_token_is_refused(app, client):
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    public_id = add_submission(app)
    log_in(client, ADMIN_EMAIL)
    # A live draft too, so the patient pages would act if the token were not checked.
    client.post("/start", data={"csrf_token": csrf_token(client, "/")})
    with app.app_context():
        user_id = db.session.scalar(select(StaffUser.id))
    sample = {
        "public_id": public_id,
        "user_id": user_id,
        "section_id": "about",
        "batch_id": uuid.uuid4(),
    }
    routes = _post_endpoints(app, sample)
    endpoints = {endpoint for endpoint, _ in routes}
    # The walk covers both sides: the tablet and the staff pages.
    assert {"kiosk.start", "kiosk.consent", "staff.login", "staff.export_new"} <= endpoints
    assert len(routes) >= 10

    before = _counts(app)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for endpoint, url in routes:
        response = client.post(url, data={"first_name": "Mallory", "email": "x@example.org"})
        assert response.status_code == 400, endpoint
        text = response.get_data(as_text=True)
        said = ("Nothing was changed", "had expired", "open too long to be saved")
        assert any(words in text for words in said), endpoint
    assert _counts(app) == before
    with app.app_context():
        events_after = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert events_after == events_before
