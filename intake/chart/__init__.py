"""The signed PDF for the chart: rendered once, by the render queue, after a submission commits.

enqueue_render(submission_id)  the patient flow calls this after committing a submission
render_and_store(submission)   what a render job runs (queue.py)
render_pending()               what `flask intake render-pending` runs
verify_documents()             what `flask intake verify` runs

How a PDF is made: content.py turns the stored row into plain values (signature.py redraws a
drawn signature from its stroke numbers), templates/chart/ lays them out, autoescaped, and a
separate render process (worker.py) runs WeasyPrint (pdf.py) with a fetcher that serves only
Intake's bundled assets (fetcher.py), within a time limit, in the consumer of the render queue
(queue.py) or, in immediate mode, in the request. Back in that process, seal.py signs it with
the clinic's key (clinic_certificate.py), store.py keeps the result, and verify.py checks it
against its hash, its seal and the audit event that recorded it.
"""

from intake.chart.queue import Waiting, enqueue_render, queue_of, waiting
from intake.chart.store import RenderOutcome, render_and_store, render_pending
from intake.chart.verify import Finding, Problem, verify_documents

__all__ = [
    "Finding",
    "Problem",
    "RenderOutcome",
    "Waiting",
    "enqueue_render",
    "queue_of",
    "render_and_store",
    "render_pending",
    "verify_documents",
    "waiting",
]
