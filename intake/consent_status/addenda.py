"""A consent decision's addendum: a PDF/A chart document of its own, rendered once and kept.

Like the intake PDF it is made from the database alone (the decision row, the submission and
its intake document), so the same addendum can be made again byte for byte; unlike it, it is
short and holds no health answers: what was decided, by whom, about which signed document.
"""

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, select

from intake import audit
from intake.audit import AuditAction
from intake.chart.content import canonical_json, clinic_time, utc_time
from intake.chart.document import render_pdf
from intake.chart.job import RenderJob
from intake.chart.worker import RenderError
from intake.database import begin_write
from intake.extensions import db
from intake.models import (
    AuditEvent,
    ChartDocument,
    ConsentDecision,
    ConsentState,
    DeclineReason,
    DocumentKind,
    Submission,
    WithdrawalChannel,
)
from intake.questionnaire import Audience
from intake.questionnaire.presentation import format_date

logger = logging.getLogger(__name__)

TEMPLATE = "chart/addendum.html"
RECORD_FORMAT = "intake.consent_decision"
RECORD_FORMAT_VERSION = 1
STATEMENTS = {
    ConsentState.CONFIRMED: (
        "Discussed with the patient; questions answered; patient agrees to dry needling."
    ),
    ConsentState.DECLINED: "Dry needling not appropriate / declined.",
    ConsentState.WITHDRAWN: "The patient withdrew their consent to dry needling.",
}
HEADINGS = {
    ConsentState.CONFIRMED: "Consent confirmed by the therapist",
    ConsentState.DECLINED: "Dry needling declined",
    ConsentState.WITHDRAWN: "Consent withdrawn",
}


@dataclass(frozen=True)
class AddendumContent:
    """Every value the addendum template shows."""

    clinic_name: str
    heading: str
    statement: str
    details: tuple[tuple[str, str], ...]  # label, value
    note: str | None
    patient_name: str
    date_of_birth: str
    submission_id: str
    decision_id: str
    consent_label: str
    patient_signed: str
    intake_sha256: str
    intake_created: str
    therapist: str
    therapist_email: str
    decided_local: str
    decided_utc: str
    title: str
    subject: str
    created: str


