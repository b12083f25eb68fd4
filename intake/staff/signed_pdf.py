"""The signed intake PDF of a submission as staff download it: found, checked, named."""

import hashlib
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import undefer

from intake import clock
from intake.extensions import db
from intake.models import ChartDocument, DocumentKind, Submission


def find(submission: Submission, *, with_content: bool = False) -> ChartDocument | None:
    """The submission's signed intake PDF (the first one stored), bytes only when asked for."""
    stmt = (
        select(ChartDocument)
        .where(
            ChartDocument.submission_id == submission.id, ChartDocument.kind == DocumentKind.INTAKE
        )
        .order_by(ChartDocument.id)
        .limit(1)
    )
    if with_content:
        stmt = stmt.options(undefer(ChartDocument.content))
    return db.session.scalar(stmt)


def is_intact(document: ChartDocument) -> bool:
    """Whether the stored bytes still match the SHA-256 taken when they were made."""
    return hashlib.sha256(document.content).hexdigest() == document.sha256


def download_name(submission: Submission) -> str:
    """A file name safe on every system: "Doe_Jane_2026-11-25_intake.pdf"."""
    day = clock.local(submission.submitted_at).date().isoformat()
    last = _file_safe(submission.last_name) or "patient"
    first = _file_safe(submission.first_name)
    return "_".join(part for part in (last, first, day, "intake") if part) + ".pdf"


def _file_safe(name: str) -> str:
    """ASCII letters, digits and hyphens only: "Núñez O'Brien" -> "Nunez-OBrien"."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if c.isascii() and not unicodedata.combining(c))
    words = re.split(r"[^A-Za-z0-9]+", ascii_only.replace("'", ""))
    return "-".join(word for word in words if word)[:40].strip("-")
