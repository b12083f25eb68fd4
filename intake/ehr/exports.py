"""Export services: new submissions as a batch, a batch again, or a date range.

Every export writes an AuditEvent. Only `export_new` marks submissions: it claims every one not
yet in a batch, records the batch with its row count and the file's SHA-256, and commits, all
in one transaction; two exports started at the same moment never share a submission (SQLite
lets one writer in at a time; on PostgreSQL the second UPDATE waits on the first one's row
locks, then skips the rows it claimed). The file is written in the pass that hashes it: kept
by the caller (`copy_to`: the command line's new file, the staff download's spool, served by
`kept_batch`), or made again afterwards by `stream_batch`, which reproduces the same bytes from
the database; either way it is checked against the recorded SHA-256 before its last bytes go
out, and a lost or interrupted download loses nothing. A batch made `raw` (formulas
not neutralised, for machine import) is written again only where its caller says raw is
wanted, the command line: anywhere else it is refused rather than served or rewritten.
"""

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update

from intake import audit, clock
from intake.audit import AuditAction
from intake.database import begin_write
from intake.ehr.columns import COLUMNS, COLUMNS_VERSION, Record, columns_named
from intake.ehr.reading import batch_records, range_records, submitted_within
from intake.ehr.writing import Format, write_csv
from intake.extensions import db
from intake.models import ExportBatch, Submission

CONTENT_TYPE = "text/csv; charset=utf-8"
READ_SIZE = 64 * 1024


class ExportError(Exception):
    """An export cannot be made as asked; the message says why, in the clinic's words."""


class BatchMismatch(ExportError):
    """A batch no longer reproduces the file recorded for it; the copy was not completed."""


class RawBatchRefused(ExportError):
    """A raw batch was asked for where raw was not allowed; nothing of it was read."""


