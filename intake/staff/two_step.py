"""Two-step login: the code after the password, a recovery code instead, enrolment, and
new recovery codes from the account page. Nothing is logged in until the second step is
done (intake.staff.pending holds the login meanwhile).
"""

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user

from intake import audit, two_step
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db, limiter
from intake.models import ActorType, StaffUser
from intake.staff import sessions
from intake.staff.auth import safe_next
from intake.staff.blueprint import bp
from intake.staff.forms import CodeForm, RecoveryCodeForm
from intake.staff.pending import ENROL_SECRET, PENDING, Step, pending, pending_user

# Codes tried per account, wherever from, and per address. Three codes are valid at any
# moment, so 50 tries a day give someone who already has the password about one chance in
# 6,700 a day of guessing a code, each try in the audit log.
CODE_RATE_LIMIT = "5 per minute; 20 per hour; 50 per day"
CODE_RATE_LIMIT_PER_ADDRESS = "10 per minute"
EXPIRED_MESSAGE = "That page waited too long, so nothing was kept. Please log in again."
WRONG_CODE_MESSAGE = (
    "That code is not right. Check the app shows this account, and try the newest code."
)


def _pending_key() -> str:
    """Rate-limit key: the account being logged in to, whatever the address. Its session
    token is part of it, so a password reset gives the real user fresh tries."""
    state = session.get(PENDING)
    if isinstance(state, dict) and "user" in state:
        return f"two-step:{state['user']}:{state.get('token')}"
    return "two-step:none"


def _start_again():
    session.pop(PENDING, None)
    session.pop(ENROL_SECRET, None)
    flash(EXPIRED_MESSAGE, "info")
    return redirect(url_for("staff.login"))


def _finish(user: StaffUser):
    next_path = safe_next((pending() or {}).get("next"))
    sessions.start(user)  # a fresh session: the pending state goes with the old one
    return redirect(next_path or url_for("staff.dashboard"))


def _record(action: AuditAction, user: StaffUser, outcome: str, **detail) -> None:
    event = audit.record(
        action,
        actor_type=ActorType.STAFF,
        actor_label=user.email,
        target_type="staff_user",
        target_id=user.id,
        outcome=outcome,
        detail=detail or None,
    )
    event.actor_id = user.id


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(CODE_RATE_LIMIT, key_func=_pending_key, methods=["POST"])
@limiter.limit(CODE_RATE_LIMIT_PER_ADDRESS, methods=["POST"])
def login_code():
    """The second step: the code the authenticator app shows now."""
    return _second_step(
        CodeForm,
        "staff/login_code.html",
        AuditAction.AUTH_TWO_STEP_CODE,
        two_step.check_code,
        refusals={
            two_step.CodeOutcome.REPLAYED: "That code was used already. Wait for the next one.",
            two_step.CodeOutcome.WRONG: WRONG_CODE_MESSAGE,
        },
    )


@bp.route("/login/recovery", methods=["GET", "POST"])
@limiter.limit(CODE_RATE_LIMIT, key_func=_pending_key, methods=["POST"])
@limiter.limit(CODE_RATE_LIMIT_PER_ADDRESS, methods=["POST"])
def login_recovery():
    """A recovery code instead of the app's code: each works once."""
    return _second_step(
        RecoveryCodeForm,
        "staff/login_recovery.html",
        AuditAction.AUTH_RECOVERY_CODE,
        two_step.use_recovery_code,
        refusals={
            two_step.CodeOutcome.REPLAYED: "That recovery code was used already; each works once.",
            two_step.CodeOutcome.WRONG: "That is not one of your recovery codes.",
        },
    )


