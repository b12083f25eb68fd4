"""A submission's chart document: HTML from templates/chart/, then a PDF from the render process."""

import logging
from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from flask_babel import force_locale

from intake import audit_chain
from intake.chart.content import (
    attachment_name,
    canonical_json,
    chart_content,
    submission_record,
)
from intake.chart.job import RenderJob
from intake.chart.worker import renderer
from intake.models import AuditEvent, Submission

logger = logging.getLogger(__name__)

TEMPLATE = "chart/intake.html"
ATTACHMENT_DESCRIPTION = (
    "This submission as JSON (UTF-8): identity, answers, the consent text as signed, "
    "initials, signature, evidence and audit events"
)


def chart_html(submission: Submission, events: Sequence[AuditEvent], rendered_at: datetime) -> str:
    """The chart document as HTML, every value escaped by the template."""
    config = current_app.config
    content = chart_content(
        submission,
        events,
        clinic_name=config["CLINIC_NAME"],
        timezone=config["CLINIC_TIMEZONE"],
        rendered_at=rendered_at,
        # Every PDF a patient or payer holds is then an anchor of the audit chain.
        chain_head=audit_chain.head_at(rendered_at),
    )
    # The template gets plain values only: no request, session or context processors, so the
    # same row renders the same way from a kiosk request, a staff request or the CLI; and its
    # words are English for the clinic, whatever language the request that signed was in.
    with force_locale("en"):
        return current_app.jinja_env.get_template(TEMPLATE).render(chart=content)


def render_job(
    submission: Submission, events: Sequence[AuditEvent], rendered_at: datetime
) -> RenderJob:
    """What the render process needs to make the PDF of this submission."""
    record = submission_record(submission, events, clinic_name=current_app.config["CLINIC_NAME"])
    return RenderJob(
        html=chart_html(submission, events, rendered_at),
        attachment=canonical_json(record).encode("utf-8"),
        attachment_name=attachment_name(submission),
        attachment_description=ATTACHMENT_DESCRIPTION,
        created=rendered_at,
    )


def render_pdf(job: RenderJob, timeout: float | None = None, *, sealed: bool = True) -> bytes:
    """Render a job in the render process and seal it with the clinic's key, here.

    Every chart document, whatever its kind, is made through this function, so every one is
    sealed before it can be stored. `sealed=False` is for a PDF that is never stored and must
    come out the same each time (the patient's copy). Raises RenderError (SealError) when
    either step fails or the render runs too long.
    """
    result = renderer.render(job, timeout or current_app.config["CHART_RENDER_TIMEOUT_SECONDS"])
    for message in result.messages:
        logger.warning("WeasyPrint, rendering %s: %s", job.attachment_name, message)
    if not sealed:
        return result.pdf
    # Imported here: pyHanko and its cryptography take some 25 MB, which only a process that
    # seals needs (the render worker; a web worker when staff make an addendum).
    from intake.chart.seal import seal_pdf

    return seal_pdf(result.pdf)
