"""The render queue (Huey): "Sign and submit" leaves the PDF to a consumer; each PDF is stored
once; a failing render is tried again with back-off, then marked failed; a submission that was
never queued (its worker died after the commit) is found by the consumer's sweep."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from intake.chart import queue as render_queue
from intake.chart.queue import MAX_TRIES, RETRY_DELAY_SECONDS, queue_of
from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, PdfStatus, Submission
from testkit.factories import make_submission
from tests.staff_support import add_staff, log_in
from tests.test_kiosk import consent_data, fill_history, start

IMPOSSIBLE_TIMEOUT = 0.001  # seconds: every render is stopped
REDIS_URL = os.environ.get("INTAKE_TEST_REDIS_URL", "")
REQUIRE_REDIS = os.environ.get("INTAKE_TEST_REQUIRE_REDIS") == "1"


@pytest.fixture
def queued_app(app, tmp_path):
    """The test's app with a real queue in a SQLite file, and no consumer running."""
    app.config["QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    return app


def _documents(submission_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(ChartDocument.submission_id == submission_id)
    )


def _run_queued(huey) -> int:
    """Do what a consumer does with each job waiting now; how many ran."""
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def test_signing_queues_the_pdf_and_the_consumer_renders_it_once(queued_app, client):
    start(client)
    fill_history(client)
    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303 and response.location == "/intake/thanks"
    with queued_app.app_context():
        submission = db.session.scalar(select(Submission))
        # The patient was thanked before any PDF existed: it waits in the queue.
        assert (submission.pdf_status, _documents(submission.id)) == (PdfStatus.PENDING, 0)
        huey = queue_of().huey
        assert huey.pending_count() == 1
        # The same job twice (a retried delivery), and the sweep's: one PDF all the same.
        queue_of().enqueue(submission.id)
        assert _run_queued(huey) == 2
        db.session.expire_all()
        assert submission.pdf_status == PdfStatus.RENDERED
        assert _documents(submission.id) == 1


def test_a_failing_render_is_tried_again_with_back_off_then_marked_failed(queued_app):
    queued_app.config["CHART_RENDER_TIMEOUT_SECONDS"] = IMPOSSIBLE_TIMEOUT
    with queued_app.app_context():
        submission = make_submission()
        huey = queue_of().huey
        queue_of().enqueue(submission.id)
        delays = []
        for attempt in range(1, MAX_TRIES + 1):
            before = datetime.now(UTC)
            if attempt == 1:
                task = huey.dequeue()
            else:  # taken from the schedule, as a consumer does when its time comes
                (task,) = huey.read_schedule(before.replace(tzinfo=None) + timedelta(days=1))
                delays.append(round((task.eta.replace(tzinfo=UTC) - before).total_seconds()))
            huey.execute(task, timestamp=task.eta)  # run when its time has come
            db.session.expire_all()
            status = db.session.get(Submission, submission.id).pdf_status
            expected = PdfStatus.FAILED if attempt == MAX_TRIES else PdfStatus.PENDING
            assert status == expected, attempt
            assert "took longer than" in db.session.get(Submission, submission.id).pdf_error
        assert huey.scheduled() == [] and huey.pending_count() == 0
        # 10 s, then twice as long each time.
        assert delays == [RETRY_DELAY_SECONDS * 2**n for n in range(MAX_TRIES - 1)]
        outcomes = db.session.execute(
            select(AuditEvent.outcome, AuditEvent.detail["tried_again"].as_boolean()).where(
                AuditEvent.action == "chart.render"
            )
        ).all()
        assert outcomes == [("failure", True)] * (MAX_TRIES - 1) + [("failure", None)]


def test_a_submission_never_queued_is_found_by_the_sweep(queued_app):
    with queued_app.app_context():
        # Committed, then its web worker died before queueing the render.
        old = make_submission(submitted_at=datetime.now(UTC) - timedelta(minutes=5))
        just_now = make_submission()
        assert render_queue.sweep_pending() == 1  # the recent one may still be on its way
        huey = queue_of().huey
        assert _run_queued(huey) == 1
        db.session.expire_all()
        assert db.session.get(Submission, old.id).pdf_status == PdfStatus.RENDERED
        assert db.session.get(Submission, just_now.id).pdf_status == PdfStatus.PENDING
        # A consumer starting queues every pending one, whatever its age.
        assert render_queue.sweep_pending(timedelta(0), retrying_too=True) == 1


@pytest.mark.skipif(not REDIS_URL and not REQUIRE_REDIS, reason="INTAKE_TEST_REDIS_URL is not set")
def test_the_queue_runs_on_redis_for_several_hosts(app):
    assert REDIS_URL, "INTAKE_TEST_REDIS_URL must be set"
    app.config["QUEUE_URL"] = REDIS_URL
    with app.app_context():
        huey = queue_of().huey
        huey.flush()
        submission = make_submission()
        queue_of().enqueue(submission.id)
        assert huey.pending_count() == 1
        assert _run_queued(huey) == 1
        db.session.expire_all()
        assert db.session.get(Submission, submission.id).pdf_status == PdfStatus.RENDERED
        huey.flush()


@pytest.mark.parametrize("url", ["postgresql://x/y", "amqp://guest@localhost", "queue.db"])
def test_an_unknown_queue_is_refused_at_start(tmp_path, url):
    with pytest.raises(ConfigError, match="INTAKE_QUEUE_URL"):
        load_config(str(tmp_path), {"INTAKE_QUEUE_URL": url})


def test_the_queue_defaults_to_a_file_beside_the_database(tmp_path):
    assert load_config(str(tmp_path), {})["QUEUE_URL"] == f"sqlite:///{tmp_path}/queue.sqlite3"
    assert load_config(str(tmp_path), {"INTAKE_ENV": "testing"})["QUEUE_URL"] == "immediate"


def test_staff_see_how_many_pdfs_wait_and_a_warning_when_one_waits_too_long(queued_app, client):
    add_staff(queued_app)
    assert log_in(client).status_code == 302
    with queued_app.app_context():
        make_submission(submitted_at=datetime.now(UTC) - timedelta(minutes=2))
        make_submission()
    page = client.get("/staff/").get_data(as_text=True)
    assert "2 signed PDFs waiting to be rendered." in page
    assert "Is the render worker running?" not in page
    assert page.count("PDF rendering…") == 2

    queued_app.config["PDF_PENDING_WARN_SECONDS"] = 60
    page = client.get("/staff/").get_data(as_text=True)
    assert "the oldest has waited 2 minutes." in page
    assert "Is the render worker running?" in page

    with queued_app.app_context():
        _run_queued_after_sweep()
    page = client.get("/staff/").get_data(as_text=True)
    assert "waiting to be rendered" not in page
    assert page.count("Download PDF") == 2


def _run_queued_after_sweep() -> None:
    render_queue.sweep_pending(timedelta(0), retrying_too=True)
    _run_queued(queue_of().huey)
