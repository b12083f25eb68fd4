"""Finding submissions for the dashboard: by clinic day, status, name or date of birth.

Each condition is one an index serves (submitted_at, (status, submitted_at), exported rows'
submitted_at, the folded-name indexes, date_of_birth) and pages are keyset-paginated, newest
first: a page costs the same whether the table holds a hundred rows or a hundred thousand.
Only the columns a list shows are read, never answers, consent text, signatures or PDF bytes.
"""

import re
import sys
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, Text, and_, cast, func, or_, select, tuple_

from intake.dates import DateError, read_date
from intake.extensions import db
from intake.models import ExportBatch, Submission, SubmissionStatus
from intake.patients import fold_name
from intake.questionnaire import RED_FLAG_CODES

PAGE_SIZE = 50
COUNT_CAP = 1000  # "1,000+": an exact count past this would cost a scan
# The dashboard's status filter. New and Reviewed are the review workflow (`status`);
# Exported means in an export batch, whether reviewed or not: two independent facts.
STATUS_FILTERS = {
    "new": {"status": SubmissionStatus.SUBMITTED},
    "reviewed": {"status": SubmissionStatus.REVIEWED},
    "exported": {"exported": True},
}
MAX_NAME_WORDS = 4

_WORD_SEPARATORS = re.compile(r"[\s,;]+")


class SearchError(ValueError):
    """The search text cannot be understood; the message says how to type it."""


@dataclass(frozen=True)
class Criteria:
    """What the dashboard asks for. Times are UTC bounds [start, end)."""

    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None
    exported: bool = False
    name_words: tuple[str, ...] = ()
    birth_date: date | None = None
    red_flags: bool = False

    def conditions(self) -> list:
        """The WHERE clause, one condition per criterion given."""
        where = []
        if self.start is not None:
            where.append(Submission.submitted_at >= self.start)
        if self.end is not None:
            where.append(Submission.submitted_at < self.end)
        if self.status is not None:
            where.append(Submission.status == self.status)
        if self.exported:
            # Word for word the partial index's WHERE, so both databases can use it.
            where.append(Submission.export_batch_id.is_not(None))
        if self.birth_date is not None:
            where.append(Submission.date_of_birth == self.birth_date)
        if self.name_words:
            where.append(_name_matches(self.name_words))
        if self.red_flags:
            where.append(_raised_any(RED_FLAG_CODES))
        return where


@dataclass(frozen=True)
class SubmissionRow:
    """One line of the dashboard."""

    public_id: uuid.UUID
    submitted_at: datetime
    first_name: str
    last_name: str
    date_of_birth: date
    flags: list[str]
    status: str
    export_batch_id: int | None
    pdf_status: str
    device_label: str | None
    # What tells whether the consent is in force (intake.consent_status.lapse_reason).
    consent_state: str
    consent_document: str
    consent_version: str
    consent_ends_on: date | None
    signed_at: datetime


@dataclass(frozen=True)
class Page:
    """One page of results and the cursors of the pages either side (None at the ends)."""

    rows: list[SubmissionRow]
    newer_cursor: uuid.UUID | None
    older_cursor: uuid.UUID | None


_LIST_COLUMNS = (
    Submission.public_id,
    Submission.submitted_at,
    Submission.first_name,
    Submission.last_name,
    Submission.date_of_birth,
    Submission.flags,
    Submission.status,
    Submission.export_batch_id,
    Submission.pdf_status,
    Submission.device_label,
    Submission.consent_state,
    Submission.consent_document,
    Submission.consent_version,
    Submission.consent_ends_on,
    Submission.signed_at,
)


def parse_search(text: str) -> tuple[tuple[str, ...], date | None]:
    """Split search text into folded name words and a date of birth.

    "Núñez", "jane doe", "Doe, Jane", "04/12/1970", "1970-04-12" and "Doe 4/12/1970" all work.
    """
    words: list[str] = []
    birth_date = None
    # Control characters (a NUL, which PostgreSQL refuses in text) are in no stored name.
    text = "".join(c for c in text if unicodedata.category(c) != "Cc")
    for word in _WORD_SEPARATORS.split(text.strip()):
        if not word:
            continue
        if any(c.isdigit() for c in word):
            if birth_date is not None:
                raise SearchError("Search for one date of birth at a time.")
            birth_date = _parse_date(word)
        else:
            words.append(fold_name(word))
    return tuple(w for w in words if w), birth_date


def _parse_date(word: str) -> date:
    """A date of birth typed as patients type it (intake.dates): MM/DD/YYYY or YYYY-MM-DD."""
    try:
        day = read_date(word)
    except DateError as error:
        raise SearchError(str(error)) from None
    if day is None:
        raise SearchError(
            f"\u201c{word}\u201d is not a date. Type a date of birth as MM/DD/YYYY or YYYY-MM-DD."
        )
    return day


