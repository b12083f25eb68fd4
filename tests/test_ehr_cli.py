"""`flask intake export-csv`, `export-batches` and `csv-columns`."""

import hashlib
import stat
from datetime import UTC, datetime

from sqlalchemy import func, select

from intake.ehr.dictionary import data_dictionary
from intake.extensions import db
from intake.models import AuditEvent, ExportBatch, Submission, SubmissionStatus
from testkit.factories import make_submission
from tests.csv_reading import HOSTILE, TRICKY_ANSWERS, expected_row, parse


def _submissions(app, count: int = 2, **columns) -> list[Submission]:
    with app.app_context():
        made = [make_submission(answers=TRICKY_ANSWERS, **columns) for _ in range(count)]
        for submission in made:
            db.session.refresh(submission)
        db.session.expunge_all()
        return made


def _batches(app) -> list[ExportBatch]:
    with app.app_context():
        return db.session.scalars(select(ExportBatch)).all()


def test_new_export_to_a_file_and_the_same_batch_again(app, runner, tmp_path):
    made = _submissions(app)
    out = tmp_path / "out"
    out.mkdir()
    path = out / "intake.csv"
    result = runner.invoke(args=["intake", "export-csv", "--new", "-o", str(path), "--excel"])
    assert result.exit_code == 0, result.output
    (batch,) = _batches(app)
    assert f"Wrote batch {batch.public_id}: 2 submissions" in result.stderr
    data = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert data.startswith(b"\xef\xbb\xbf")
    assert hashlib.sha256(data).hexdigest() == batch.sha256
    _header, rows = parse(data)
    assert [row["submission_id"] for row in rows] == [str(s.public_id) for s in made]
    assert rows[0]["visit_reason"] == "'" + HOSTILE
    assert list(out.iterdir()) == [path]  # no temporary file left behind

    again = runner.invoke(args=["intake", "export-csv", "--batch", str(batch.public_id)])
    assert again.exit_code == 0, again.output
    assert again.stdout_bytes == data

    with app.app_context():
        marked = db.session.execute(select(Submission.export_batch_id, Submission.status)).all()
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert marked == [(batch.id, SubmissionStatus.SUBMITTED)] * 2
    # The file was written as the batch was hashed (one pass), and that is the download.
    assert actions[-3:] == ["export.new", "export.download", "export.download"]


def test_nothing_new_to_a_file_leaves_no_file(app, runner, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(args=["intake", "export-csv", "--new", "-o", str(out / "intake.csv")])
    assert result.exit_code == 0, result.output
    assert "No new submissions to export." in result.stderr
    assert list(out.iterdir()) == []


def test_new_export_is_the_default_and_goes_to_stdout(app, runner):
    _submissions(app, 1)
    result = runner.invoke(args=["intake", "export-csv", "--raw"])
    assert result.exit_code == 0, result.output
    _header, (row,) = parse(result.stdout_bytes)
    assert row["visit_reason"] == HOSTILE
    nothing = runner.invoke(args=["intake", "export-csv"])
    assert nothing.exit_code == 0
    assert nothing.stdout_bytes == b""
    assert "No new submissions to export." in nothing.stderr
    assert len(_batches(app)) == 1


def test_date_range_from_the_cli_marks_nothing(app, runner):
    (inside,) = _submissions(app, 1, submitted_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    _submissions(app, 1, submitted_at=datetime(2026, 12, 20, 15, 0, tzinfo=UTC))
    result = runner.invoke(
        args=["intake", "export-csv", "--from", "2026-11-01", "--to", "2026-11-30", "--raw"]
    )
    assert result.exit_code == 0, result.output
    _header, rows = parse(result.stdout_bytes)
    with app.app_context():
        stored = db.session.get(Submission, inside.id)
        assert rows == [expected_row(stored)]
        unexported = select(func.count()).where(Submission.export_batch_id.is_(None))
        assert db.session.scalar(unexported) == 2
    assert _batches(app) == []


def test_usage_mistakes_change_nothing(app, runner, tmp_path):
    _submissions(app, 1)
    existing = tmp_path / "exists.csv"
    existing.write_text("keep me")
    cases = [
        (["--from", "2026-11-01"], "--from and --to go together"),
        (["--new", "--from", "2026-11-01", "--to", "2026-11-02"], "Choose one of"),
        (["--batch", "0a0b", "--excel"], "options it was made with"),
        (["--from", "2026-11-31", "--to", "2026-12-01"], "2026-11-31"),
        (["-o", str(existing)], "already exists; nothing was exported"),
        (["-o", str(tmp_path / "missing" / "x.csv")], "is not a folder; nothing was exported"),
        (["--batch", "00000000-0000-4000-8000-000000000000"], "No export batch has the id"),
        (["--from", "2026-11-02", "--to", "2026-11-01"], "before the start date"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["intake", "export-csv", *args])
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    assert existing.read_text() == "keep me"
    assert _batches(app) == []


def test_export_batches_lists_them(app, runner):
    _submissions(app, 3)
    assert runner.invoke(args=["intake", "export-csv", "--excel"]).exit_code == 0
    result = runner.invoke(args=["intake", "export-batches"])
    (batch,) = _batches(app)
    assert result.exit_code == 0
    line = result.output.strip()
    assert line.startswith(str(batch.public_id))
    assert "3 rows  excel" in line and batch.sha256 in line and "cli:" in line


def test_csv_columns_writes_checks_and_prints_the_dictionary(app, runner, tmp_path):
    assert runner.invoke(args=["intake", "csv-columns", "--check"]).exit_code == 0
    printed = runner.invoke(args=["intake", "csv-columns", "--stdout"])
    assert printed.output == data_dictionary()

    app.root_path = str(tmp_path / "intake")  # a checkout whose docs are stale
    (tmp_path / "docs").mkdir()
    stale = tmp_path / "docs" / "csv-columns.md"
    stale.write_text("# old\n")
    check = runner.invoke(args=["intake", "csv-columns", "--check"])
    assert check.exit_code == 1
    assert "out of date" in check.output
    assert stale.read_text() == "# old\n"
    assert runner.invoke(args=["intake", "csv-columns"]).exit_code == 0
    assert stale.read_text() == data_dictionary()
