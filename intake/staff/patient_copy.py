"""The patient's copy of their signed consent: "Print patient copy" and "Email patient copy"."""

import uuid
from io import BytesIO

from flask import flash, redirect, send_file, url_for

from intake import patient_copies
from intake.staff import signed_pdf
from intake.staff.blueprint import bp
from intake.staff.submissions import submission_or_404

DOCUMENT = "patient-copy"  # ends the file name: Doe_Jane_2026-11-25_patient-copy.pdf

EMAIL_MESSAGES = {
    patient_copies.Emailed.SENT: ("The patient's copy was emailed.", "success"),
    patient_copies.Emailed.FAILED: (
        "The email could not be sent (the mail server could not be reached, or refused it). "
        "Nothing was changed; print the copy, or try again later.",
        "error",
    ),
    patient_copies.Emailed.NOT_OFFERED: (
        "No copy was emailed: the patient gave no email address, or this clinic sends no email.",
        "error",
    ),
}


@bp.get("/submissions/<uuid:public_id>/patient-copy")
def print_patient_copy(public_id: uuid.UUID):
    """The patient's copy as a PDF that opens in the browser, to print or hand over."""
    record = submission_or_404(public_id)
    try:
        pdf = patient_copies.print_copy(record)
    except patient_copies.CopyNotMade:
        flash("The patient's copy could not be made just now. Nothing was changed.", "error")
        return redirect(url_for("staff.submission", public_id=public_id))
    name = signed_pdf.download_name(record, DOCUMENT)
    response = send_file(BytesIO(pdf), mimetype="application/pdf", download_name=name, etag=False)
    # Inline: the browser's viewer opens it, ready to print; the name is kept for saving.
    response.headers.set(
        "Content-Disposition", "inline", **signed_pdf.content_disposition(record, DOCUMENT)
    )
    return response


@bp.post("/submissions/<uuid:public_id>/patient-copy/email")
def email_patient_copy(public_id: uuid.UUID):
    """Email the patient's copy to the address they gave (staff may send it again)."""
    submission_or_404(public_id)
    outcome = patient_copies.email_copy(public_id)
    flash(*EMAIL_MESSAGES[outcome])
    return redirect(url_for("staff.submission", public_id=public_id))
