"""EHR export: a documented, spreadsheet-safe CSV of submissions, streamed in chunks.

The columns (`columns`) come from the questionnaire definition; docs/csv-columns.md is their
data dictionary (`dictionary`, written by `flask intake csv-columns`). Submissions are read in
keyset-paginated chunks (`reading`) and written with the csv module into a small buffer
(`writing`), so memory stays flat. The services the staff side and the CLI call (`exports`):

    export_new(actor_label, *, staff_user_id=None, excel=False, raw=False, copy_to=None)
        -> ExportBatch | None
    stream_batch(batch, actor_label, *, allow_raw=False) -> Iterator[bytes]
    stream_range(start, end, actor_label, *, excel=False, raw=False) -> Iterator[bytes]
    find_batch(public_id), recent_batches(limit), new_count(), column_names()
    batch_filename(batch), range_filename(start, end), is_raw(batch), batch_command(batch)
    csv_response(chunks, filename) -> Response   (`downloads`: streamed, as an attachment)
    spool(), kept_batch(kept, batch)              (a new batch kept as hashed, then served)

A staff view (POST, CSRF-protected) serves a new batch like this; the staff download's
default is excel=True, and None means there was nothing new to export:

    kept = ehr.spool()
    batch = ehr.export_new(current_user.email, staff_user_id=current_user.id, excel=True,
                           copy_to=kept)  # one pass: the file is kept as it is hashed
    if batch is None:
        kept.close(); flash("There are no new submissions to export."); return redirect(...)
    return ehr.csv_response(ehr.kept_batch(kept, batch), ehr.batch_filename(batch))

Errors are ExportError (a message fit to show staff) and its BatchMismatch and
RawBatchRefused. A batch made with raw=True is written again only on the command line
(allow_raw=True); the staff side lists it with `batch_command(batch)` and never serves it.
"""

from intake.ehr.columns import COLUMNS, COLUMNS_VERSION, column_names
from intake.ehr.downloads import csv_response, spool
from intake.ehr.exports import (
    CONTENT_TYPE,
    BatchMismatch,
    ExportError,
    RawBatchRefused,
    batch_command,
    batch_filename,
    export_new,
    find_batch,
    is_raw,
    kept_batch,
    new_count,
    range_filename,
    recent_batches,
    stream_batch,
    stream_range,
)

__all__ = [
    "COLUMNS",
    "COLUMNS_VERSION",
    "CONTENT_TYPE",
    "BatchMismatch",
    "ExportError",
    "RawBatchRefused",
    "batch_command",
    "batch_filename",
    "column_names",
    "csv_response",
    "export_new",
    "find_batch",
    "is_raw",
    "kept_batch",
    "new_count",
    "range_filename",
    "recent_batches",
    "spool",
    "stream_batch",
    "stream_range",
]
