"""Records to CSV bytes: RFC 4180 quoting, UTF-8, spreadsheet-safe cells, written in chunks."""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from intake.ehr.columns import Column, Record
from intake.questionnaire import hidden_questions
from intake.questionnaire.presentation import coder

# A cell a spreadsheet would read as a formula starts with one of these (OWASP "CSV Injection";
# NUL as in ASVS 1.2.10). Such free text gets a leading apostrophe, which spreadsheets show as
# text and never evaluate. Text that already starts with an apostrophe gets one too, so that
# dropping the first apostrophe always gives back exactly what was typed.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
NEUTRALISER = "'"
_NEEDS_NEUTRALISER = (*FORMULA_TRIGGERS, NEUTRALISER)

# Joins a row's cells for one search for formula-like cells (see _formula_like).
_SEPARATOR = "\x1f"
_FORMULA_START = re.compile(f"{_SEPARATOR}[{re.escape(''.join(_NEEDS_NEUTRALISER))}]")

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


class _Rows:
    """Turns records into rows of cells, for one file: what each column needs is worked out
    once, so each row is a few passes over its columns.

    The answer columns (most of a row) are filled here, not by each column's `value`: which
    questions apply is worked out once per row (`questionnaire.hidden_questions`) rather than
    once per cell, and each answer is coded by a function chosen once per question. The cells
    are the same as the columns' own `value`s (tests/test_ehr_rows.py checks it).
    """

    def __init__(self, columns: Sequence[Column], zone: tzinfo, raw: bool):
        self._zone = zone
        self._raw = raw
        self._shapes = tuple(column.shape for column in columns)
        # Runs of columns: an answer column's neighbours that are answer columns too are
        # filled together.
        self._runs: list[Callable[[Record], str] | list[tuple[str, Callable[[Any], str]]]] = []
        for column in columns:
            if column.question is None:
                self._runs.append(column.value)
            elif self._runs and isinstance(self._runs[-1], list):
                self._runs[-1].append((column.question.id, coder(column.question)))
            else:
                self._runs.append([(column.question.id, coder(column.question))])

    def __call__(self, record: Record) -> list[str]:
        answers, zone = record.answers, self._zone
        hidden = hidden_questions(answers)
        if hidden:  # answers to questions that did not apply (stored rows rarely have any)
            answers = {key: value for key, value in answers.items() if key not in hidden}
        cells: list[str] = []
        for run in self._runs:
            if not isinstance(run, list):
                cells.append(run(record, zone))
                continue
            # A stored code or typed text ("" included) is its own cell; the rest is coded.
            cells += [
                ""
                if (answer := answers.get(question_id)) is None
                else answer
                if answer.__class__ is str
                else _coded(make, answer)
                for question_id, make in run
            ]
        if not self._raw:
            for index in _formula_like(cells):
                # Typed values of their exact shape pass (a phone's leading "+"); anything else
                # that starts like a formula is treated as free text.
                shape = self._shapes[index]
                if shape is None or not shape.fullmatch(cells[index]):
                    cells[index] = neutralise(cells[index])
        return cells


def _coded(make: Callable[[Any], str], answer: Any) -> str:
    return "" if answer == [] else make(answer)


def _formula_like(cells: list[str]) -> Iterable[int]:
    """The positions of the cells that start like a formula.

    One search of the cells joined by a separator rather than a test of each: a cell that
    starts like a formula follows a separator (or is the first). Should a cell hold the
    separator itself, every cell is tested on its own.
    """
    joined = _SEPARATOR + _SEPARATOR.join(cells)
    starts = [match.start() for match in _FORMULA_START.finditer(joined)]
    if not starts:
        return ()
    if joined.count(_SEPARATOR) == len(cells):
        return [joined.count(_SEPARATOR, 0, start) for start in starts]
    return [index for index, cell in enumerate(cells) if cell.startswith(_NEEDS_NEUTRALISER)]


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
    rows = _Rows(columns, zone, fmt.raw)
    for record in records:
        writer.writerow(rows(record))
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
