"""The patient flow's steps, and what every patient page reads: the progress bar's steps and
the tablet's timings (error pages included, so a tablet showing one still forgets)."""

from collections.abc import Mapping
from typing import Any

from flask import current_app

from intake import drafts, questionnaire
from intake.kiosk import display

SECTION_IDS = tuple(section.id for section in questionnaire.SECTIONS)
STEPS = (*SECTION_IDS, "review", "consent")


def steps_for(typed: Mapping[str, Any]) -> tuple[str, ...]:
    """The steps this patient goes through, given what they typed so far: a page with no
    question that applies to them (the LEFS without a painful leg) is no step of theirs."""
    return tuple(
        step
        for step in STEPS
        if step not in SECTION_IDS or questionnaire.section_is_shown(step, typed)
    )


def neighbour(step: str, offset: int, typed: Mapping[str, Any]) -> str:
    """The step before (-1) or after (+1) this one for this patient, skipping the pages that
    do not apply to them; the first or last step at either end."""
    index = STEPS.index(step) + offset
    while 0 <= index < len(STEPS):
        candidate = STEPS[index]
        if candidate not in SECTION_IDS or questionnaire.section_is_shown(candidate, typed):
            return candidate
        index += 1 if offset > 0 else -1
    return STEPS[0] if offset < 0 else STEPS[-1]


def kiosk_settings() -> dict:
    """The steps for the progress bar, timings the scripts read from data- attributes, and the
    patient's language and text size.
    A page of the flow passes its patient's own `steps` (see steps_for)."""
    config = current_app.config
    return {
        **display.settings(),
        "page_form": None,  # the id of the page's form of answers, where it has one
        "idle_warning_seconds": config["KIOSK_IDLE_WARNING_SECONDS"],
        "idle_reset_seconds": config["KIOSK_IDLE_RESET_SECONDS"],
        "keep_alive_seconds": drafts.keep_alive_seconds(),
        "steps": STEPS,
    }
