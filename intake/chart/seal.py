"""The clinic's seal on a chart document: a PAdES signature made with pyHanko, and its check.

A document is sealed in the process that asked for it (the render worker consuming the queue,
a web worker, or the CLI) right after the WeasyPrint render process returns it and
before it is stored: the render process handles patient text with C libraries and is given no
secrets (see intake.chart.worker), so the private key never enters it. The signature is an
incremental update, so the PDF/A file WeasyPrint made is, byte for byte, the first revision of
the sealed one, and the stored SHA-256 is that of the sealed bytes.

With INTAKE_TIMESTAMP_URL set, an RFC 3161 time-stamp from that authority is added (PAdES
B-T): proof, from outside the clinic, of when the document existed.
"""

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from io import BytesIO
from typing import TypeVar

from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from intake.chart import clinic_certificate
from intake.chart.worker import RenderError

logger = logging.getLogger(__name__)

T = TypeVar("T")

FIELD_NAME = "ClinicSeal"
TIMESTAMP_TIMEOUT_SECONDS = 10


class SealError(RenderError):
    """The document could not be sealed (key unreadable, time-stamp authority unreachable)."""


class SealState(StrEnum):
    """What the check of one stored document found."""

    VALID = "valid"
    UNSEALED = "unsealed"
    INVALID = "invalid"


@dataclass(frozen=True)
class SealCheck:
    """The check of one document's seal; `reason` says what is wrong, or who sealed it."""

    state: SealState
    reason: str
    timestamped: bool = False


def seal_pdf(pdf: bytes) -> bytes:
    """The PDF with the clinic's signature added (PAdES baseline); raises SealError."""
    try:
        signer = clinic_certificate.signer()
        metadata = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason="Chart document sealed by the clinic when it was made",
            name=current_app.config["CLINIC_NAME"],
        )
        timestamper = _timestamper()

        def sign() -> BytesIO:
            writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
            _keep_metadata(writer)
            return signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper)

        sealed = outside_any_event_loop(sign)
    except clinic_certificate.SigningKeyError as error:
        raise SealError(str(error)) from None
    except Exception as error:  # pyHanko and the TSA client raise many kinds
        logger.exception("Sealing a chart document failed")
        raise SealError(f"the document could not be sealed: {type(error).__name__}") from None
    return sealed.getvalue()


def check_seal(pdf: bytes, made_at: datetime) -> SealCheck:
    """Whether the document carries one intact clinic seal over the whole file.

    The certificate is checked as it stood when the document was made, so a document sealed
    with a key since retired or expired still verifies; which certificates count comes from
    the files named in the configuration, never from the database.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # a damaged file is reported, not a crash
        return SealCheck(SealState.INVALID, f"it cannot be read as a PDF ({type(error).__name__})")
    if not signatures:
        return SealCheck(SealState.UNSEALED, "it carries no seal")
    if len(signatures) != 1:
        return SealCheck(SealState.INVALID, f"it carries {len(signatures)} signatures, not one")
    context = ValidationContext(
        trust_roots=clinic_certificate.trusted_certificates(),
        moment=made_at,
        allow_fetching=False,
    )
    try:
        status = outside_any_event_loop(lambda: validate_pdf_signature(signatures[0], context))
    except (SignatureValidationError, ValueError) as error:
        return SealCheck(SealState.INVALID, f"its seal cannot be validated: {error}")
    if not status.intact or not status.valid:
        return SealCheck(SealState.INVALID, "its seal does not match its content")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return SealCheck(SealState.INVALID, "content was added after the seal")
    if not status.trusted:
        subject = status.signing_cert.subject.human_friendly
        return SealCheck(
            SealState.INVALID,
            f"its seal is by {subject}, which is not one of the clinic's certificates",
        )
    return SealCheck(
        SealState.VALID,
        f"sealed by {status.signing_cert.subject.human_friendly}",
        timestamped=_timestamp_intact(status.timestamp_validity),
    )


def outside_any_event_loop(work: Callable[[], T]) -> T:
    """Run pyHanko's synchronous API, which starts an asyncio loop of its own.

    Where this thread already runs one (a caller using an async library, such as Playwright's
    synchronous API in the PDF bench), asyncio refuses a second: the work runs on a thread of
    its own instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        # With this thread's context (the app's, say): a new thread starts with none.
        return pool.submit(contextvars.copy_context().run, work).result()


def _timestamp_intact(timestamp) -> bool:
    """Whether a time-stamp is present and matches the signature it dates."""
    return timestamp is not None and timestamp.intact and timestamp.valid


def _keep_metadata(writer: IncrementalPdfFileWriter) -> None:
    """Leave the document information and XMP metadata exactly as WeasyPrint wrote them.

    pyHanko would otherwise rewrite the XMP stream compressed, with its own producer and
    modification date, beside an information dictionary that no longer agrees with it: PDF/A
    asks for both to agree, and strict validators refuse a filtered metadata stream. Replacing
    `_update_meta` is the way pyHanko's maintainer gives to turn the update off (pyHanko issue
    223; its own tests do the same); the seal itself records when and by whom it was made.
    """
    writer._update_meta = lambda: None


def _timestamper() -> TimeStamper | None:
    url = current_app.config.get("TIMESTAMP_URL")
    if not url:
        return None
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(url, timeout=TIMESTAMP_TIMEOUT_SECONDS)
