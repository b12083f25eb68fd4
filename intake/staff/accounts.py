"""Admins manage staff accounts: create, name, deactivate, reactivate, lift the wait after
wrong passwords, reset the password or two-step login."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from intake import accounts, audit, login_limits, two_step
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import StaffRole, StaffUser
from intake.staff.blueprint import admin_bp
from intake.staff.forms import CreateStaffForm, ResetPasswordForm, SigningNameForm

TARGET_TYPE = "staff_user"


@admin_bp.get("/accounts")
def staff_accounts():
    """Every staff account and a form to add one."""
    return _render_accounts(CreateStaffForm())


@admin_bp.post("/accounts")
def create_account():
    """Add a staff or admin account with a first password the admin passes on."""
    form = CreateStaffForm()
    if not form.validate_on_submit():
        return _render_accounts(form, 400)
    begin_write()
    try:
        user = accounts.create_staff_user(
            form.email.data,
            form.new_password.data,
            form.role.data,
            display_name=form.display_name.data,
            credentials=form.credentials.data,
        )
        db.session.flush()
    except accounts.AccountError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return _render_accounts(form, 400)
    audit.record(
        AuditAction.STAFF_CREATE,
        target_type=TARGET_TYPE,
        target_id=user.id,
        detail={"email": user.email, "role": user.role},
    )
    db.session.commit()
    flash(f"Created the {StaffRole(user.role).label.lower()} account {user.email}.", "success")
    return redirect(url_for("staff.admin.staff_accounts"))


@admin_bp.post("/accounts/<int:user_id>/deactivate")
def deactivate_account(user_id: int):
    """Stop an account logging in and end its sessions now."""
    if user_id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("staff.admin.staff_accounts"))
    return _change(
        user_id,
        AuditAction.STAFF_DEACTIVATE,
        "{email} is deactivated and logged out.",
        lambda user: accounts.set_active(user, False),
    )


@admin_bp.post("/accounts/<int:user_id>/reactivate")
def reactivate_account(user_id: int):
    """Let a deactivated account log in again."""
    return _change(
        user_id,
        AuditAction.STAFF_REACTIVATE,
        "{email} can log in again.",
        lambda user: accounts.set_active(user, True),
    )


@admin_bp.post("/accounts/<int:user_id>/unlock")
def unlock_account(user_id: int):
    """Lift the wait that wrong passwords put on an account's tries, at once."""

    return _change(
        user_id,
        AuditAction.STAFF_UNLOCK,
        "{email} can try again at once.",
        accounts.unlock,
        after_commit=login_limits.forget_failures,
    )


@admin_bp.post("/accounts/<int:user_id>/two-step/reset")
def reset_two_step(user_id: int):
    """Re-enrolment: the account's app and recovery codes stop working and its sessions end;
    at its next login it sets two-step login up again (or logs in without, if not required)."""
    return _change(
        user_id,
        AuditAction.STAFF_TWO_STEP_RESET,
        "{email} was logged out everywhere and sets up two-step login again at the next login.",
        two_step.reset,
    )


@admin_bp.route("/accounts/<int:user_id>/password", methods=["GET", "POST"])
def reset_password(user_id: int):
    """Give an account a new password; its sessions end and any wait is lifted."""
    user = db.session.get(StaffUser, user_id) or abort(404)
    form = ResetPasswordForm()
    form.account_email = user.email
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("staff/reset_password.html", form=form, user=user), status
    return _change(
        user_id,
        AuditAction.STAFF_PASSWORD_RESET,
        "{email} has a new password and was logged out everywhere.",
        lambda account: accounts.set_password(account, form.new_password.data),
        after_commit=login_limits.forget_failures,  # no wait left from wrong ones before
    )


@admin_bp.route("/accounts/<int:user_id>/signing-name", methods=["GET", "POST"])
def signing_name(user_id: int):
    """Set the name and credentials a therapist signs consent addenda with."""
    user = db.session.get(StaffUser, user_id) or abort(404)
    form = SigningNameForm(obj=user)
    if form.validate_on_submit():
        try:
            return _change(
                user_id,
                AuditAction.STAFF_SIGNING_NAME,
                "{email} now signs as they are named here.",
                lambda account: accounts.set_signing_name(
                    account, form.display_name.data, form.credentials.data
                ),
            )
        except accounts.AccountError as error:
            db.session.rollback()
            form.credentials.errors.append(str(error))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/signing_name.html", form=form, user=user), status


def _change(user_id: int, action: str, message: str, change, after_commit=None):
    """Apply one change to an account in a write transaction, audited; then `after_commit`
    with its email (the rate-limit counters may share the database's write lock)."""
    begin_write()
    user = db.session.get(StaffUser, user_id, with_for_update=True) or abort(404)
    change(user)
    audit.record(action, target_type=TARGET_TYPE, target_id=user.id, detail={"email": user.email})
    db.session.commit()
    if after_commit is not None:
        after_commit(user.email)
    flash(message.format(email=user.email), "success")
    return redirect(url_for("staff.admin.staff_accounts"))


def _render_accounts(form: CreateStaffForm, status: int = 200):
    return render_template(
        "staff/accounts.html",
        form=form,
        users=accounts.all_staff(),
        is_slowed=lambda user: user.failed_logins >= login_limits.FREE_FAILURES,
    ), status
