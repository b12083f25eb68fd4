"""Exported files parsed with the csv module hold exactly what patients submitted."""

import csv
import hashlib
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from intake import consents, demo, ehr, questionnaire
from intake.ehr import reading
from intake.ehr.columns import FIXED_COLUMNS
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, ExportBatch, Submission, SubmissionStatus
from intake.signing import Evidence, Signing, submit_draft
from testkit.factories import make_draft, make_submission, signature_payload
from tests.csv_reading import HOSTILE, TRICKY_ANSWERS, expected_row, parse, unneutralise


def _export_new(**options) -> tuple[ExportBatch, bytes]:
    batch = ehr.export_new("test", **options)
    assert batch is not None
    # As the command line does: it is the one place a raw batch is written.
    return batch, b"".join(ehr.stream_batch(batch, "test", allow_raw=True))


def test_every_value_round_trips_and_formulas_are_neutralised(app_context):
    tricky = make_submission(
        answers=TRICKY_ANSWERS,
        submitted_at=datetime(2026, 11, 25, 18, 4, 5, 123456, tzinfo=UTC),
    )
    plain = make_submission(submitted_at=datetime(2026, 7, 4, 15, 0, tzinfo=UTC))
    batch, data = _export_new()

    header, rows = parse(data)
    assert header == ehr.column_names()
    assert [row["submission_id"] for row in rows] == [str(tricky.public_id), str(plain.public_id)]
    cells, other = rows

    # Free text that could be a formula gets one apostrophe; typed values keep their form.
    assert cells["visit_reason"] == "'" + HOSTILE
    assert cells["physician"] == "'\tDr. Tab"
    assert cells["pain_areas_other"] == "'+1 big toe"
    assert cells["better_with"] == "'@SUM(A1:A9)"
    assert cells["worse_with"] == '\'-stairs, "quoted", and commas'
    assert cells["medications"] == "''apostrophe first"
    assert cells["anything_else"] == "'\nstarts with a line break 🙂"
    assert cells["email"] == "'-wang@example.org"
    assert cells["phone"] == "+1 312 555 0142"
    assert cells["emergency_contact_phone"] == "+1 312 555 0199"
    # Quotes, commas, line breaks (LF and CRLF) and every script come back unchanged.
    assert cells["address"] == 'Flat 2, "The Old Mill"\n12 River Road\r\nSpringfield, IL'
    assert (cells["first_name"], cells["last_name"]) == ("王", "فاطمة")
    assert cells["emergency_contact_name"] == "Ольга Иванова-Núñez"
    # Codes, conditions, flags and times as the data dictionary says.
    assert cells["pain_areas"] == "lower_back;other"
    assert (cells["diabetes"], cells["diabetes_controlled"]) == ("yes", "no")
    assert (cells["pregnant"], cells["pregnancy_trimester"]) == ("no", "")
    assert cells["flags"] == "diabetes_uncontrolled"
    assert cells["submitted_at_utc"] == "2026-11-25T18:04:05+00:00"
    assert cells["submitted_at_local"] == "2026-11-25T12:04:05-06:00"
    assert other["submitted_at_local"] == "2026-07-04T10:00:00-05:00"  # daylight saving
    assert cells["date_of_birth"] == "1970-04-12"
    assert cells["pdf_sha256"] == ""

    # Undoing the neutralising gives back every value exactly as submitted.
    for submission, row in ((tricky, cells), (plain, other)):
        expected = expected_row(submission)
        restored = {
            name: unneutralise(value) if column.free_text else value
            for (name, value), column in zip(row.items(), ehr.COLUMNS, strict=True)
        }
        assert restored == expected
    assert hashlib.sha256(data).hexdigest() == batch.sha256


