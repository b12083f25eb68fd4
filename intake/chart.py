"""The signed PDF for the chart: rendered once, right after a submission commits."""

from intake.models import ChartDocument, Submission


def render_and_store(submission: Submission) -> ChartDocument | None:
    """Render the submission's intake PDF and store it as a ChartDocument; never raises.

    Called by the patient flow after the submission has committed. On failure the submission
    stays, with pdf_status "failed", for `flask intake render-pending`. Until rendering is in
    place, submissions stay "pending".
    """
    return None
