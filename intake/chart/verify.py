"""Checking the stored PDFs against their hashes and against the audit log that recorded them.

A chart document carries its own SHA-256, which catches a change to its bytes alone. The
successful chart.render audit event, written in the same transaction as the document, names
the SHA-256 again, outside chart_document: it shows a document replaced together with its hash
and size, a document deleted, and a document that Intake never stored.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from sqlalchemy import ColumnElement, String, Uuid, case, cast, exists, func, select
from sqlalchemy.orm import aliased

from intake import audit, audit_chain
from intake.audit import AuditAction
from intake.chart.store import successful_render
from intake.database import begin_write
from intake.extensions import db
from intake.models import (
    AuditEvent,
    ChartDocument,
    ConsentDecision,
    DocumentKind,
    PdfStatus,
    Submission,
)

CANONICAL_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # str(uuid)


class Finding:
    """What is wrong with a submission's signed PDF."""

    CHANGED = "changed"  # its bytes no longer hash to the SHA-256 stored beside them
    REPLACED = "replaced"  # its SHA-256 is not the one recorded when it was stored
    MISSING = "missing"  # recorded as stored, and not in the database
    UNRECORDED = "unrecorded"  # an intake PDF that no chart.render event records
    SEAL = "seal"  # its seal is not the clinic's, or does not match its bytes
    UNSEALED = "unsealed"  # made since sealing began, and carries no seal


@dataclass(frozen=True)
class Problem:
    """One thing `verify_documents` found wrong, about one submission."""

    submission_id: str  # the public id, as the audit log names it
    finding: str
    description: str
    document_id: int | None = None

    def __str__(self) -> str:
        return f"submission {self.submission_id}: {self.description}"


@dataclass(frozen=True)
class DocumentCheck:
    """What `verify_documents` found: how many documents, what is wrong, how many are old."""

    checked: int
    problems: list[Problem]
    made_before_sealing: int  # unsealed, and stored before sealing began: not a problem


def verify_documents(chain_breaks: int = 0) -> DocumentCheck:
    """Check every stored chart document (bytes, seal, audit record) and every recorded PDF.

    `chain_breaks`, the places the audit chain was found broken, is recorded with the result.
    """
    result = _check_documents()
    problems = result.problems + _missing_documents() + _check_addenda()
    begin_write()
    audit.record(
        AuditAction.CHART_VERIFY,
        outcome="success" if not problems and not chain_breaks else "failure",
        detail={
            "checked": result.checked,
            "made_before_sealing": result.made_before_sealing,
            "chain_breaks": chain_breaks,
            "problems": [
                {"submission": p.submission_id, "finding": p.finding, "document": p.document_id}
                for p in problems
            ],
        },
    )
    db.session.commit()
    return DocumentCheck(result.checked, problems, result.made_before_sealing)


