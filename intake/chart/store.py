"""Keeping the signed PDF: rendered once, stored with its SHA-256, never changed or made again."""

import hashlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select

from intake import audit
from intake.audit import AuditAction
from intake.chart.content import ChartDataError
from intake.chart.document import render_job, render_pdf
from intake.chart.worker import RenderError
from intake.database import begin_write
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, DocumentKind, PdfStatus, Submission, utcnow

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 500  # Submission.pdf_error


@dataclass(frozen=True)
class RenderOutcome:
    """What happened to one submission in `render_pending`.

    `removed` means its signed PDF was stored once and is gone: it is not rendered again, and
    a person has to restore it.
    """

    submission_id: uuid.UUID
    document: ChartDocument | None
    error: str | None
    removed: bool = False


def render_and_store(submission: Submission, *, final: bool = True) -> ChartDocument | None:
    """Render the submission's intake PDF and store it as a ChartDocument; never raises.

    Called after the submission has committed. A submission that already has its intake PDF
    is never rendered again. On failure the submission stays, with pdf_status "failed" and a
    short pdf_error, for `flask intake render-pending`; unless this is not the `final` try of
    a render that may succeed on another (it ran too long, or its process died): then it
    stays "pending", the error noted, for the render queue to try again.
    """
    submission_id = None
    try:
        session = db.session()
        if session.new or session.dirty or session.deleted:
            # Committing a failure here would commit the caller's unfinished work too; leave
            # the submission "pending" for render-pending instead.
            logger.error("render_and_store() called with unsaved changes; nothing rendered")
            return None
        submission_id = submission.id
        return _render_and_store(submission_id, final=final)
    except Exception as error:
        logger.exception("Rendering the chart PDF of submission row %s failed", submission_id)
        db.session.rollback()
        if submission_id is not None:
            _record_failure_safely(submission_id, f"unexpected error: {type(error).__name__}")
        return None


