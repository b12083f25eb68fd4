"""Staff dashboard benchmark: response times with 100,000 submissions in the database.

    .venv/bin/python bench/dashboard.py                      SQLite in a temporary file
    .venv/bin/python bench/dashboard.py postgresql://u@h/db  PostgreSQL
    .venv/bin/python bench/dashboard.py --short              CI: 5,000 rows, fewer runs

The PostgreSQL URL may also come from INTAKE_BENCH_DATABASE_URL.

Requests go through the Flask test client as a logged-in staff member: form parsing, the
queries, the audit event each page writes and commits, and template rendering all count;
the network and the WSGI server do not. Prints the median and 95th percentile of each page,
its ratio to a baseline page measured in the same run, and the query plans the database
chose. A PostgreSQL database must be empty, or be named with --reset to have its public
schema dropped and rebuilt first.
"""

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402  (after the path tweak above)
from flask_migrate import upgrade  # noqa: E402

from intake import (  # noqa: E402
    accounts,
    clock,  # noqa: E402
    create_app,
    demo,
)
from intake.extensions import db  # noqa: E402
from intake.models import ExportBatch, StaffRole, Submission  # noqa: E402
from intake.staff.search import Criteria, parse_search, submissions_query  # noqa: E402

PASSWORD = "benchmark passphrase " + secrets.token_hex(4)
# A logged-in staff page that reads no submission: what any page costs (session, login check,
# rendering) before the dashboard's own queries. Ratios to it carry better between machines.
BASELINE = "baseline: my account page"
DAYS = 900  # 100,000 intakes over about two and a half years: a busy clinic group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "database_url", nargs="?", default=os.environ.get("INTAKE_BENCH_DATABASE_URL")
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--short", action="store_true", help="5,000 rows and 10 runs (CI)")
    parser.add_argument("--reset", action="store_true", help="rebuild a PostgreSQL schema")
    args = parser.parse_args()
    if args.short:
        args.rows, args.runs = 5_000, 10

    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.update(
            INTAKE_ENV="development",
            INTAKE_DATABASE_URL=url,
            INTAKE_SECRET_KEY=secrets.token_hex(32),
        )
        app = create_app()
        app.instance_path = tmp
        with app.app_context():
            prepare(args, url)
            backend = db.engine.dialect.name
            sample = db.session.execute(
                sa.select(Submission.last_name, Submission.first_name, Submission.date_of_birth)
                .order_by(Submission.id)
                .limit(1)
            ).one()
        client = app.test_client()
        log_in(client)
        pages = benchmark_pages(client, sample, args.runs)
        with app.app_context():
            plans = query_plans(sample)
            db.engine.dispose()

    print(f"\nStaff dashboard on {backend}, {args.rows:,} submissions, {args.runs} runs each")
    figures = {name: _median_p95(times) for name, times in pages.items()}
    baseline = figures[BASELINE][0]
    print(f"{'page':<34} {'median ms':>10} {'p95 ms':>10} {'x baseline':>11}")
    for name, (median, p95) in figures.items():
        print(f"{name:<34} {median:>10.1f} {p95:>10.1f} {median / baseline:>11.1f}")
    print(f"x baseline: median over that of {BASELINE!r}, measured in this run.")
    for name, (median, p95) in figures.items():  # what `make bench` puts in docs/performance.md
        label = f"{backend}, {args.rows:,} rows, {name} median / p95"
        print(f"figure: {label} = {median:.1f} / {p95:.1f} ms ({median / baseline:.1f}x baseline)")
    for name, plan in plans.items():
        print(f"\n-- plan: {name}\n{plan}")


def _median_p95(times: list[float]) -> tuple[float, float]:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return statistics.median(times), p95


