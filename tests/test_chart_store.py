"""Storing the signed PDF: once, unchanged, failures kept for render-pending."""

import hashlib
import io
import json

import pikepdf
import pytest
from sqlalchemy import func, select

from intake import audit
from intake.chart import render_and_store
from intake.chart.document import render_job
from intake.chart.store import events_at
from intake.chart.worker import renderer
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, PdfStatus, Submission
from testkit.factories import drawn_signature, make_submission
from testkit.races import at_once, failures

# Far below the time any PDF takes: the render process is killed mid-render, for real.
IMPOSSIBLE_TIMEOUT = 0.001


def _documents(submission_id: int) -> list[ChartDocument]:
    return db.session.scalars(
        select(ChartDocument).where(ChartDocument.submission_id == submission_id)
    ).all()


def _render_events(submission: Submission) -> list[tuple[str, str, str]]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "chart.render",
            AuditEvent.target_id == str(submission.public_id),
        )
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.outcome, e.actor_type) for e in events]


def test_stores_one_document_and_never_renders_it_again(app, app_context):
    submission = make_submission()
    document = render_and_store(submission)
    assert document is not None
    first = (document.id, document.sha256, document.size, document.created_at)
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()

    # Rendering is now impossible; a second call must not even try.
    app.config["CHART_RENDER_TIMEOUT_SECONDS"] = IMPOSSIBLE_TIMEOUT
    again = render_and_store(db.session.get(Submission, submission.id))
    assert (again.id, again.sha256, again.size, again.created_at) == first
    stored = db.session.get(Submission, submission.id)
    assert (stored.pdf_status, stored.pdf_error) == (PdfStatus.RENDERED, None)
    assert len(_documents(submission.id)) == 1
    assert _render_events(stored) == [("chart.render", "success", "cli")]


def test_failed_render_keeps_the_submission_and_render_pending_completes_it(app, runner):
    with app.app_context():
        submission = make_submission()
        submission_id, public_id = submission.id, submission.public_id
        app.config["CHART_RENDER_TIMEOUT_SECONDS"] = IMPOSSIBLE_TIMEOUT
        assert render_and_store(submission) is None
        stored = db.session.get(Submission, submission_id)
        assert stored.pdf_status == PdfStatus.FAILED
        assert "took longer than" in stored.pdf_error
        assert stored.answers["first_name"] == "Jane"
        assert _documents(submission_id) == []
        assert _render_events(stored) == [("chart.render", "failure", "cli")]

    app.config["CHART_RENDER_TIMEOUT_SECONDS"] = 30
    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 0, result.output
    assert f"Rendered the PDF of submission {public_id}." in result.output
    assert "1 rendered, 0 failed." in result.output

    with app.app_context():
        stored = db.session.get(Submission, submission_id)
        assert (stored.pdf_status, stored.pdf_error) == (PdfStatus.RENDERED, None)
        (document,) = _documents(submission_id)
        assert document.sha256 == hashlib.sha256(document.content).hexdigest()
        assert _render_events(stored) == [
            ("chart.render", "failure", "cli"),
            ("chart.render", "success", "cli"),
        ]
        pdf = pikepdf.open(io.BytesIO(document.content))
        (attachment,) = pdf.attachments.values()
        record = json.loads(attachment.get_file().read_bytes())
        assert {"action": "chart.render", "outcome": "failure"}.items() <= (
            record["audit_events"][-1].items()
        )

    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 0
    assert "nothing to render" in result.output


def test_render_pending_reports_what_still_fails(app, runner):
    with app.app_context():
        good = make_submission()
        # Stored text that no longer matches its hash (written behind the app's back).
        tampered = good.consent_snapshot.replace("rare", "common")
        bad = make_submission(consent_snapshot=tampered, consent_sha256=good.consent_sha256)
        good_id, bad_id, bad_public_id = good.public_id, bad.id, bad.public_id

    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 1
    assert f"Rendered the PDF of submission {good_id}." in result.output
    assert (
        f"FAILED submission {bad_public_id}: the stored consent text does not match its SHA-256"
        in result.output
    )
    assert "1 rendered, 1 failed." in result.output
    with app.app_context():
        stored = db.session.get(Submission, bad_id)
        assert stored.pdf_status == PdfStatus.FAILED
        assert _documents(bad_id) == []


def test_bad_stroke_data_fails_without_raising(app_context):
    submission = make_submission(
        signature_kind="drawn",
        typed_signature=None,
        signature_strokes={"width": 600, "height": 200, "strokes": [[["<svg onload=x>", 1]]]},
    )
    assert render_and_store(submission) is None
    stored = db.session.get(Submission, submission.id)
    assert stored.pdf_status == PdfStatus.FAILED
    assert stored.pdf_error == "a signature point is not a pair of numbers"


def test_unsaved_work_in_the_session_is_left_alone(app_context):
    submission = make_submission()
    pending = AuditEvent(actor_type="kiosk", action="unsaved")
    db.session.add(pending)
    assert render_and_store(submission) is None
    assert pending in db.session.new
    db.session.rollback()
    assert db.session.get(Submission, submission.id).pdf_status == PdfStatus.PENDING


def test_concurrent_renders_store_one_document(app):
    with app.app_context():
        submission_id = make_submission().id

    def render(_):
        return render_and_store(db.session.get(Submission, submission_id)).id

    results = at_once(2, render, app)
    assert failures(results) == []
    with app.app_context():
        (document,) = _documents(submission_id)
        stored = db.session.get(Submission, submission_id)
        assert _render_events(stored) == [("chart.render", "success", "cli")]
    assert results == [document.id, document.id]


def test_the_app_refuses_to_change_or_delete_a_stored_document(app_context):
    submission = make_submission()
    document = render_and_store(submission)
    document.content = b"%PDF-1.7 something else"
    with pytest.raises(RuntimeError, match="may not be changed"):
        db.session.flush()
    db.session.rollback()
    document = db.session.get(ChartDocument, document.id)
    db.session.delete(document)
    with pytest.raises(RuntimeError, match="may not be deleted"):
        db.session.flush()
    db.session.rollback()
    count = db.session.scalar(select(func.count()).select_from(ChartDocument))
    assert count == 1


@pytest.mark.backends("sqlite")
def test_the_stored_pdf_can_be_made_again_byte_for_byte_from_the_database(app_context):
    submission = make_submission(
        answers={"anything_else": "我对针有点紧张"},
        signature_kind="drawn",
        signature_strokes=drawn_signature(),
        typed_signature=None,
    )
    audit.record("submission.create", target_type="submission", target_id=submission.public_id)
    db.session.commit()
    document = render_and_store(submission)
    audit.record("submission.view", target_type="submission", target_id=submission.public_id)
    db.session.commit()

    stored = db.session.get(Submission, submission.id)
    events = events_at(stored.public_id, document.created_at)
    assert [event.action for event in events] == ["submission.create"]
    again = renderer.render(render_job(stored, events, document.created_at), timeout=60).pdf
    # The seal is an incremental update: what the render made is the stored PDF's first part.
    assert document.content.startswith(again)
    assert len(document.content) > len(again)
