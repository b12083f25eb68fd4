"""A gunicorn worker, or its render process, killed with SIGKILL in the middle of submissions.

Intake runs under gunicorn (2 workers) on the test's database while tablets complete intakes
over HTTP. Three tablets are hit on "Sign and submit": the worker serving them is killed
right after the submission committed (while its PDF renders), the render process is killed
while rendering, and the worker is killed as soon as the request reaches it, and again a
few milliseconds into it (before, during or after the commit, whichever comes). A patient
whose page broke taps "Sign and submit" again.

Afterwards every intake a tablet finished is stored exactly once, every stored submission is
sound (testkit/record_checks.py: nothing half-written, answers match the questionnaire, flags
== flags_for, no draft left), `render-pending` completes the PDFs the kills interrupted,
`verify` is clean, and no render process outlives its worker.
"""

import http.client
import os
import random
import signal
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Draft, PdfStatus, Submission
from testkit.gunicorn_server import children_of, serve
from testkit.record_checks import all_problems
from testkit.tablet_client import Tablet, fictional_patient
from tests.conftest import TEST_SECRET_KEY

pytestmark = pytest.mark.crash

WORKERS = 2
BACKGROUND_TABLETS = 2
MAX_BACKGROUND_INTAKES = 12
DROPPED = (http.client.HTTPException, ConnectionError)

# gunicorn hook: note which worker process serves each tablet's "Sign and submit". For the
# render-process victim, the worker itself first starts its render process and freezes it
# (SIGSTOP), so that its render cannot finish before the test kills it, however late the
# test's own threads are scheduled on a loaded machine; and it reports when the job has been
# sent to that process, so that the kill lands mid-render, not in the moment between the
# commit and the render (where the worker would rightly start a new render process).
HOOKS = """
import os
import signal

REPORT = {report!r}


def pre_request(worker, req):
    if req.method == "POST" and req.path == "/intake/consent":
        tablet = dict(req.headers).get("X-TABLET", "-")
        render = "-"
        if tablet == "render-process":
            from intake.chart import worker as render_worker

            renderer = render_worker.renderer
            renderer._connection_to_child()  # the one this request will render in
            os.kill(renderer.pid, signal.SIGSTOP)
            render = renderer.pid
            send = render_worker._send_job

            def send_and_report(connection, job):
                render_worker._send_job = send
                send(connection, job)
                with open(REPORT, "a") as report:
                    report.write(f"sent {{tablet}}\\n")

            render_worker._send_job = send_and_report
        with open(REPORT, "a") as report:
            report.write(f"{{tablet}} {{worker.pid}} {{render}}\\n")
"""


