"""Nothing a patient types can make the PDF fetch anything: it shows as text, and the fetcher
refuses every URL but Intake's own bundled assets, even in documents that bypass the template.

A listening socket stands in for the network: a fetch would connect to it, and a connection
waits in its backlog whether or not anyone accepts it.
"""

import io
import json
import socket
from dataclasses import replace
from datetime import UTC, datetime
from urllib.request import HTTPRedirectHandler

import pikepdf
import pytest
from sqlalchemy import select

from intake import consents, questionnaire
from intake.chart import render_and_store
from intake.chart.document import chart_html, render_job
from intake.chart.fetcher import ASSET_BASE_URL, ASSET_DIR, BundledAssetFetcher, RefusedURL
from intake.chart.job import RenderJob
from intake.chart.worker import RenderError, renderer
from intake.extensions import db
from intake.models import AuditEvent, PdfStatus, Submission
from intake.questionnaire import Kind
from testkit.factories import make_submission
from tests.chart_support import needs, pdf_pages, squeezed


class Trap:
    """A local TCP port that counts every connection attempt."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.setblocking(False)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def connections(self) -> int:
        count = 0
        while True:
            try:
                connection, _ = self.socket.accept()
            except BlockingIOError:
                return count
            connection.close()
            count += 1


@pytest.fixture
def trap():
    trap = Trap()
    yield trap
    trap.socket.close()


def markup(url: str) -> list[str]:
    """Ways in: every element or rule that makes WeasyPrint fetch, plus template tricks."""
    return [
        f'<img src="{url}/i">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<link rel="stylesheet" href="{url}/c">',
        f'<style>@import "{url}/s";</style>',
        '<svg><image href="file:///etc/hostname"/></svg>',
        f'<iframe src="{url}/f"></iframe>',
        f'<object data="{url}/o"></object>',
        f'<base href="{url}/b/">',
        '<img src="data:image/png;base64,iVBORw0KGgo=">',
        "{{ config.SECRET_KEY }}",
        "</td></tr></table><h1>forged</h1>",
    ]


def _planted_submission(url: str) -> Submission:
    """A submission with markup in every field a person or device could fill."""
    short = f'<img src="{url}/i">'  # fits every column, even the 40-character phone
    ways = markup(url)
    answers = {}
    text_kinds = (Kind.TEXT, Kind.LONG_TEXT, Kind.PHONE, Kind.EMAIL, Kind.DATE)
    planted_questions = [q for q in questionnaire.QUESTIONS if q.kind in text_kinds]
    for i, question in enumerate(planted_questions):
        answers[question.id] = ways[i % len(ways)]
    answers.update(
        date_of_birth="1980-02-29",  # a real date: it is also a typed column
        first_name=short,
        last_name='<link rel="attachment" href="file:///etc/passwd">',
        phone=short,
        sex=f'<a href="{url}/a">other</a>',  # a value no choice has
        pain_areas=["lower_back", f'<img src="{url}/m">'],
        cancer="yes",
        anticoagulants="yes",
        anything_else="\n".join(ways),
    )
    document = consents.current()
    clauses = (
        replace(document.clauses[0], paragraphs=(ways[1], *document.clauses[0].paragraphs)),
        *document.clauses[1:],
    )
    document = replace(document, title=ways[0], clauses=clauses)
    submission = make_submission(
        answers=answers,
        phone=short,
        email=ways[5],
        consent_snapshot=document.snapshot(),
        consent_sha256=document.sha256,
        consent_initials={clause.id: ways[i % len(ways)] for i, clause in enumerate(clauses)},
        signer_name=ways[3],
        # The one field the database keeps to its vocabulary; the chart shows its label.
        signer_relationship="parent",
        typed_signature=ways[4],
        ip_address=short,
        user_agent=" ".join(ways),
        device_label=ways[2],
    )
    # Straight into the table: audit.record takes only the actions Intake records.
    db.session.add(
        AuditEvent(
            action=short,
            target_type="submission",
            target_id=str(submission.public_id),
            actor_type="kiosk",
            actor_label=ways[6],
        )
    )
    db.session.commit()
    return submission


@needs("pdftotext", "noto-fonts")
def test_markup_in_every_field_is_text_and_fetches_nothing(app, app_context, trap):
    app.config["CLINIC_NAME"] = f'<img src="{trap.url}/clinic">Riverside'
    submission = _planted_submission(trap.url)

    document = render_and_store(submission)

    assert document is not None
    stored = db.session.get(Submission, submission.id)
    assert (stored.pdf_status, stored.pdf_error) == (PdfStatus.RENDERED, None)
    assert trap.connections() == 0

    # Nothing fetched, not even the bundled stylesheet (parsed once, before any render).
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)).all()
    result = renderer.render(render_job(stored, events[:1], document.created_at), timeout=60)
    assert (result.requested, result.messages) == ((), ())
    assert trap.connections() == 0

    # The markup reached WeasyPrint escaped...
    html = chart_html(stored, events[:1], document.created_at)
    for tag in ("<img", "<link", "<style", "<iframe", "<object", "<base", "<image", "<h1>", "<a "):
        assert tag not in html
    assert app.config["SECRET_KEY"] not in html

    # ...and shows literally, in every field, in the PDF people read.
    pdf = pikepdf.open(io.BytesIO(document.content))
    text = squeezed("".join(pdf_pages(document.content)))
    for planted in [*markup(trap.url), app.config["CLINIC_NAME"]]:
        assert squeezed(planted) in text, planted
    assert app.config["SECRET_KEY"] not in text

    # The only file inside is the record, holding exactly what was typed; no image anywhere.
    assert list(pdf.attachments) == [f"submission-{stored.public_id}.json"]
    record = json.loads(
        pdf.attachments[f"submission-{stored.public_id}.json"].get_file().read_bytes()
    )
    assert record["answers"] == stored.answers
    assert record["evidence"]["user_agent"] == stored.user_agent
    images = [
        o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
    ]
    assert images == []


def test_fetcher_serves_only_the_bundled_assets(trap):
    fetcher = BundledAssetFetcher()
    assert fetcher.asset_urls == (ASSET_BASE_URL + "chart.css",)
    response = fetcher.fetch(ASSET_BASE_URL + "chart.css")
    assert response.content_type == "text/css"
    assert response.read() == (ASSET_DIR / "chart.css").read_bytes()
    refused = [
        f"{trap.url}/chart.css",
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        f"file://{ASSET_DIR}/chart.css",  # even our own file, by path
        "https://example.org/chart.css",
        "data:text/css,body{color:red}",
        "ftp://127.0.0.1/chart.css",
        ASSET_BASE_URL + "../../../../etc/passwd",
        ASSET_BASE_URL + "%2e%2e/%2e%2e/etc/passwd",
        ASSET_BASE_URL + "chart.css?v=2",
        ASSET_BASE_URL.replace("https:", "http:") + "chart.css",
        "https://chart-assets.intake.invalid.example.org/chart.css",
    ]
    for url in refused:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.requested == [ASSET_BASE_URL + "chart.css", *refused]
    assert len(fetcher.refused) == len(refused)
    assert trap.connections() == 0
    # Redirects are off, should a request ever reach urllib.
    assert not any(isinstance(handler, HTTPRedirectHandler) for handler in fetcher.handlers)


HOSTILE_DOCUMENTS = {
    "attachment": '<link rel="attachment" href="file:///etc/passwd">',
    "attachment over http": '<link rel="attachment" href="{url}/leak">',
    "image": '<img src="{url}/pixel.png">',
    "stylesheet": '<link rel="stylesheet" href="{url}/style.css">',
    "import": '<style>@import url("{url}/import.css");</style>',
    "background": "<p style=\"background: url('{url}/bg.png')\">x</p>",
    "svg image": '<svg><image href="file:///etc/hostname" width="9" height="9"/></svg>',
    "data url": '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">',
    "font": '<style>@font-face {{ font-family: x; src: url("{url}/f.woff2") }}</style>',
}


@pytest.mark.parametrize("html", HOSTILE_DOCUMENTS.values(), ids=HOSTILE_DOCUMENTS.keys())
def test_the_render_process_refuses_what_a_document_points_at(trap, html):
    """Markup that bypassed the template still reaches nothing: the render stops instead."""
    job = RenderJob(
        html=html.format(url=trap.url),
        attachment=b"{}",
        attachment_name="record.json",
        attachment_description="",
        created=datetime(2026, 11, 3, tzinfo=UTC),
    )
    with pytest.raises(RenderError, match="RefusedURL: refused to fetch"):
        renderer.render(job, timeout=60)
    assert trap.connections() == 0
