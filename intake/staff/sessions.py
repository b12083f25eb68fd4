"""A staff member's logged-in session: begun afresh at login, ended by logout, idleness or age.

The session lives in Flask's signed cookie. Three values mark one login: a random session id
(new at every login, so nothing from before carries over), when it began (for the absolute
lifetime) and when it was last used (for the idle timeout). Logging out records the session
id in the audit log, so a copy of the cookie made before logout is refused afterwards; the
account's ``session_token`` ends every session at once (log out everywhere, deactivation,
password reset).
"""

import secrets
import time

from flask import current_app, session
from flask_login import login_user, logout_user
from sqlalchemy import Select, exists, select

from intake import login_limits
from intake.audit import AuditAction
from intake.extensions import db
from intake.models import AuditEvent, StaffUser

SESSION_ID = "staff_sid"
STARTED_AT = "staff_started_at"
LAST_SEEN_AT = "staff_seen_at"
TARGET_TYPE = "staff_session"


class Ended:
    """Why a session is over."""

    IDLE = "idle"
    LIFETIME = "lifetime"
    LOGGED_OUT = "logged_out"


def start(user: StaffUser) -> str:
    """Log the user in on a brand-new session and return its id."""
    session.clear()  # a fresh session: nothing set before login survives it
    login_user(user, remember=False, fresh=True)
    now = time.time()
    session_id = secrets.token_urlsafe(24)
    session[SESSION_ID] = session_id
    session[STARTED_AT] = now
    session[LAST_SEEN_AT] = now
    login_limits.remember_device(user.email)  # failures elsewhere do not slow this browser
    return session_id


def current_id() -> str | None:
    """The id of this browser's staff session, if any."""
    return session.get(SESSION_ID)


def end() -> None:
    """Forget the login in this browser."""
    logout_user()
    session.clear()


def ended_because(now: float | None = None) -> str | None:
    """Why the current session is over, or None while it may go on."""
    now = time.time() if now is None else now
    session_id, started, seen = (session.get(k) for k in (SESSION_ID, STARTED_AT, LAST_SEEN_AT))
    if not session_id or not isinstance(started, float | int) or not isinstance(seen, float | int):
        return Ended.LOGGED_OUT  # not a session this side began
    config = current_app.config
    if now - started >= config["STAFF_SESSION_MAX_SECONDS"]:
        return Ended.LIFETIME
    if now - seen >= config["STAFF_IDLE_TIMEOUT_SECONDS"]:
        return Ended.IDLE
    if _logged_out(session_id):
        return Ended.LOGGED_OUT
    return None


def touch(now: float | None = None) -> None:
    """Note activity: the idle timeout counts from now."""
    session[LAST_SEEN_AT] = time.time() if now is None else now


def seconds_left(now: float | None = None) -> int:
    """Seconds until the session ends unless used again (idle timeout or lifetime)."""
    now = time.time() if now is None else now
    config = current_app.config
    idle_left = session.get(LAST_SEEN_AT, 0) + config["STAFF_IDLE_TIMEOUT_SECONDS"] - now
    lifetime_left = session.get(STARTED_AT, 0) + config["STAFF_SESSION_MAX_SECONDS"] - now
    return max(0, int(min(idle_left, lifetime_left)))


def _logged_out(session_id: str) -> bool:
    """Whether this session's logout is in the audit log."""
    return bool(db.session.scalar(logout_query(session_id)))


def logout_query(session_id: str) -> Select:
    """Whether a logout of this session is on record (served by ix_audit_event_target)."""
    return select(
        exists().where(
            AuditEvent.target_type == TARGET_TYPE,
            AuditEvent.target_id == session_id,
            AuditEvent.action == AuditAction.AUTH_LOGOUT,
        )
    )