def _check_documents() -> DocumentCheck:
    """Re-hash each document, check its seal, and compare its SHA-256 with its render event's."""
    from intake.chart.seal import SealState, check_seal  # pyHanko: see chart.document

    # Correlated subqueries, not a join: one index lookup per document whatever the planner
    # knows, even on a database restored a minute ago and not yet analysed.
    first_render = (
        select(AuditEvent.id)
        .where(successful_render(), AuditEvent.target_id == _audit_target(Submission.public_id))
        .order_by(AuditEvent.id)
        .limit(1)
    )
    recorded_sha256 = first_render.with_only_columns(AuditEvent.detail["sha256"].as_string())
    render_chained = first_render.with_only_columns(AuditEvent.chain_seq.is_not(None))
    sealing_began = audit_chain.started_at()
    rows = db.session.execute(
        select(
            ChartDocument.id,
            ChartDocument.kind,
            ChartDocument.sha256,
            ChartDocument.size,
            ChartDocument.content,
            ChartDocument.created_at,
            Submission.public_id,
            first_render.scalar_subquery(),
            recorded_sha256.scalar_subquery(),
            render_chained.scalar_subquery(),
        )
        .join(Submission, ChartDocument.submission_id == Submission.id)
        .order_by(ChartDocument.id)
        .execution_options(yield_per=16)  # one small batch of PDFs in memory at a time
    )
    checked, problems, made_before_sealing = 0, [], 0
    for row in rows:
        document_id, kind, sha256, size, content, created_at, public_id, event_id = row[:8]
        recorded, render_chained = row[8:]
        checked += 1
        name = f"chart document {document_id} ({kind})"
        seal = check_seal(content, created_at)
        if seal.state == SealState.INVALID:
            problems.append(
                Problem(str(public_id), Finding.SEAL, f"{name}: {seal.reason}", document_id)
            )
        elif seal.state == SealState.UNSEALED:
            # Made since sealing began, by its render event's place in the chain (an intake
            # PDF) or by its own time (an addendum, or a PDF no event records).
            if kind == DocumentKind.INTAKE and event_id is not None:
                since_sealing = bool(render_chained)
            else:
                since_sealing = sealing_began is None or created_at >= sealing_began
            if since_sealing:
                problems.append(
                    Problem(
                        str(public_id),
                        Finding.UNSEALED,
                        f"{name} carries no seal, and was stored after sealing began",
                        document_id,
                    )
                )
            else:
                made_before_sealing += 1
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256 or len(content) != size:
            problems.append(
                Problem(
                    str(public_id),
                    Finding.CHANGED,
                    f"{name} no longer matches its SHA-256: recorded {sha256} ({size} bytes), "
                    f"stored bytes hash to {actual} ({len(content)} bytes)",
                    document_id,
                )
            )
        if kind != DocumentKind.INTAKE:
            continue  # chart.render events record the intake PDF only
        if event_id is None:
            problems.append(
                Problem(
                    str(public_id),
                    Finding.UNRECORDED,
                    f"{name} (sha256 {sha256}) was not stored by Intake: "
                    f"no {AuditAction.CHART_RENDER} event records it",
                    document_id,
                )
            )
        elif recorded != sha256:
            problems.append(
                Problem(
                    str(public_id),
                    Finding.REPLACED,
                    f"{name} has sha256 {sha256}, but {AuditAction.CHART_RENDER} event "
                    f"{event_id} recorded sha256 {recorded} when it was stored: it was replaced",
                    document_id,
                )
            )
    return DocumentCheck(checked, problems, made_before_sealing)


