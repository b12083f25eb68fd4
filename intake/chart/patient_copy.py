"""The patient's copy of the consent they signed: a PDF/A made from the stored row, on demand.

It prints the consent exactly as signed (the stored snapshot, the initials, the risk notes
shown, the signature, who signed and when) and how to reach the clinic, and nothing the clinic
keeps for itself: no health answers, flags, device, address or hash. It is never stored: the
same row gives the same bytes, so the copy a patient was given can always be made again, and
the chart PDF, the record, is never touched.
"""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup

from intake.chart.content import SignedConsent, signed_consent
from intake.chart.document import render_pdf
from intake.chart.job import RenderJob
from intake.models import Submission
from intake.translation import gettext

TEMPLATE = "chart/patient_copy.html"
# Bump when the copy's layout or wording changes: recorded with each copy given, so the
# bytes a patient received can be told from a copy made after the change.
LAYOUT_VERSION = "2"  # 2: in the language the patient signed in


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
    language: str  # the patient's: every word of the copy, as the consent they signed


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
    """What the copy shows, from the row alone (raises ChartDataError for a damaged one), in
    the language the patient signed in: call it inside `force_locale(submission.language)`."""
    zone = ZoneInfo(current_app.config["CLINIC_TIMEZONE"])
    consent = signed_consent(submission, zone)
    language = submission.language or "en"
    if language != "en":
        consent = dataclasses.replace(
            consent,
            signed_local=local_time(submission.signed_at, zone, language),
            signer_relationship=gettext(consent.signer_relationship),
            effective=format_date(date.fromisoformat(consent.effective), "long", locale=language),
        )
    clinic = clinic_contact()
    return PatientCopy(
        clinic=clinic,
        patient_name=submission.full_name,
        title=gettext(
            "%(consent)s: your signed copy, %(clinic)s", consent=consent.title, clinic=clinic.name
        ),
        created=submission.signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        consent=consent,
        language=language,
    )


# Where the page's number and the number of pages go in "Page 1 of 3", in any language:
# chart.css fills them (the copy numbers its pages in its running footer).
PAGE_NUMBER = Markup('<span class="page-number"></span>')
PAGE_COUNT = Markup('<span class="page-count"></span>')


def patient_copy_html(submission: Submission) -> str:
    """The copy as HTML, every value escaped by the template, in the patient's language."""
    with force_locale(submission.language or "en"):
        template = current_app.jinja_env.get_template(TEMPLATE)
        return template.render(
            copy=patient_copy_content(submission), page_number=PAGE_NUMBER, page_count=PAGE_COUNT
        )


def local_time(moment: datetime, zone: ZoneInfo, language: str) -> str:
    """A moment on the clinic's clock with the date as a reader of `language` writes it, as
    content.clinic_time does for English: "1 de diciembre de 2026, 10:05:09 CST (UTC-06:00)"."""
    local = moment.astimezone(zone)
    offset = local.strftime("%z")
    day = format_date(local.date(), format="long", locale=language)
    return f"{day}, {local:%H:%M:%S} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def render_patient_copy(submission: Submission) -> bytes:
    """The copy as PDF/A-3u bytes, rendered in the render process (raises RenderError)."""
    job = RenderJob(html=patient_copy_html(submission), created=submission.signed_at)
    # Not sealed: a seal dates itself, and the copy must come out the same bytes each time.
    # The stored chart PDF, sealed, is the record.
    return render_pdf(job, sealed=False)
