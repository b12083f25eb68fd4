"""The patient flow's steps, and what every patient page reads: the progress bar's steps and
the tablet's timings (error pages included, so a tablet showing one still forgets)."""

from flask import current_app

from intake import drafts, questionnaire

SECTION_IDS = tuple(section.id for section in questionnaire.SECTIONS)
STEPS = (*SECTION_IDS, "review", "consent")


def kiosk_settings() -> dict:
    """The steps for the progress bar, and timings the scripts read from data- attributes."""
    config = current_app.config
    return {
        "idle_warning_seconds": config["KIOSK_IDLE_WARNING_SECONDS"],
        "idle_reset_seconds": config["KIOSK_IDLE_RESET_SECONDS"],
        "keep_alive_seconds": drafts.keep_alive_seconds(),
        "steps": STEPS,
    }
