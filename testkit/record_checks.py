"""What every stored submission must satisfy, whatever happened on the way in.

Used by the crash tests, the fuzz tests and bench/load.py to prove that no record is
half-written or breaks the questionnaire. Call inside an application context.
"""

from datetime import date
from typing import Any

from sqlalchemy import String, func, select

from intake import answers as answer_rules
from intake import consents, questionnaire, signatures, signing
from intake.clock import clinic_today
from intake.extensions import db
from intake.models import (
    AuditEvent,
    ChartDocument,
    Draft,
    PdfStatus,
    SignatureKind,
    SignerRelationship,
    Submission,
)
from intake.patients import name_key
from intake.questionnaire import Kind


def problems_with(submission: Submission) -> list[str]:
    """Every way this stored submission breaks the rules; an empty list when it is sound."""
    problems: list[str] = []
    answers = submission.answers
    if not isinstance(answers, dict):
        return [f"answers are {type(answers).__name__}, not an object"]
    problems += answer_problems(answers, clinic_today(submission.submitted_at))
    # Either grade a clinic may choose (INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION).
    graded = [
        questionnaire.flags_for(answers, contraindicated=stricter)
        for stricter in ((), tuple(questionnaire.definition.GRADED_BY_CLINIC))
    ]
    if submission.flags not in graded:
        problems.append(f"flags {submission.flags} != flags_for {graded[0]}")
    if (submission.flag_notes or {}) != questionnaire.flag_notes_for(answers):
        problems.append(
            f"flag notes {submission.flag_notes} != {questionnaire.flag_notes_for(answers)}"
        )
    if submission.questionnaire_version != questionnaire.VERSION:
        problems.append(f"questionnaire version {submission.questionnaire_version!r}")
    problems += _identity_problems(submission, answers)
    problems += _consent_problems(submission, answers)
    problems += _signature_problems(submission)
    problems += _column_length_problems(submission)
    problems += _bookkeeping_problems(submission)
    return problems


def answer_problems(answers: dict[str, Any], today: date) -> list[str]:
    """How stored answers break the questionnaire: unknown or hidden questions, a shown one
    unanswered, or a value the tablet would not accept (or would read back differently)."""
    problems = []
    unknown = set(answers) - set(questionnaire.BY_ID)
    if unknown:
        problems.append(f"answers to unknown questions {sorted(unknown)}")
    if questionnaire.shown_answers(answers) != answers:
        problems.append("answers include questions that are not shown")
    for question in questionnaire.QUESTIONS:
        shown = questionnaire.is_shown(question, answers)
        if shown and question.id not in answers:
            problems.append(f"{question.id}: shown but not answered")
        if question.id not in answers:
            continue
        value = answers[question.id]
        try:
            again = answer_rules.parse(question, _as_raw(question, value), today=today)
        except (answer_rules.AnswerError, TypeError, ValueError) as error:
            problems.append(f"{question.id}: stored {value!r} is not a valid answer ({error})")
            continue
        if again != value or type(again) is not type(value):
            problems.append(f"{question.id}: stored {value!r} reads back as {again!r}")
    return problems


def _as_raw(question: questionnaire.Question, value: Any) -> Any:
    """A stored answer as a page would post it, so that parsing it again must give it back."""
    if question.kind == Kind.MULTI:
        if not isinstance(value, list):
            raise TypeError("a multi-choice answer must be a list")
        return value
    if question.kind == Kind.SCALE:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("a scale answer must be a whole number")
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"a {question.kind} answer must be text")
    return value


def _identity_problems(submission: Submission, answers: dict[str, Any]) -> list[str]:
    expected = {
        "first_name": answers.get("first_name"),
        "last_name": answers.get("last_name"),
        "first_name_folded": name_key(answers.get("first_name", "")),
        "last_name_folded": name_key(answers.get("last_name", "")),
        "date_of_birth": answers.get("date_of_birth"),
        "phone": answers.get("phone"),
        "email": answers.get("email") or None,
    }
    actual = {name: getattr(submission, name) for name in expected}
    actual["date_of_birth"] = submission.date_of_birth.isoformat()
    return [
        f"{name} is {actual[name]!r}, the answers say {expected[name]!r}"
        for name in expected
        if actual[name] != expected[name]
    ]