def test_what_a_patient_signs_on_the_tablet_is_what_the_ehr_receives(app_context):
    """Through the real submission service: typed input, checked, stored, exported."""
    _draft, token = make_draft(
        answers={
            "first_name": "Zoë",
            "last_name": "Nguyễn",
            "phone": "(312) 555-0142 ext. 7",
            "emergency_contact_name": "=cmd|' /C calc'!A0",
            "emergency_contact_phone": "+44 20 7946 0958",
            "visit_reason": HOSTILE,
            "pain_areas": ["other"],
            "pain_areas_other": "+1 toe",
            "better_with": "@SUM(A1)",
            "anything_else": 'She said "ouch",\nthen left; -2 stars',
        }
    )
    initials = {clause.id: "ZN" for clause in consents.current().clauses}
    signing = Signing(initials=initials, drawn=signature_payload(), agreed=True)
    submitted = submit_draft(token, signing, Evidence(device_label="Front desk 1"))

    _batch, data = _export_new()
    _header, (row,) = parse(data)
    stored = db.session.get(Submission, submitted.id)
    # The signed PDF rendered at submission (if this machine can render) is the one named.
    pdf = db.session.scalar(
        select(ChartDocument.sha256).where(ChartDocument.submission_id == stored.id)
    )
    restored = {
        name: unneutralise(value) if column.free_text else value
        for (name, value), column in zip(row.items(), ehr.COLUMNS, strict=True)
    }
    assert restored == expected_row(stored, pdf_sha256=pdf or "")
    assert row["emergency_contact_name"] == "'=cmd|' /C calc'!A0"
    assert row["visit_reason"] == "'" + HOSTILE
    assert (row["pain_areas_other"], row["better_with"]) == ("'+1 toe", "'@SUM(A1)")
    assert row["anything_else"] == 'She said "ouch",\nthen left; -2 stars'
    assert (row["first_name"], row["last_name"]) == ("Zoë", "Nguyễn")
    assert row["phone"] == "(312) 555-0142 ext. 7"
    assert row["emergency_contact_phone"] == "+44 20 7946 0958"


def test_red_flags_have_their_own_column_and_never_join_the_dry_needling_flags(app_context):
    red = make_submission(
        answers={
            "night_pain": "yes",
            "cancer": "yes",
            "cancer_details": "Prostate, in treatment",
            "needle_fainting": "yes",
        }
    )
    quiet = make_submission()
    _, data = _export_new()

    header, rows = parse(data)
    fixed = [column.name for column in FIXED_COLUMNS]
    # Appended after the fixed columns that were there before, which keep their places.
    assert fixed[-6:-3] == ["corrects_submission_id", "red_flags", "guardian_phone"]
    assert header.index("flags") == 15 and header.index("red_flags") == len(fixed) - 5
    by_id = {row["submission_id"]: row for row in rows}
    cells = by_id[str(red.public_id)]
    assert cells["red_flags"] == "night_pain;cancer_history"
    assert cells["flags"] == "fainting;active_cancer"
    assert (cells["night_pain"], cells["cancer"], cells["cancer_past"]) == ("yes", "yes", "")
    assert by_id[str(quiet.public_id)]["red_flags"] == ""
    assert by_id[str(quiet.public_id)]["cancer_past"] == "no"


def test_raw_export_keeps_every_value_exactly(app_context):
    tricky = make_submission(answers=TRICKY_ANSWERS)
    _batch, data = _export_new(raw=True)
    _header, (row,) = parse(data)
    assert row == expected_row(tricky)
    assert row["visit_reason"] == HOSTILE
    assert row["medications"] == "'apostrophe first"