class Scene:
    """The server, the app (to read the database) and the gunicorn hook's report."""

    def __init__(self, app, server, report):
        self.app, self.server, self.report = app, server, report
        self.rng = random.Random()

    def worker_serving(self, tablet: str, timeout: float = 30) -> int:
        """The id of the worker process serving this tablet's "Sign and submit"."""
        return int(self._reported(tablet, timeout)[0])

    def frozen_render_process(self, tablet: str, timeout: float = 30) -> int:
        """The render process the hook froze for this tablet's "Sign and submit"."""
        return int(self._reported(tablet, timeout)[1])

    def _reported(self, tablet: str, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.report.read_text().splitlines() if self.report.exists() else []:
                name, *pids = line.split()
                if name == tablet:
                    return pids
            time.sleep(0.002)
        raise AssertionError(f"no worker took {tablet}'s submission")

    def wait_until_sent(self, tablet: str, timeout: float = 30) -> None:
        """Return once the worker has sent this tablet's render job to its render process."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"sent {tablet}" in (self.report.read_text() if self.report.exists() else ""):
                return
            time.sleep(0.002)
        raise AssertionError(f"{tablet}'s render job was never sent")

    def server_kill(self, pid: int) -> None:
        """SIGKILL one process of this gunicorn (never anything else)."""
        assert os.getpgid(pid) == self.server.pid, f"process {pid} is not ours"
        os.kill(pid, signal.SIGKILL)

    def wait_until_stored(self, note: str, timeout: float = 30) -> None:
        """Return as soon as the submission with this note has committed."""
        deadline = time.monotonic() + timeout
        with self.app.app_context():
            while time.monotonic() < deadline:
                if stored_count(note):
                    db.session.remove()
                    return
                db.session.rollback()
                time.sleep(0.005)
        raise AssertionError(f"{note!r} was never stored")


def stored_count(note: str) -> int:
    """How many submissions carry this note (inside an app context)."""
    return db.session.scalar(
        select(func.count()).where(Submission.answers["anything_else"].as_string() == note)
    )


def kill_worker_after_commit(scene: Scene, tablet: str, note: str) -> None:
    worker = scene.worker_serving(tablet)
    scene.wait_until_stored(note)
    scene.server_kill(worker)


def kill_render_process(scene: Scene, tablet: str, note: str) -> None:
    worker = scene.worker_serving(tablet)
    render = scene.frozen_render_process(tablet)  # frozen by the hook before the request
    assert render in children_of(worker), "the frozen process is not the worker's renderer"
    scene.wait_until_stored(note)
    scene.wait_until_sent(tablet)
    scene.server_kill(render)


def kill_worker_at_once(scene: Scene, tablet: str, note: str) -> None:
    scene.server_kill(scene.worker_serving(tablet))  # before its commit, most times


def kill_worker_soon(scene: Scene, tablet: str, note: str) -> None:
    worker = scene.worker_serving(tablet)
    time.sleep(scene.rng.uniform(0.005, 0.04))  # before, during or just after its commit
    scene.server_kill(worker)


SCENARIOS = {
    "worker-after-commit": kill_worker_after_commit,
    "render-process": kill_render_process,
    "worker-at-once": kill_worker_at_once,
    "worker-soon": kill_worker_soon,
}


def sign_with_a_kill(scene: Scene, name: str, note: str, outcome: dict):
    """The consent step of a victim tablet: post, get killed, tap again until thanked."""

    def sign(tablet: Tablet, consent, values) -> None:
        pairs = consent.fill(values, ("action", "submit"))

        def kill() -> None:
            try:
                SCENARIOS[name](scene, name, note)
                with scene.app.app_context():
                    outcome["stored when killed"] = stored_count(note)
                    db.session.remove()
            except BaseException as error:  # re-raised in the test's thread below
                outcome["killer"] = error

        killer = threading.Thread(target=kill)
        killer.start()
        for attempt in range(1, 4):
            try:
                reply = tablet.request("POST", "/intake/consent", pairs)
                break
            except DROPPED:
                outcome["dropped"] = attempt  # the page broke: the patient taps again
                time.sleep(0.5)
        else:
            raise AssertionError(f"{name}: three taps on Sign and submit, no answer")
        killer.join(timeout=60)
        if "killer" in outcome:
            raise outcome["killer"]
        assert (reply.status, reply.location) == (303, "/intake/thanks"), (name, reply.status)

    return sign


def test_a_killed_worker_or_render_process_loses_and_half_writes_nothing(
    app, runner, database_url, tmp_path
):
    report = tmp_path / "consent-workers.txt"
    hooks = tmp_path / "hooks.py"
    hooks.write_text(HOOKS.format(report=str(report)))
    environment = {
        "INTAKE_ENV": "testing",
        "INTAKE_SECRET_KEY": TEST_SECRET_KEY,
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_CLINIC_NAME": "Riverside Physical Therapy",
        "INTAKE_TIMEZONE": "America/Chicago",
        # The clinic key verify checks the seals with (the app fixture's).
        "INTAKE_SIGNING_KEY_FILE": app.config["SIGNING_KEY_FILE"],
        "INTAKE_SIGNING_CERT_FILE": app.config["SIGNING_CERT_FILE"],
        # Every simulated tablet comes from 127.0.0.1: one address starting many intakes.
        "INTAKE_KIOSK_START_RATE_LIMIT": "100000 per minute",
    }
    today = datetime.now(ZoneInfo(environment["INTAKE_TIMEZONE"])).date()  # who is a minor
    completed: list[str] = []
    errors: list[str] = []
    outcomes: dict[str, dict] = {name: {} for name in SCENARIOS}
    victims_done = threading.Event()

    def background(url: str, number: int) -> None:
        rng = random.Random(number)
        for index in range(MAX_BACKGROUND_INTAKES):
            if victims_done.is_set():
                return
            note = f"background {number}, intake {index}"
            try:
                Tablet(url, timeout=60).complete_intake(fictional_patient(rng, today, note))
            except Exception as error:  # noqa: BLE001 - asserted on below
                errors.append(f"{note}: {error!r}")
            else:
                completed.append(note)

    with serve(environment, workers=WORKERS, log=tmp_path / "gunicorn.log", config=hooks) as server:
        scene = Scene(app, server, report)
        threads = [
            threading.Thread(target=background, args=(server.url, n), daemon=True)
            for n in range(BACKGROUND_TABLETS)
        ]
        for thread in threads:
            thread.start()
        try:
            for number, name in enumerate(SCENARIOS):
                note = f"victim {name}"
                tablet = Tablet(server.url, timeout=60)
                tablet.headers["X-Tablet"] = name
                patient = fictional_patient(random.Random(100 + number), today, note)
                tablet.complete_intake(
                    patient, sign=sign_with_a_kill(scene, name, note, outcomes[name])
                )
                completed.append(note)
        finally:
            victims_done.set()
            for thread in threads:
                thread.join(timeout=120)
        log = server.log_tail()
    assert server.left_behind == [], "a render process outlived its worker"
    assert errors == [], log

    with app.app_context():
        # Every intake a tablet finished is stored once; nothing else is.
        notes = [a.get("anything_else") for a in db.session.scalars(select(Submission.answers))]
        assert sorted(notes) == sorted(completed)
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0
        # Sound already, before any repair: interrupted PDFs are only "pending" or "failed".
        assert all_problems() == {}
        statuses = dict(
            db.session.execute(
                select(Submission.answers["anything_else"].as_string(), Submission.pdf_status)
            ).all()
        )
        db.session.remove()
    print(f"{len(completed)} intakes; victims: {outcomes}; PDF status: {statuses}")
    # The worker died after the commit, while rendering: the submission stays, PDF pending.
    assert outcomes["worker-after-commit"].get("dropped") == 1
    assert statuses["victim worker-after-commit"] == PdfStatus.PENDING
    # The render process died: the worker kept the submission and marked its PDF failed.
    assert "dropped" not in outcomes["render-process"]
    assert statuses["victim render-process"] == PdfStatus.FAILED

    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 0, result.output
    unrendered = [s for s in statuses.values() if s != PdfStatus.RENDERED]
    assert f"{len(unrendered)} rendered, 0 failed." in result.output
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output
    assert f"Checked {len(completed)} stored documents" in result.output
    with app.app_context():
        assert all_problems() == {}
        rendered = select(func.count()).where(Submission.pdf_status == PdfStatus.RENDERED)
        assert db.session.scalar(rendered) == len(completed)
