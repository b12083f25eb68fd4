"""Signing: a complete draft becomes a Submission, once, in one transaction.

Everything stored is checked again here from the draft itself, whatever the page already
said: the answers against the questionnaire, the initials against the signer's name, the
guardian for a minor, the signature. A second "Sign and submit" for the same draft (a double
tap, a retried request) returns the submission the first one stored.
"""

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Request, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake import answers as answer_rules
from intake import audit, chart, consents, drafts, questionnaire, signatures
from intake.audit import AuditAction
from intake.clock import clinic_today
from intake.consents import ConsentDocument
from intake.database import begin_write
from intake.extensions import db
from intake.models import Draft, Language, SignatureKind, SignerRelationship, Submission, utcnow
from intake.patients import name_key
from intake.questionnaire import Kind, Question
from intake.tablets import read_tablet_label
from intake.translation import N_, gettext

ADULT_AGE = 18
# Who may sign for a patient under 18, and for an adult who cannot sign for themselves.
GUARDIAN_RELATIONSHIPS = (SignerRelationship.PARENT, SignerRelationship.LEGAL_GUARDIAN)
REPRESENTATIVE_RELATIONSHIPS = (
    SignerRelationship.HEALTH_CARE_POA,
    SignerRelationship.LEGAL_GUARDIAN,
    SignerRelationship.LEGAL_REPRESENTATIVE,
)
GUARDIAN_MISSING = N_(
    "The patient is under 18, so a parent or legal guardian signs. "
    "Please enter the parent\u2019s or guardian\u2019s full name."
)
# The parent's or guardian's phone, checked as the questionnaire checks a phone number.
GUARDIAN_PHONE = Question(
    "guardian_phone",
    N_("Parent\u2019s or guardian\u2019s phone number"),
    Kind.PHONE,
    "consent",
    required=True,
    max_length=40,
)
GUARDIAN_PHONE_MISSING = N_(
    "The patient is under 18. Please enter the parent\u2019s or guardian\u2019s phone "
    "number, with the area code."
)
REPRESENTATIVE_MISSING = N_("Please enter the representative\u2019s full name (your own name).")
# An adult patient's page: signing for themselves, or their representative signing.
FOR_SELF, FOR_PATIENT = "self", "representative"
MAX_SIGNER_NAME = 200


class SubmitError(Exception):
    """The draft cannot be signed as it stands."""


class DraftGone(SubmitError):
    """No live draft for this token (discarded, expired or never there)."""


class DraftIncomplete(SubmitError):
    """A page of the questionnaire still has a missing or invalid answer."""

    def __init__(self, section_id: str):
        super().__init__(f"section {section_id!r} is incomplete")
        self.section_id = section_id


# SigningRefused's key when the consent shown is no longer the one in effect.
CONSENT_UPDATED = "consent"
CONSENT_UPDATED_MESSAGE = N_(
    "This consent was updated while the page was open, because a new version came into "
    "effect or because you changed an answer. Please read it again, initial each part and "
    "sign again."
)


class SigningRefused(SubmitError):
    """The consent page's input cannot be signed; `problems` maps its fields to messages."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(", ".join(sorted(problems)))
        self.problems = problems


@dataclass(frozen=True)
class Signing:
    """What the consent page posted, as typed."""

    initials: Mapping[str, str]
    method: str = SignatureKind.DRAWN
    drawn: str = ""  # signature_pad payload, JSON text
    typed_name: str = ""
    typed_intent: bool = False
    agreed: bool = False
    guardian_name: str = ""
    guardian_relationship: str = ""
    guardian_phone: str = ""
    signing_for: str = FOR_SELF
    representative_name: str = ""
    representative_relationship: str = ""
    # The SHA-256 of the consent version the page showed; None when the caller signs the
    # current version by construction (the command line, demo data).
    consent_sha256: str | None = None


@dataclass(frozen=True)
class CheckedSigning:
    """A signing that passed every rule, in the shape a Submission stores."""

    initials: dict[str, str]
    signer_name: str
    signer_relationship: str
    signature_kind: str
    signature_strokes: dict[str, Any] | None = None
    signature_svg: str | None = None
    typed_signature: str | None = None
    guardian_phone: str | None = None  # for a minor: the parent's or guardian's


@dataclass(frozen=True)
class Evidence:
    """Where and how the consent was signed."""

    ip_address: str | None = None
    user_agent: str | None = None
    device_label: str | None = None

    @classmethod
    def from_request(cls, request: Request) -> "Evidence":
        """The requesting tablet's address, browser and staff-given name."""
        return cls(
            ip_address=(request.remote_addr or "")[:45] or None,
            user_agent=(request.user_agent.string or "")[:500] or None,
            device_label=read_tablet_label(request),
        )