def prepare(args, url: str) -> None:
    """Build the schema, add the rows, a staff account and fresh planner statistics."""
    if db.engine.dialect.name == "postgresql":
        tables = sa.inspect(db.engine).get_table_names()
        if tables and not args.reset:
            sys.exit(f"{url} is not empty; pass --reset to drop and rebuild its public schema")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    upgrade()
    started = time.perf_counter()
    demo.seed_demo(args.rows, days=DAYS, seed=1)
    batches = export_past_days()
    print(
        f"seeded {args.rows:,} submissions and {batches:,} daily export batches "
        f"in {time.perf_counter() - started:.0f} s"
    )
    accounts.create_staff_user("bench@example.org", PASSWORD, StaffRole.FRONT_DESK)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def export_past_days() -> int:
    """Put every submission from before today into its clinic day's export batch.

    As a clinic that exports each evening: only today's intakes are not exported. Nobody
    has reviewed any of them (demo rows are new), so "New" still lists all of them. One
    UPDATE claims every row in the table's own order, as export_new would; day by day, it
    would leave the table sorted by day and flatter the submitted_at index on PostgreSQL.
    """
    today_start = clock.start_of_day(clock.clinic_today())
    past = sa.select(Submission.submitted_at).where(Submission.submitted_at < today_start)
    days = sorted({clock.local(moment).date() for moment in db.session.scalars(past)})
    db.session.execute(
        sa.insert(ExportBatch),
        [
            {
                # At the end of the clinic day, so each row's batch is the first made after it.
                "created_at": clock.start_of_day(day + timedelta(days=1)),
                "actor_label": "bench",
                "columns_version": "bench",
                "options": {},
            }
            for day in days
        ],
    )
    batch = sa.select(ExportBatch.id).where(ExportBatch.created_at > Submission.submitted_at)
    db.session.execute(
        sa.update(Submission)
        .where(Submission.submitted_at < today_start)
        .values(export_batch_id=batch.order_by(ExportBatch.created_at).limit(1).scalar_subquery())
    )
    rows = sa.select(sa.func.count()).where(Submission.export_batch_id == ExportBatch.id)
    db.session.execute(sa.update(ExportBatch).values(row_count=rows.scalar_subquery()))
    db.session.commit()
    return len(days)


def log_in(client) -> None:
    """Log in through the real form, CSRF token and all."""
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/login",
        data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, "benchmark login failed"


def benchmark_pages(client, sample, runs: int) -> dict[str, list[float]]:
    """Time each page `runs` times after a short warm-up."""
    today_page = client.get("/staff/").get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)" rel="next">', today_page)
    pages = {
        BASELINE: "/staff/account",
        "dashboard: today": "/staff/",
        "dashboard: today, next page": older.group(1).replace("&amp;", "&") if older else None,
        "dashboard: every new intake": "/staff/?status=new&from_date=2000-01-01",
        "dashboard: every exported intake": "/staff/?status=exported&from_date=2000-01-01",
        "search: last name": f"/staff/?q={sample.last_name}",
        "search: first and last name": f"/staff/?q={sample.first_name}+{sample.last_name}",
        "search: date of birth": f"/staff/?q={sample.date_of_birth:%m/%d/%Y}",
    }
    results = {}
    for name, path in pages.items():
        if path is None:
            continue
        for _ in range(3):
            client.get(path)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        results[name] = times
    return results


def query_plans(sample) -> dict[str, str]:
    """The plans the database chose for the dashboard's main queries, on this data."""
    today = clock.clinic_today()
    start, end = clock.day_range(today, today)
    name_words, _ = parse_search(sample.last_name)
    queries = {
        "today": submissions_query(Criteria(start=start, end=end)),
        "last name": submissions_query(Criteria(name_words=name_words)),
        "date of birth": submissions_query(Criteria(birth_date=sample.date_of_birth)),
        "new, last 30 days": submissions_query(
            Criteria(start=start - timedelta(days=30), status="submitted")
        ),
        "exported, last 30 days": submissions_query(
            Criteria(start=start - timedelta(days=30), exported=True)
        ),
    }
    dialect = db.engine.dialect
    plans = {}
    for name, stmt in queries.items():
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            rows = db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)).all()
            plans[name] = "\n".join(row[-1] for row in rows)
        else:
            rows = db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)).all()
            plans[name] = "\n".join(row[0] for row in rows)
    db.session.rollback()
    return plans


if __name__ == "__main__":
    main()
