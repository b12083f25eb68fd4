"""What the chart PDF says, built from one stored Submission row and its audit events alone.

Everything here produces plain values (strings, numbers, tuples) for the template; nothing
here is markup. The template escapes every value, so a patient's text is only ever text.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from intake import clock, consents, questionnaire
from intake.audit_chain import Anchor
from intake.chart.signature import DrawnSignature, InvalidSignature, drawn_signature
from intake.models import AuditEvent, Language, SignerRelationship, Submission
from intake.questionnaire import Audience, Flag, Score, SectionView, Severity
from intake.questionnaire.presentation import format_date
from intake.translation import gettext

# Bump when the embedded JSON changes shape, so a machine reading old PDFs can tell.
RECORD_FORMAT = "intake.submission"
RECORD_FORMAT_VERSION = 1


class ChartDataError(ValueError):
    """The stored row cannot be rendered faithfully; the message says why, without PHI."""


@dataclass(frozen=True)
class ConsentClause:
    """A clause of the consent exactly as shown, with the patient's initials."""

    heading: str
    paragraphs: tuple[str, ...]
    initials: str | None


@dataclass(frozen=True)
class SignedConsent:
    """The consent as signed: its text as shown, the initials, the signature and who signed.

    The chart PDF and the patient's copy both print it, from the stored snapshot alone.
    """

    title: str
    version: str
    # The language the consent was read and signed in ("en", "es"), from its snapshot, and
    # how staff name it ("Spanish"). The answers are always listed in English, for staff.
    language: str
    language_label: str
    effective: str
    clauses: tuple[ConsentClause, ...]
    # From consent version 2: the risk notes shown before the signature, and the agreement
    # ticked (None for version 1, whose snapshot holds no agreement; its chart is unchanged).
    risk_notes: tuple[str, ...]
    risk_notes_heading: str  # as the consent page showed it, in the consent's language
    agreement: str | None
    agreed: bool
    signature_kind: str
    drawn_signature: DrawnSignature | None
    typed_signature: str | None
    signer_name: str
    signer_relationship: str
    guardian_phone: str | None  # a minor's parent or guardian who signed
    signed_local: str
    signed_utc: str


@dataclass(frozen=True)
class EventRow:
    """One audit event about the submission, as listed on the audit page."""

    at: str
    action: str
    actor: str
    outcome: str


@dataclass(frozen=True)
class ChartContent:
    """Every value the chart template shows."""

    clinic_name: str
    submission_id: str
    patient_name: str
    date_of_birth: str
    consent_label: str
    title: str
    subject: str
    created: str  # W3C date-time for the PDF metadata
    submitted: str
    red_flags: tuple[Flag, ...]
    # Dry needling's flags grouped under a heading each: contraindications, then precautions.
    needling_flags: tuple[tuple[str, tuple[Flag, ...]], ...]
    scores: tuple[Score, ...]  # the outcome instruments the patient answered
    details: SectionView
    history: tuple[SectionView, ...]
    consent: "SignedConsent"
    started_local: str
    started_utc: str
    submitted_local: str
    submitted_utc: str
    rendered_local: str
    rendered_utc: str
    ip_address: str | None
    user_agent: str | None
    device_label: str | None
    questionnaire_version: str  # what the patient answered
    questionnaire_listed: str  # the definition the questions are listed from
    consent_sha256: str
    answers_sha256: str
    events: tuple[EventRow, ...]
    attachment_name: str
    # The audit chain's head when the PDF was rendered: (events, time, hash), or None.
    chain_head: tuple[int, str, str] | None = None


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and real UTF-8: the form whose SHA-256 we record."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_hex(text: str) -> str:
    """SHA-256 of text encoded as UTF-8, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answers_sha256(answers: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a submission's answers."""
    return sha256_hex(canonical_json(dict(answers)))


def attachment_name(submission: Submission) -> str:
    """File name of the JSON record embedded in the PDF."""
    return f"submission-{submission.public_id}.json"


