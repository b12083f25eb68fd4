"""CSV export for the EHR from the staff side: new submissions, earlier batches, date ranges.

The export itself lives in intake.ehr; these views only read the request, call it and stream
the file. The staff download is always spreadsheet-safe (formula-like cells neutralised); the
raw form is for machine import and only offered on the command line. A batch made raw there is
listed with the command that writes it again, and its download here is refused (403).
"""

from contextlib import ExitStack

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from intake import ehr
from intake.staff.blueprint import bp
from intake.staff.forms import ExportNewForm, ExportRangeForm


@bp.get("/exports")
def export_csv():
    """Export new submissions, download an earlier batch again, or export a date range."""
    # No query string yet: the range form shows its defaults (Excel ticked).
    return _exports_page(ExportRangeForm(request.args or None))


def _exports_page(range_form: ExportRangeForm, status: int = 200):
    batches = ehr.recent_batches(limit=20)
    return render_template(
        "staff/exports.html",
        new_form=ExportNewForm(),
        range_form=range_form,
        new_count=ehr.new_count(),
        batches=batches,
        # A raw batch gets the command that writes it instead of a download link.
        raw_commands={b.id: ehr.batch_command(b) for b in batches if ehr.is_raw(b)},
    ), status


def _download(batch):
    """Stream a batch's file, or explain why it cannot be produced.

    A raw batch gets a page of its own, 403, with the command that writes it; any other
    problem is flashed on the export page.
    """
    try:
        chunks = ehr.stream_batch(batch, current_user.email)
    except ehr.RawBatchRefused:
        return render_template("staff/export_raw.html", command=ehr.batch_command(batch)), 403
    except ehr.ExportError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.export_csv"))
    return ehr.csv_response(chunks, ehr.batch_filename(batch))


@bp.post("/exports/new")
def export_new():
    """Put every not-yet-exported submission into a new batch and download it."""
    form = ExportNewForm()
    if not form.validate_on_submit():
        abort(400)
    # One pass: the file is kept aside as the batch is hashed, then served once committed.
    with ExitStack() as unserved:  # closes the kept file on every way out but serving it
        kept = unserved.enter_context(ehr.spool())
        try:
            batch = ehr.export_new(
                current_user.email,
                staff_user_id=current_user.id,
                excel=form.excel.data,
                copy_to=kept,
            )
        except ehr.ExportError as error:
            flash(str(error), "error")
            return redirect(url_for("staff.export_csv"))
        if batch is None:
            flash("There are no new submissions to export.", "info")
            return redirect(url_for("staff.export_csv"))
        unserved.pop_all()  # kept_batch closes it once served
    return ehr.csv_response(ehr.kept_batch(kept, batch), ehr.batch_filename(batch))


@bp.get("/exports/<batch_id>.csv")
def export_batch(batch_id: str):
    """Download an earlier batch again: the same bytes as the first time (never a raw one)."""
    batch = ehr.find_batch(batch_id)
    if batch is None:
        abort(404)
    return _download(batch)


@bp.get("/exports/range.csv")
def export_range():
    """Export the submissions of a date range (clinic days, both included); marks nothing."""
    form = ExportRangeForm(request.args)
    if not form.validate() or not (form.from_date.data and form.to_date.data):
        if not form.errors:
            form.from_date.errors = ["Enter both dates."]
        return _exports_page(form, 400)
    start, end = form.from_date.data, form.to_date.data
    chunks = ehr.stream_range(start, end, current_user.email, excel=form.excel.data)
    return ehr.csv_response(chunks, ehr.range_filename(start, end))
