"""Recording a therapist's decision about a signed consent: one transaction, one audit event."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select

from intake import audit, clock
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import (
    ChartDocument,
    ConsentDecision,
    ConsentState,
    DeclineReason,
    DocumentKind,
    StaffUser,
    Submission,
    WithdrawalChannel,
    utcnow,
)

MAX_NOTE_LENGTH = 2000
PLAN_OF_CARE_MONTHS = 12  # the default until a consent lapses

# Which decision may follow which state. A withdrawn consent is over: the patient signs anew.
_ALLOWED_FROM = {
    ConsentState.CONFIRMED: (ConsentState.SIGNED, ConsentState.DECLINED),
    ConsentState.DECLINED: (ConsentState.SIGNED, ConsentState.CONFIRMED),
    ConsentState.WITHDRAWN: (ConsentState.SIGNED, ConsentState.CONFIRMED, ConsentState.DECLINED),
}
_AUDIT_ACTIONS = {
    ConsentState.CONFIRMED: AuditAction.CONSENT_CONFIRM,
    ConsentState.DECLINED: AuditAction.CONSENT_DECLINE,
    ConsentState.WITHDRAWN: AuditAction.CONSENT_WITHDRAW,
}


class ConsentError(Exception):
    """The decision cannot be recorded; the message says why, in words for staff."""


def default_care_plan_end(today: date) -> date:
    """The same day PLAN_OF_CARE_MONTHS later (the 28th for a 29 February)."""
    month = today.month - 1 + PLAN_OF_CARE_MONTHS
    year, month = today.year + month // 12, month % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def confirm_consent(
    submission_id: int, therapist: StaffUser, *, care_plan_ends_on: date, note: str | None
) -> ConsentDecision:
    """The therapist discussed dry needling with the patient, answered their questions, and
    the patient agrees; the consent is in force until the plan of care ends."""
    today = clock.clinic_today()
    if care_plan_ends_on <= today:
        raise ConsentError("The plan of care must end after today.")
    if care_plan_ends_on > default_care_plan_end(default_care_plan_end(today)):
        raise ConsentError("The plan of care may run at most two years; the patient signs again.")
    return _decide(
        submission_id,
        therapist,
        ConsentState.CONFIRMED,
        note=note,
        care_plan_ends_on=care_plan_ends_on,
    )


def decline_consent(
    submission_id: int, therapist: StaffUser, *, reason: DeclineReason, note: str | None
) -> ConsentDecision:
    """Dry needling will not go ahead: not appropriate, or the patient declined."""
    return _decide(
        submission_id,
        therapist,
        ConsentState.DECLINED,
        note=note,
        decline_reason=DeclineReason(reason),
    )


def withdraw_consent(
    submission_id: int,
    therapist: StaffUser,
    *,
    told_by: str,
    told_to: str,
    told_at: datetime,
    told_how: WithdrawalChannel,
    note: str | None,
) -> ConsentDecision:
    """The patient withdrew their consent: who told whom, when and how."""
    if told_at > utcnow():
        raise ConsentError("The withdrawal cannot be in the future.")
    return _decide(
        submission_id,
        therapist,
        ConsentState.WITHDRAWN,
        note=note,
        told_by=_text(told_by, 200, "who withdrew"),
        told_to=_text(told_to, 200, "who was told"),
        told_at=told_at,
        told_how=WithdrawalChannel(told_how),
    )


def decisions_of(submission: Submission) -> Sequence[ConsentDecision]:
    """A submission's consent decisions, oldest first."""
    return db.session.scalars(
        select(ConsentDecision)
        .where(ConsentDecision.submission_id == submission.id)
        .order_by(ConsentDecision.decided_at, ConsentDecision.id)
    ).all()


def _decide(
    submission_id: int, therapist: StaffUser, kind: ConsentState, *, note: str | None, **fields
) -> ConsentDecision:
    """Add the decision and move the submission's consent state, in one write transaction."""
    if not therapist.is_therapist:
        raise ConsentError("Only a therapist can record this; ask the patient's therapist.")
    if not (therapist.display_name and therapist.credentials):
        raise ConsentError(
            "Your account has no name and credentials to sign with; ask an admin to add them."
        )
    begin_write()
    submission = db.session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update()
    ).one()
    try:
        if submission.consent_state not in _ALLOWED_FROM[kind]:
            state = ConsentState(submission.consent_state).label.lower()
            raise ConsentError(f"This consent is {state}; that cannot be recorded now.")
        intake = _intake_sha256(submission)
        if intake is None:
            raise ConsentError(
                "The signed intake PDF is not stored yet; make it first (it is on the "
                "dashboard's PDF list), then record this."
            )
        decided_at = utcnow()
        decision = ConsentDecision(
            submission_id=submission.id,
            kind=kind,
            decided_at=decided_at,
            staff_id=therapist.id,
            staff_name=therapist.display_name,
            staff_credentials=therapist.credentials,
            staff_email=therapist.email,
            intake_sha256=intake,
            note=_text(note, MAX_NOTE_LENGTH, "note", required=False),
            **fields,
        )
    except ConsentError:
        db.session.rollback()
        raise
    db.session.add(decision)
    submission.consent_state = kind
    confirmed = kind == ConsentState.CONFIRMED
    submission.consent_confirmed_at = decided_at if confirmed else None
    submission.consent_ends_on = fields.get("care_plan_ends_on") if confirmed else None
    db.session.flush()
    audit.record(
        _AUDIT_ACTIONS[kind],
        target_type="submission",
        target_id=submission.public_id,
        detail={"decision": str(decision.public_id), "intake_sha256": intake},
    )
    db.session.commit()
    return decision


def _intake_sha256(submission: Submission) -> str | None:
    return db.session.scalar(
        select(ChartDocument.sha256)
        .where(
            ChartDocument.submission_id == submission.id,
            ChartDocument.kind == DocumentKind.INTAKE,
        )
        .order_by(ChartDocument.id)
        .limit(1)
    )


def _text(value: str | None, limit: int, what: str, *, required: bool = True) -> str | None:
    """Text as typed (line breaks kept, ends trimmed); control characters refused."""
    text = (value or "").replace("\r\n", "\n").strip()
    if any(ord(char) < 32 and char not in "\n\t" or char == "\x7f" for char in text):
        raise ConsentError(f"The {what} holds a character that cannot be kept.")
    if len(text) > limit:
        raise ConsentError(f"The {what} may be at most {limit} characters long.")
    if required and not text:
        raise ConsentError(f"Say {what}.")
    return text or None
