"""Every query behind a staff page can be served by an index, on SQLite and on PostgreSQL.

The planners are asked how they would run each query (timings live in bench/dashboard.py,
which also prints the plans over 100,000 real rows). A test table is tiny, and planners
rightly scan tiny tables, so:

- SQLite is given the statistics of a full clinic database (100,000 submissions, a million
  audit events) by writing sqlite_stat1 by hand, which SQLite documents for exactly this,
  and must then pick the index named for each query;
- PostgreSQL has sequential scans priced out: a plan that still scans the table would have
  had no index to use.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from intake.extensions import db
from intake.models import Submission
from intake.staff import sessions
from intake.staff.audit_log import events_query
from intake.staff.search import Criteria, count_query, parse_search, submissions_query
from testkit.factories import make_submission

START = datetime(2026, 11, 25, 6, tzinfo=UTC)
END = START + timedelta(days=1)
POSITION = (START + timedelta(hours=5), 10)


def _criteria(q: str = "", **kwargs) -> Criteria:
    words, birth_date = parse_search(q)
    return Criteria(name_words=words, birth_date=birth_date, **kwargs)


# query, index that must serve it
SUBMISSION_QUERIES = {
    "today": (submissions_query(_criteria(start=START, end=END)), "ix_submission_submitted_at"),
    "today, new only": (
        submissions_query(_criteria(start=START, end=END, status="submitted")),
        "ix_submission_status_submitted_at",
    ),
    "today, reviewed only": (
        submissions_query(_criteria(start=START, end=END, status="reviewed")),
        "ix_submission_status_submitted_at",
    ),
    "today, exported only": (
        submissions_query(_criteria(start=START, end=END, exported=True)),
        "ix_submission_exported_submitted_at",
    ),
    "exported, older page": (
        submissions_query(_criteria(exported=True), older_than=POSITION),
        "ix_submission_exported_submitted_at",
    ),
    # No index finds a flag inside the JSON list: the clinic day's bound keeps it to that day.
    "today, red flags only": (
        submissions_query(_criteria(start=START, end=END, red_flags=True)),
        "ix_submission_submitted_at",
    ),
    "count today, red flags only": (
        count_query(_criteria(start=START, end=END, red_flags=True)),
        "ix_submission_submitted_at",
    ),
    "older page": (
        submissions_query(_criteria(start=START, end=END), older_than=POSITION),
        "ix_submission_submitted_at",
    ),
    "newer page": (
        submissions_query(_criteria(start=START, end=END), newer_than=POSITION),
        "ix_submission_submitted_at",
    ),
    "one name": (submissions_query(_criteria("núñez")), "ix_submission_last_name_first_name"),
    "first name too": (submissions_query(_criteria("jane")), "ix_submission_first_name_folded"),
    "first and last": (
        submissions_query(_criteria("jane doe")),
        "ix_submission_last_name_first_name",
    ),
    "date of birth": (
        submissions_query(_criteria("04/12/1970")),
        "ix_submission_date_of_birth",
    ),
    "count today": (count_query(_criteria(start=START, end=END)), "ix_submission_submitted_at"),
    "count by name": (count_query(_criteria("doe")), "ix_submission_last_name_first_name"),
    "count exported": (
        count_query(_criteria(start=START, end=END, exported=True)),
        "ix_submission_exported_submitted_at",
    ),
    "cursor row": (
        select(Submission.submitted_at, Submission.id).where(Submission.public_id == uuid.uuid4()),
        None,  # the unique constraint's index; its name differs between backends
    ),
}
AUDIT_QUERIES = {
    "audit, newest": (events_query(), "ix_audit_event_at"),
    "audit, one person": (events_query(actor_id=3), "ix_audit_event_actor_at"),
    "audit, one action": (events_query(action="pdf.download"), "ix_audit_event_action_at"),
    "audit, days": (events_query(start=START, end=END), "ix_audit_event_at"),
    "audit, older page": (events_query(older_than=POSITION), "ix_audit_event_at"),
    "session logged out?": (sessions.logout_query("abc"), "ix_audit_event_target"),
}


def _plan(stmt) -> str:
    """How the database would run `stmt`, as text."""
    dialect = db.engine.dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        return "\n".join(row[-1] for row in rows)
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql)))


# sqlite_stat1 rows: total rows, then average rows per distinct value of each index prefix.
CLINIC_SCALE_STATISTICS = [
    ("submission", None, "100000"),
    ("submission", "ix_submission_submitted_at", "100000 1"),
    ("submission", "ix_submission_status_submitted_at", "100000 33334 1"),
    ("submission", "ix_submission_last_name_first_name", "100000 200 20"),
    ("submission", "ix_submission_first_name_folded", "100000 300"),
    ("submission", "ix_submission_date_of_birth", "100000 4"),
    ("submission", "ix_submission_pdf_status", "100000 33334"),
    # A batch a clinic day; every day but today exported.
    ("submission", "ix_submission_export_batch_id_id", "100000 110 1"),
    ("submission", "ix_submission_exported_submitted_at", "99890 1"),
    ("audit_event", None, "1000000"),
    ("audit_event", "ix_audit_event_at", "1000000 1"),
    ("audit_event", "ix_audit_event_actor_at", "1000000 50000 1"),
    ("audit_event", "ix_audit_event_action_at", "1000000 60000 1"),
    ("audit_event", "ix_audit_event_target", "1000000 200000 5"),
]


@pytest.fixture
def planner(app_context):
    """The database, with a few rows and (on SQLite) clinic-scale statistics."""
    for n, (first, last) in enumerate([("Jane", "Doe"), ("José", "Núñez"), ("Ann", "Lee")] * 3):
        make_submission(
            {"first_name": first, "last_name": last, "date_of_birth": f"19{60 + n}-04-12"},
            submitted_at=START + timedelta(hours=n),
        )
    db.session.execute(text("ANALYZE"))
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DELETE FROM sqlite_stat1"))
        for table, index, stat in CLINIC_SCALE_STATISTICS:
            db.session.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
                {"t": table, "i": index, "s": stat},
            )
        db.session.commit()
        db.session.execute(text("ANALYZE sqlite_schema"))  # reload the statistics
    db.session.commit()
    yield db.engine.dialect.name
    db.session.rollback()


@pytest.mark.parametrize("name", [*SUBMISSION_QUERIES, *AUDIT_QUERIES])
def test_served_by_an_index(planner, name):
    stmt, index = {**SUBMISSION_QUERIES, **AUDIT_QUERIES}[name]
    plan = _plan(stmt)
    if planner == "sqlite":
        assert not re.search(r"^SCAN (submission|audit_event)$", plan, re.M), plan
        if index is not None:
            assert index in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
