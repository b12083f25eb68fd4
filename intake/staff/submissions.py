"""One submission: every answer, flags, consent, signature; its signed PDF; marking it reviewed."""

import base64
import uuid
from datetime import UTC, datetime
from io import BytesIO

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from intake import audit, consent_status, consents, patient_copies, questionnaire
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import (
    ConsentState,
    PdfStatus,
    SignerRelationship,
    Submission,
    SubmissionStatus,
)
from intake.questionnaire import Audience
from intake.staff import signed_pdf
from intake.staff.blueprint import bp
from intake.staff.forms import consent_forms

TARGET_TYPE = "submission"


def submission_or_404(public_id: uuid.UUID, *, for_update: bool = False) -> Submission:
    """The submission with this public id, or a 404 page."""
    stmt = select(Submission).where(Submission.public_id == public_id)
    if for_update:
        stmt = stmt.with_for_update()
    submission = db.session.scalar(stmt)
    if submission is None:
        abort(404)
    return submission


@bp.get("/submissions/<uuid:public_id>")
def submission(public_id: uuid.UUID):
    """Everything the patient submitted, as they submitted it."""
    return submission_page(public_id)


def submission_page(public_id: uuid.UUID, **forms) -> str:
    """The submission's page, its view on record; `forms` replace the empty consent forms
    (one the therapist posted with errors)."""
    begin_write()
    record = submission_or_404(public_id)
    audit.record(AuditAction.SUBMISSION_VIEW, target_type=TARGET_TYPE, target_id=record.public_id)
    corrects = db.session.get(Submission, record.corrects_id) if record.corrects_id else None
    page = render_template(
        "staff/submission.html",
        submission=record,
        status_label=SubmissionStatus(record.status).label,
        red_flags=questionnaire.flag_details(
            questionnaire.red_flag_codes(record.flags or []), record.flag_notes
        ),
        flags=questionnaire.flag_details(
            questionnaire.needling_flag_codes(record.flags or []), record.flag_notes
        ),
        scores=questionnaire.scores(record.answers or {}),
        sections=questionnaire.history(
            record.answers or {}, Audience.CLINIC, record.flags or [], record.flag_notes
        ),
        consent=consents.from_snapshot(record.consent_snapshot),
        relationship=SignerRelationship.label_of(record.signer_relationship),
        signature_image=_signature_data_uri(record.signature_svg),
        document=signed_pdf.find(record),
        pdf_failed=record.pdf_status == PdfStatus.FAILED,
        email_copy=patient_copies.email_offered(record),
        corrects=corrects,
        consent_state=ConsentState(record.consent_state),
        consent_lapsed=consent_status.lapse_reason(record),
        decisions=consent_status.decisions_of(record),
        **(consent_forms(current_user) | forms),
    )
    db.session.commit()  # the page goes out only once its read is on record
    return page


def _signature_data_uri(svg: str | None) -> str | None:
    """The server-built signature SVG as an <img> source: shown, never run as markup."""
    if not svg:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@bp.get("/submissions/<uuid:public_id>/pdf")
def download_pdf(public_id: uuid.UUID):
    """The signed PDF exactly as stored, as an attachment."""
    begin_write()
    record = submission_or_404(public_id)
    document = signed_pdf.find(record, with_content=True)
    if document is None:
        abort(404)
    if not signed_pdf.is_intact(document):
        current_app.logger.error("Chart document %s fails its SHA-256 check", document.id)
        audit.record(
            AuditAction.PDF_DOWNLOAD,
            target_type=TARGET_TYPE,
            target_id=record.public_id,
            outcome="checksum_mismatch",
            detail={"document": document.id},
        )
        db.session.commit()
        abort(500)
    content, name = document.content, signed_pdf.download_name(record)
    audit.record(
        AuditAction.PDF_DOWNLOAD,
        target_type=TARGET_TYPE,
        target_id=record.public_id,
        detail={"document": document.id, "sha256": document.sha256},
    )
    mimetype = document.content_type or "application/pdf"
    db.session.commit()
    response = send_file(
        BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name, etag=False
    )
    # Beside the ASCII name, the name as written (Werkzeug's own fallback drops "Ł").
    response.headers.set(
        "Content-Disposition", "attachment", **signed_pdf.content_disposition(record)
    )
    return response


@bp.post("/submissions/<uuid:public_id>/review")
def mark_reviewed(public_id: uuid.UUID):
    """Record who reviewed the submission, and when (once)."""
    begin_write()
    record = submission_or_404(public_id, for_update=True)
    if record.reviewed_at is not None:
        db.session.rollback()
        flash("This intake was already marked reviewed.", "info")
    else:
        record.reviewed_at = datetime.now(UTC)
        record.reviewed_by_id = current_user.id
        record.status = SubmissionStatus.REVIEWED
        audit.record(
            AuditAction.SUBMISSION_REVIEW, target_type=TARGET_TYPE, target_id=record.public_id
        )
        db.session.commit()
        flash("Marked reviewed.", "success")
    return redirect(url_for("staff.submission", public_id=public_id))
