"""Serving an export over HTTP and writing one to a file, for the staff side and the CLI."""

import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from flask import Response, stream_with_context

from intake.ehr.exports import CONTENT_TYPE


def csv_response(chunks: Iterator[bytes], filename: str) -> Response:
    """A streamed attachment download; call it inside the view that made the chunks."""
    response = Response(stream_with_context(chunks), content_type=CONTENT_TYPE)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


# A new batch for a staff download is kept in memory up to this size, then in an unnamed
# temporary file (mode 0600, gone when closed or when the process ends).
SPOOL_IN_MEMORY = 8 * 2**20


def spool() -> BinaryIO:
    """Somewhere to keep a new batch's file while it is hashed, before it is served
    (`exports.kept_batch`)."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+b")


def write_file(chunks: Iterable[bytes], path: Path) -> int:
    """Write the chunks to a new file readable by its owner only; return its size in bytes.

    The file appears under its name only once it is complete (see `new_file`).
    """
    size = 0
    with new_file(path) as handle:
        for chunk in chunks:
            handle.write(chunk)
            size += len(chunk)
    return size


@contextmanager
def new_file(path: Path) -> Iterator[BinaryIO]:
    """A new file readable by its owner only, which appears under its name only once the
    block ends without an error (a temporary file, synced, then renamed): an interrupted
    export never leaves a partial file that looks whole."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
