"""Logging in and out: one message for any failure, limits by account and address, a fresh
session, and the second step when two-step login is on."""

from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from intake import accounts, audit, login_limits
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db, limiter, login_manager
from intake.models import ActorType
from intake.staff import pending, sessions
from intake.staff.blueprint import bp
from intake.staff.forms import LoginForm
from intake.staff.pending import Step

# Every login post per address, counted before the password is checked: it caps a burst,
# and guessing across many accounts from one address. A browser that logged in to the typed
# account before is not held up by it (intake.login_limits).
LOGIN_ATTEMPT_CEILING = "20 per minute"
FAILED_LOGIN_MESSAGE = (
    "That email and password do not match an active account. Check the email, and that "
    "Caps Lock is off."
)


# The login event's outcome when the password was right and a second step comes next.
SECOND_STEP_OUTCOMES = {Step.CODE: "code_required", Step.ENROL: "enrol_required"}
SECOND_STEP_PAGES = {Step.CODE: "staff.login_code", Step.ENROL: "staff.login_enrol"}


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: `next` never leaves the app."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or c.isspace() for c in target):
        return None  # browsers read "/\evil.example" as "//evil.example"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _after_login() -> str:
    return safe_next(request.args.get("next")) or url_for("staff.dashboard")


def render_login(form: LoginForm | None = None, message: str | None = None, status: int = 200):
    """The login page, keeping what was typed in the email field."""
    form = form or LoginForm()
    next_path = safe_next(request.args.get("next"))
    return render_template(
        "staff/login.html", form=form, message=message, next_path=next_path
    ), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    LOGIN_ATTEMPT_CEILING, methods=["POST"], exempt_when=login_limits.known_device_posting
)
def login():
    """Email and password; the same answer whatever was wrong."""
    if current_user.is_authenticated and sessions.ended_because() is None:
        return redirect(_after_login())
    form = LoginForm()
    if not form.validate_on_submit():
        return render_login(form)
    refusal = login_limits.before_password(form.email.data)
    if refusal is not None:
        _record_refusal(form.email.data, refusal)
        return render_login(form, message=refusal.message, status=429)
    begin_write()
    attempt = accounts.authenticate(form.email.data, form.password.data)
    event = audit.record(
        AuditAction.AUTH_LOGIN,
        actor_type=ActorType.STAFF,
        actor_label=attempt.user.email if attempt.user else "(no such account)",
        target_type="staff_user" if attempt.user else None,
        target_id=attempt.user.id if attempt.user else None,
        outcome=attempt.outcome,
    )
    second_step = _second_step(attempt.user) if attempt.succeeded else None
    if attempt.succeeded:
        event.actor_id = attempt.user.id
        if second_step is not None:
            event.outcome = SECOND_STEP_OUTCOMES[second_step]
    db.session.commit()
    # After the commit: the counters may live in this same SQLite file, whose write lock the
    # transaction held.
    if not attempt.succeeded:
        login_limits.after_wrong_password(form.email.data)
        return render_login(form, message=FAILED_LOGIN_MESSAGE)
    login_limits.after_right_password(form.email.data)
    if second_step is not None:
        pending.begin_pending(attempt.user, second_step, safe_next(request.args.get("next")))
        return redirect(url_for(SECOND_STEP_PAGES[second_step]))
    sessions.start(attempt.user)
    return redirect(_after_login())


def _record_refusal(email: str, refusal: login_limits.Refusal) -> None:
    """Audit a try refused before its password was checked."""
    begin_write()
    user = accounts.find_by_email(email)
    audit.record(
        AuditAction.AUTH_LOGIN,
        actor_type=ActorType.STAFF,
        actor_label=user.email if user else "(no such account)",
        target_type="staff_user" if user else None,
        target_id=user.id if user else None,
        outcome=refusal.outcome,
        detail={"wait_seconds": refusal.seconds},
    )
    db.session.commit()


def _second_step(user) -> str | None:
    """What the login still needs after a right password: a code, enrolment, or nothing."""
    if user.has_two_step:
        return Step.CODE
    if current_app.config["STAFF_REQUIRE_MFA"]:
        return Step.ENROL
    return None


@bp.post("/logout")
def logout():
    """End this session (a copy of its cookie stops working too)."""
    begin_write()
    audit.record(
        AuditAction.AUTH_LOGOUT, target_type=sessions.TARGET_TYPE, target_id=sessions.current_id()
    )
    db.session.commit()
    sessions.end()
    flash("You are logged out.", "info")
    return redirect(url_for("staff.login"))


@bp.post("/session/keepalive")
def keepalive():
    """The idle warning's "Stay logged in": this request itself resets the idle clock."""
    return jsonify(seconds_left=sessions.seconds_left())


@bp.errorhandler(CSRFError)
def form_expired(error):
    """A form posted with a missing or stale token: explain, keep what was typed."""
    if request.endpoint == "staff.login":
        form = LoginForm()  # keeps the email typed; the token is new
        message = "The login page had expired. Please enter your password again."
        return render_login(form, message=message, status=400)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return render_template(
        "errors/error.html",
        code=400,
        title="That form had expired",
        message="Nothing was changed. Go back, reload the page and try again.",
    ), 400
