"""The render queue under SIGKILL: the render worker killed mid-render, and a web worker
killed right after its commit. Every submission still ends with exactly one stored PDF, made
by a render worker started again, and `verify` is clean."""

import os
import random
import re
import signal
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import ChartDocument, DocumentKind, PdfStatus, Submission
from testkit import render_worker
from testkit.gunicorn_server import group_members, serve
from testkit.record_checks import all_problems
from testkit.tablet_client import Tablet, fictional_patient
from tests.conftest import TEST_SECRET_KEY
from tests.test_kiosk import consent_data, fill_history, start

pytestmark = pytest.mark.crash

INTAKES = 6
DRAIN_TIMEOUT_SECONDS = 120


def _environment(app, queue_url: str) -> dict[str, str]:
    return {
        "INTAKE_ENV": "testing",
        "INTAKE_SECRET_KEY": TEST_SECRET_KEY,
        "INTAKE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql+psycopg://", "postgresql://"
        ),
        "INTAKE_QUEUE_URL": queue_url,
        "INTAKE_CLINIC_NAME": app.config["CLINIC_NAME"],
        "INTAKE_TIMEZONE": app.config["CLINIC_TIMEZONE"],
        "INTAKE_KIOSK_START_RATE_LIMIT": "100000 per minute",
        # The clinic key the app fixture seals with, so verify accepts the worker's seals.
        "INTAKE_SIGNING_KEY_FILE": app.config["SIGNING_KEY_FILE"],
        "INTAKE_SIGNING_CERT_FILE": app.config["SIGNING_CERT_FILE"],
    }


def _statuses(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Submission.pdf_status, func.count()).group_by(Submission.pdf_status)
        ).all()
        db.session.remove()
    return dict(rows)


def _wait_until_all_rendered(app, worker) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if set(_statuses(app)) == {PdfStatus.RENDERED}:
            return
        time.sleep(0.2)
    raise AssertionError(f"PDFs still waiting: {_statuses(app)}\n{worker.log_tail()}")


def _one_pdf_each(app) -> None:
    with app.app_context():
        per_submission = db.session.execute(
            select(Submission.id, func.count(ChartDocument.id))
            .outerjoin(
                ChartDocument,
                (ChartDocument.submission_id == Submission.id)
                & (ChartDocument.kind == DocumentKind.INTAKE),
            )
            .group_by(Submission.id)
        ).all()
        assert per_submission and {count for _, count in per_submission} == {1}
        assert all_problems() == {}
        db.session.remove()


@contextmanager
def _stopped_at_the_end(worker):
    """Make sure the render worker is gone when the test ends, however it ends."""
    try:
        yield
    finally:
        render_worker.stop(worker)


def test_a_render_worker_killed_mid_render_leaves_every_pdf_to_the_next(app, runner, tmp_path):
    # Signed while the queue could not be reached (as if the web worker had died between its
    # commit and its enqueue): the patient is thanked, the row waits, nothing is queued.
    app.config["QUEUE_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    client = app.test_client()
    start(client)
    fill_history(client)
    response = client.post("/intake/consent", data=consent_data(client))
    assert (response.status_code, response.location) == (303, "/intake/thanks")
    assert _statuses(app) == {PdfStatus.PENDING: 1}

    queue_url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    environment = _environment(app, queue_url)
    today = datetime.now(ZoneInfo(environment["INTAKE_TIMEZONE"])).date()
    # The frozen render must not time out (and be replaced) before the worker is killed.
    frozen = {**environment, "INTAKE_CHART_RENDER_TIMEOUT_SECONDS": "600"}
    worker = render_worker.start(frozen, tmp_path / "worker-1.log")
    errors: list[str] = []
    with (
        serve(environment, workers=2, log=tmp_path / "gunicorn.log") as server,
        _stopped_at_the_end(worker),
    ):
        # The worker's render process exists once it has started; freeze it, so the job it
        # takes next is in flight when the worker is killed.
        deadline = time.monotonic() + 60
        while not worker.render_processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        (render,) = worker.render_processes() or [None]
        assert render, worker.log_tail()

        def patient(number: int) -> None:
            rng = random.Random(number)
            try:
                Tablet(server.url, timeout=60).complete_intake(
                    fictional_patient(rng, today, f"queued {number}")
                )
            except Exception as error:  # noqa: BLE001 - asserted below
                errors.append(repr(error))

        threads = [threading.Thread(target=patient, args=(n,)) for n in range(INTAKES)]
        for thread in threads:
            thread.start()
        # The first render job starts on the frozen process...
        time.sleep(1.0)
        os.kill(render, signal.SIGSTOP)
        for thread in threads:
            thread.join(timeout=120)
        assert errors == [], server.log_tail()
        # ... every patient was thanked, whatever the render worker was doing...
        assert sum(_statuses(app).values()) == INTAKES + 1
        # ... and the render worker dies with a render in flight.
        log = worker.log.read_text()
        started = log.count("Executing intake.chart.queue.render_submission")
        finished = len(re.findall(r"render_submission: \S+ executed in", log))
        assert started > finished, log
        os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        deadline = time.monotonic() + 10  # its render process takes a moment to be gone
        while group_members(worker.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group_members(worker.pid) == []
        assert _statuses(app).get(PdfStatus.PENDING), worker.log_tail()

        with render_worker.running(environment, tmp_path / "worker-2.log") as again:
            _wait_until_all_rendered(app, again)
    _one_pdf_each(app)
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output
    assert f"Checked {INTAKES + 1} stored documents" in result.output
