# ruff: noqa: E402  (intake is imported after the repository root is put on sys.path)
"""EHR CSV export at 10,000 and 100,000 submissions: rows per second and peak memory.

    .venv/bin/python bench/csv_export.py            # 10,000 and 100,000 rows, SQLite
    .venv/bin/python bench/csv_export.py --short    # 1,000 and 10,000 rows, for CI
    .venv/bin/python bench/csv_export.py --database-url postgresql://postgres@127.0.0.1/scratch

Speed: each export is timed in this process, through the same `flask intake export-csv`
command (Flask's CLI runner), beside a **plain-Python floor**: the same rows read by the same
query through the database driver alone, the answers decoded from JSON, every cell written
with `csv.writer`, and nothing else (no formula neutralising, no skipping of questions that
did not apply, no time zones). It prints the ratios date range / floor (the aim: 1.5 at
most) and new / date range (the aim: 2 at most) for the larger size.

Memory: each export runs again as `flask intake export-csv` in its own process, exactly as a
clinic runs it, and the figure is that process's peak resident set size, read from the kernel
when it ends (`os.wait4`'s ru_maxrss). Peak RSS rather than tracemalloc, because RSS is what
the machine must actually provide: it includes the interpreter, SQLAlchemy, the database
driver's buffers and SQLite's page cache, which tracemalloc cannot see, and measuring it does
not slow the export. A fresh process per export keeps one run's peak from hiding the next
one's. The check: the larger run may not need more than 50 MB above the smaller one. Exit
status 1 if it does.

Two kinds of export: `--new -o FILE` (claims the rows and writes the file in the same pass
that records its SHA-256) and a date range (one pass, marks nothing).
"""

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, text, update

from intake import create_app, demo
from intake.extensions import db
from intake.models import AuditEvent, ExportBatch, Submission

BOUND_MB = 50
# Aims (docs/performance.md): a date-range export within 1.5 times the plain-Python floor's
# time, a new batch within twice the date range's.
RANGE_AIM = 1.5
NEW_AIM = 2.0
FULL_SIZES = (10_000, 100_000)
SHORT_SIZES = (1_000, 10_000)


@dataclass
class Run:
    """One export, timed in this process, and its own process's peak memory."""

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
    """Seed up to each size, then measure the floor, a date-range export and a --new export."""
    start_up = _peak_mb(env, workdir, 0, "--from", "1900-01-01", "--to", "1900-01-01")
    runs = [Run("start-up (0 rows)", 0, 0.0, start_up, 0.0)]
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
        runs.append(_floor(app, workdir, size))
        for kind, options in (("date range", ("--from", first, "--to", last)), ("new", ("--new",))):
            seconds, file_mb = _timed(app, workdir, size, *options)
            with app.app_context():
                _unmark_all()
            peak = _peak_mb(env, workdir, size, *options)
            with app.app_context():
                _unmark_all()
            runs.append(Run(kind, size, seconds, peak, file_mb))
            print(
                f"  {kind:>18} {size:>8,} rows  {seconds:6.2f} s  {peak:6.1f} MB", file=sys.stderr
            )
    return runs


def _timed(app, workdir: Path, rows: int, *options: str) -> tuple[float, float]:
    """Run `flask intake export-csv` in this process; its seconds and file size in MB."""
    output = workdir / "timed.csv"
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=["intake", "export-csv", *options, "-o", str(output)])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        sys.exit(f"export-csv {' '.join(options)} failed:\n{result.output}")
    _check(output, rows, options)
    file_mb = output.stat().st_size / 2**20
    output.unlink()
    return seconds, file_mb


def _peak_mb(env: dict, workdir: Path, rows: int, *options: str) -> float:
    """Run one `flask intake export-csv` process; check its file; return its peak RSS in MB."""
    output = workdir / "measured.csv"
    command = _flask_command("intake", "export-csv", *options, "-o", str(output))
    # Started by a small launcher process, not by this one: Linux keeps a process's peak
    # RSS across exec, so a child forked from this (by now large) process would report at
    # least this process's size as its own.
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if launched.returncode != 0:
        sys.exit(f"export-csv {' '.join(options)} failed:\n{launched.stderr}")
    _check(output, rows, options)
    output.unlink()
    return int(launched.stdout.strip()) / 1024