def _second_step(form_class, template: str, action: AuditAction, check, refusals: dict):
    """Check a code for the pending login under its row lock, audit the try, and log in."""
    if pending_user(Step.CODE) is None:
        return _start_again()
    form = form_class()
    if not form.validate_on_submit():
        return render_template(template, form=form)
    begin_write()
    user = pending_user(Step.CODE, for_update=True)
    if user is None:
        db.session.rollback()
        return _start_again()
    outcome = check(user, form.code.data)
    recovery = action == AuditAction.AUTH_RECOVERY_CODE
    left = two_step.unused_recovery_codes(user) if recovery else None
    _record(action, user, outcome, **({"left": left} if recovery else {}))
    db.session.commit()
    if outcome != two_step.CodeOutcome.SUCCESS:
        form.code.errors.append(refusals[outcome])
        return render_template(template, form=form)  # 200, as for a wrong password
    response = _finish(user)
    if recovery:
        flash(
            f"You used a recovery code; {left} left. Make new ones under “My account” if you "
            "are running low, or ask an admin to reset two-step login if you lost your phone.",
            "info",
        )
    return response


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(CODE_RATE_LIMIT, key_func=_pending_key, methods=["POST"])
@limiter.limit(CODE_RATE_LIMIT_PER_ADDRESS, methods=["POST"])
def login_enrol():
    """Two-step login is required and this account has none yet: set it up, then go on."""
    user = pending_user(Step.ENROL)
    if user is None:
        return _start_again()
    return _enrol(user, url_for("staff.login_enrol"), logging_in=True)


@bp.route("/account/two-step", methods=["GET", "POST"])
@limiter.limit(CODE_RATE_LIMIT, methods=["POST"])
def two_step_setup():
    """A logged-in staff member turns two-step login on."""
    if current_user.has_two_step:
        return redirect(url_for("staff.my_account"))
    return _enrol(current_user, url_for("staff.two_step_setup"), logging_in=False)


def _enrol(user: StaffUser, action: str, logging_in: bool):
    """The enrolment page (a QR code and its key), and the code that proves the app has it."""
    sealed = session.get(ENROL_SECRET)
    secret = two_step.open_secret(sealed) if isinstance(sealed, str) else None
    if secret is None:
        secret = two_step.new_secret()
        session[ENROL_SECRET] = two_step.seal_secret(secret)  # the cookie holds it encrypted
    form = CodeForm()
    if not form.validate_on_submit():
        return _enrol_page(user, form, action, logging_in, secret)
    begin_write()
    account = db.session.get(StaffUser, user.id, with_for_update=True)
    enrolment = two_step.enrol(account, secret, form.code.data)
    if enrolment is None:
        db.session.rollback()
        form.code.errors.append(WRONG_CODE_MESSAGE)
        return _enrol_page(user, form, action, logging_in, secret)
    _record(AuditAction.AUTH_TWO_STEP_ENROL, account, "success")
    db.session.commit()
    session.pop(ENROL_SECRET, None)
    next_path = safe_next((pending() or {}).get("next"))
    if logging_in:
        sessions.start(account)
    return render_template(
        "staff/recovery_codes.html",
        codes=enrolment.recovery_codes,
        continue_url=next_path or url_for("staff.dashboard"),
        first_time=True,
    )


def _enrol_page(user: StaffUser, form: CodeForm, action: str, logging_in: bool, secret: str):
    """The QR code of the secret being enrolled, its key in groups, and the code field."""
    uri = two_step.provisioning_uri(secret, user.email)
    return render_template(
        "staff/enrol.html",
        form=form,
        action=action,
        qr_svg=two_step.qr_svg(uri),
        secret=two_step.grouped(secret),
        required=logging_in and current_app.config["STAFF_REQUIRE_MFA"],
    )


@bp.post("/account/recovery-codes")
@limiter.limit(CODE_RATE_LIMIT)
def new_recovery_codes():
    """Ten new recovery codes (the old ones stop working), after a code from the app."""
    form = CodeForm()
    if not form.validate_on_submit() or not current_user.has_two_step:
        flash("Enter the 6-digit code from your app to make new recovery codes.", "error")
        return redirect(url_for("staff.my_account"))
    begin_write()
    user = db.session.get(StaffUser, current_user.id, with_for_update=True)
    outcome = two_step.check_code(user, form.code.data)
    codes = two_step.new_recovery_codes(user) if outcome == two_step.CodeOutcome.SUCCESS else []
    audit.record(
        AuditAction.AUTH_RECOVERY_CODES_NEW,
        target_type="staff_user",
        target_id=user.id,
        outcome=outcome,
    )
    db.session.commit()
    if not codes:
        flash("That code is not right; your recovery codes are unchanged.", "error")
        return redirect(url_for("staff.my_account"))
    return render_template(
        "staff/recovery_codes.html",
        codes=codes,
        continue_url=url_for("staff.my_account"),
        first_time=False,
    )
