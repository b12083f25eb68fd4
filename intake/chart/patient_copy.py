"""The patient's copy of the consent they signed: a PDF/A made from the stored row, on demand.

It prints the consent exactly as signed (the stored snapshot, the initials, the risk notes
shown, the signature, who signed and when) and how to reach the clinic, and nothing the clinic
keeps for itself: no health answers, flags, device, address or hash. It is never stored: the
same row gives the same bytes, so the copy a patient was given can always be made again, and
the chart PDF, the record, is never touched.
"""

from dataclasses import dataclass
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import current_app

from intake.chart.content import SignedConsent, signed_consent
from intake.chart.document import render_pdf
from intake.chart.job import RenderJob
from intake.models import Submission

TEMPLATE = "chart/patient_copy.html"
# Bump when the copy's layout or wording changes: recorded with each copy given, so the
# bytes a patient received can be told from a copy made after the change.
LAYOUT_VERSION = "1"


@dataclass(frozen=True)
class ClinicContact:
    """How a patient reaches the clinic; empty parts are left out."""

    name: str
    phone: str
    address: str  # one line, as the clinic writes it
    email: str


@dataclass(frozen=True)
class PatientCopy:
    """Every value the patient's copy shows."""

    clinic: ClinicContact
    patient_name: str
    title: str
    created: str  # W3C date-time for the PDF metadata: the signing time, so bytes repeat
    consent: SignedConsent


def clinic_contact() -> ClinicContact:
    """The clinic's name and contact, from its settings."""
    config = current_app.config
    return ClinicContact(
        name=config["CLINIC_NAME"],
        phone=config["CLINIC_PHONE"],
        address=config["CLINIC_ADDRESS"],
        email=config["CLINIC_EMAIL"],
    )


def patient_copy_content(submission: Submission) -> PatientCopy:
    """What the copy shows, from the row alone (raises ChartDataError for a damaged one)."""
    consent = signed_consent(submission, ZoneInfo(current_app.config["CLINIC_TIMEZONE"]))
    clinic = clinic_contact()
    return PatientCopy(
        clinic=clinic,
        patient_name=submission.full_name,
        title=f"{consent.title}: your signed copy, {clinic.name}",
        created=submission.signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        consent=consent,
    )


def patient_copy_html(submission: Submission) -> str:
    """The copy as HTML, every value escaped by the template."""
    template = current_app.jinja_env.get_template(TEMPLATE)
    return template.render(copy=patient_copy_content(submission))


def render_patient_copy(submission: Submission) -> bytes:
    """The copy as PDF/A-3u bytes, rendered in the render process (raises RenderError)."""
    job = RenderJob(html=patient_copy_html(submission), created=submission.signed_at)
    # Not sealed: a seal dates itself, and the copy must come out the same bytes each time.
    # The stored chart PDF, sealed, is the record.
    return render_pdf(job, sealed=False)
