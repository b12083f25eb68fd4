"""The clinic's clock: what "today" means there, and how times read on staff pages.

Times are stored in UTC; staff see them in the clinic's zone (config CLINIC_TIMEZONE).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    """The clinic's time zone."""
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def today() -> date:
    """Today's date at the clinic."""
    return datetime.now(zone()).date()


def local(moment: datetime) -> datetime:
    """An aware time in the clinic's zone."""
    return moment.astimezone(zone())


def start_of_day(day: date) -> datetime:
    """The UTC instant at which `day` begins at the clinic."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [start, end) covering the clinic days `first` through `last` (open if None)."""
    start = start_of_day(first) if first else None
    end = start_of_day(last + timedelta(days=1)) if last else None
    return start, end


def format_date(day: date) -> str:
    """A date as the clinic reads it: "Nov 5, 2026"."""
    return f"{day:%b} {day.day}, {day.year}"


def format_time(moment: datetime) -> str:
    """A time of day at the clinic: "2:05 PM"."""
    moment = local(moment)
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {moment:%p}"


def format_datetime(moment: datetime) -> str:
    """A moment at the clinic: "Nov 5, 2026, 2:05 PM"."""
    return f"{format_date(local(moment).date())}, {format_time(moment)}"
