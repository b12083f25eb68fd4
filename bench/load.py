"""Load: 30 tablets each complete the whole intake 10 times, over HTTP, against gunicorn.

    .venv/bin/python bench/load.py                        # SQLite, 30 tablets x 10 intakes
    .venv/bin/python bench/load.py --postgres postgresql://postgres@127.0.0.1/intake_load
    .venv/bin/python bench/load.py --short                # 6 tablets x 2 intakes, for CI

It migrates a fresh database (a SQLite file in a temporary folder, or the given PostgreSQL
database, whose public schema it DROPS and rebuilds), starts gunicorn (4 sync workers on a
free port of 127.0.0.1, INTAKE_ENV=production) and a render worker (`flask intake
render-worker`, on a SQLite queue beside the database, or `--queue redis://…`) and runs the
tablets as threads. Each tablet
has its own cookies and does what a browser does: welcome, Start, every page of the health
history (GET, then POST with the CSRF token read from the form), review, the consent with
initials and a drawn signature (signature_pad's data), "Sign and submit", thank you. The
patients are intake.demo's fictional ones, a minor signed for by a parent now and then.
No think time: the tablets go as fast as the server lets them, so throughput is capacity.

It prints throughput and p50/p95/p99 per step, Sign and submit's p95 against a plain form
POST's (the aim: at most 2), and how long after the last intake every PDF was stored; then
checks, after stopping gunicorn:
0 errors; every intake stored once, sound (testkit/record_checks.py) and its draft gone; every
signed PDF stored, and `flask intake verify` accepting all of them (`render-pending` runs
first only if some are pending, and the report says how many). It exits 1 if a check fails.
The timings are for a person to read; no test asserts them.
"""

import argparse
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testkit import render_worker  # noqa: E402
from testkit.gunicorn_server import serve  # noqa: E402
from testkit.tablet_client import SECTION_IDS, Tablet, fictional_patient  # noqa: E402

