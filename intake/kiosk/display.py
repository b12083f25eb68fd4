"""How the patient pages are shown to this patient: their language and their text size.

Both are chosen with buttons on every patient page. Where the page has a form of answers, the
buttons post that form (so what was typed is saved first, as "Back" would save it); elsewhere
they post to `kiosk.display`. Both are kept in the session (a code and a number, no patient
data) and end with the draft, so the next patient starts with English at the usual size.
"""

from collections.abc import Mapping

from flask import current_app, session

from intake import languages
from intake.models import Language

# The text size steps, in percent of the usual size: 200 % is what WCAG 1.4.4 asks a page to
# survive; the tablet's 810 px wide screen then lays out as a 405 px one.
TEXT_SIZES = (100, 150, 200)
_SIZE_KEY = "text_size"


def text_size() -> int:
    """The chosen step, 1 (the usual size) to len(TEXT_SIZES)."""
    step = session.get(_SIZE_KEY, 1)
    return step if isinstance(step, int) and 1 <= step <= len(TEXT_SIZES) else 1


def apply_choice(posted: Mapping[str, str]) -> bool:
    """Apply a language or text size button's choice, if the post holds one; whether it did."""
    if "language" in posted:
        languages.choose(posted["language"])
        return True
    if "text_size" in posted:
        step = posted["text_size"]
        if step.isdecimal() and 1 <= int(step) <= len(TEXT_SIZES):
            if int(step) == 1:
                session.pop(_SIZE_KEY, None)
            else:
                session[_SIZE_KEY] = int(step)
        return True
    return False


def forget() -> None:
    """The form ended: the next patient starts in English, at the usual size."""
    languages.forget()
    session.pop(_SIZE_KEY, None)


def settings() -> dict:
    """What every patient page reads to draw its language and text size buttons."""
    size = text_size()
    return {
        "page_language": languages.current(),
        "patient_languages": [
            (code, Language(code).own_name) for code in current_app.config["PATIENT_LANGUAGES"]
        ],
        "text_size": size,
        "max_text_size": len(TEXT_SIZES),
        "text_percent": TEXT_SIZES[size - 1],
    }
