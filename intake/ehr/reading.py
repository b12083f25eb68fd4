"""Reading submissions for the export in chunks, so memory stays flat however many there are.

Keyset pagination: each chunk is one short query that starts after the last row of the one
before, reads only the columns the CSV needs (never the consent text, signature or PDF bytes)
and returns plain rows, so nothing accumulates in the session.
"""

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import aliased

from intake.ehr.columns import Record
from intake.extensions import db
from intake.models import ChartDocument, ConsentDecision, DocumentKind, Submission, utcnow

CHUNK_ROWS = 1000

_corrected = aliased(Submission)
# The signed intake PDF is rendered once; should a second ever exist, the first is the one.
_pdf_sha256 = (
    select(ChartDocument.sha256)
    .where(ChartDocument.submission_id == Submission.id, ChartDocument.kind == DocumentKind.INTAKE)
    .order_by(ChartDocument.id)
    .limit(1)
    .scalar_subquery()
)


def _consent_as_of(moment: datetime, column) -> ColumnElement:
    """SQL: a column of the submission's latest consent decision made by `moment`."""
    return (
        select(column)
        .where(ConsentDecision.submission_id == Submission.id, ConsentDecision.decided_at <= moment)
        .order_by(ConsentDecision.decided_at.desc(), ConsentDecision.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _select(consent_as_of: datetime) -> Select:
    """The columns of a Record; the consent as it stood at `consent_as_of`, so a batch made
    again later shows the consent as it was when the batch was first written."""
    return select(
        Submission.id,
        Submission.public_id,
        Submission.submitted_at,
        Submission.first_name,
        Submission.last_name,
        Submission.date_of_birth,
        Submission.phone,
        Submission.email,
        Submission.questionnaire_version,
        Submission.answers,
        Submission.flags,
        Submission.consent_document,
        Submission.consent_version,
        Submission.consent_sha256,
        Submission.signed_at,
        Submission.signer_name,
        Submission.signer_relationship,
        Submission.guardian_phone,
        _corrected.public_id.label("corrects_public_id"),
        _pdf_sha256.label("pdf_sha256"),
        _consent_as_of(consent_as_of, ConsentDecision.kind).label("consent_decision"),
        _consent_as_of(consent_as_of, ConsentDecision.decided_at).label("consent_decided_at"),
        Submission.language,
    ).outerjoin(_corrected, Submission.corrects_id == _corrected.id)


def batch_records(
    batch_id: int, consent_as_of: datetime, *, without_pdf: Sequence[Sequence[int]] = ()
) -> Iterator[Record]:
    """The submissions of one export batch, in id order, their consent as of `consent_as_of`
    (the batch's creation).

    `without_pdf` holds runs [first id, last id] of the batch's submissions whose PDF had not
    been rendered when the batch was first written: their PDF hash stays empty, so the batch
    reproduces byte for byte after a late rendering.
    """
    starts = [run[0] for run in without_pdf]
    last_id = 0
    while True:
        rows = db.session.execute(
            _select(consent_as_of)
            .where(Submission.export_batch_id == batch_id, Submission.id > last_id)
            .order_by(Submission.id)
            .limit(CHUNK_ROWS)
        ).all()
        for row in rows:
            record = Record(*row)
            if record.pdf_sha256 is not None and _in_runs(record.id, starts, without_pdf):
                record = record._replace(pdf_sha256=None)
            yield record
        if len(rows) < CHUNK_ROWS:
            return
        last_id = rows[-1].id


def submitted_within(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    """start <= submitted_at < end; a bound that is None is open (the calendar's edge)."""
    bounds = []
    if start is not None:
        bounds.append(Submission.submitted_at >= start)
    if end is not None:
        bounds.append(Submission.submitted_at < end)
    return and_(true(), *bounds)


def range_records(start: datetime | None, end: datetime | None) -> Iterator[Record]:
    """Submissions with start <= submitted_at < end, in the order they were submitted, their
    consent as it stands now."""
    now = utcnow()
    in_range = submitted_within(start, end)
    after: ColumnElement[bool] = in_range
    while True:
        rows = db.session.execute(
            _select(now)
            .where(in_range, after)
            .order_by(Submission.submitted_at, Submission.id)
            .limit(CHUNK_ROWS)
        ).all()
        yield from (Record(*row) for row in rows)
        if len(rows) < CHUNK_ROWS:
            return
        last = rows[-1]
        # (submitted_at, id) > (last.submitted_at, last.id), spelled so both databases use
        # the submitted_at index for the first half.
        after = and_(
            Submission.submitted_at >= last.submitted_at,
            or_(
                Submission.submitted_at > last.submitted_at,
                Submission.id > last.id,
            ),
        )


def _in_runs(value: int, starts: list[int], runs: Sequence[Sequence[int]]) -> bool:
    """Whether value lies in one of the sorted, disjoint [first, last] runs."""
    index = bisect_right(starts, value) - 1
    return index >= 0 and value <= runs[index][1]
