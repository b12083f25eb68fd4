# ruff: noqa: E402  (intake is imported after the repository root is put on sys.path)
"""EHR CSV export at 10,000 and 100,000 submissions: rows per second and peak memory.

    .venv/bin/python bench/csv_export.py            # 10,000 and 100,000 rows, SQLite
    .venv/bin/python bench/csv_export.py --short    # 1,000 and 10,000 rows, for CI
    .venv/bin/python bench/csv_export.py --database-url postgresql://postgres@127.0.0.1/scratch

Each export runs as `flask intake export-csv` in its own process, exactly as a clinic runs it,
and the figure is that process's peak resident set size, read from the kernel when it ends
(`os.wait4`'s ru_maxrss). Peak RSS rather than tracemalloc, because RSS is what the machine must
actually provide: it includes the interpreter, SQLAlchemy, the database driver's buffers and
SQLite's page cache, which tracemalloc cannot see, and measuring it does not slow the export.
A fresh process per export keeps one run's peak from hiding the next one's.

Two kinds of export are timed: `--new` (claims the rows and writes the file twice: once inside
the transaction to record its SHA-256, once to the file) and a date range (one pass, marks
nothing). The check: the larger run may not need more than 50 MB above the smaller one.
Exit status 1 if it does.
"""

import argparse
import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, text, update

from intake import create_app, demo
from intake.extensions import db
from intake.models import AuditEvent, ExportBatch, Submission

BOUND_MB = 50
FULL_SIZES = (10_000, 100_000)
SHORT_SIZES = (1_000, 10_000)


@dataclass
class Run:
    """One export process, measured."""

    kind: str
    rows: int
    seconds: float
    peak_mb: float
    file_mb: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="1,000 and 10,000 rows (CI)")
    parser.add_argument(
        "--database-url",
        help="an empty scratch PostgreSQL database, emptied afterwards "
        "(default: a temporary SQLite file)",
    )
    args = parser.parse_args()
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url takes a PostgreSQL URL; SQLite runs use a temporary file")
    sizes = SHORT_SIZES if args.short else FULL_SIZES

    with tempfile.TemporaryDirectory(prefix="intake-bench-") as scratch:
        workdir = Path(scratch)
        url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "INTAKE_ENV": "development",
            "INTAKE_SECRET_KEY": secrets.token_hex(32),
            "INTAKE_DATABASE_URL": url,
            "INTAKE_TIMEZONE": "America/Chicago",
        }
        os.environ.update(env)
        _flask(env, "db", "upgrade")
        app = create_app()
        with app.app_context():
            if db.session.scalar(select(func.count()).select_from(Submission)):
                sys.exit(f"{url} already holds submissions; give the benchmark an empty database.")
        try:
            runs = _measure(app, env, workdir, sizes)
        finally:
            with app.app_context():
                if args.database_url:
                    _empty()
                db.engine.dispose()

    _report(runs, sizes, url)
    return 0 if _within_bound(runs, sizes) else 1


def _measure(app, env: dict, workdir: Path, sizes: tuple[int, ...]) -> list[Run]:
    """Seed up to each size, then time a --new export and a date-range export of all of it."""
    runs = [
        _export(env, workdir, "start-up (0 rows)", 0, "--from", "1900-01-01", "--to", "1900-01-01")
    ]
    today = date.today()
    first, last = (today - timedelta(days=60)).isoformat(), (today + timedelta(days=1)).isoformat()
    seeded = 0
    for size in sizes:
        with app.app_context():
            print(f"seeding {size - seeded:,} submissions …", file=sys.stderr, flush=True)
            demo.seed_demo(size - seeded, days=30, seed=size)
            seeded = size
            _unmark_all()
            if db.engine.dialect.name == "postgresql":
                # Autovacuum would do this soon after a bulk load; the range query's plan
                # depends on it (the batch query does not: see migration 0002_ehr).
                db.session.execute(text("ANALYZE submission"))
                db.session.commit()
            db.session.remove()
        runs.append(_export(env, workdir, "date range", size, "--from", first, "--to", last))
        runs.append(_export(env, workdir, "new", size, "--new"))
    return runs


