"""How people here write a date: month/day/year, as in the US, or ISO year-month-day.

The one reader of typed dates: a patient's answers and the staff search both use it, so a
date that one accepts the other accepts too.
"""

import re
from datetime import date

from intake.translation import gettext

_DATE_PARTS = re.compile(r"^(\d{1,2})[/\-. ]+(\d{1,2})[/\-. ]+(\d{2,4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class DateError(ValueError):
    """Text that reads as a date written another way; the message says how to write it."""


def read_date(text: str) -> date | None:
    """Month/day/year as people write it (04/12/1970, 4-12-1970, 04121970) or ISO; None for
    what is not a date. A date that only makes sense day first (23/04/1981), or a two-digit
    year, raises DateError saying what to type."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DATE_PARTS.match(text):
        month, day, year = (int(part) for part in match.groups())
        if len(match.group(3)) != 4:
            raise DateError(gettext("Please write the year with 4 digits, for example 04/12/1970."))
    elif text.isdecimal() and len(text) == 8:  # what int() reads; isdigit() also passes "²"
        month, day, year = int(text[:2]), int(text[2:4]), int(text[4:])
    else:
        return None
    if _is_date(year, month, day):
        return date(year, month, day)
    if month > 12 and _is_date(year, day, month) and not _ISO_DATE.match(text):
        # 23/04/1981: written day first, as most of the world does.
        example = f"{day:02d}/{month:02d}/{year}"
        raise DateError(
            gettext(
                "%(typed)s looks like day/month/year. Please write month / day / year, "
                "for example %(example)s.",
                typed=text,
                example=example,
            )
        )
    return None


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
