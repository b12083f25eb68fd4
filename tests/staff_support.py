"""Helpers for staff-side tests: accounts, logging in like a browser, records, audit events.

Each helper opens its own app context and returns plain values, so test clients never share
a database session with the test itself.
"""

import hashlib
import uuid
from typing import Any

from sqlalchemy import select

from intake import ehr
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, PdfStatus, StaffRole, StaffUser, Submission
from testkit.factories import DEFAULT_PASSWORD, make_staff, make_submission
from tests.support import csrf_token

STAFF_EMAIL = "staff@example.org"
ADMIN_EMAIL = "admin@example.org"
THERAPIST_EMAIL = "therapist@example.org"


def add_staff(
    app, email: str = STAFF_EMAIL, role: str = StaffRole.FRONT_DESK, **signing_name
) -> int:
    """A committed staff account; returns its id."""
    with app.app_context():
        return make_staff(email, role, **signing_name).id


def log_in(client, email: str = STAFF_EMAIL, password: str = DEFAULT_PASSWORD, **kwargs):
    """Post the login form with the token from the page, as a browser would."""
    token = csrf_token(client, "/staff/login")
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token},
        **kwargs,
    )


def add_submission(app, answers: dict[str, Any] | None = None, **columns: Any) -> uuid.UUID:
    """A committed submission; returns its public id."""
    with app.app_context():
        return make_submission(answers, **columns).public_id


def export_new(app) -> uuid.UUID:
    """Put every submission not exported yet into a new batch, as "Export CSV" does; its id."""
    with app.app_context():
        return ehr.export_new("front desk").public_id


def add_pdf(app, public_id: uuid.UUID, content: bytes, kind: str = "intake") -> str:
    """Store `content` as the submission's chart document and mark the PDF rendered."""
    digest = hashlib.sha256(content).hexdigest()
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
        db.session.add(
            ChartDocument(
                submission_id=submission.id,
                kind=kind,
                content=content,
                size=len(content),
                sha256=digest,
            )
        )
        submission.pdf_status = PdfStatus.RENDERED
        db.session.commit()
    return digest


def audit_events(app, action: str | None = None) -> list[dict[str, Any]]:
    """Audit events, oldest first, as plain dicts."""
    with app.app_context():
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return [
            {
                "action": e.action,
                "actor_type": e.actor_type,
                "actor_id": e.actor_id,
                "actor_label": e.actor_label,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "outcome": e.outcome,
                "detail": e.detail,
            }
            for e in db.session.scalars(stmt)
        ]


def staff_user(app, user_id: int) -> dict[str, Any]:
    """A staff account's columns as a dict."""
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        return {c.key: getattr(user, c.key) for c in StaffUser.__table__.columns}


def submission_row(app, public_id: uuid.UUID) -> dict[str, Any]:
    """A submission's columns as a dict."""
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
        return {c.key: getattr(row, c.key) for c in Submission.__table__.columns}


def enrol_two_step(app, user_id: int) -> str:
    """Turn two-step login on for an account as enrolment does; returns its TOTP secret."""
    import pyotp

    from intake import two_step

    secret = two_step.new_secret()
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert two_step.enrol(user, secret, pyotp.TOTP(secret).now()) is not None
        user.totp_last_step = None  # the code that proved it is not a login's code
        db.session.commit()
    return secret


def post_code(client, code: str, path: str = "/staff/login/code", page: str = "", **kwargs):
    """Post the second step's form (a code, or a recovery code) with the token of its page
    (`page`, if the form is on another one)."""
    token = csrf_token(client, page or path)
    return client.post(path, data={"code": code, "csrf_token": token}, **kwargs)