def test_a_raw_batch_is_written_again_only_where_raw_is_allowed(app_context):
    make_submission(answers=TRICKY_ANSWERS)
    batch, data = _export_new(raw=True)
    assert ehr.is_raw(batch)
    with pytest.raises(ehr.RawBatchRefused, match="--raw") as refused:
        ehr.stream_batch(batch, "staff@example.org")
    assert ehr.batch_command(batch) in str(refused.value)
    assert ehr.batch_command(batch) == (
        f"flask --app wsgi intake export-csv --batch {batch.public_id} "
        f"-o {ehr.batch_filename(batch)}"
    )
    # Allowed, it is still the recorded file, byte for byte.
    again = b"".join(ehr.stream_batch(batch, "test", allow_raw=True))
    assert again == data and hashlib.sha256(again).hexdigest() == batch.sha256
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_label, e.outcome) for e in events] == [
        ("export.new", "test", "success"),
        ("export.download", "test", "success"),
        ("export.download", "staff@example.org", "refused"),
        ("export.download", "test", "success"),
    ]
    assert events[2].target_id == str(batch.public_id)
    assert events[2].detail == {"rows": 1, "raw": True}


def test_excel_format_has_a_bom_and_crlf_line_ends(app_context):
    make_submission(answers=TRICKY_ANSWERS)
    make_submission()
    _batch, data = _export_new(excel=True)
    assert data.startswith(b'\xef\xbb\xbf"submission_id",')
    assert data.endswith(b'"\r\n')
    # Three records end in CRLF; the line breaks inside the address are kept as typed.
    assert data.count(b'"\r\n"') == 2
    _header, rows = parse(data)
    assert rows[0]["address"] == 'Flat 2, "The Old Mill"\n12 River Road\r\nSpringfield, IL'


def test_plain_format_is_utf8_without_bom_and_lf(app_context):
    make_submission(answers={"first_name": "Zoë"})
    _batch, data = _export_new()
    assert data.startswith(b'"submission_id",')
    assert b"\r\n" not in data
    assert "Zoë".encode() in data


def test_a_question_that_was_not_asked_is_empty_even_if_an_answer_was_stored(app_context):
    submission = make_submission(answers={"pregnant": "no"})
    stale = {**submission.answers, "pregnancy_trimester": "first", "cancer_details": "x"}
    db.session.execute(update(Submission).values(answers=stale))
    db.session.commit()
    # A question hidden by an earlier answer (pregnancy, for a patient who said male) too.
    hidden = make_submission(answers={"sex": "male"})
    stale = {**hidden.answers, "pregnant": "yes", "pregnancy_trimester": "first"}
    db.session.execute(update(Submission).where(Submission.id == hidden.id).values(answers=stale))
    db.session.commit()
    _batch, data = _export_new()
    _header, (row, male) = parse(data)
    assert row["pregnancy_trimester"] == row["cancer_details"] == ""
    assert row["pregnant"] == "no"
    assert (male["sex"], male["pregnant"], male["pregnancy_trimester"]) == ("male", "", "")


def test_a_new_batch_copied_as_it_is_hashed_is_the_batch_and_is_audited(app_context):
    make_submission(answers=TRICKY_ANSWERS)
    copy = io.BytesIO()
    batch = ehr.export_new("cli-user", copy_to=copy)
    assert hashlib.sha256(copy.getvalue()).hexdigest() == batch.sha256
    assert b"".join(ehr.stream_batch(batch, "again")) == copy.getvalue()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_label) for e in events] == [
        ("export.new", "cli-user"),
        ("export.download", "cli-user"),
        ("export.download", "again"),
    ]
    assert ehr.export_new("cli-user", copy_to=copy) is None  # nothing new: nothing written
    assert len(copy.getvalue()) == batch_size(batch)


def test_a_copy_that_fails_midway_leaves_no_batch_and_claims_nothing(app_context):
    for _ in range(3):
        make_submission(answers=TRICKY_ANSWERS)

    class FullDisk(io.BytesIO):
        def write(self, chunk):
            raise OSError(28, "No space left on device")

    class FullOnFlush(io.BytesIO):  # buffered: the disk is found full only when flushed
        def flush(self):
            raise OSError(28, "No space left on device")

    for copy in (FullDisk(), FullOnFlush()):
        with pytest.raises(OSError, match="No space left"):
            ehr.export_new("cli-user", copy_to=copy)
        db.session.commit()  # a caller that goes on and commits keeps nothing of it
    assert db.session.scalars(select(ExportBatch)).all() == []
    assert ehr.new_count() == 3
    assert db.session.scalars(select(AuditEvent.action)).all() == []


