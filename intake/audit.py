"""One function to record who did what to which record, and the list of what can be done."""

from enum import StrEnum
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

# Imported for its flush hook: every audit event joins the hash chain as it is written.
from intake import audit_chain  # noqa: F401
from intake.extensions import db
from intake.models import ActorType, AuditEvent


class AuditAction(StrEnum):
    """Everything the audit log records, as "area.verb"."""

    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUTH_LOGOUT_EVERYWHERE = "auth.logout_everywhere"
    AUTH_PASSWORD_CHANGE = "auth.password_change"
    AUTH_SESSION_IDLE = "auth.session_idle"
    AUTH_SESSION_LIFETIME = "auth.session_lifetime"
    AUTH_SESSION_LOGGED_OUT = "auth.session_logged_out"  # a logged-out session's cookie, used
    AUTH_TWO_STEP_CODE = "auth.two_step_code"  # a code from the app, after the password
    AUTH_RECOVERY_CODE = "auth.recovery_code"  # a one-time recovery code instead
    AUTH_TWO_STEP_ENROL = "auth.two_step_enrol"
    AUTH_RECOVERY_CODES_NEW = "auth.recovery_codes_new"
    DASHBOARD_VIEW = "dashboard.view"
    SUBMISSION_CREATE = "submission.create"
    SUBMISSION_VIEW = "submission.view"
    SUBMISSION_REVIEW = "submission.review"
    PDF_DOWNLOAD = "pdf.download"
    CHART_RENDER = "chart.render"
    CHART_VERIFY = "chart.verify"
    CHART_ADDENDUM = "chart.addendum"
    CONSENT_CONFIRM = "consent.confirm"
    CONSENT_DECLINE = "consent.decline"
    CONSENT_WITHDRAW = "consent.withdraw"
    # The patient's copy of the consent: printed by staff, or emailed (outcome "requested"
    # before the send, then "success" or "failure").
    CHART_PATIENT_COPY = "chart.patient_copy"
    CHART_PATIENT_COPY_EMAIL = "chart.patient_copy_email"
    EXPORT_NEW = "export.new"
    EXPORT_DOWNLOAD = "export.download"
    EXPORT_RANGE = "export.range"
    TABLET_NAME = "tablet.name"
    STAFF_CREATE = "staff.create"
    STAFF_DEACTIVATE = "staff.deactivate"
    STAFF_REACTIVATE = "staff.reactivate"
    STAFF_UNLOCK = "staff.unlock"
    STAFF_PASSWORD_RESET = "staff.password_reset"
    STAFF_SIGNING_NAME = "staff.signing_name"
    STAFF_TWO_STEP_RESET = "staff.two_step_reset"  # an admin's re-enrolment path
    AUDIT_VIEW = "audit.view"
    AUDIT_ANCHOR = "audit.anchor"
    DEMO_SEED = "demo.seed"


def record(
    action: AuditAction,
    *,
    target_type: str | None = None,
    target_id: object = None,
    outcome: str = "success",
    actor_type: ActorType | None = None,
    actor_label: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an AuditEvent to the session; it is committed with the work it describes.

    The actor defaults to the logged-in staff member, else the kiosk for a request, else the CLI.
    """
    actor_id = None
    ip_address = None
    if has_request_context():
        # As Submission's evidence: cut to the column (an IPv6 zone id can run longer).
        ip_address = (request.remote_addr or "")[:45] or None
        if current_user and current_user.is_authenticated:
            actor_id = current_user.id
            actor_type = actor_type or ActorType.STAFF
            actor_label = actor_label or current_user.email
        actor_type = actor_type or ActorType.KIOSK
    event = AuditEvent(
        actor_type=actor_type or ActorType.CLI,
        actor_id=actor_id,
        actor_label=actor_label,
        action=AuditAction(action),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip_address=ip_address,
        outcome=outcome,
        detail=_storable(detail),
    )
    db.session.add(event)
    return event


def _storable(value: Any) -> Any:
    """`value` with each NUL in its text made U+FFFD: PostgreSQL's JSON cannot hold a NUL, and
    a search typed with one (say) is still recorded."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value