def _starts_with(column, prefix: str):
    """`column` begins with `prefix`, as a range an ordinary B-tree index serves.

    (LIKE 'x%' cannot use the index on SQLite, whose LIKE ignores case, nor on PostgreSQL
    outside the C collation.) Under a linguistic collation the range also admits names that
    differ only in punctuation, so "obrien" finds "O'Brien": welcome in a search box.
    """
    upper = _next_prefix(prefix)
    if upper is None:
        return column >= prefix
    return and_(column >= prefix, column < upper)


def _next_prefix(prefix: str) -> str | None:
    """The smallest string after every string that begins with `prefix`; None if there is none.

    The last character is moved one code point on, skipping the surrogates (which no text
    holds); a prefix that ends in U+10FFFF, the last code point, moves the one before it.
    """
    stripped = prefix.rstrip(chr(sys.maxunicode))
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:
        following = 0xE000
    return stripped[:-1] + chr(following)


def _name_matches(words: tuple[str, ...]):
    """Any way of reading the words as first and last name (either order), or as one name."""
    first, last = Submission.first_name_folded, Submission.last_name_folded
    whole = " ".join(words)
    options = [_starts_with(last, whole), _starts_with(first, whole)]
    if len(words) <= MAX_NAME_WORDS:
        for split in range(1, len(words)):
            head, tail = " ".join(words[:split]), " ".join(words[split:])
            options.append(and_(_starts_with(first, head), _starts_with(last, tail)))
            options.append(and_(_starts_with(last, head), _starts_with(first, tail)))
    return or_(*options)


def _raised_any(codes: Iterable[str]):
    """The stored flags include any of these codes.

    The JSON list reads as text the same way on both databases (`["a", "b"]`, each code in
    double quotes), so a quoted code is found as a substring; no index serves it, and the
    clinic-day bound beside it keeps the rows read to those days.
    """
    as_text = cast(Submission.flags, Text)
    return or_(*(as_text.contains(f'"{code}"', autoescape=True) for code in codes))


def find_submissions(
    criteria: Criteria,
    *,
    older_than: uuid.UUID | None = None,
    newer_than: uuid.UUID | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """One page of matching submissions, newest first, after or before a cursor row."""
    older = _anchor(older_than)
    newer = _anchor(newer_than) if older is None else None
    stmt = submissions_query(criteria, older_than=older, newer_than=newer, limit=limit + 1)
    rows = [SubmissionRow(*row) for row in db.session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    if newer is not None:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = older is not None, more
    return Page(
        rows=rows,
        newer_cursor=rows[0].public_id if rows and has_newer else None,
        older_cursor=rows[-1].public_id if rows and has_older else None,
    )


def submissions_query(
    criteria: Criteria,
    *,
    older_than: tuple[datetime, int] | None = None,
    newer_than: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> Select:
    """The list query: rows older (or newer) than a (submitted_at, id) position, newest first.

    Rows "newer than" come oldest first, the nearest ones; the caller reverses them.
    """
    stmt = select(*_LIST_COLUMNS).where(*criteria.conditions())
    position = tuple_(Submission.submitted_at, Submission.id)
    if older_than is not None:
        # The plain bound lets every planner use the submitted_at index for the row comparison.
        stmt = stmt.where(Submission.submitted_at <= older_than[0], position < older_than)
    if newer_than is not None:
        stmt = stmt.where(Submission.submitted_at >= newer_than[0], position > newer_than)
        return stmt.order_by(Submission.submitted_at.asc(), Submission.id.asc()).limit(limit)
    return stmt.order_by(Submission.submitted_at.desc(), Submission.id.desc()).limit(limit)


def _anchor(public_id: uuid.UUID | None) -> tuple[datetime, int] | None:
    """The sort position of the cursor row, if it exists."""
    if public_id is None:
        return None
    row = db.session.execute(
        select(Submission.submitted_at, Submission.id).where(Submission.public_id == public_id)
    ).first()
    return None if row is None else (row.submitted_at, row.id)


def batch_times(batch_ids: Iterable[int | None]) -> dict[int, datetime]:
    """When each of these export batches was made, by batch id: a page's few, by primary key."""
    wanted = {batch_id for batch_id in batch_ids if batch_id is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(ExportBatch.id, ExportBatch.created_at).where(ExportBatch.id.in_(wanted))
    )
    return {row.id: row.created_at for row in rows}


def count_submissions(criteria: Criteria, cap: int = COUNT_CAP) -> int:
    """How many submissions match, counting no further than `cap` + 1."""
    return db.session.scalar(count_query(criteria, cap))


def count_query(criteria: Criteria, cap: int = COUNT_CAP) -> Select:
    """Count matching rows, stopping after `cap` + 1 of them."""
    matching = select(Submission.id).where(*criteria.conditions()).limit(cap + 1).subquery()
    return select(func.count()).select_from(matching)
