"""Factories for test data: valid records built the way the services build them."""

import hashlib
import json
import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from intake import accounts, consents, drafts, questionnaire, signatures, signing
from intake.extensions import db
from intake.models import (
    Draft,
    SignatureKind,
    SignerRelationship,
    StaffRole,
    StaffUser,
    Submission,
)

DEFAULT_PASSWORD = "correct horse battery staple"

# A complete set of answers that raises no flag.
BASE_ANSWERS: dict[str, Any] = {
    "first_name": "Jane",
    "last_name": "Doe",
    "date_of_birth": "1970-04-12",
    "sex": "female",
    "phone": "+1 312 555 0142",
    "email": "jane.doe@example.org",
    "address": "12 River Road\nSpringfield, IL 62701",
    "emergency_contact_name": "John Doe",
    "emergency_contact_phone": "+1 312 555 0199",
    "emergency_contact_relationship": "Husband",
    "physician": "Dr. Amy Chen",
    "preferred_language": "english",
    "visit_reason": "Lower back pain after lifting boxes.",
    "pain_areas": ["lower_back"],
    "pain_side_lower_back": "middle",
    "pain_now": 5,
    "pain_best": 2,
    "pain_worst": 8,
    "onset_date": "2026-10-01",
    "onset_how": "injury",
    "better_with": "Heat, lying down",
    "worse_with": "Sitting for long",
    "treatment_so_far": ["medication"],
    "imaging": ["none"],
    "goals": "Lift my grandson again",
    "occupation": "Teacher",
    "activities": "",
    **{
        q.id: "no"
        for q in questionnaire.QUESTIONS
        if q.kind == questionnaire.Kind.YES_NO and q.show_if is None
    },
    "cancer_past": "no",  # asked because "cancer" (now) is "no"
    "falls_last_year": "none",
    "pregnant": "no",
    "other_conditions": "",
    "past_surgeries": "",
    "medications": "Ibuprofen 200 mg as needed",
    "allergies": ["none"],
    "anything_else": "",
}


def typed_input(answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """BASE_ANSWERS (or these) as the tablet's pages post them: strings, and lists for
    multi-choice questions; dates as a patient in the US writes them."""
    merged = {**BASE_ANSWERS, **(answers or {})}
    typed: dict[str, Any] = {}
    for question in questionnaire.QUESTIONS:
        if question.id not in merged:
            continue
        value = merged[question.id]
        if question.kind == questionnaire.Kind.DATE and value:
            year, month, day = value.split("-")
            value = f"{month}/{day}/{year}"
        typed[question.id] = value if isinstance(value, list) else str(value)
    return typed


def signature_payload(width: float = 600, height: float = 200, strokes=None) -> str:
    """A signature_pad toData() payload as the consent page posts it (JSON text)."""
    if strokes is None:
        # A loop and a long underline: plenty of ink.
        strokes = [
            [(40 + i * 12, 120 - 40 * ((i % 4) in (1, 2))) for i in range(30)],
            [(60, 160), (300, 165), (520, 158)],
        ]
    data = [
        {
            "penColor": "black",
            "dotSize": 0,
            "minWidth": 0.5,
            "maxWidth": 2.5,
            "velocityFilterWeight": 0.7,
            "compositeOperation": "source-over",
            "points": [
                {"x": x, "y": y, "pressure": 0.5, "time": 1_700_000_000_000 + n * 16}
                for n, (x, y) in enumerate(stroke)
            ],
        }
        for stroke in strokes
    ]
    return json.dumps({"width": width, "height": height, "data": data})


def make_draft(answers: dict[str, Any] | None = None, **typed: Any) -> tuple[Draft, str]:
    """A committed draft holding a complete health history; returns it and its token."""
    draft, token = drafts.create(device_label="Front desk 1")
    drafts.save(draft, typed={**typed_input(answers), **typed}, step="review")
    return draft, token


def make_staff(
    email: str = "staff@example.org",
    role: str = StaffRole.FRONT_DESK,
    password: str = DEFAULT_PASSWORD,
    **signing_name: str | None,
) -> StaffUser:
    """A committed staff account; a therapist signs as "Dana Reyes, PT, DPT" unless given
    `display_name` and `credentials`."""
    if role == StaffRole.THERAPIST:
        signing_name = {"display_name": "Dana Reyes", "credentials": "PT, DPT"} | signing_name
    user = accounts.create_staff_user(email, password, role, **signing_name)
    db.session.commit()
    return user


def drawn_signature(width: int = 600, height: int = 200) -> dict[str, Any]:
    """Stroke data as the signature pad sends it: a looping name, an underline and a dot."""
    loop = [
        [round(40 + i * 9.5, 2), round(height / 2 - 45 * math.sin(i / 3.2) + i * 0.8, 2)]
        for i in range(48)
    ]
    underline = [[60 + i * 40, height - 30 + (i % 2)] for i in range(12)]
    return {"width": width, "height": height, "strokes": [loop, underline, [[520, 60]]]}


def make_submission(
    answers: dict[str, Any] | None = None,
    *,
    drawn: bool = False,
    consent: consents.ConsentDocument | None = None,
    **columns: Any,
) -> Submission:
    """A committed, signed submission (typed signature, or drawn with `drawn=True`),
    shaped as intake.signing stores it, of `consent` (the current version by default);
    override answers or columns. A minor's is signed by the emergency contact as parent, with
    that phone number."""
    submission = Submission(**submission_values(answers, drawn=drawn, consent=consent, **columns))
    db.session.add(submission)
    db.session.commit()
    return submission


def submission_values(
    answers: dict[str, Any] | None = None,
    *,
    drawn: bool = False,
    consent: consents.ConsentDocument | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """The columns `make_submission` stores, for a test that inserts them itself."""
    merged = questionnaire.shown_answers({**BASE_ANSWERS, **(answers or {})})
    submitted_at = columns.pop("submitted_at", datetime.now(UTC))
    name = signing.patient_name(merged)
    relationship, guardian_phone = SignerRelationship.SELF, None
    if signing.is_minor(merged, submitted_at.date()):
        name, relationship = merged["emergency_contact_name"], SignerRelationship.PARENT
        guardian_phone = merged["emergency_contact_phone"]
    if drawn:
        strokes = signatures.parse_drawn(signature_payload())
        way = {"signature_strokes": strokes, "signature_svg": signatures.to_svg(strokes)}
    else:
        way = {"typed_signature": name}
    document = consent or consents.current()
    checked = signing.CheckedSigning(
        initials={
            clause.id: signatures.example_initials(name) or "X" for clause in document.clauses
        },
        signer_name=name,
        signer_relationship=relationship,
        signature_kind=SignatureKind.DRAWN if drawn else SignatureKind.TYPED,
        guardian_phone=guardian_phone,
        **way,
    )
    values = signing.submission_columns(
        merged,
        document,
        checked,
        signing.Evidence(
            ip_address="192.0.2.10",
            user_agent="Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)",
            device_label="Front desk 1",
        ),
        draft_key=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
        started_at=submitted_at - timedelta(minutes=9),
        signed_at=submitted_at,
    )
    values.update(columns)
    return values