def chart_content(
    submission: Submission,
    events: Sequence[AuditEvent],
    *,
    clinic_name: str,
    timezone: str,
    rendered_at: datetime,
    chain_head: Anchor | None = None,
) -> ChartContent:
    """Everything the chart PDF shows, from the row and the events that exist at render time."""
    zone = ZoneInfo(timezone)
    document = _signed_consent(submission)
    answers = submission.answers or {}
    # The flags stored at signing, never recomputed from today's questionnaire.
    stored_flags = submission.flags or []
    flag_notes = submission.flag_notes or {}
    sections = questionnaire.history(answers, Audience.CLINIC, stored_flags, flag_notes)
    details, history = sections[0], tuple(sections[1:])
    patient_name = submission.full_name
    submitted_on = clock.local(submission.submitted_at, zone)
    return ChartContent(
        clinic_name=clinic_name,
        submission_id=str(submission.public_id),
        patient_name=patient_name,
        date_of_birth=format_date(submission.date_of_birth, Audience.CLINIC),
        consent_label=f"{document.document_id} v{document.version}",
        title=f"Intake for {patient_name}, submitted {submitted_on:%Y-%m-%d}",
        subject=(
            "Health history and informed consent for dry needling, signed "
            f"{utc_time(submission.signed_at)}; submission {submission.public_id}"
        ),
        created=rendered_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        submitted=clinic_time(submission.submitted_at, zone),
        red_flags=tuple(
            questionnaire.flag_details(questionnaire.red_flag_codes(stored_flags), flag_notes)
        ),
        needling_flags=_needling_groups(
            questionnaire.needling_flag_codes(stored_flags), flag_notes
        ),
        scores=questionnaire.scores(answers),
        details=details,
        history=history,
        consent=signed_consent(submission, zone),
        started_local=clinic_time(submission.started_at, zone),
        started_utc=utc_time(submission.started_at),
        submitted_local=clinic_time(submission.submitted_at, zone),
        submitted_utc=utc_time(submission.submitted_at),
        rendered_local=clinic_time(rendered_at, zone),
        rendered_utc=utc_time(rendered_at),
        ip_address=submission.ip_address,
        user_agent=submission.user_agent,
        device_label=submission.device_label,
        questionnaire_version=submission.questionnaire_version,
        questionnaire_listed=questionnaire.VERSION,
        consent_sha256=submission.consent_sha256,
        answers_sha256=answers_sha256(answers),
        events=tuple(_event_row(event, zone) for event in events),
        attachment_name=attachment_name(submission),
        chain_head=(
            None if chain_head is None else (chain_head.length, chain_head.at, chain_head.hash)
        ),
    )


def signed_consent(submission: Submission, zone: ZoneInfo) -> SignedConsent:
    """The consent exactly as signed, from the stored snapshot; refuses one that fails its hash."""
    document = _signed_consent(submission)
    initials = submission.consent_initials or {}
    return SignedConsent(
        title=document.title,
        version=document.version,
        language=document.language_code,
        language_label=Language(document.language_code).label,
        effective=document.effective_date,
        clauses=tuple(
            ConsentClause(clause.heading, clause.paragraphs, initials.get(clause.id) or None)
            for clause in document.clauses
        ),
        risk_notes=tuple(note.paragraph for note in document.risk_notes or ()),
        risk_notes_heading=_in_language(document.language_code, consents.RISK_NOTES_HEADING),
        agreement=document.agreement,
        agreed=bool(submission.consent_agreed),
        signature_kind=submission.signature_kind,
        drawn_signature=_drawn_signature(submission),
        typed_signature=_typed_signature(submission),
        signer_name=submission.signer_name,
        signer_relationship=SignerRelationship.label_of(submission.signer_relationship),
        guardian_phone=submission.guardian_phone,
        signed_local=clinic_time(submission.signed_at, zone),
        signed_utc=utc_time(submission.signed_at),
    )


def _needling_groups(
    codes: Sequence[str], notes: Mapping[str, str]
) -> tuple[tuple[str, tuple[Flag, ...]], ...]:
    """Dry needling's stored flags under their family's heading, in the order flags are shown."""
    flags = questionnaire.flag_details(codes, notes)
    return tuple(
        (_GROUP_HEADINGS.get(severity, "Other flags"), tuple(group))
        for severity, group in groupby(flags, key=lambda flag: flag.severity)
    )


_GROUP_HEADINGS = {
    Severity.CONTRAINDICATION: "Contraindications",
    Severity.PRECAUTION: "Precautions",
}


