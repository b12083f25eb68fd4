"""HTML to PDF/A-3u with WeasyPrint, set up once per render process and reused.

This module runs inside the render process (see intake.chart.worker); it knows nothing of
Flask or the database. Parsing the stylesheet and loading the system's font configuration
(Fontconfig reads every installed font, Noto CJK included) cost more than laying out a short
document, so both are made once and shared by every render, as WeasyPrint recommends.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import pydyf
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from intake.chart.fetcher import ASSET_BASE_URL, BundledAssetFetcher, RefusedURL
from intake.chart.job import RenderJob, RenderResult

# PDF/A-3: archival, and (unlike PDF/A-2) allows the embedded JSON record. Level U: every
# glyph maps to Unicode, so text can be searched and extracted in any script.
PDF_VARIANT = "pdf/a-3u"
STYLESHEET_URL = ASSET_BASE_URL + "chart.css"


@dataclass(frozen=True)
class _Engine:
    fetcher: BundledAssetFetcher
    font_config: FontConfiguration
    stylesheets: tuple[CSS, ...]


@cache
def _engine() -> _Engine:
    """The fetcher, font configuration and parsed stylesheet shared by every render."""
    fetcher = BundledAssetFetcher()
    font_config = FontConfiguration()
    stylesheet = CSS(url=STYLESHEET_URL, url_fetcher=fetcher, font_config=font_config)
    return _Engine(fetcher, font_config, (stylesheet,))


def warm_up() -> None:
    """Load fonts and parse the stylesheet now, rather than during the first render."""
    _engine()


def render(job: RenderJob) -> RenderResult:
    """Render one chart document to PDF/A-3u bytes."""
    engine = _engine()
    engine.fetcher.reset()
    attachments = embedded_record(job, engine.fetcher)
    with _collect_messages() as messages:
        pdf = HTML(string=job.html, base_url=ASSET_BASE_URL, url_fetcher=engine.fetcher).write_pdf(
            stylesheets=list(engine.stylesheets),
            font_config=engine.font_config,
            pdf_variant=PDF_VARIANT,
            attachments=attachments,
            presentational_hints=False,
            finisher=_list_attachments_once,
        )
    if engine.fetcher.refused:
        # Usually the refusal has stopped the render already; WeasyPrint catches everything
        # raised while drawing an SVG, though, so check: a refused fetch means no PDF.
        raise RefusedURL(f"refused to fetch {engine.fetcher.refused[0]}")
    return RenderResult(pdf, tuple(engine.fetcher.requested), tuple(messages))


def embedded_record(job: RenderJob, url_fetcher=None) -> list[Attachment]:
    """The job's record as the PDF's one attachment; none for a job without a record."""
    if job.attachment is None:
        return []
    attachment = Attachment(
        string=job.attachment,
        name=job.attachment_name,
        description=job.attachment_description,
        created=job.created,
        modified=job.created,
        # PDF/A-3: the JSON is the data the visible pages present.
        relationship="Data",
        url_fetcher=url_fetcher,
    )
    return [attachment]


def _list_attachments_once(_document, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF array; keep one."""
    files = pdf.catalog.get("AF")
    if files:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(files))


@contextmanager
def _collect_messages() -> Iterator[list[str]]:
    """Collect WeasyPrint's warnings and errors during one render, to report them."""
    messages: list[str] = []
    handler = _ListHandler(messages)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


class _ListHandler(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:300])
