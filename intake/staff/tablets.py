"""Naming the tablet in hand ("Front desk 1"), so each submission records where it was signed."""

from flask import make_response, render_template, request

from intake import audit
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.staff import sessions
from intake.staff.blueprint import bp
from intake.staff.forms import TabletNameForm
from intake.tablets import read_tablet_label, set_tablet_label


@bp.route("/tablet", methods=["GET", "POST"])
def tablet():
    """Show and set this device's name; saving logs staff out, ready for patients."""
    current_label = read_tablet_label(request)
    form = TabletNameForm(data={"label": current_label} if request.method == "GET" else None)
    if not form.validate_on_submit():
        return render_template("staff/tablet.html", form=form, current_label=current_label)
    label = " ".join(form.label.data.split())
    begin_write()
    audit.record(
        AuditAction.TABLET_NAME,
        target_type="tablet",
        detail={"label": label, "previous": current_label},
    )
    audit.record(
        AuditAction.AUTH_LOGOUT, target_type=sessions.TARGET_TYPE, target_id=sessions.current_id()
    )
    db.session.commit()
    sessions.end()
    # A page, not a redirect: the session just ended, and staff should see the name took.
    response = make_response(render_template("staff/tablet_named.html", label=label))
    set_tablet_label(response, label)
    return response
