"""`flask intake verify` and render-pending against someone with database access.

The app refuses to change or delete a stored document or an audit event (intake.models), so
the tampering here goes straight to the tables with Core statements, as an intruder would.
"""

import hashlib

from sqlalchemy import delete, func, select, update

from intake import audit
from intake.chart import render_and_store
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, PdfStatus, Submission
from testkit.factories import make_submission
from tests.test_chart_store import IMPOSSIBLE_TIMEOUT


def _rendered(count: int) -> list[tuple[int, str, str]]:
    """`count` submissions with their signed PDF: (submission row id, public id, sha256)."""
    stored = []
    for _ in range(count):
        submission = make_submission()
        document = render_and_store(submission)
        stored.append((submission.id, str(submission.public_id), document.sha256))
    return stored


def _behind_the_apps_back(*statements) -> None:
    for statement in statements:
        db.session.execute(statement)
    db.session.commit()


def _intake_document(submission_id: int) -> ChartDocument:
    return db.session.scalars(
        select(ChartDocument).where(ChartDocument.submission_id == submission_id)
    ).one()


def _successful_renders() -> int:
    return db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "chart.render", AuditEvent.outcome == "success"
        )
    )


def _verify_outcomes() -> list[str]:
    return db.session.scalars(
        select(AuditEvent.outcome)
        .where(AuditEvent.action == "chart.verify")
        .order_by(AuditEvent.id)
    ).all()


def test_a_sound_database_passes(app, runner):
    with app.app_context():
        _rendered(2)
        make_submission()  # not rendered yet: pending, nothing recorded
        app.config["CHART_RENDER_TIMEOUT_SECONDS"] = IMPOSSIBLE_TIMEOUT
        assert render_and_store(make_submission()) is None  # failed, and recorded as failed

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output
    assert (
        "Checked 2 stored documents: every one matches its SHA-256 and the audit event that "
        "recorded it, every seal is the clinic's and intact, and every PDF recorded is stored."
    ) in result.output
    assert "The audit chain of 3 events is whole." in result.output
    with app.app_context():
        assert _verify_outcomes() == ["success"]


