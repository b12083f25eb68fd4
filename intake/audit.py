"""One function to record who did what to which record."""

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from intake.extensions import db
from intake.models import AuditEvent


def record(
    action: str,
    *,
    target_type: str | None = None,
    target_id: object = None,
    outcome: str = "success",
    actor_type: str | None = None,
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
            actor_type = actor_type or "staff"
            actor_label = actor_label or current_user.email
        actor_type = actor_type or "kiosk"
    event = AuditEvent(
        actor_type=actor_type or "cli",
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip_address=ip_address,
        outcome=outcome,
        detail=detail,
    )
    db.session.add(event)
    return event