def _consent_problems(submission: Submission, answers: dict[str, Any]) -> list[str]:
    problems = []
    if consents.snapshot_sha256(submission.consent_snapshot) != submission.consent_sha256:
        problems.append("the consent snapshot does not match its SHA-256")
        return problems
    document = consents.from_snapshot(submission.consent_snapshot)
    if (document.document_id, document.version) != (
        submission.consent_document,
        submission.consent_version,
    ):
        problems.append("the consent snapshot is of another document or version")
    elif (
        consents.load(document.document_id, document.version).as_shown(submission.flags or [])
        != document
    ):
        problems.append("the consent snapshot is not its version as shown for the flags stored")
    if not submission.consent_agreed:
        problems.append("consent_agreed is not true")
    clause_ids = [clause.id for clause in document.clauses]
    initials = submission.consent_initials or {}
    if sorted(initials) != sorted(clause_ids):
        problems.append(f"initials for {sorted(initials)}, clauses are {sorted(clause_ids)}")
    for clause_id, written in initials.items():
        if not signatures.initials_match(written, submission.signer_name):
            problems.append(f"initials {written!r} ({clause_id}) are not the signer's")
    minor = signing.is_minor(answers, clinic_today(submission.signed_at))
    if minor and submission.signer_relationship not in signing.GUARDIAN_RELATIONSHIPS:
        problems.append(f"a minor signed with relationship {submission.signer_relationship!r}")
    phone = submission.guardian_phone
    if minor and not phone:
        problems.append("a minor's parent or guardian gave no phone number")
    if phone and not _is_phone(phone, clinic_today(submission.signed_at)):
        problems.append(f"guardian phone {phone!r} is not a phone number the tablet accepts")
    if not minor and phone:
        problems.append("an adult patient's intake has a guardian's phone number")
    representative = submission.signer_relationship in signing.REPRESENTATIVE_RELATIONSHIPS
    if not minor and representative and not submission.signer_name:
        problems.append("an adult patient's representative signed without a name")
    if (
        not minor
        and not representative
        and (
            submission.signer_relationship != SignerRelationship.SELF
            or submission.signer_name != signing.patient_name(answers)
        )
    ):
        problems.append("an adult patient is neither the signer nor represented")
    return problems


def _is_phone(text: str, today: date) -> bool:
    try:
        return answer_rules.parse(signing.GUARDIAN_PHONE, text, today=today) == text
    except answer_rules.AnswerError:
        return False


def _signature_problems(submission: Submission) -> list[str]:
    if submission.signature_kind == SignatureKind.DRAWN:
        strokes = submission.signature_strokes
        if not strokes or submission.typed_signature is not None:
            return ["a drawn signature without strokes, or with a typed name"]
        if not signatures.has_enough_ink(strokes):
            return ["the drawn signature has too little ink"]
        if signatures.to_svg(strokes) != submission.signature_svg:
            return ["the signature SVG was not built from the stored strokes"]
        return []
    if submission.signature_kind == SignatureKind.TYPED:
        typed = submission.typed_signature or ""
        if submission.signature_strokes or submission.signature_svg:
            return ["a typed signature with strokes"]
        if not signatures.same_name(typed, submission.signer_name):
            return [f"typed signature {typed!r} is not the signer's name"]
        return []
    return [f"signature kind {submission.signature_kind!r}"]


def _column_length_problems(submission: Submission) -> list[str]:
    """SQLite stores over-long text where PostgreSQL refuses it: check the declared lengths."""
    problems = []
    for column in Submission.__table__.columns:
        if isinstance(column.type, String) and column.type.length:
            value = getattr(submission, column.key)
            if isinstance(value, str) and len(value) > column.type.length:
                problems.append(
                    f"{column.key} has {len(value)} characters, its column {column.type.length}"
                )
    return problems


def _bookkeeping_problems(submission: Submission) -> list[str]:
    problems = []
    if submission.pdf_status not in set(PdfStatus):
        problems.append(f"pdf_status {submission.pdf_status!r}")
    documents = db.session.scalar(
        select(func.count()).where(
            ChartDocument.submission_id == submission.id, ChartDocument.kind == "intake"
        )
    )
    if documents > 1:
        problems.append(f"{documents} intake PDFs")
    if (submission.pdf_status == PdfStatus.RENDERED) != (documents == 1):
        problems.append(f"pdf_status {submission.pdf_status!r} with {documents} intake PDF(s)")
    draft = db.session.scalar(select(Draft.id).where(Draft.token_hash == submission.draft_key))
    if draft is not None:
        problems.append("the draft it was signed from still exists")
    created = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "submission.create",
            AuditEvent.target_id == str(submission.public_id),
        )
    )
    if created != 1:
        problems.append(f"{created} submission.create audit events")
    return problems


def all_problems() -> dict[str, list[str]]:
    """Problems of every stored submission, by public id (only those that have any)."""
    found = {}
    for submission in db.session.scalars(select(Submission).order_by(Submission.id)):
        problems = problems_with(submission)
        if problems:
            found[str(submission.public_id)] = problems
    return found
