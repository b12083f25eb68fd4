"""The signed intake PDF of a submission as staff download it: found, checked, named."""

import hashlib
import re
import unicodedata
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import undefer

from intake import clock
from intake.extensions import db
from intake.models import ChartDocument, DocumentKind, Submission
from intake.patients import latin_name


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


def download_name(submission: Submission, document: str = "intake") -> str:
    """A file name safe on every system: "Doe_Jane_2026-11-25_intake.pdf", with letters
    spelled in ASCII ("Łukasz" -> "Lukasz") and "patient" for a name with none."""
    return _named(
        _ascii_part(submission.last_name) or "patient",
        _ascii_part(submission.first_name),
        submission,
        document,
    )


def download_name_as_written(submission: Submission, document: str = "intake") -> str:
    """The file name with the name as written ("Łukasz_Zoë_…", "王_小明_…"), for browsers
    that read RFC 6266's filename* parameter."""
    return _named(
        _part(submission.last_name) or "patient",
        _part(submission.first_name),
        submission,
        document,
    )


def content_disposition(submission: Submission, document: str = "intake") -> dict[str, str]:
    """The attachment's name parameters: filename in ASCII, and filename* (RFC 5987) with
    the name as written when ASCII cannot spell it. `document` ends the name ("intake")."""
    plain = download_name(submission, document)
    written = download_name_as_written(submission, document)
    if written == plain:
        return {"filename": plain}
    return {"filename": plain, "filename*": "UTF-8''" + quote(written, safe="!#$&+-.^_`|~")}


def _named(last: str, first: str, submission: Submission, document: str) -> str:
    day = clock.local(submission.submitted_at).date().isoformat()
    return "_".join(part for part in (last, first, day, document) if part) + ".pdf"


# Apostrophes join the parts of a name (O'Brien, Hawaiʻi); other separators become hyphens.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bb\u02bc`]")


def _part(name: str) -> str:
    """Letters, marks and digits of any script, words joined by hyphens: "Núñez O'Brien" ->
    "Núñez-OBrien"."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFC", name))
    words = "".join(c if _in_word(c) else " " for c in text).split()
    return "-".join(words)[:40].strip("-")


def _in_word(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LMN" and category != "Lm"


def _ascii_part(name: str) -> str:
    """ASCII letters, digits and hyphens only: "Zoë O'Brien-Łukasz" -> "Zoe-OBrien-Lukasz"."""
    text = latin_name(_APOSTROPHES.sub("", name))
    words = re.split(r"[^A-Za-z0-9]+", "".join(c for c in text if c.isascii()))
    return "-".join(word for word in words if word)[:40].strip("-")
