"""The patient flow on the tablet."""

from intake.kiosk.views import bp

__all__ = ["bp"]