# Runs its arguments as a command and prints the command's peak RSS in KiB.
_LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE)
_pid, status, usage = os.wait4(process.pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(process.stderr.read().decode())
print(usage.ru_maxrss)
"""


def _check(output: Path, rows: int, options: tuple[str, ...]) -> None:
    with output.open(newline="", encoding="utf-8-sig") as handle:
        written = sum(1 for _ in csv.reader(handle)) - 1
    if written != rows:
        sys.exit(f"export-csv {' '.join(options)} wrote {written} rows, expected {rows}")


def _floor(app, workdir: Path, size: int) -> Run:
    """The plain-Python floor: the same rows, about the same cells, written with csv.writer.

    The export's own query, compiled once and run by the database driver itself (no
    SQLAlchemy result processing); each row's answers and flags decoded from JSON; a cell for
    each other field the query reads and one for each question, the value as `str` (no
    formula neutralising, no skipping of questions that did not apply, no time zones, no
    scores); `csv.writer`, every cell quoted, into a file. Timed in this process from the
    query to the closed file, so it has no start-up to subtract.
    """
    from intake.ehr import columns
    from intake.ehr.reading import _select

    answer_ids = [column.name for column in columns.COLUMNS if column.question is not None]
    fields = columns.Record._fields
    answers_at, flags_at = fields.index("answers"), fields.index("flags")
    # Every field the query reads is a cell, but the answers, which are cells of their own.
    plain = [index for index, name in enumerate(fields) if index not in (answers_at, flags_at)]
    output = workdir / f"floor-{size}.csv"
    with app.app_context():
        query = _select(datetime.now(UTC)).order_by(Submission.submitted_at, Submission.id)
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        connection = db.engine.raw_connection()
        try:
            started = time.perf_counter()
            with output.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
                writer.writerow([*(fields[index] for index in plain), "flags", *answer_ids])
                # PostgreSQL: a server-side cursor, which streams the rows as the export does.
                named = {"name": "floor"} if db.engine.dialect.name == "postgresql" else {}
                cursor = connection.cursor(**named)
                cursor.execute(sql)
                written = 0
                while rows := cursor.fetchmany(1000):
                    for row in rows:
                        answers = _json(row[answers_at])
                        cells = [str(row[index]) for index in plain]
                        cells.append(";".join(_json(row[flags_at])))
                        cells += [str(answers.get(key, "")) for key in answer_ids]
                        writer.writerow(cells)
                        written += 1
            seconds = time.perf_counter() - started
        finally:
            connection.close()
    if written != size:
        sys.exit(f"the floor read {written} rows, expected {size}")
    run = Run("floor", size, seconds, 0.0, output.stat().st_size / 2**20)
    output.unlink()
    print(f"  {'floor':>18} {size:>8,} rows  {seconds:6.2f} s", file=sys.stderr)
    return run


def _json(value):
    """A JSON column's value: text from SQLite, already decoded by psycopg."""
    return json.loads(value) if isinstance(value, str | bytes) else value


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
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"\nEHR CSV export, {backend}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'export':>18} {'rows':>9} {'seconds':>8} {'rows/s':>8} {'peak RSS':>9} {'file':>8}")
    for run in runs:
        rate = f"{run.rows / run.seconds:8,.0f}" if run.rows else f"{'-':>8}"
        seconds = f"{run.seconds:8.2f}" if run.rows else f"{'-':>8}"
        peak = f"{run.peak_mb:7.1f} MB" if run.peak_mb else f"{'-':>10}"
        print(f"{run.kind:>18} {run.rows:>9,} {seconds} {rate} {peak} {run.file_mb:5.1f} MB")
    print("seconds: in this process, from the command's start to its closed file; peak RSS: the")
    print("same export run again in a process of its own (start-up: an export of no rows).")
    small, large = sizes
    for kind in ("new", "date range"):
        grew = _peak(runs, kind, large) - _peak(runs, kind, small)
        verdict = "ok" if grew <= BOUND_MB else "TOO MUCH"
        print(
            f"{kind}: {large:,} rows need {grew:+.1f} MB over {small:,} rows "
            f"(bound {BOUND_MB} MB): {verdict}"
        )
    floor, ranged, new = (
        _run(runs, kind, large).seconds for kind in ("floor", "date range", "new")
    )
    over_floor, over_range = ranged / floor, new / ranged
    print(
        f"{large:,} rows: ratio date range / floor = {over_floor:.2f} "
        f"({'within' if over_floor <= RANGE_AIM else 'ABOVE'} the {RANGE_AIM} aim); "
        f"new / date range = {over_range:.2f} "
        f"({'within' if over_range <= NEW_AIM else 'ABOVE'} the {NEW_AIM:g} aim)"
    )
    for run in runs[1:]:  # the lines `make bench` puts in docs/performance.md
        if run.kind == "floor":
            print(
                f"figure: {backend}, plain-Python floor for {run.rows:,} rows = {run.seconds:.2f} s"
            )
            continue
        print(
            f"figure: {backend}, {run.kind} export of {run.rows:,} rows = "
            f"{run.seconds:.2f} s, peak {run.peak_mb:.1f} MB"
        )
    label = f"figure: {backend}, {large:,} rows: ratio"
    print(f"{label} date range / floor = {over_floor:.2f} (aim {RANGE_AIM})")
    print(f"{label} new / date range = {over_range:.2f} (aim {NEW_AIM:g})")


def _run(runs: list[Run], kind: str, rows: int) -> Run:
    return next(run for run in runs if run.kind == kind and run.rows == rows)


def _peak(runs: list[Run], kind: str, rows: int) -> float:
    return _run(runs, kind, rows).peak_mb


def _within_bound(runs: list[Run], sizes: tuple[int, ...]) -> bool:
    small, large = sizes
    return all(
        _peak(runs, kind, large) - _peak(runs, kind, small) <= BOUND_MB
        for kind in ("new", "date range")
    )


if __name__ == "__main__":
    sys.exit(main())
