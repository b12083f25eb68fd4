"""The render queue: "Sign and submit" commits the submission and leaves its PDF to a consumer.

Built on Huey, which runs embedded or distributed: its SQLite storage (a file beside the
database, no other server) for one clinic, Redis for a clinic group with several web hosts
(`INTAKE_QUEUE_URL`). `immediate` renders inside the request that enqueues, as before the queue
(the default of the test suite, and a choice for a clinic that runs no consumer).

Nothing is lost between the commit and the enqueue. The submission itself is the outbox: it
commits with pdf_status "pending", and the consumer renders every pending submission when it
starts and, every minute, those pending longer than `SWEEP_AFTER` (`sweep`). A web worker that
dies after its commit and before its enqueue leaves a pending row that the next sweep finds.

Each job renders one submission exactly once (`render_and_store` never renders a submission
that has its PDF, so a job run twice, or a job and a sweep, store one document). A render that
runs too long or whose render process dies is tried again after RETRY_DELAY, then twice that,
and so on, MAX_TRIES tries in all; after the last the submission is "failed" for staff and for
`flask intake render-pending`. A stored row that cannot be rendered is "failed" at once.
"""

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, or_, select

from intake.chart.store import render_and_store
from intake.extensions import db
from intake.models import PdfStatus, Submission, utcnow

if TYPE_CHECKING:
    from huey import Huey
    from huey.api import TaskWrapper

logger = logging.getLogger(__name__)

MAX_TRIES = 4
RETRY_DELAY_SECONDS = 10  # then 20, then 40
SWEEP_AFTER = timedelta(seconds=60)  # a job enqueued normally has run by then
# Every try has run by then, however long each took (within CHART_RENDER_TIMEOUT_SECONDS).
RETRIES_OVER = timedelta(minutes=10)
IMMEDIATE = "immediate"


class RenderStillFailing(Exception):
    """This try failed and another follows (Huey retries a task that raises)."""


@dataclass(frozen=True)
class RenderQueue:
    """The Huey instance of an app and its tasks."""

    huey: "Huey"
    render: "TaskWrapper"  # render(submission_id)
    sweep: "TaskWrapper"

    def enqueue(self, submission_id: int) -> None:
        """Queue the render of a committed submission (in immediate mode: render it now)."""
        try:
            self.render(submission_id)
        except Exception:
            # The row is committed and pending: the consumer's sweep renders it.
            logger.exception("Could not queue the PDF of submission row %s", submission_id)


def queue_of(app: Flask | None = None) -> RenderQueue:
    """The app's render queue, made on first use (opening its storage is I/O)."""
    app = app or current_app._get_current_object()
    queue = app.extensions.get("intake_render_queue")
    if queue is None:
        queue = app.extensions["intake_render_queue"] = _make_queue(app)
    return queue


def enqueue_render(submission_id: int) -> None:
    """Queue the render of a committed submission; never raises (the queue may be away)."""
    try:
        queue = queue_of()
    except Exception:
        logger.exception("The render queue is unreachable; submission row %s waits", submission_id)
        return
    queue.enqueue(submission_id)


def sweep_pending(older_than: timedelta = SWEEP_AFTER, *, retrying_too: bool = False) -> int:
    """Queue every submission whose PDF has been pending longer than `older_than`; how many.

    One whose last try failed has its next try scheduled already: it is queued again only
    once that schedule is long past (its consumer may have died with it), or `retrying_too`
    (a consumer starting: one that died mid-try took that try with it).
    """
    now = utcnow()
    retries_over = now if retrying_too else now - RETRIES_OVER
    ids = db.session.scalars(
        select(Submission.id)
        .where(
            Submission.pdf_status == PdfStatus.PENDING,
            Submission.submitted_at <= now - older_than,
            or_(Submission.pdf_error.is_(None), Submission.submitted_at <= retries_over),
        )
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    db.session.rollback()
    queue = queue_of()
    for submission_id in ids:
        queue.enqueue(submission_id)
    return len(ids)


@dataclass(frozen=True)
class Waiting:
    """Signed PDFs not rendered yet: how many, and how long the oldest has waited."""

    count: int
    oldest_seconds: int


def waiting() -> Waiting:
    """How many submissions wait for their PDF, and since when (one index lookup)."""
    count, oldest = db.session.execute(
        select(func.count(), func.min(Submission.submitted_at)).where(
            Submission.pdf_status == PdfStatus.PENDING
        )
    ).one()
    if not count:
        return Waiting(0, 0)
    if oldest.tzinfo is None:  # an aggregate's value comes back as the database holds it
        oldest = oldest.replace(tzinfo=UTC)
    return Waiting(count, max(0, int((utcnow() - oldest).total_seconds())))


def _make_queue(app: Flask) -> RenderQueue:
    # Imported here, with Redis's client: some 18 MB that a process needs only once it
    # queues or consumes a render.
    from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

    url = app.config["QUEUE_URL"]
    name = "intake-render"
    if url == IMMEDIATE:
        huey: Huey = MemoryHuey(name, immediate=True, results=False)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey(name, url=url, results=False)
    else:
        path = Path(url.removeprefix("sqlite:///"))
        huey = SqliteHuey(name, filename=str(path), results=False)

    @huey.task(
        retries=MAX_TRIES - 1,
        retry_delay=RETRY_DELAY_SECONDS,
        retry_backoff=2,
        context=True,
        name="render_submission",
    )
    def render(submission_id: int, task=None) -> None:
        # In immediate mode no consumer would run a later try: this one is the last.
        final = task is None or not task.retries or huey.immediate
        with _context(app):
            submission = db.session.get(Submission, submission_id)
            if submission is None:
                logger.error("Render job for submission row %s: no such row", submission_id)
                return
            if render_and_store(submission, final=final) is not None or final:
                return
            still_pending = db.session.scalar(
                select(Submission.pdf_status).where(Submission.id == submission_id)
            )
            db.session.rollback()
        if still_pending == PdfStatus.PENDING:
            raise RenderStillFailing(f"submission row {submission_id}: tried again later")

    @huey.periodic_task(crontab(minute="*"), name="sweep_pending")
    def sweep() -> None:
        with _context(app):
            queued = sweep_pending()
        if queued:
            logger.warning("Queued %s submission(s) whose PDF was still pending", queued)

    return RenderQueue(huey=huey, render=render, sweep=sweep)


def _context(app: Flask):
    """The app's context: the caller's in immediate mode (the request that signed, whose
    session then sees the stored PDF), else a new one in the consumer."""
    return nullcontext() if has_app_context() else app.app_context()
