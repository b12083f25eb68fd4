"""The staff blueprint and the rules every staff page follows.

Every endpoint requires a live login unless it is listed in PUBLIC_ENDPOINTS; pages of the
nested ``admin`` blueprint also require the admin role. (No response may be cached: that
holds app-wide, see intake.security.)
"""

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from intake import audit, clock
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db, login_manager
from intake.models import ConsentState, Language, StaffRole
from intake.staff import sessions

bp = Blueprint("staff", __name__)  # mounted at /staff in create_app
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

# The login's second step is reached before a login exists (its views check the pending one).
PUBLIC_ENDPOINTS = frozenset(
    {"staff.login", "staff.login_code", "staff.login_recovery", "staff.login_enrol"}
)
# Warn this long before an idle session ends (or at half the time left, if that is shorter).
IDLE_WARNING_SECONDS = 120

_ENDED_MESSAGES = {
    sessions.Ended.IDLE: "You were logged out after {idle} without activity.",
    sessions.Ended.LIFETIME: "Your session reached its limit of {lifetime}. Please log in again.",
    sessions.Ended.LOGGED_OUT: "Please log in again.",
}
_ENDED_ACTIONS = {
    sessions.Ended.IDLE: AuditAction.AUTH_SESSION_IDLE,
    sessions.Ended.LIFETIME: AuditAction.AUTH_SESSION_LIFETIME,
    sessions.Ended.LOGGED_OUT: AuditAction.AUTH_SESSION_LOGGED_OUT,
}


@bp.record_once
def _configure(state) -> None:
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    state.app.add_template_filter(clock.format_datetime, "clinic_datetime")
    state.app.add_template_filter(clock.format_date, "clinic_date")
    state.app.add_template_filter(lambda role: StaffRole(role).label, "role_label")
    state.app.add_template_filter(lambda value: ConsentState(value).label, "consent_state")
    state.app.add_template_filter(lambda code: Language(code).label, "language_label")


@bp.before_request
def require_live_login():
    """Send anonymous visitors to the login page; end sessions that are idle or too old."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    reason = sessions.ended_because()
    if reason is not None:
        return end_session(reason)
    sessions.touch()
    return None


@admin_bp.before_request
def require_admin():
    """Only admins manage accounts and read the audit log."""
    if not current_user.is_admin:
        abort(403)


@bp.context_processor
def session_settings() -> dict:
    """What the idle-timeout warning needs to know."""
    if not current_user.is_authenticated:
        return {}
    left = sessions.seconds_left()
    return {
        "session_seconds_left": left,
        "idle_warning_seconds": min(IDLE_WARNING_SECONDS, left // 2),
    }


def end_session(reason: str):
    """Log out a session that is over, say why, and offer the login page again."""
    begin_write()
    audit.record(
        _ENDED_ACTIONS[reason],
        target_type=sessions.TARGET_TYPE,
        target_id=sessions.current_id(),
    )
    db.session.commit()
    sessions.end()
    config = current_app.config
    message = _ENDED_MESSAGES[reason].format(
        idle=_duration(config["STAFF_IDLE_TIMEOUT_SECONDS"]),
        lifetime=_duration(config["STAFF_SESSION_MAX_SECONDS"]),
    )
    flash(message, "info")
    next_path = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("staff.login", next=next_path))


def _duration(seconds: int) -> str:
    """A setting in words: "15 minutes", "12 hours", "1 minute", "45 seconds"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
