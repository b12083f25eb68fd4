"""Realistic fictional submissions for demos and benchmarks; never for a production database."""

import hashlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from intake import consents, questionnaire, signatures, signing
from intake.answers import EXCLUSIVE_CHOICE
from intake.database import begin_write
from intake.extensions import db
from intake.models import (
    PdfStatus,
    SignatureKind,
    SignerRelationship,
    Submission,
    SubmissionStatus,
)
from intake.patients import fold_name
from intake.questionnaire import Kind

FIRST_NAMES = (
    "Jane", "John", "María", "José", "Zoë", "Łukasz", "Aoife", "Chloé", "Björn", "Nguyễn",
    "Fatima", "Mohammed", "Wei", "Mei", "Priya", "Arjun", "Olga", "Dmitri", "Amara", "Kwame",
    "Sofia", "Liam", "Noah", "Emma", "Ava", "Lucas", "Mia", "Mateo", "Isabella", "Hannah",
    "D'Angelo", "Anne-Marie", "伟", "فاطمة",
)  # fmt: skip
LAST_NAMES = (
    "Doe", "Smith", "Núñez", "García", "O'Brien", "Kowalski", "Müller", "Johansson", "Tran",
    "Haddad", "Chen", "Wang", "Patel", "Singh", "Ivanova", "Mensah", "Rossi", "Nakamura",
    "Smith-Jones", "Williams", "Brown", "Martínez", "Kim", "Lee", "Nowak", "Dubois", "王", "حداد",
)  # fmt: skip
STREETS = ("River Road", "Oak Street", "Maple Avenue", "Lakeview Drive", "Main Street")
REASONS = (
    "Lower back pain after lifting boxes at work.",
    "Neck stiffness and headaches from long hours at the computer.",
    "Right shoulder pain when reaching overhead.",
    "Knee pain when climbing stairs since a fall in September.",
    "Tennis elbow — hurts to grip a cup.",
    "Plantar fasciitis, worst in the morning.",
)
RELATIONSHIPS = ("Wife", "Husband", "Daughter", "Son", "Mother", "Friend", "Neighbor")
LANGUAGES = ("english", "spanish", "other")
OTHER_LANGUAGES = ("Vietnamese", "Polish", "Tagalog", "Arabic")
SHORT_TEXTS = ("Rest and ice", "Heat", "Stretching", "Walking", "Sitting at a desk", "Driving")