def addendum_content(decision: ConsentDecision, intake: ChartDocument) -> AddendumContent:
    """What the addendum of `decision` says, from stored rows alone."""
    config = current_app.config
    zone = ZoneInfo(config["CLINIC_TIMEZONE"])
    submission = decision.submission
    kind = ConsentState(decision.kind)
    details: list[tuple[str, str]] = []
    if kind == ConsentState.CONFIRMED and decision.care_plan_ends_on is not None:
        details.append(
            ("Consent in force until", format_date(decision.care_plan_ends_on, Audience.CLINIC))
        )
    if kind == ConsentState.DECLINED and decision.decline_reason:
        details.append(("Reason", DeclineReason(decision.decline_reason).label))
    if kind == ConsentState.WITHDRAWN:
        details += [
            ("Withdrawn by", decision.told_by or ""),
            ("Told to", decision.told_to or ""),
            ("When", clinic_time(decision.told_at, zone) if decision.told_at else ""),
            ("How", WithdrawalChannel(decision.told_how).label if decision.told_how else ""),
        ]
    therapist = f"{decision.staff_name}, {decision.staff_credentials}"
    return AddendumContent(
        clinic_name=config["CLINIC_NAME"],
        heading=HEADINGS[kind],
        statement=STATEMENTS[kind],
        details=tuple(details),
        note=decision.note,
        patient_name=submission.full_name,
        date_of_birth=format_date(submission.date_of_birth, Audience.CLINIC),
        submission_id=str(submission.public_id),
        decision_id=str(decision.public_id),
        consent_label=f"{submission.consent_document} v{submission.consent_version}",
        patient_signed=clinic_time(submission.signed_at, zone),
        intake_sha256=decision.intake_sha256,
        intake_created=clinic_time(intake.created_at, zone),
        therapist=therapist,
        therapist_email=decision.staff_email,
        decided_local=clinic_time(decision.decided_at, zone),
        decided_utc=utc_time(decision.decided_at),
        title=f"{HEADINGS[kind]}: {submission.full_name}",
        subject=(
            f"Addendum to the dry-needling consent of submission {submission.public_id}, "
            f"signed by {therapist} {utc_time(decision.decided_at)}"
        ),
        created=decision.decided_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def decision_record(decision: ConsentDecision) -> dict:
    """The decision as data: what the addendum embeds for a machine to read."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "format": RECORD_FORMAT,
        "format_version": RECORD_FORMAT_VERSION,
        "decision_id": str(decision.public_id),
        "submission_id": str(decision.submission.public_id),
        "intake_sha256": decision.intake_sha256,
        "kind": decision.kind,
        "decided_at": iso(decision.decided_at),
        "therapist": {
            "name": decision.staff_name,
            "credentials": decision.staff_credentials,
            "email": decision.staff_email,
        },
        "note": decision.note,
        "care_plan_ends_on": (
            decision.care_plan_ends_on.isoformat() if decision.care_plan_ends_on else None
        ),
        "decline_reason": decision.decline_reason,
        "withdrawal": {
            "told_by": decision.told_by,
            "told_to": decision.told_to,
            "told_at": iso(decision.told_at),
            "told_how": decision.told_how,
        },
    }


def addendum_job(decision: ConsentDecision, intake: ChartDocument) -> RenderJob:
    """What the render process needs to make the addendum of `decision`."""
    content = addendum_content(decision, intake)
    html = current_app.jinja_env.get_template(TEMPLATE).render(addendum=content)
    return RenderJob(
        html=html,
        attachment=canonical_json(decision_record(decision)).encode("utf-8"),
        attachment_name=f"consent-decision-{decision.public_id}.json",
        attachment_description="This consent decision as JSON (UTF-8)",
        created=decision.decided_at,
    )


def render_addendum(decision_id: int) -> ChartDocument | None:
    """Render and store the addendum of a decision, once; None (logged) when it fails.

    The decision is already committed: a failed render loses nothing, and
    `render_pending_addenda` (run by `flask intake render-pending`) makes it later.
    """
    try:
        existing = _addendum_of(decision_id)
        if existing is not None:
            return existing
        decision = db.session.get(ConsentDecision, decision_id)
        intake = _intake_document(decision)
        job = addendum_job(decision, intake)
        db.session.rollback()  # hold no transaction while WeasyPrint works
        pdf = render_pdf(job)
    except RenderError as error:
        logger.error("Consent addendum of decision row %s not rendered: %s", decision_id, error)
        db.session.rollback()
        return None
    except Exception:
        logger.exception("Rendering the consent addendum of decision row %s failed", decision_id)
        db.session.rollback()
        return None
    return _store(decision_id, pdf)


def render_pending_addenda() -> Iterator[tuple[ConsentDecision, ChartDocument | None]]:
    """Render every decision whose addendum was never stored.

    One stored once and since removed is left to `flask intake verify`, which reports it: a
    person restores it from a backup.
    """
    missing = ~exists().where(ChartDocument.consent_decision_id == ConsentDecision.id)
    decisions = db.session.execute(
        select(ConsentDecision.id, ConsentDecision.public_id)
        .where(missing)
        .order_by(ConsentDecision.id)
    ).all()
    stored_once = set(
        db.session.scalars(
            select(AuditEvent.detail["decision"].as_string()).where(
                AuditEvent.action == AuditAction.CHART_ADDENDUM,
                AuditEvent.outcome == "success",
            )
        )
    )
    ids = [row.id for row in decisions if str(row.public_id) not in stored_once]
    db.session.rollback()
    for decision_id in ids:
        document = render_addendum(decision_id)
        yield db.session.get(ConsentDecision, decision_id), document


def _store(decision_id: int, pdf: bytes) -> ChartDocument:
    """Add the addendum and its audit event in one write transaction (the first one wins)."""
    begin_write()
    decision = db.session.get(ConsentDecision, decision_id)
    db.session.scalars(
        select(Submission.id).where(Submission.id == decision.submission_id).with_for_update()
    ).one()
    existing = _addendum_of(decision_id)
    if existing is not None:
        db.session.commit()
        return existing
    digest = hashlib.sha256(pdf).hexdigest()
    document = ChartDocument(
        submission_id=decision.submission_id,
        kind=DocumentKind.CONSENT_ADDENDUM,
        content_type="application/pdf",
        content=pdf,
        size=len(pdf),
        sha256=digest,
        created_at=decision.decided_at,
        consent_decision_id=decision_id,
    )
    db.session.add(document)
    audit.record(
        AuditAction.CHART_ADDENDUM,
        target_type="submission",
        target_id=decision.submission.public_id,
        detail={
            "document": DocumentKind.CONSENT_ADDENDUM,
            "decision": str(decision.public_id),
            "sha256": digest,
            "size": len(pdf),
        },
    )
    db.session.commit()
    return document


def _addendum_of(decision_id: int) -> ChartDocument | None:
    return db.session.scalar(
        select(ChartDocument).where(ChartDocument.consent_decision_id == decision_id)
    )


def _intake_document(decision: ConsentDecision) -> ChartDocument:
    return db.session.scalars(
        select(ChartDocument)
        .where(
            ChartDocument.submission_id == decision.submission_id,
            ChartDocument.kind == DocumentKind.INTAKE,
        )
        .order_by(ChartDocument.id)
        .limit(1)
    ).one()
