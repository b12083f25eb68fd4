"""The clinic's clock: "today" is the date on the clinic's wall, not the server's.

Times are stored in UTC; people see them in the clinic's zone (INTAKE_TIMEZONE). A caller
that must keep the zone it used (an export batch, a chart document) passes it explicitly.
"""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app


def clinic_zone() -> ZoneInfo:
    """The clinic's time zone (INTAKE_TIMEZONE)."""
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def clinic_today(now: datetime | None = None) -> date:
    """The current date in the clinic's time zone."""
    return (now or datetime.now(UTC)).astimezone(clinic_zone()).date()


def local(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """An aware time in the clinic's zone (or the zone given)."""
    return moment.astimezone(zone or clinic_zone())


def from_local(wall_clock: datetime) -> datetime:
    """The UTC instant a naive time on the clinic's wall names (the earlier one in a repeated
    hour)."""
    return wall_clock.replace(tzinfo=clinic_zone(), fold=0).astimezone(UTC)


def start_of_day(day: date, zone: tzinfo | None = None) -> datetime:
    """The UTC instant at which `day` begins at the clinic (or in the zone given)."""
    return datetime.combine(day, time.min, tzinfo=zone or clinic_zone()).astimezone(UTC)


def day_range(
    first: date | None, last: date | None, zone: tzinfo | None = None
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds [start, end) covering the clinic days `first` through `last` (open if None).

    A bound at the edge of the calendar (year 1 or 9999, where the next day or the UTC
    instant does not exist) is left open: nothing is stored before or after it anyway.
    """
    start = _bound(first, zone) if first else None
    end = _bound(last, zone, next_day=True) if last else None
    return start, end


def _bound(day: date, zone: tzinfo | None, next_day: bool = False) -> datetime | None:
    """The UTC start of `day` (or of the day after it), None where the calendar ends."""
    try:
        return start_of_day(day + timedelta(days=1) if next_day else day, zone)
    except OverflowError:
        return None


# Month names in English, whatever the server's locale (strftime's %b and %B follow it).
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(day: date) -> str:
    """A date as the clinic's staff read it: "Nov 5, 2026"."""
    return f"{MONTHS[day.month - 1][:3]} {day.day}, {day.year}"


def format_time(moment: datetime) -> str:
    """A time of day at the clinic: "2:05 PM"."""
    moment = local(moment)
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def format_datetime(moment: datetime) -> str:
    """A moment at the clinic: "Nov 5, 2026, 2:05 PM"."""
    return f"{format_date(local(moment).date())}, {format_time(moment)}"