def submission_record(
    submission: Submission, events: Sequence[AuditEvent], *, clinic_name: str
) -> dict[str, Any]:
    """The submission as data: what the PDF embeds so a machine can read what a person reads."""
    answers = submission.answers or {}
    return {
        "format": RECORD_FORMAT,
        "format_version": RECORD_FORMAT_VERSION,
        "clinic": clinic_name,
        "submission_id": str(submission.public_id),
        "started_at": _iso(submission.started_at),
        "submitted_at": _iso(submission.submitted_at),
        "patient": {
            "first_name": submission.first_name,
            "last_name": submission.last_name,
            "date_of_birth": submission.date_of_birth.isoformat(),
            "phone": submission.phone,
            "email": submission.email,
        },
        "questionnaire_version": submission.questionnaire_version,
        "answers": answers,
        "answers_sha256": answers_sha256(answers),
        "flags": list(submission.flags or []),
        "flag_notes": dict(submission.flag_notes or {}),
        "consent": {
            "document": submission.consent_document,
            "version": submission.consent_version,
            "sha256": submission.consent_sha256,
            # The exact stored text, so its SHA-256 can be checked byte for byte.
            "snapshot": submission.consent_snapshot,
            "initials": submission.consent_initials,
            "agreed": submission.consent_agreed,
        },
        "signer": {
            "name": submission.signer_name,
            "relationship": submission.signer_relationship,
            "guardian_phone": submission.guardian_phone,
        },
        "signature": {
            "kind": submission.signature_kind,
            "signed_at": _iso(submission.signed_at),
            "strokes": submission.signature_strokes,
            "typed": submission.typed_signature,
        },
        "evidence": {
            "ip_address": submission.ip_address,
            "user_agent": submission.user_agent,
            "device_label": submission.device_label,
        },
        "audit_events": [
            {
                "at": _iso(event.at),
                "action": event.action,
                "actor_type": event.actor_type,
                "actor_label": event.actor_label,
                "outcome": event.outcome,
            }
            for event in events
        ],
    }


def clinic_time(moment: datetime, zone: ZoneInfo) -> str:
    """'November 3, 2026, 9:41:07 AM CST (UTC-06:00)': the clinic's wall clock and offset."""
    local = clock.local(moment, zone)
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return (
        f"{clock.MONTHS[local.month - 1]} {local.day}, {local.year}, {hour}:{local:%M:%S} {half} "
        f"{local.tzname()} (UTC{_offset(local)})"
    )


def utc_time(moment: datetime) -> str:
    """'2026-11-03 15:41:07 UTC'."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _in_language(language: str, message: str) -> str:
    """A catalogue message in the consent's language (the chart is drawn outside a request)."""
    with force_locale(language):
        return gettext(message)


def _signed_consent(submission: Submission) -> consents.ConsentDocument:
    """The consent exactly as the patient saw it, refusing a snapshot that fails its hash."""
    if consents.snapshot_sha256(submission.consent_snapshot) != submission.consent_sha256:
        raise ChartDataError("the stored consent text does not match its SHA-256")
    try:
        return consents.from_snapshot(submission.consent_snapshot)
    except (ValueError, KeyError, TypeError):
        raise ChartDataError("the stored consent text cannot be read") from None


def _drawn_signature(submission: Submission) -> DrawnSignature | None:
    if submission.signature_kind != "drawn":
        return None
    try:
        return drawn_signature(submission.signature_strokes)
    except InvalidSignature as error:
        raise ChartDataError(str(error)) from None


def _typed_signature(submission: Submission) -> str | None:
    if submission.signature_kind == "typed":
        if not (submission.typed_signature or "").strip():
            raise ChartDataError("the typed signature is empty")
        return submission.typed_signature
    if submission.signature_kind != "drawn":
        raise ChartDataError("the signature is neither drawn nor typed")
    return None


def _event_row(event: AuditEvent, zone: ZoneInfo) -> EventRow:
    actor = f"{event.actor_type}: {event.actor_label}" if event.actor_label else event.actor_type
    local = clock.local(event.at, zone)
    return EventRow(
        at=f"{local:%Y-%m-%d %H:%M:%S} {_offset(local)}",
        action=event.action,
        actor=actor,
        outcome=event.outcome,
    )


def _offset(local: datetime) -> str:
    minutes = int(local.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()
