"""Two new exports started at the same moment never place one submission in both batches."""

from sqlalchemy import func, select

from intake import ehr
from intake.extensions import db
from intake.models import ExportBatch, Submission
from testkit.factories import make_submission
from testkit.races import at_once, failures
from tests.csv_reading import TRICKY_ANSWERS, parse

WORKERS = 4
ROUNDS = 3
PER_ROUND = 40


def _export_at_once(app) -> list[BaseException]:
    """Start WORKERS exports together, each on its own thread, app context and connection."""
    return failures(at_once(WORKERS, lambda n: ehr.export_new(f"worker {n}"), app))


def test_simultaneous_new_exports_share_nothing_and_lose_nothing(app):
    for _ in range(ROUNDS):
        with app.app_context():
            for _ in range(PER_ROUND):
                make_submission(answers=TRICKY_ANSWERS)
        assert _export_at_once(app) == []

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Submission))
        assert total == ROUNDS * PER_ROUND
        assert ehr.new_count() == 0
        seen: dict[str, str] = {}
        for batch in db.session.scalars(select(ExportBatch).order_by(ExportBatch.id)).all():
            members = db.session.scalars(
                select(Submission.public_id).where(Submission.export_batch_id == batch.id)
            ).all()
            # The file each batch recorded (and its hash) lists exactly its own submissions.
            _header, rows = parse(b"".join(ehr.stream_batch(batch, "test")))
            listed = [row["submission_id"] for row in rows]
            assert sorted(listed) == sorted(str(public_id) for public_id in members)
            assert batch.row_count == len(listed) > 0
            for public_id in listed:
                assert public_id not in seen, f"{public_id} is in two batches"
                seen[public_id] = str(batch.public_id)
        assert len(seen) == total