def test_verify_names_a_document_whose_bytes_changed(app, runner):
    with app.app_context():
        (_, (submission_id, public_id, recorded)) = _rendered(2)
        document = _intake_document(submission_id)
        document_id, content = document.id, document.content
        # Same length, one byte changed (as a disk or an intruder would).
        changed = bytearray(content)
        changed[len(changed) // 2] ^= 0x01
        _behind_the_apps_back(
            update(ChartDocument)
            .where(ChartDocument.id == document_id)
            .values(content=bytes(changed))
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"CHANGED submission {public_id}: chart document {document_id} (intake) no longer "
        f"matches its SHA-256: recorded {recorded} ({len(content)} bytes), stored bytes hash "
        f"to {hashlib.sha256(bytes(changed)).hexdigest()} ({len(content)} bytes)"
    ) in result.output
    assert "REPLACED" not in result.output
    # The clinic's seal no longer matches the bytes either.
    assert f"SEAL submission {public_id}: chart document {document_id} (intake): " in result.output
    assert "Checked 2 stored documents: 2 problem(s) in 1 submission(s)." in result.output
    with app.app_context():
        assert _verify_outcomes() == ["failure"]


def test_verify_finds_a_pdf_replaced_with_its_hash_and_size(app, runner):
    with app.app_context():
        (_, (submission_id, public_id, recorded)) = _rendered(2)
        document_id = _intake_document(submission_id).id
        forged = b"%PDF-1.7 a different consent"
        forged_sha256 = hashlib.sha256(forged).hexdigest()
        _behind_the_apps_back(
            update(ChartDocument)
            .where(ChartDocument.id == document_id)
            .values(content=forged, sha256=forged_sha256, size=len(forged))
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"REPLACED submission {public_id}: chart document {document_id} (intake) has sha256 "
        f"{forged_sha256}, but chart.render event "
    ) in result.output
    assert f"recorded sha256 {recorded} when it was stored: it was replaced" in result.output
    assert "CHANGED" not in result.output
    assert (
        f"SEAL submission {public_id}: chart document {document_id} (intake): it cannot be read "
        "as a PDF"
    ) in result.output
    assert "Checked 2 stored documents: 2 problem(s) in 1 submission(s)." in result.output


def test_a_deleted_pdf_is_found_by_verify_and_never_rendered_again(app, runner):
    with app.app_context():
        ((submission_id, public_id, recorded), _) = _rendered(2)
        pending_id = str(make_submission().public_id)
        _behind_the_apps_back(
            delete(ChartDocument).where(ChartDocument.submission_id == submission_id)
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"MISSING submission {public_id}: its signed PDF (sha256 {recorded}, stored "
    ) in result.output
    assert "is not in the database" in result.output
    assert "Checked 1 stored documents: 1 problem(s) in 1 submission(s)." in result.output

    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 1
    assert (
        f"MISSING submission {public_id}: its signed PDF (sha256 {recorded}), stored "
    ) in result.output
    assert "is never rendered again: restore it from a backup" in result.output
    # The pending submission beside it is rendered as always.
    assert f"Rendered the PDF of submission {pending_id}." in result.output
    assert "1 rendered, 0 failed." in result.output
    assert "1 signed PDF(s) stored earlier are missing" in result.output

    with app.app_context():
        # Nor does the patient flow's entry point render it.
        assert render_and_store(db.session.get(Submission, submission_id)) is None
        documents = select(func.count()).where(ChartDocument.submission_id == submission_id)
        assert db.session.scalar(documents) == 0
        assert _successful_renders() == 3
    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 1
    assert "0 rendered, 0 failed." in result.output


def test_verify_finds_a_submission_deleted_with_its_pdf(app, runner):
    with app.app_context():
        ((submission_id, public_id, recorded), _) = _rendered(2)
        _behind_the_apps_back(
            delete(ChartDocument).where(ChartDocument.submission_id == submission_id),
            delete(Submission).where(Submission.id == submission_id),
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"MISSING submission {public_id}: the submission and its signed PDF (sha256 {recorded}"
    ) in result.output
    assert "are not in the database" in result.output


def test_a_render_event_naming_no_submission_is_reported(app, runner):
    with app.app_context():
        audit.record(
            "chart.render",
            target_type="submission",
            target_id="not-a-submission",
            detail={"document": "intake", "sha256": "0" * 64, "size": 1},
        )
        db.session.commit()

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"MISSING submission not-a-submission: the submission and its signed PDF (sha256 "
        f"{'0' * 64}, stored "
    ) in result.output


def test_a_pdf_deleted_with_its_render_event_is_still_found(app, runner):
    with app.app_context():
        ((submission_id, public_id, _), _) = _rendered(2)
        _behind_the_apps_back(
            delete(ChartDocument).where(ChartDocument.submission_id == submission_id),
            delete(AuditEvent).where(
                AuditEvent.action == "chart.render", AuditEvent.target_id == public_id
            ),
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"MISSING submission {public_id}: it is marked rendered, but its signed PDF is not in "
        "the database and no chart.render event records it"
    ) in result.output

    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 1
    assert f"MISSING submission {public_id}: it is marked rendered, but its signed PDF" in (
        result.output
    )
    with app.app_context():
        assert db.session.get(Submission, submission_id).pdf_status == PdfStatus.RENDERED
        assert _successful_renders() == 1


def test_verify_finds_a_pdf_no_render_event_records(app, runner):
    with app.app_context():
        ((submission_id, public_id, recorded), _) = _rendered(2)
        document_id = _intake_document(submission_id).id
        _behind_the_apps_back(
            delete(AuditEvent).where(
                AuditEvent.action == "chart.render", AuditEvent.target_id == public_id
            )
        )

    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert (
        f"UNRECORDED submission {public_id}: chart document {document_id} (intake) "
        f"(sha256 {recorded}) was not stored by Intake: no chart.render event records it"
    ) in result.output
    assert result.output.count(public_id) == 1
