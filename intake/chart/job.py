"""What one render is given and what it gives back: plain values that cross the pipe between
the web worker and its render process, so each side needs this module and not the other."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RenderJob:
    """Everything one render needs: the finished HTML and the record to embed, if any."""

    html: str
    created: datetime  # aware; dates the PDF and the embedded file
    # The chart PDF embeds the submission as JSON; the patient's copy embeds nothing.
    attachment: bytes | None = None
    attachment_name: str = ""
    attachment_description: str = ""


@dataclass(frozen=True)
class RenderResult:
    """The PDF, and what WeasyPrint asked for and said while making it."""

    pdf: bytes
    requested: tuple[str, ...] = ()  # URLs WeasyPrint asked the fetcher for
    messages: tuple[str, ...] = ()  # its warnings and errors
