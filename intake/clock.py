"""The clinic's calendar: "today" is the date on the clinic's wall, not the server's."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def clinic_zone() -> ZoneInfo:
    """The clinic's time zone (INTAKE_TIMEZONE)."""
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def clinic_today(now: datetime | None = None) -> date:
    """The current date in the clinic's time zone."""
    return (now or datetime.now(UTC)).astimezone(clinic_zone()).date()
