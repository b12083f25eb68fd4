"""The therapist's part of a consent on the staff side: confirm, decline, record a withdrawal,
and download the addenda that record each."""

import uuid
from io import BytesIO

from flask import abort, flash, redirect, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from intake import audit, clock, consent_status
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import ChartDocument, ConsentDecision, ConsentState, Submission
from intake.staff import signed_pdf
from intake.staff.blueprint import bp
from intake.staff.forms import ConfirmConsentForm, DeclineConsentForm, WithdrawConsentForm
from intake.staff.submissions import submission_page

TARGET_TYPE = "submission"
_ACTIONS = {
    ConsentState.CONFIRMED: AuditAction.CONSENT_CONFIRM,
    ConsentState.DECLINED: AuditAction.CONSENT_DECLINE,
    ConsentState.WITHDRAWN: AuditAction.CONSENT_WITHDRAW,
}


@bp.post("/submissions/<uuid:public_id>/consent/confirm")
def confirm_consent(public_id: uuid.UUID):
    """The therapist discussed dry needling with the patient, who agrees."""
    form = ConfirmConsentForm()
    return _decide(
        public_id,
        ConsentState.CONFIRMED,
        form,
        lambda submission: consent_status.confirm_consent(
            submission.id,
            current_user,
            care_plan_ends_on=form.care_plan_ends_on.data,
            note=form.note.data,
        ),
    )


@bp.post("/submissions/<uuid:public_id>/consent/decline")
def decline_consent(public_id: uuid.UUID):
    """Dry needling will not go ahead: not appropriate, or declined by the patient."""
    form = DeclineConsentForm()
    return _decide(
        public_id,
        ConsentState.DECLINED,
        form,
        lambda submission: consent_status.decline_consent(
            submission.id, current_user, reason=form.reason.data, note=form.note.data
        ),
    )


@bp.post("/submissions/<uuid:public_id>/consent/withdraw")
def withdraw_consent(public_id: uuid.UUID):
    """The patient withdrew their consent; the therapist records who told whom, when, how."""
    form = WithdrawConsentForm()
    return _decide(
        public_id,
        ConsentState.WITHDRAWN,
        form,
        lambda submission: consent_status.withdraw_consent(
            submission.id,
            current_user,
            told_by=form.told_by.data,
            told_to=form.told_to.data,
            told_at=clock.from_local(form.told_at.data),
            told_how=form.told_how.data,
            note=form.note.data,
        ),
    )


@bp.get("/submissions/<uuid:public_id>/addenda/<uuid:decision_id>.pdf")
def download_addendum(public_id: uuid.UUID, decision_id: uuid.UUID):
    """A consent addendum exactly as stored, as an attachment."""
    begin_write()
    row = db.session.execute(
        select(Submission, ChartDocument)
        .join(ConsentDecision, ConsentDecision.submission_id == Submission.id)
        .join(ChartDocument, ChartDocument.consent_decision_id == ConsentDecision.id)
        .where(Submission.public_id == public_id, ConsentDecision.public_id == decision_id)
        .options(undefer(ChartDocument.content))
    ).first()
    if row is None:
        db.session.rollback()
        abort(404)
    submission, document = row
    intact = signed_pdf.is_intact(document)
    audit.record(
        AuditAction.PDF_DOWNLOAD,
        target_type=TARGET_TYPE,
        target_id=submission.public_id,
        outcome="success" if intact else "checksum_mismatch",
        detail={"document": document.id, "sha256": document.sha256},
    )
    db.session.commit()
    if not intact:
        abort(500)
    name = signed_pdf.download_name(submission).removesuffix("intake.pdf")
    name += f"consent-{document.created_at:%Y%m%d-%H%M%S}.pdf"
    return send_file(
        BytesIO(document.content),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
        etag=False,
    )


def _decide(public_id: uuid.UUID, kind: ConsentState, form, decide):
    """Check the role and the form, record the decision, then make its addendum."""
    submission = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
    if submission is None:
        abort(404)
    if not current_user.is_therapist:
        begin_write()
        audit.record(
            _ACTIONS[kind],
            target_type=TARGET_TYPE,
            target_id=submission.public_id,
            outcome="forbidden",
            detail={"role": current_user.role},
        )
        db.session.commit()
        abort(403)
    if form.validate_on_submit():
        try:
            decision = decide(submission)
        except consent_status.ConsentError as error:
            form.form_errors.append(str(error))
        else:
            document = consent_status.render_addendum(decision.id)
            label = ConsentState(kind).label
            if document is None:
                flash(
                    f"{label}: recorded. Its addendum PDF could not be made now; it is kept "
                    "in the list below and made again by render-pending.",
                    "error",
                )
            else:
                flash(f"{label}: recorded, and its addendum PDF is stored.", "success")
            return redirect(url_for("staff.submission", public_id=public_id) + "#consent-state")
    db.session.rollback()
    return submission_page(public_id, **{_FORM_NAMES[kind]: form}), 400


_FORM_NAMES = {
    ConsentState.CONFIRMED: "confirm_form",
    ConsentState.DECLINED: "decline_form",
    ConsentState.WITHDRAWN: "withdraw_form",
}