STEPS = (
    "GET /",
    "POST /start",
    *(f"{method} /intake/{section}" for section in SECTION_IDS for method in ("GET", "POST")),
    "GET /intake/review",
    "POST /intake/review",
    "GET /intake/consent",
    "POST /intake/consent",
    "GET /intake/thanks",
)
REQUEST_TIMEOUT_SECONDS = 120


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="6 tablets x 2 intakes (CI)")
    parser.add_argument("--tablets", type=int, help="simulated tablets (default 30)")
    parser.add_argument("--rounds", type=int, help="intakes per tablet (default 10)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL database to use (reset!)")
    parser.add_argument("--seed", type=int, help="random seed for the patients")
    parser.add_argument(
        "--queue",
        metavar="URL",
        help="render queue (default: a SQLite file beside the database; redis://… for Redis)",
    )
    parser.add_argument(
        "--render-workers", type=int, default=1, help="render worker processes (default 1)"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # in order with the log lines on stderr
    tablets = args.tablets or (6 if args.short else 30)
    rounds = args.rounds or (2 if args.short else 10)
    seed = secrets.randbelow(2**31) if args.seed is None else args.seed

    with tempfile.TemporaryDirectory(prefix="intake-load-") as folder:
        database = args.postgres or f"sqlite:///{folder}/intake.sqlite3"
        key, cert = _clinic_key(Path(folder))
        environment = {
            "INTAKE_ENV": "production",
            "INTAKE_SECRET_KEY": secrets.token_hex(32),
            "INTAKE_SIGNING_KEY_FILE": str(key),  # production seals every chart PDF
            "INTAKE_SIGNING_CERT_FILE": str(cert),
            "INTAKE_DATABASE_URL": database,
            "INTAKE_CLINIC_NAME": "Riverside Physical Therapy",
            "INTAKE_TIMEZONE": "America/Chicago",
            "INTAKE_ALLOWED_HOSTS": "127.0.0.1",
            # Every simulated tablet comes from 127.0.0.1: one address starting many intakes.
            "INTAKE_KIOSK_START_RATE_LIMIT": "100000 per minute",
            "INTAKE_QUEUE_URL": args.queue or f"sqlite:///{folder}/queue.sqlite3",
        }
        os.environ.update(environment)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        queue = "Redis" if environment["INTAKE_QUEUE_URL"].startswith("redis") else "SQLite"
        print(f"Load: {tablets} tablets x {rounds} intakes, {backend}, ", end="")
        print(
            f"gunicorn with {args.workers} workers, {args.render_workers} render worker(s) ", end=""
        )
        print(f"on a {queue} queue, seed {seed}")
        prepare_database(args.postgres, environment["INTAKE_QUEUE_URL"])
        log = Path(folder) / "gunicorn.log"
        renderers = [
            render_worker.start(environment, Path(folder) / f"render-{n}.log")
            for n in range(args.render_workers)
        ]
        try:
            with serve(environment, workers=args.workers, log=log) as server:
                today = datetime.now(ZoneInfo(environment["INTAKE_TIMEZONE"])).date()
                run = run_tablets(server.url, tablets, rounds, seed, today)
                if run.errors:
                    print(f"gunicorn log (end):\n{server.log_tail()}")
            run.drain_seconds = wait_for_pdfs(tablets * rounds, renderers)
        finally:
            for worker in renderers:
                render_worker.stop(worker)
        report(run, backend, tablets, rounds)
        failures = check_database(environment, tablets * rounds, run)
    if run.errors:
        failures.insert(0, f"{len(run.errors)} intake(s) ended in an error")
    for failure in failures:
        print(f"FAILED: {failure}")
    if not failures:
        print("All checks passed.")
    return 1 if failures else 0


def _clinic_key(folder: Path) -> tuple[Path, Path]:
    """A clinic signing key and certificate for this run, in its temporary folder."""
    from intake.chart.clinic_certificate import create_signing_key

    key, cert = folder / "clinic.key", folder / "clinic.crt"
    create_signing_key(key, cert, "Riverside Physical Therapy")
    return key, cert


def wait_for_pdfs(expected: int, renderers: list) -> float | None:
    """Seconds from the last intake until every PDF is stored (None: gave up after 10 min)."""
    from sqlalchemy import func, select

    from intake import create_app
    from intake.extensions import db
    from intake.models import PdfStatus, Submission

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        while time.perf_counter() - started < 600:
            rendered = db.session.scalar(
                select(func.count()).where(Submission.pdf_status == PdfStatus.RENDERED)
            )
            db.session.rollback()
            if rendered >= expected:
                return time.perf_counter() - started
            if any(worker.process.poll() is not None for worker in renderers):
                print("A render worker stopped:", *(w.log_tail() for w in renderers), sep="\n")
                return None
            time.sleep(0.1)
        db.engine.dispose()
    return None


def prepare_database(postgres_url: str | None, queue_url: str) -> None:
    """A fresh schema, built through the migrations as a deployment would; an empty queue."""
    from flask_migrate import upgrade

    from intake import create_app
    from intake.extensions import db

    app = create_app()
    with app.app_context():
        if postgres_url:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
        upgrade()
        db.engine.dispose()
        if queue_url.startswith("redis"):
            from intake.chart import queue_of

            queue_of(app).huey.flush()


class Run:
    """What the tablets saw: per-step timings, errors, and the intakes that ended well."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.errors: list[str] = []
        self.completed: list[str] = []  # each completed intake's note
        self.seconds = 0.0
        self.drain_seconds: float | None = None  # after the last intake, until every PDF is in

    def record(self, step: str, seconds: float, status: int) -> None:
        with self.lock:
            self.timings[step].append(seconds)
            self.statuses[status] += 1


def run_tablets(url: str, tablets: int, rounds: int, seed: int, today: date) -> Run:
    """Every tablet completes `rounds` intakes, all tablets at once; returns what they saw.

    `today` is the clinic's date, which decides who is a minor.
    """
    run = Run()
    stop = threading.Event()

    def tablet_work(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        for round_number in range(rounds):
            if stop.is_set():
                return
            note = f"Load test, tablet {number:02d}, intake {round_number + 1:02d}."
            tablet = Tablet(url, timeout=REQUEST_TIMEOUT_SECONDS, on_request=run.record)
            try:
                tablet.complete_intake(fictional_patient(rng, today, note))
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                with run.lock:
                    run.errors.append(f"tablet {number}, intake {round_number + 1}: {error!r}")
                continue
            with run.lock:
                run.completed.append(note)

    threads = [
        threading.Thread(target=tablet_work, args=(n,), name=f"tablet-{n}", daemon=True)
        for n in range(1, tablets + 1)
    ]
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    except KeyboardInterrupt:
        stop.set()  # the tablets stop after their current request; gunicorn is stopped next
        raise
    run.seconds = time.perf_counter() - started
    return run


def report(run: Run, backend: str, tablets: int, rounds: int) -> None:
    """Throughput, then p50/p95/p99 per step, in milliseconds."""
    requests = sum(len(times) for times in run.timings.values())
    intakes = len(run.completed)
    per_minute = intakes / run.seconds * 60 if run.seconds else 0.0
    print(
        f"\n{intakes} intakes completed in {run.seconds:.1f} s: {per_minute:.1f} intakes/min, "
        f"{requests / run.seconds:.1f} requests/s; statuses {dict(sorted(run.statuses.items()))}"
    )
    print(f"\n{'step':<26}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for step in [*STEPS, *sorted(set(run.timings) - set(STEPS))]:
        times = run.timings.get(step)
        if not times:
            continue
        p50, p95, p99 = percentiles(times)
        print(
            f"{step:<26}{len(times):>7}{p50 * 1000:>9.0f}{p95 * 1000:>9.0f}"
            f"{p99 * 1000:>9.0f}{max(times) * 1000:>9.0f}"
        )
    pages = [t for step, times in run.timings.items() if step.startswith("GET") for t in times]
    forms = [
        t
        for step, times in run.timings.items()
        if step.startswith("POST") and step != "POST /intake/consent"
        for t in times
    ]
    signing = run.timings.get("POST /intake/consent", [])
    print()
    label = f"load, {backend}, {tablets} tablets x {rounds}"
    # Lines for scripts/bench_report.py (see its docstring).
    print(f"figure: {label}: throughput = {per_minute:.1f} intakes/min")
    for name, times in (("page GET", pages), ("form POST", forms), ("sign and submit", signing)):
        if times:
            p50, p95, _ = percentiles(times)
            print(f"figure: {label}: {name} p50 / p95 = {p50 * 1000:.0f} / {p95 * 1000:.0f} ms")
    if forms and signing:
        # The aim: signing waits for no PDF, so it costs at most twice a plain form's p95.
        ratio = percentiles(signing)[1] / percentiles(forms)[1]
        print(f"figure: {label}: sign and submit p95 / form POST p95 = {ratio:.2f} (aim <= 2)")
    if run.drain_seconds is None:
        print(f"figure: {label}: PDFs not all rendered within 10 minutes of the last intake")
    else:
        print(f"figure: {label}: every PDF stored {run.drain_seconds:.1f} s after the last intake")
    for error in run.errors[:20]:
        print(f"  error: {error}")


def percentiles(times: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 (inclusive method, so a handful of samples still gives an answer)."""
    if len(times) == 1:
        return times[0], times[0], times[0]
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def check_database(environment: dict, expected: int, run: Run) -> list[str]:
    """Every intake stored once and sound, no draft left, every PDF there and verified."""
    from sqlalchemy import func, select

    from intake import create_app
    from intake.extensions import db
    from intake.models import ChartDocument, Draft, PdfStatus, Submission
    from testkit.record_checks import all_problems

    failures = []
    app = create_app()
    with app.app_context():
        notes = [
            answers.get("anything_else")
            for answers in db.session.scalars(select(Submission.answers))
        ]
        pending = db.session.scalar(
            select(func.count()).where(Submission.pdf_status != PdfStatus.RENDERED)
        )
        drafts = db.session.scalar(select(func.count()).select_from(Draft))
        unsound = all_problems()
        db.session.rollback()
    print(f"\nStored: {len(notes)} submissions (expected {expected}), {drafts} drafts left")
    if len(notes) != expected:
        failures.append(f"{len(notes)} submissions stored, expected {expected}")
    if sorted(notes) != sorted(run.completed):
        failures.append("the stored submissions are not exactly the intakes completed")
    if drafts:
        failures.append(f"{drafts} draft(s) left after every intake was signed")
    for public_id, problems in list(unsound.items())[:10]:
        failures.append(f"submission {public_id}: {'; '.join(problems)}")

    print(f"PDFs not rendered at signing: {pending}", end="")
    if pending:
        print(" (running `flask intake render-pending`)")
        result = flask_command(environment, "render-pending")
        if result.returncode != 0:
            failures.append(f"render-pending failed:\n{result.stdout}{result.stderr}")
    else:
        print(" (render-pending not needed)")
    with app.app_context():
        documents = db.session.scalar(select(func.count()).where(ChartDocument.kind == "intake"))
        db.engine.dispose()
    result = flask_command(environment, "verify")
    print(f"flask intake verify: {result.stdout.strip() or result.stderr.strip()}")
    checked = re.search(r"Checked (\d+) stored documents", result.stdout)
    if result.returncode != 0 or not checked:
        failures.append(f"verify failed:\n{result.stdout}{result.stderr}")
    elif int(checked.group(1)) != expected or documents != expected:
        failures.append(f"verify checked {checked.group(1)} PDFs, {documents} intake PDFs stored")
    return failures


def flask_command(environment: dict, command: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi intake COMMAND` against the benchmark's database."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "intake", command],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=600,
    )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("\nInterrupted: gunicorn stopped, nothing checked.")