def patient_name(answers: Mapping[str, Any]) -> str:
    """The patient's full name from the answers."""
    return f"{answers.get('first_name', '')} {answers.get('last_name', '')}".strip()


def is_minor(answers: Mapping[str, Any], on: date) -> bool:
    """Whether the patient is under 18 on the signing date (a guardian must sign)."""
    born = answers.get("date_of_birth")
    return bool(born) and answer_rules.age_on(date.fromisoformat(born), on) < ADULT_AGE


def consent_shown(
    answers: Mapping[str, Any], today: date, language: str = Language.ENGLISH
) -> ConsentDocument:
    """The consent in effect on `today` as this patient is shown it and signs it: in their
    language, with the risk notes of the flags their answers raise, graded as this clinic
    grades them."""
    flags = questionnaire.flags_for(
        answers, contraindicated=current_app.config["CONTRAINDICATED_PRECAUTIONS"]
    )
    return consents.current(today=today, language=language).as_shown(flags)


def check_signing(
    signing: Signing, answers: Mapping[str, Any], document: ConsentDocument, on: date
) -> CheckedSigning:
    """Apply every signing rule; SigningRefused names each field with a problem.

    The patient signs what the page showed, or nothing: if a new version of the consent came
    into effect while the page was open, or a changed answer changed its risk notes,
    SigningRefused holds only CONSENT_UPDATED. `document` is the consent as shown
    (`consent_shown`).
    """
    if signing.consent_sha256 is not None and signing.consent_sha256 != document.sha256:
        raise SigningRefused({CONSENT_UPDATED: gettext(CONSENT_UPDATED_MESSAGE)})
    problems: dict[str, str] = {}
    guardian_phone = None
    if is_minor(answers, on):
        signer = _signer_name(signing.guardian_name, "guardian_name", GUARDIAN_MISSING, problems)
        relationship = signing.guardian_relationship
        if relationship not in GUARDIAN_RELATIONSHIPS:
            problems["guardian_relationship"] = gettext("Please choose Parent or Legal guardian.")
        guardian_phone = _guardian_phone(signing.guardian_phone, on, problems)
    elif signing.signing_for == FOR_PATIENT:
        signer = _signer_name(
            signing.representative_name, "representative_name", REPRESENTATIVE_MISSING, problems
        )
        relationship = signing.representative_relationship
        if relationship not in REPRESENTATIVE_RELATIONSHIPS:
            problems["representative_relationship"] = gettext(
                "Please choose what allows you to sign for the patient."
            )
    elif signing.signing_for == FOR_SELF:
        signer, relationship = patient_name(answers), SignerRelationship.SELF
    else:
        signer, relationship = "", ""
        problems["signing_for"] = gettext("Please choose who is signing.")

    initials: dict[str, str] = {}
    for clause in document.clauses:
        written = answer_rules.clean_text(signing.initials.get(clause.id, ""))
        key = f"initials_{clause.id}"
        # Each message names its part: a list of nine alike would not say which box is which.
        part = gettext("Initials for \u201c%(part)s\u201d", part=clause.heading)
        if not written:
            problems[key] = gettext(
                "%(part)s: please write your initials to show you read this part.", part=part
            )
        elif len(written) > signatures.MAX_INITIALS_CHARS:
            problems[key] = gettext(
                "%(part)s: please write just your initials, at most %(limit)s "
                "characters%(example)s.",
                part=part,
                limit=signatures.MAX_INITIALS_CHARS,
                example=_for_example(signer),
            )
        elif signer and not signatures.initials_match(written, signer):
            problems[key] = gettext(
                "%(part)s: these initials do not match the name of the person signing "
                "(%(signer)s). Please write the first letters of that name%(example)s.",
                part=part,
                signer=signer,
                example=_for_example(signer),
            )
        initials[clause.id] = signatures.clean_initials(written)

    if not signing.agreed:
        problems["agree"] = gettext(
            "Please tick this box to agree, or ask the front desk if you have questions."
        )

    strokes = svg = typed = None
    if signing.method == SignatureKind.DRAWN:
        try:
            strokes = signatures.parse_drawn(signing.drawn)
            svg = signatures.to_svg(strokes)
        except signatures.SignatureError as error:
            problems["signature"] = str(error)
    elif signing.method == SignatureKind.TYPED:
        typed = answer_rules.clean_text(signing.typed_name)
        if not typed:
            problems["typed_name"] = gettext("Please type your full name.")
        elif signer and (len(typed) > MAX_SIGNER_NAME or not signatures.same_name(typed, signer)):
            problems["typed_name"] = gettext(
                "Please type the full name of the person signing: %(signer)s.", signer=signer
            )
        if not signing.typed_intent:
            problems["typed_intent"] = gettext(
                "Please tick this box to confirm that the typed name is your signature."
            )
    else:
        problems["method"] = gettext("Please choose how you will sign.")

    if problems:
        raise SigningRefused(problems)
    return CheckedSigning(
        initials=initials,
        signer_name=signer,
        signer_relationship=relationship,
        signature_kind=signing.method,
        signature_strokes=strokes,
        signature_svg=svg,
        typed_signature=typed,
        guardian_phone=guardian_phone,
    )


