"""The patient's language: which languages the tablet offers, the one chosen, and when it ends.

The patient picks a language on the welcome screen or on any page of the flow; the choice is
kept in the session (a language code, no patient data) and ends with the draft: a discarded,
closed or submitted form sends the next patient to an English welcome screen. Staff pages are
always English.
"""

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session

from intake import consents
from intake.models import Language

ENGLISH = Language.ENGLISH.value
_SESSION_KEY = "language"


def offered_languages(app: Flask) -> tuple[str, ...]:
    """The languages the tablet offers: English, and each language whose consent translations
    all record a reviewer. Development and tests offer an unreviewed translation; production
    does not, and says so in one log line at start-up."""
    offered = [ENGLISH]
    for language in Language:
        code = language.value
        if code == ENGLISH:
            continue
        if not _compiled(app, code):
            # Pages in English with a consent in another language would be worse than either.
            app.logger.warning(
                "%s (%s) is not offered: its catalogue is not compiled (run `make translations`)",
                language.label,
                code,
            )
            continue
        unreviewed = consents.unreviewed_translations(code)
        if unreviewed and app.config["INTAKE_ENV"] == "production":
            names = ", ".join(f"v{doc.version}" for doc in unreviewed)
            app.logger.warning(
                "%s (%s) is not offered: consent translation %s has no reviewer recorded",
                language.label,
                code,
                names,
            )
            continue
        offered.append(code)
    return tuple(offered)


def _compiled(app: Flask, code: str) -> bool:
    """Whether the language's compiled catalogue (the .mo file) is where Flask-Babel reads it."""
    return (Path(app.root_path) / "translations" / code / "LC_MESSAGES" / "messages.mo").exists()


def register(app: Flask) -> None:
    """Decide once, at start-up, which languages the patient pages offer."""
    app.config["PATIENT_LANGUAGES"] = offered_languages(app)


def select_locale() -> str:
    """Flask-Babel's locale: the patient's choice on the patient pages, English elsewhere."""
    if not has_request_context() or request.path.startswith("/staff"):
        return ENGLISH
    return current()


def current() -> str:
    """The language this tablet's patient chose; English when none (or one no longer offered)."""
    chosen = session.get(_SESSION_KEY, ENGLISH)
    return chosen if chosen in current_app.config["PATIENT_LANGUAGES"] else ENGLISH


def choose(code: str) -> bool:
    """Switch the patient pages to `code`; False (nothing changed) for a language not offered."""
    if code not in current_app.config["PATIENT_LANGUAGES"]:
        return False
    if code == ENGLISH:
        session.pop(_SESSION_KEY, None)
    else:
        session[_SESSION_KEY] = code
    return True


def forget() -> None:
    """The form ended (sent, stopped or closed): the next patient starts in English."""
    session.pop(_SESSION_KEY, None)