def batch_size(batch: ExportBatch) -> int:
    return len(b"".join(ehr.stream_batch(batch, "size")))


def test_pdf_hash_and_corrections(app_context):
    first = make_submission()
    pdf = b"%PDF-1.7 signed chart"
    digest = hashlib.sha256(pdf).hexdigest()
    db.session.add(
        ChartDocument(submission=first, kind="intake", content=pdf, size=len(pdf), sha256=digest)
    )
    db.session.commit()
    correction = make_submission(corrects_id=first.id)
    _batch, data = _export_new()
    _header, (old, new) = parse(data)
    assert old["pdf_sha256"] == digest
    assert (new["pdf_sha256"], new["corrects_submission_id"]) == ("", str(first.public_id))
    assert new["submission_id"] == str(correction.public_id)


def test_export_new_puts_submissions_in_a_batch_and_leaves_their_review_alone(app_context):
    first, second = make_submission(), make_submission(status=SubmissionStatus.REVIEWED)
    batch, data = _export_new(excel=True)
    assert batch.row_count == 2
    assert batch.sha256 == hashlib.sha256(data).hexdigest()
    assert batch.columns_version == questionnaire.VERSION
    assert batch.options["excel"] is True and batch.options["raw"] is False
    assert batch.options["timezone"] == "America/Chicago"
    assert batch.actor_label == "test"
    db.session.expire_all()
    assert (first.export_batch_id, second.export_batch_id) == (batch.id, batch.id)
    assert (first.status, second.status) == (SubmissionStatus.SUBMITTED, SubmissionStatus.REVIEWED)

    assert ehr.export_new("test") is None  # nothing new: no empty batch
    assert db.session.scalars(select(ExportBatch)).all() == [batch]

    third = make_submission()
    assert ehr.new_count() == 1
    next_batch, data = _export_new()
    _header, rows = parse(data)
    assert [row["submission_id"] for row in rows] == [str(third.public_id)]
    assert next_batch.id != batch.id