def render_pending() -> Iterator[RenderOutcome]:
    """Render every submission that has no intake PDF yet (failed or never attempted).

    A submission whose PDF was stored once and has since been removed is reported, not
    rendered: a new PDF would not be the document the patient signed.
    """
    has_pdf = exists().where(
        ChartDocument.submission_id == Submission.id, ChartDocument.kind == DocumentKind.INTAKE
    )
    ids = db.session.scalars(
        select(Submission.id)
        .where(or_(~has_pdf, Submission.pdf_status != PdfStatus.RENDERED))
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    db.session.rollback()
    for submission_id in ids:
        submission = db.session.get(Submission, submission_id)
        public_id = submission.public_id
        removed = _removed_pdf(submission)
        if removed is not None:
            db.session.rollback()
            yield RenderOutcome(public_id, None, removed, removed=True)
            continue
        document = render_and_store(submission)
        yield RenderOutcome(public_id, document, submission.pdf_error)


def _recorded_render(public_id: uuid.UUID) -> AuditEvent | None:
    """The successful chart.render event of a submission (the first, if there are several).

    It is written with the intake PDF, in the same transaction, and names its SHA-256: the
    record, outside chart_document, that the PDF was stored and what it was.
    """
    return db.session.scalars(
        select(AuditEvent)
        .where(successful_render(), AuditEvent.target_id == str(public_id))
        .order_by(AuditEvent.id)
        .limit(1)
    ).first()


def successful_render() -> ColumnElement[bool]:
    """SQL: the audit event records an intake PDF stored for a submission."""
    return and_(
        AuditEvent.action == AuditAction.CHART_RENDER,
        AuditEvent.outcome == "success",
        AuditEvent.target_type == "submission",
    )


def _removed_pdf(submission: Submission) -> str | None:
    """Why the submission must not be rendered: its PDF was stored once and is gone; else None.

    Its PDF was stored if a chart.render event records it, or if the submission is marked
    rendered; without it in the database, it was removed behind the app's back.
    """
    if _intake_document(submission.id) is not None:
        return None
    recorded = _recorded_render(submission.public_id)
    if recorded is not None:
        detail = recorded.detail if isinstance(recorded.detail, dict) else {}
        stored = (
            f"its signed PDF (sha256 {detail.get('sha256')}), stored "
            f"{recorded.at.isoformat(timespec='seconds')},"
        )
    elif submission.pdf_status == PdfStatus.RENDERED:
        stored = "it is marked rendered, but its signed PDF"
    else:
        return None
    return (
        f"{stored} is no longer in the database; it is never rendered again: "
        "restore it from a backup"
    )


def _render_and_store(submission_id: int, *, final: bool = True) -> ChartDocument | None:
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        logger.error("render_and_store(): submission row %s does not exist", submission_id)
        return None
    if _intake_document(submission_id) is not None:
        return _settle(submission_id)
    public_id = submission.public_id
    removed = _removed_pdf(submission)
    if removed is not None:
        logger.error("Chart PDF of submission %s not rendered: %s", public_id, removed)
        db.session.rollback()
        return None
    rendered_at = utcnow()
    events = events_at(public_id, rendered_at)
    try:
        job = render_job(submission, events, rendered_at)
        # Hold no transaction while WeasyPrint works: nothing waits on this one.
        db.session.rollback()
        pdf = render_pdf(job)
    except (RenderError, ChartDataError) as error:
        logger.error("Chart PDF of submission %s not rendered: %s", public_id, error)
        # A stored row that cannot be rendered faithfully will not render on a later try.
        _record_failure(submission_id, str(error), final=final or isinstance(error, ChartDataError))
        return None
    return _store(submission_id, pdf, rendered_at)


def events_at(public_id: uuid.UUID, moment: datetime) -> list[AuditEvent]:
    """The audit events about a submission that existed at `moment`, oldest first.

    With the row and the document's created_at, this is all a render reads, so the same PDF
    can be made again, byte for byte, from the database alone.
    """
    return db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target_type == "submission",
            AuditEvent.target_id == str(public_id),
            AuditEvent.at <= moment,
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()


def _store(submission_id: int, pdf: bytes, rendered_at: datetime) -> ChartDocument:
    """Add the intake PDF and mark the submission rendered, in one write transaction."""
    begin_write()
    submission = _locked(submission_id)
    existing = _intake_document(submission_id)
    if existing is not None:
        # Another worker (or render-pending) stored one first; the first is the record.
        _mark_rendered(submission)
        db.session.commit()
        return existing
    digest = hashlib.sha256(pdf).hexdigest()
    document = ChartDocument(
        submission_id=submission_id,
        kind=DocumentKind.INTAKE,
        content_type="application/pdf",
        content=pdf,
        size=len(pdf),
        sha256=digest,
        created_at=rendered_at,
    )
    db.session.add(document)
    _mark_rendered(submission)
    audit.record(
        AuditAction.CHART_RENDER,
        target_type="submission",
        target_id=submission.public_id,
        detail={"document": DocumentKind.INTAKE, "sha256": digest, "size": len(pdf)},
    )
    db.session.commit()
    return document


def _settle(submission_id: int) -> ChartDocument:
    """The intake PDF exists already: never render again, only make the status say so."""
    begin_write()
    submission = _locked(submission_id)
    _mark_rendered(submission)
    document = _intake_document(submission_id)
    db.session.commit()
    return document


def _record_failure(submission_id: int, message: str, *, final: bool = True) -> None:
    """Keep the submission, and say on it that its PDF is missing and why (and, when another
    try follows, that it is still to come)."""
    begin_write()
    submission = _locked(submission_id)
    if _intake_document(submission_id) is not None:
        _mark_rendered(submission)
    else:
        submission.pdf_status = PdfStatus.FAILED if final else PdfStatus.PENDING
        submission.pdf_error = message[:MAX_ERROR_LENGTH]
        detail = {"document": DocumentKind.INTAKE, "error": message[:MAX_ERROR_LENGTH]}
        audit.record(
            AuditAction.CHART_RENDER,
            target_type="submission",
            target_id=submission.public_id,
            outcome="failure",
            detail=detail if final else {**detail, "tried_again": True},
        )
    db.session.commit()


def _record_failure_safely(submission_id: int, message: str) -> None:
    try:
        _record_failure(submission_id, message)
    except Exception:
        logger.exception("Could not record the PDF failure of submission row %s", submission_id)
        db.session.rollback()


def _locked(submission_id: int) -> Submission:
    """The submission row, locked until commit (PostgreSQL; SQLite's writer holds the file)."""
    return db.session.scalars(
        select(Submission)
        .where(Submission.id == submission_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _intake_document(submission_id: int) -> ChartDocument | None:
    return db.session.scalars(
        select(ChartDocument)
        .where(
            ChartDocument.submission_id == submission_id, ChartDocument.kind == DocumentKind.INTAKE
        )
        .order_by(ChartDocument.id)
        .limit(1)
    ).first()


def _mark_rendered(submission: Submission) -> None:
    if submission.pdf_status != PdfStatus.RENDERED or submission.pdf_error is not None:
        submission.pdf_status = PdfStatus.RENDERED
        submission.pdf_error = None
