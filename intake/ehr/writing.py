"""Records to CSV bytes: RFC 4180 quoting, UTF-8, spreadsheet-safe cells, written in chunks."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo

from intake.ehr.columns import Column, Record

# A cell a spreadsheet would read as a formula starts with one of these (OWASP "CSV Injection";
# NUL as in ASVS 1.2.10). Such free text gets a leading apostrophe, which spreadsheets show as
# text and never evaluate. Text that already starts with an apostrophe gets one too, so that
# dropping the first apostrophe always gives back exactly what was typed.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
NEUTRALISER = "'"
_NEEDS_NEUTRALISER = (*FORMULA_TRIGGERS, NEUTRALISER)

BOM = "\ufeff"
# Yield to the consumer once this much text is waiting, so neither side holds the whole file.
CHUNK_CHARS = 64 * 1024


@dataclass(frozen=True)
class Format:
    """How a file is written; stored with each batch so the same bytes can be made again."""

    excel: bool = False  # byte-order mark and CRLF line ends, for spreadsheets
    raw: bool = False  # no formula neutralising, for machine import only

    @property
    def line_end(self) -> str:
        return "\r\n" if self.excel else "\n"


def neutralise(cell: str) -> str:
    """Free text as a spreadsheet-safe cell: an apostrophe in front if it could be a formula."""
    return NEUTRALISER + cell if cell.startswith(_NEEDS_NEUTRALISER) else cell


def row_cells(
    record: Record, columns: Sequence[Column], zone: tzinfo, raw: bool = False
) -> list[str]:
    """One record as the CSV's cells, in column order."""
    cells = [column.value(record, zone) for column in columns]
    if raw:
        return cells
    for index, cell in enumerate(cells):
        # Typed values of their exact shape pass (a phone's leading "+"); anything else that
        # starts like a formula is treated as free text.
        if cell.startswith(_NEEDS_NEUTRALISER):
            shape = columns[index].shape
            if shape is None or not shape.fullmatch(cell):
                cells[index] = neutralise(cell)
    return cells


def write_csv(
    records: Iterable[Record], columns: Sequence[Column], zone: tzinfo, fmt: Format
) -> Iterator[bytes]:
    """The whole file as UTF-8 chunks: header, then one row per record, in order.

    Every cell is quoted (OWASP's advice, and the only way Python's csv module quotes a lone
    carriage return when lines end in LF); quotes inside a cell are doubled.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=fmt.line_end)
    if fmt.excel:
        buffer.write(BOM)
    writer.writerow(column.name for column in columns)
    for record in records:
        writer.writerow(row_cells(record, columns, zone, fmt.raw))
        if buffer.tell() >= CHUNK_CHARS:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    """Take what the buffer holds, encoded, and empty it for reuse."""
    chunk = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return chunk