def test_a_batch_is_the_same_file_every_time(app, app_context):
    make_submission(answers=TRICKY_ANSWERS)
    unrendered = make_submission()
    batch, first = _export_new(excel=True)

    # Later: the missing PDF is rendered, the clinic changes its time-zone setting and a new
    # question is added to the questionnaire. The batch is still the same bytes.
    pdf = b"%PDF late"
    db.session.add(
        ChartDocument(
            submission_id=unrendered.id,
            kind="intake",
            content=pdf,
            size=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
    )
    db.session.commit()
    app.config["CLINIC_TIMEZONE"] = "Europe/Berlin"
    again = b"".join(ehr.stream_batch(ehr.find_batch(str(batch.public_id)), "test"))
    assert again == first
    assert hashlib.sha256(again).hexdigest() == batch.sha256


def test_a_batch_that_no_longer_matches_is_never_delivered_whole(app_context):
    make_submission()
    make_submission()
    batch, first = _export_new()
    # Simulate a record changed behind Intake's back.
    db.session.execute(update(Submission).values(signer_name="Someone Else"))
    db.session.commit()
    received = []
    with pytest.raises(ehr.BatchMismatch, match=str(batch.public_id)):
        for chunk in ehr.stream_batch(batch, "test"):
            received.append(chunk)
    assert len(b"".join(received)) < len(first)


def test_date_range_covers_clinic_days_and_marks_nothing(app_context):
    # 2026-11-10 and 2026-11-11 in Chicago (UTC-6) run from 06:00 UTC to 06:00 UTC two days on.
    before = make_submission(submitted_at=datetime(2026, 11, 10, 5, 59, tzinfo=UTC))
    first = make_submission(submitted_at=datetime(2026, 11, 10, 6, 0, tzinfo=UTC))
    late = make_submission(submitted_at=datetime(2026, 11, 12, 5, 30, tzinfo=UTC))
    after = make_submission(submitted_at=datetime(2026, 11, 12, 6, 0, tzinfo=UTC))
    data = b"".join(ehr.stream_range(date(2026, 11, 10), date(2026, 11, 11), "test", raw=True))
    _header, rows = parse(data)
    assert [row["submission_id"] for row in rows] == [str(first.public_id), str(late.public_id)]
    assert rows[1]["submitted_at_local"] == "2026-11-11T23:30:00-06:00"
    assert rows == [expected_row(first), expected_row(late)]
    assert db.session.scalars(select(ExportBatch)).all() == []
    db.session.expire_all()
    assert {s.status for s in (before, first, late, after)} == {SubmissionStatus.SUBMITTED}
    assert ehr.new_count() == 4


def test_date_range_the_wrong_way_round_is_refused(app_context):
    with pytest.raises(ehr.ExportError, match="before the start date"):
        ehr.stream_range(date(2026, 11, 11), date(2026, 11, 10), "test")


def test_every_export_is_audited(app_context):
    make_submission(submitted_at=datetime(2026, 11, 10, 18, 0, tzinfo=UTC))
    batch, _data = _export_new()
    b"".join(ehr.stream_range(date(2026, 11, 1), date(2026, 11, 30), "range-user"))
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_type, e.actor_label) for e in events] == [
        ("export.new", "cli", "test"),
        ("export.download", "cli", "test"),
        ("export.range", "cli", "range-user"),
    ]
    assert events[0].target_id == events[1].target_id == str(batch.public_id)
    assert events[0].detail["rows"] == 1 and events[0].detail["sha256"] == batch.sha256
    assert events[2].detail == {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "rows": 1,
        "excel": False,
        "raw": False,
    }


def test_rows_are_read_in_chunks_across_equal_timestamps(app_context, monkeypatch):
    """Keyset pagination loses and repeats nothing, even where submitted_at ties."""
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    moment = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
    made = [make_submission(submitted_at=moment) for _ in range(5)]
    made.append(make_submission(submitted_at=datetime(2026, 11, 10, 17, 0, tzinfo=UTC)))
    ranged = b"".join(ehr.stream_range(date(2026, 11, 10), date(2026, 11, 10), "test"))
    _header, rows = parse(ranged)
    ids = [str(s.public_id) for s in made]
    assert [row["submission_id"] for row in rows] == [ids[5], *ids[:5]]
    _batch, batched = _export_new()
    _header, rows = parse(batched)
    assert [row["submission_id"] for row in rows] == ids


def test_find_batch_takes_only_real_ids(app_context):
    make_submission()
    batch, _data = _export_new()
    assert ehr.find_batch(batch.public_id) == batch
    assert ehr.find_batch("not-a-uuid") is None
    assert ehr.find_batch("00000000-0000-4000-8000-000000000000") is None
    assert ehr.recent_batches() == [batch]
    assert ehr.batch_filename(batch).startswith("intake-export-")
    assert not ehr.is_raw(batch)


GOLDEN_CSV = Path(__file__).parent / "data" / "demo-export.csv"


@pytest.mark.backends("sqlite")
def test_the_csv_of_the_same_submissions_is_byte_for_byte_what_it_was(app, runner, tmp_path):
    # tests/data/demo-export.csv was written by `seed-demo` data (this seed, this moment)
    # and `export-csv` before the questionnaire became a package: the columns, their order
    # and every cell are a contract with the EHR, unchanged by any rewrite of the code.
    with app.app_context():
        demo.seed_demo(60, days=30, seed=20261201, now=datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    out = tmp_path / "again.csv"
    args = ["intake", "export-csv", "--from", "2026-10-01", "--to", "2026-12-01", "-o", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == GOLDEN_CSV.read_bytes()
    assert len(list(csv.reader(io.StringIO(out.read_text("utf-8"))))) == 61
