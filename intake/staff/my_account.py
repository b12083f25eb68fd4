"""A staff member's own account: change the password, log out everywhere."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from intake import accounts, audit, two_step
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db, limiter
from intake.models import StaffUser
from intake.staff import sessions
from intake.staff.blueprint import bp
from intake.staff.forms import ChangePasswordForm, CodeForm

# Checking the current password must not become a way to guess it.
PASSWORD_CHECK_RATE_LIMIT = "10 per minute"


@bp.get("/account")
def my_account():
    """The account page."""
    return _account_page(ChangePasswordForm())


def _account_page(password_form: ChangePasswordForm, status: int = 200):
    user = db.session.get(StaffUser, current_user.id)
    return render_template(
        "staff/my_account.html",
        password_form=password_form,
        code_form=CodeForm(),
        recovery_left=two_step.unused_recovery_codes(user),
    ), status


@bp.post("/account/password")
@limiter.limit(PASSWORD_CHECK_RATE_LIMIT)
def change_password():
    """A new password ends every other session; this one carries on."""
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        begin_write()
        user = db.session.get(StaffUser, current_user.id)
        if not accounts.verify_password(user, form.current_password.data):
            db.session.rollback()
            form.current_password.errors.append("That is not your current password.")
        else:
            accounts.set_password(user, form.new_password.data)
            audit.record(
                AuditAction.AUTH_PASSWORD_CHANGE, target_type="staff_user", target_id=user.id
            )
            db.session.commit()
            sessions.start(user)
            flash("Your password is changed. Other sessions of your account have ended.", "success")
            return redirect(url_for("staff.my_account"))
    return _account_page(form, 400)


@bp.post("/account/logout-everywhere")
def logout_everywhere():
    """End every session of this account, on every device, this one included."""
    begin_write()
    user = db.session.get(StaffUser, current_user.id)
    accounts.end_all_sessions(user)
    audit.record(AuditAction.AUTH_LOGOUT_EVERYWHERE, target_type="staff_user", target_id=user.id)
    db.session.commit()
    sessions.end()
    flash("You are logged out on every device.", "info")
    return redirect(url_for("staff.login"))