def _missing_documents() -> list[Problem]:
    """Submissions recorded as having their intake PDF, and without one in the database."""
    stored = (
        select(ChartDocument.id)
        .join(Submission, ChartDocument.submission_id == Submission.id)
        .where(ChartDocument.kind == DocumentKind.INTAKE, _named_by(AuditEvent.target_id))
    )
    events = db.session.execute(
        select(
            AuditEvent.id,
            AuditEvent.target_id,
            AuditEvent.at,
            AuditEvent.detail["sha256"].as_string(),
            exists().where(_named_by(AuditEvent.target_id)).label("submission_exists"),
        )
        .where(successful_render(), ~stored.exists())
        .order_by(AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    found: dict[str, Problem] = {}
    for event_id, target_id, at, recorded, submission_exists in events:
        gone = "its signed PDF" if submission_exists else "the submission and its signed PDF"
        found.setdefault(
            target_id,
            Problem(
                target_id,
                Finding.MISSING,
                f"{gone} (sha256 {recorded}, stored {_when(at)}, {AuditAction.CHART_RENDER} event "
                f"{event_id}) {'is' if submission_exists else 'are'} not in the database",
            ),
        )
    marked = db.session.scalars(
        select(Submission.public_id)
        .where(
            Submission.pdf_status == PdfStatus.RENDERED,
            ~exists().where(
                ChartDocument.submission_id == Submission.id,
                ChartDocument.kind == DocumentKind.INTAKE,
            ),
        )
        .order_by(Submission.id)
        .execution_options(yield_per=1000)
    )
    for public_id in marked:
        found.setdefault(
            str(public_id),
            Problem(
                str(public_id),
                Finding.MISSING,
                f"it is marked rendered, but its signed PDF is not in the database "
                f"and no {AuditAction.CHART_RENDER} event records it",
            ),
        )
    return list(found.values())


def _check_addenda() -> list[Problem]:
    """Each consent addendum against the chart.addendum event that recorded it, and against
    the signed intake PDF its decision names; each recorded addendum is still there."""
    recorded = {
        (event.detail or {}).get("decision"): (event.id, (event.detail or {}).get("sha256"))
        for event in db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == AuditAction.CHART_ADDENDUM,
                AuditEvent.outcome == "success",
            )
            .order_by(AuditEvent.id.desc())  # the first event wins
        )
    }
    first_intake = aliased(ChartDocument)
    intake_sha256 = (
        select(first_intake.sha256)
        .where(
            first_intake.submission_id == ConsentDecision.submission_id,
            first_intake.kind == DocumentKind.INTAKE,
        )
        .order_by(first_intake.id)
        .limit(1)
        .correlate(ConsentDecision)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            ConsentDecision.public_id,
            ConsentDecision.intake_sha256,
            Submission.public_id,
            ChartDocument.id,
            ChartDocument.sha256,
            intake_sha256,
        )
        .join(Submission, ConsentDecision.submission_id == Submission.id)
        .outerjoin(ChartDocument, ChartDocument.consent_decision_id == ConsentDecision.id)
        .order_by(ConsentDecision.id)
    )
    problems = []
    for decision_id, names, submission_id, document_id, sha256, intake in rows:
        event_id, recorded_sha256 = recorded.pop(str(decision_id), (None, None))
        name = f"the consent addendum of decision {decision_id}"
        if intake is not None and names != intake:
            problems.append(
                Problem(
                    str(submission_id),
                    Finding.REPLACED,
                    f"{name} names the signed intake PDF sha256 {names}, but the stored "
                    f"intake PDF has sha256 {intake}",
                    document_id,
                )
            )
        if document_id is None:
            if event_id is not None:
                problems.append(
                    Problem(
                        str(submission_id),
                        Finding.MISSING,
                        f"{name} (sha256 {recorded_sha256}, {AuditAction.CHART_ADDENDUM} event "
                        f"{event_id}) is not in the database",
                    )
                )
        elif event_id is None:
            problems.append(
                Problem(
                    str(submission_id),
                    Finding.UNRECORDED,
                    f"{name} (chart document {document_id}) was not stored by Intake: no "
                    f"{AuditAction.CHART_ADDENDUM} event records it",
                    document_id,
                )
            )
        elif recorded_sha256 != sha256:
            problems.append(
                Problem(
                    str(submission_id),
                    Finding.REPLACED,
                    f"{name} (chart document {document_id}) has sha256 {sha256}, but "
                    f"{AuditAction.CHART_ADDENDUM} event {event_id} recorded {recorded_sha256}: "
                    "it was replaced",
                    document_id,
                )
            )
    for decision_id, (event_id, recorded_sha256) in recorded.items():
        problems.append(
            Problem(
                "unknown",
                Finding.MISSING,
                f"the consent decision {decision_id} and its addendum (sha256 {recorded_sha256}, "
                f"{AuditAction.CHART_ADDENDUM} event {event_id}) are not in the database",
            )
        )
    return problems


def _audit_target(public_id: ColumnElement[uuid.UUID]) -> ColumnElement[str]:
    """A submission's public id in SQL as audit events name it: str(uuid), 8-4-4-4-12.

    Compared with target_id as it is, so the audit event is found through its index.
    """
    if db.engine.dialect.name == "postgresql":
        return cast(public_id, String)
    # Elsewhere SQLAlchemy stores a UUID as its 32 lower-case hex digits.
    parts = [
        func.substr(public_id, start, length, type_=String)
        for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    ]
    return reduce(lambda joined, part: joined + "-" + part, parts)


def _named_by(target_id: ColumnElement[str]) -> ColumnElement[bool]:
    """SQL: the submission row is the one an audit event's target_id names.

    Written so that the submission is found through the unique index on public_id.
    """
    if db.engine.dialect.name == "postgresql":
        # Only a well-formed id is cast: a mangled target_id is reported, not a crash.
        well_formed = target_id.regexp_match(CANONICAL_UUID)
        return Submission.public_id == case((well_formed, cast(target_id, Uuid)))
    return Submission.public_id == func.replace(target_id, "-", "")


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