def _export(env: dict, workdir: Path, kind: str, rows: int, *options: str) -> Run:
    """Run one `flask intake export-csv` process; check its file; return its figures."""
    output = workdir / f"export-{kind.split()[0]}-{rows}.csv"
    command = _flask_command("intake", "export-csv", *options, "-o", str(output))
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    errors = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"export-csv {' '.join(options)} failed:\n{errors}")
    with output.open(newline="", encoding="utf-8-sig") as handle:
        written = sum(1 for _ in csv.reader(handle)) - 1
    if written != rows:
        sys.exit(f"export-csv {' '.join(options)} wrote {written} rows, expected {rows}")
    run = Run(kind, rows, seconds, usage.ru_maxrss / 1024, output.stat().st_size / 2**20)
    output.unlink()
    print(f"  {kind:>18} {rows:>8,} rows  {seconds:6.2f} s  {run.peak_mb:6.1f} MB", file=sys.stderr)
    return run


def _unmark_all() -> None:
    """Make every submission new again, so the next --new export takes all of them."""
    db.session.execute(
        update(Submission)
        .where(Submission.export_batch_id.is_not(None))
        .values(export_batch_id=None)
    )
    db.session.execute(delete(ExportBatch))
    db.session.commit()


def _empty() -> None:
    """Leave the scratch PostgreSQL database as empty as the benchmark found it.

    TRUNCATE, not DELETE: deleting rows one by one checks the submission.corrects_id foreign
    key (not indexed) against the whole table for each row.
    """
    tables = ", ".join(model.__tablename__ for model in (AuditEvent, ExportBatch, Submission))
    db.session.execute(text(f"TRUNCATE {tables} CASCADE"))
    db.session.commit()


def _flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def _flask(env: dict, *args: str) -> None:
    subprocess.run(_flask_command(*args), env=env, cwd=ROOT, check=True, capture_output=True)


def _report(runs: list[Run], sizes: tuple[int, ...], url: str) -> None:
    start_up = runs[0]
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"\nEHR CSV export, {backend}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'export':>18} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'peak RSS':>9} {'file':>8}")
    for run in runs:
        net = run.seconds - start_up.seconds
        rate = f"{run.rows / net:8,.0f}" if run.rows and net > 0 else f"{'-':>8}"
        print(
            f"{run.kind:>18} {run.rows:>9,} {run.seconds:8.2f} {rate} "
            f"{run.peak_mb:7.1f} MB {run.file_mb:5.1f} MB"
        )
    print("rows/s: rows over the time beyond the start-up run (interpreter, app, connection).")
    small, large = sizes
    for kind in ("new", "date range"):
        grew = _peak(runs, kind, large) - _peak(runs, kind, small)
        verdict = "ok" if grew <= BOUND_MB else "TOO MUCH"
        print(
            f"{kind}: {large:,} rows need {grew:+.1f} MB over {small:,} rows "
            f"(bound {BOUND_MB} MB): {verdict}"
        )
    for run in runs[1:]:  # the lines `make bench` puts in docs/performance.md
        print(
            f"figure: {backend}, {run.kind} export of {run.rows:,} rows = "
            f"{run.seconds:.2f} s, peak {run.peak_mb:.1f} MB"
        )


def _peak(runs: list[Run], kind: str, rows: int) -> float:
    return next(run.peak_mb for run in runs if run.kind == kind and run.rows == rows)


def _within_bound(runs: list[Run], sizes: tuple[int, ...]) -> bool:
    small, large = sizes
    return all(
        _peak(runs, kind, large) - _peak(runs, kind, small) <= BOUND_MB
        for kind in ("new", "date range")
    )


if __name__ == "__main__":
    sys.exit(main())