def _guardian_phone(typed: str, on: date, problems: dict[str, str]) -> str | None:
    """The parent's or guardian's phone number as stored; a problem if missing or not one."""
    if not answer_rules.clean_text(typed):
        problems[GUARDIAN_PHONE.id] = gettext(GUARDIAN_PHONE_MISSING)
        return None
    try:
        return answer_rules.parse(GUARDIAN_PHONE, typed, today=on)
    except answer_rules.AnswerError as error:
        problems[GUARDIAN_PHONE.id] = str(error)
        return None


def _for_example(signer: str) -> str:
    """ ", for example ZO": initials the check accepts for the signer, never ones it refuses."""
    example = signatures.example_initials(signer) if signer else None
    return gettext(", for example %(initials)s", initials=example) if example else ""


def _signer_name(typed: str, field: str, missing: str, problems: dict[str, str]) -> str:
    """The typed name of a signer other than the patient; a problem on `field` if unusable."""
    signer = answer_rules.clean_text(typed)
    if not signer:
        problems[field] = gettext(missing)
    elif len(signer) > MAX_SIGNER_NAME:
        problems[field] = gettext(
            "Please shorten the name to %(limit)s characters or fewer.", limit=MAX_SIGNER_NAME
        )
    return signer


def find_by_draft_key(draft_key: str) -> Submission | None:
    """The submission stored from the draft with this token hash, if any."""
    return db.session.scalar(select(Submission).where(Submission.draft_key == draft_key))