def export_new(
    actor_label: str,
    *,
    staff_user_id: int | None = None,
    excel: bool = False,
    raw: bool = False,
    copy_to: BinaryIO | None = None,
) -> ExportBatch | None:
    """Put every submission not yet exported into a new, committed batch; None if there are none.

    The batch remembers the format (`excel`: byte-order mark and CRLF, the staff download's
    default; `raw`: no formula neutralising, for machine import) and the clinic's time zone, so
    `stream_batch` writes the same file whenever it is asked.

    `copy_to` receives the file as it is hashed, and the copy is audited as a download in the
    same transaction: one pass for a caller that can drop what it received should the export
    fail (a new file that appears only once complete: see downloads.new_file). Nothing is
    written to it when there is nothing new.
    """
    fmt = Format(excel=excel, raw=raw)
    zone_name = current_app.config["CLINIC_TIMEZONE"]
    begin_write()
    batch = ExportBatch(
        created_by_id=staff_user_id,
        actor_label=actor_label,
        columns_version=COLUMNS_VERSION,
        row_count=0,
        options={},
    )
    db.session.add(batch)
    db.session.flush()
    claimed = db.session.execute(
        update(Submission)
        .where(Submission.export_batch_id.is_(None))
        .values(export_batch_id=batch.id)  # the review status is not the export's to change
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return None

    # Write the file once, here, to hash it (and copy it): the hash is committed with the batch.
    tally = _Tally(batch_records(batch.id, batch.created_at))
    digest = hashlib.sha256()
    try:
        for chunk in write_csv(tally, COLUMNS, ZoneInfo(zone_name), fmt):
            digest.update(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
        if copy_to is not None:
            copy_to.flush()  # a full disk is found now, before anything is committed
    except BaseException:
        db.session.rollback()  # no half-made batch for a later commit to keep
        raise
    if tally.rows != claimed:  # the claim and the read disagree: keep nothing
        db.session.rollback()
        raise ExportError(f"Export stopped: {claimed} submissions claimed, {tally.rows} read.")

    batch.row_count = tally.rows
    batch.sha256 = digest.hexdigest()
    batch.options = {
        "excel": fmt.excel,
        "raw": fmt.raw,
        "timezone": zone_name,
        "columns": [column.name for column in COLUMNS],
        "without_pdf": tally.without_pdf,
    }
    audit.record(
        AuditAction.EXPORT_NEW,
        target_type="export_batch",
        target_id=batch.public_id,
        actor_label=actor_label,
        detail={"rows": batch.row_count, "sha256": batch.sha256, "excel": excel, "raw": raw},
    )
    if copy_to is not None:
        _audit_download(batch.public_id, batch.row_count, actor_label)
    db.session.commit()
    return batch


def stream_batch(
    batch: ExportBatch, actor_label: str, *, allow_raw: bool = False
) -> Iterator[bytes]:
    """Audit a download of `batch` now, then return its file's chunks, the same bytes each time.

    Iterate inside an app context (in a view, wrap it in `stream_with_context`). The last chunk
    is held back until the whole file has matched the batch's SHA-256; a mismatch raises
    BatchMismatch instead, so no reader ever receives a complete but different file.

    A raw batch is written only with `allow_raw` (the command line's machine import). Without
    it the refusal is audited and RawBatchRefused raised: a neutralised copy would no longer
    match the recorded SHA-256, and the raw bytes must not reach a spreadsheet.
    """
    batch_id, public_id, expected = batch.id, batch.public_id, batch.sha256
    options, rows, created_at = dict(batch.options), batch.row_count, batch.created_at
    if options["raw"] and not allow_raw:
        begin_write()
        audit.record(
            AuditAction.EXPORT_DOWNLOAD,
            target_type="export_batch",
            target_id=public_id,
            outcome="refused",
            actor_label=actor_label,
            detail={"rows": rows, "raw": True},
        )
        db.session.commit()
        raise RawBatchRefused(
            f"Batch {public_id} was made on the command line with --raw, for machine import "
            "into the EHR: its cells are not made safe for a spreadsheet, so it is not "
            f"downloaded here. On the server: {batch_command(batch)}"
        )
    try:
        columns = columns_named(options["columns"])
    except KeyError as missing:
        raise ExportError(
            f"Batch {public_id} has the column {missing}, which CSV columns version "
            f"{COLUMNS_VERSION} no longer has (the batch was written with version "
            f"{batch.columns_version}), so it cannot be made again byte for byte. "
            "Export its dates with --from/--to instead."
        ) from None
    begin_write()
    _audit_download(public_id, rows, actor_label)
    db.session.commit()
    records = batch_records(batch_id, created_at, without_pdf=options.get("without_pdf", ()))
    fmt = Format(excel=options["excel"], raw=options["raw"])
    chunks = write_csv(records, columns, ZoneInfo(options["timezone"]), fmt)
    return _verified(chunks, expected, public_id)


def stream_range(
    start: date, end: date, actor_label: str, *, excel: bool = False, raw: bool = False
) -> Iterator[bytes]:
    """Audit an export of the days start..end (inclusive, clinic time) now, then return its chunks.

    Marks nothing: the submissions stay "new" for the next `export_new`.
    """
    if end < start:
        raise ExportError(f"The end date {end} is before the start date {start}.")
    zone = clock.clinic_zone()
    low, high = clock.day_range(start, end, zone)
    begin_write()
    rows = db.session.scalar(
        select(func.count()).select_from(Submission).where(submitted_within(low, high))
    )
    audit.record(
        AuditAction.EXPORT_RANGE,
        target_type="submission",
        actor_label=actor_label,
        detail={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rows": rows,
            "excel": excel,
            "raw": raw,
        },
    )
    db.session.commit()
    return write_csv(range_records(low, high), COLUMNS, zone, Format(excel=excel, raw=raw))


def kept_batch(kept: BinaryIO, batch: ExportBatch) -> Iterator[bytes]:
    """The file `export_new(copy_to=kept)` wrote for `batch`, from its start, in chunks, its last
    chunk held back until the whole matches the batch's SHA-256 (as `stream_batch` does);
    `kept` is closed at the end, or when the download is abandoned."""

    def chunks() -> Iterator[bytes]:
        try:
            kept.seek(0)
            while chunk := kept.read(READ_SIZE):
                yield chunk
        finally:
            kept.close()

    return _verified(chunks(), batch.sha256, batch.public_id)


def find_batch(public_id: str | uuid.UUID) -> ExportBatch | None:
    """The batch with this public id, or None (also for text that is not a UUID)."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        return None
    return db.session.scalar(select(ExportBatch).where(ExportBatch.public_id == key))


def recent_batches(limit: int = 20) -> list[ExportBatch]:
    """The latest batches, newest first."""
    query = select(ExportBatch).order_by(ExportBatch.created_at.desc(), ExportBatch.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def new_count() -> int:
    """How many submissions the next `export_new` would take."""
    query = select(func.count()).select_from(Submission)
    return db.session.scalar(query.where(Submission.export_batch_id.is_(None)))


def batch_filename(batch: ExportBatch) -> str:
    """A download name that says what the file is: date, then the batch's short id."""
    zone = ZoneInfo(batch.options["timezone"]) if batch.options.get("timezone") else None
    day = clock.local(batch.created_at, zone).date().isoformat()
    return f"intake-export-{day}-{batch.public_id.hex[:8]}.csv"


def is_raw(batch: ExportBatch) -> bool:
    """Whether the batch was written raw (formulas not neutralised), for machine import only."""
    return bool(batch.options.get("raw"))


def batch_command(batch: ExportBatch) -> str:
    """The command that writes the batch again, byte for byte, into a new file on the server."""
    name = batch_filename(batch)
    return f"flask --app wsgi intake export-csv --batch {batch.public_id} -o {name}"


def range_filename(start: date, end: date) -> str:
    """A download name for a date-range export."""
    return f"intake-{start.isoformat()}-to-{end.isoformat()}.csv"


def _audit_download(public_id: uuid.UUID, rows: int, actor_label: str) -> None:
    audit.record(
        AuditAction.EXPORT_DOWNLOAD,
        target_type="export_batch",
        target_id=public_id,
        actor_label=actor_label,
        detail={"rows": rows},
    )


class _Tally:
    """Passes records through, counting them and noting which had no PDF yet.

    Those are kept as runs [first id, last id] of consecutive records, so a batch written while
    rendering was down stores two numbers, not one per submission.
    """

    def __init__(self, records: Iterable[Record]):
        self._records = records
        self.rows = 0
        self.without_pdf: list[list[int]] = []

    def __iter__(self) -> Iterator[Record]:
        in_run = False
        for record in self._records:
            self.rows += 1
            if record.pdf_sha256 is not None:
                in_run = False
            elif in_run:
                self.without_pdf[-1][1] = record.id
            else:
                self.without_pdf.append([record.id, record.id])
                in_run = True
            yield record


def _verified(chunks: Iterable[bytes], expected: str | None, label: object) -> Iterator[bytes]:
    """Pass chunks through, holding the last one back until the whole matches `expected`."""
    digest = hashlib.sha256()
    held: bytes | None = None
    for chunk in chunks:
        if held is not None:
            yield held
        digest.update(chunk)
        held = chunk
    if expected is not None and digest.hexdigest() != expected:
        raise BatchMismatch(
            f"Batch {label} no longer matches the file recorded for it "
            f"(SHA-256 {expected}); the copy was stopped before its end."
        )
    if held is not None:
        yield held