def fictional_answers(rng: random.Random, today: date) -> dict[str, Any]:
    """A complete, valid set of answers, walking the questionnaire so follow-ups fit."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    age_days = rng.randint(12 * 365, 92 * 365)
    fixed: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "date_of_birth": (today - timedelta(days=age_days)).isoformat(),
        "phone": f"+1 312 555 {rng.randint(0, 9999):04d}",
        "email": _demo_email(rng, first, last) if rng.random() < 0.8 else "",
        "address": f"{rng.randint(1, 999)} {rng.choice(STREETS)}\nSpringfield, IL 62701",
        "emergency_contact_name": f"{rng.choice(FIRST_NAMES)} {last}",
        "emergency_contact_phone": f"+1 312 555 {rng.randint(0, 9999):04d}",
        "sex": rng.choices(("female", "male", "other", "no_answer"), weights=(55, 40, 2, 3))[0],
        "pregnant": "yes" if 18 * 365 <= age_days <= 42 * 365 and rng.random() < 0.1 else "no",
        "emergency_contact_relationship": rng.choice(RELATIONSHIPS),
        "preferred_language": rng.choices(LANGUAGES, weights=(85, 12, 3))[0],
        "preferred_language_other": rng.choice(OTHER_LANGUAGES),
        "visit_reason": rng.choice(REASONS),
        "onset_date": (today - timedelta(days=rng.randint(3, 400))).isoformat(),
    }
    answers: dict[str, Any] = {}
    for question in questionnaire.QUESTIONS:
        if not questionnaire.is_shown(question, answers):
            continue
        if question.id in fixed:
            answers[question.id] = fixed[question.id]
        elif question.kind == Kind.YES_NO:
            answers[question.id] = "yes" if rng.random() < 0.05 else "no"
        elif question.kind == Kind.CHOICE:
            answers[question.id] = rng.choice(question.choice_values)
        elif question.kind == Kind.MULTI:
            values = question.choice_values
            chosen = sorted(rng.sample(values, k=rng.randint(1, 2)), key=values.index)
            if EXCLUSIVE_CHOICE in chosen:  # "None yet", "No allergies": alone or not at all
                chosen = [EXCLUSIVE_CHOICE]
            answers[question.id] = chosen
        elif question.kind == Kind.SCALE:
            answers[question.id] = rng.randint(0, 10)
        elif question.kind in (Kind.TEXT, Kind.LONG_TEXT):
            answers[question.id] = rng.choice(SHORT_TEXTS) if question.required else ""
        elif question.kind == Kind.PHONE:
            answers[question.id] = f"+1 312 555 {rng.randint(0, 9999):04d}"
        elif question.kind == Kind.DATE:
            answers[question.id] = (today - timedelta(days=rng.randint(1, 300))).isoformat()
    return questionnaire.shown_answers(answers)


def _demo_email(rng: random.Random, first: str, last: str) -> str:
    local = f"{fold_name(first)}.{fold_name(last)}".replace(" ", "").replace("'", "")
    if not local.isascii():
        local = f"patient{rng.randint(1000, 9999)}"
    return f"{local}@example.org"


def fictional_rows(
    count: int, *, days: int = 30, seed: int = 1, now: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Column values for `count` submissions spread over the `days` days before `now`."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    first = date.fromisoformat(consents.versions()[0].effective_date)
    for index in range(count):
        submitted_at = now - timedelta(seconds=rng.uniform(0, days * 86400))
        # The version in effect that day: a row from before a new version keeps the old one
        # (and one from before the first version, for demo data, takes the first).
        document = consents.current(today=max(submitted_at.date(), first))
        answers = fictional_answers(rng, submitted_at.date())
        guardian_phone = None
        if signing.is_minor(answers, submitted_at.date()):
            # A minor's parent signs: the emergency contact, reached at the same number.
            signer, relationship = answers["emergency_contact_name"], SignerRelationship.PARENT
            guardian_phone = answers["emergency_contact_phone"]
        else:
            signer, relationship = signing.patient_name(answers), SignerRelationship.SELF
        initials = signatures.example_initials(signer) or "X"
        public_id = _uuid4(rng)
        started_at = submitted_at - timedelta(minutes=rng.randint(4, 25))
        evidence = signing.Evidence(
            ip_address=f"192.0.2.{rng.randint(1, 254)}",
            user_agent="Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) (demo data)",
            device_label=rng.choice(("Front desk 1", "Front desk 2", "Home link")),
        )
        checked = signing.CheckedSigning(
            initials={clause.id: initials for clause in document.clauses},
            signer_name=signer,
            signer_relationship=relationship,
            signature_kind=SignatureKind.TYPED,
            typed_signature=signer,
            guardian_phone=guardian_phone,
        )
        columns = signing.submission_columns(
            answers,
            document,
            checked,
            evidence,
            draft_key=hashlib.sha256(f"demo-{seed}-{index}".encode()).hexdigest(),
            started_at=started_at,
            signed_at=submitted_at,
            public_id=public_id,
        )
        yield {**columns, "status": SubmissionStatus.SUBMITTED, "pdf_status": PdfStatus.PENDING}


def _uuid4(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID from the seeded generator, so demo data is reproducible."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def seed_demo(
    count: int, *, days: int = 30, seed: int = 1, chunk: int = 1000, now: datetime | None = None
) -> int:
    """Insert `count` fictional submissions in bulk, committing every `chunk` rows; the same
    seed and `now` give the same submissions."""
    inserted = 0
    batch: list[dict[str, Any]] = []
    for row in fictional_rows(count, days=days, seed=seed, now=now):
        batch.append(row)
        if len(batch) == chunk:
            inserted += _insert(batch)
            batch = []
    if batch:
        inserted += _insert(batch)
    return inserted


def _insert(rows: list[dict[str, Any]]) -> int:
    begin_write()
    db.session.execute(insert(Submission), rows)
    db.session.commit()
    return len(rows)