def submit_draft(
    token: str, signing: Signing, evidence: Evidence, language: str = Language.ENGLISH
) -> Submission:
    """Sign the draft: store one Submission, delete the draft, audit it; then render the PDF.
    `language`: the one the consent page was shown in.

    Raises DraftGone, DraftIncomplete or SigningRefused (nothing stored, the draft kept).
    """
    key = drafts.hash_token(token)
    begin_write()
    # Locking the draft makes a concurrent second tap wait for the first to finish.
    draft = db.session.scalar(select(Draft).where(Draft.token_hash == key).with_for_update())
    if draft is None or drafts.is_expired(draft) or draft.resume_locked:
        existing = find_by_draft_key(key)
        db.session.rollback()
        if existing is not None:
            return existing
        raise DraftGone()

    now = utcnow()
    today = clinic_today(now)
    try:
        answers = answer_rules.all_answers(
            draft.data.get("input", {}),
            today=today,
            required=current_app.config["REQUIRED_QUESTIONS"],
        )
    except answer_rules.IncompleteAnswers as incomplete:
        db.session.rollback()
        raise DraftIncomplete(incomplete.section_id) from None
    document = consent_shown(answers, today, language)
    try:
        checked = check_signing(signing, answers, document, today)
    except SigningRefused:
        db.session.rollback()
        raise

    submission = Submission(
        **submission_columns(
            answers,
            document,
            checked,
            evidence,
            draft_key=key,
            started_at=draft.created_at,
            signed_at=now,
            contraindicated=current_app.config["CONTRAINDICATED_PRECAUTIONS"],
        )
    )
    db.session.add(submission)
    db.session.delete(draft)
    audit.record(
        AuditAction.SUBMISSION_CREATE,
        target_type="submission",
        target_id=submission.public_id,
        detail={"consent_version": document.version, "signature_kind": checked.signature_kind},
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another request stored this draft's submission between our lock and commit.
        db.session.rollback()
        existing = find_by_draft_key(key)
        if existing is None:
            raise
        return existing
    chart.enqueue_render(submission.id)
    return submission


def submission_columns(
    answers: Mapping[str, Any],
    document: ConsentDocument,
    checked: CheckedSigning,
    evidence: Evidence,
    *,
    draft_key: str,
    started_at: datetime,
    signed_at: datetime,
    public_id: uuid.UUID | None = None,
    contraindicated: Collection[str] = (),
) -> dict[str, Any]:
    """Every column of a new Submission, from checked answers and a checked signing.

    The one place a Submission's values are made: signing, demo data and the test factories
    all call it, so the search keys, the flags and the consent snapshot are always made the
    same way. The consent stored is `document` with the risk notes of the flags stored.
    """
    first, last = answers["first_name"], answers["last_name"]
    flags = questionnaire.flags_for(answers, contraindicated=contraindicated)
    document = document.as_shown(flags)
    return {
        "public_id": public_id or uuid.uuid4(),
        "draft_key": draft_key,
        "started_at": started_at,
        "submitted_at": signed_at,
        "first_name": first,
        "last_name": last,
        "first_name_folded": name_key(first),
        "last_name_folded": name_key(last),
        "date_of_birth": date.fromisoformat(answers["date_of_birth"]),
        "phone": answers["phone"],
        "email": answers.get("email") or None,
        "answers": questionnaire.shown_answers(answers),
        "questionnaire_version": questionnaire.VERSION,
        "flags": flags,
        "flag_notes": questionnaire.flag_notes_for(answers),
        "consent_document": document.document_id,
        "consent_version": document.version,
        "consent_snapshot": document.snapshot(),
        "consent_sha256": document.sha256,
        "consent_initials": checked.initials,
        "consent_agreed": True,
        "language": document.language_code,
        "signer_name": checked.signer_name,
        "signer_relationship": checked.signer_relationship,
        "signed_at": signed_at,
        "signature_kind": checked.signature_kind,
        "signature_strokes": checked.signature_strokes,
        "signature_svg": checked.signature_svg,
        "typed_signature": checked.typed_signature,
        "guardian_phone": checked.guardian_phone,
        "ip_address": evidence.ip_address,
        "user_agent": evidence.user_agent,
        "device_label": evidence.device_label,
    }
