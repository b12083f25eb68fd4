"""Marking and translating the words a patient reads (docs/translating.md).

Services write their messages in English and translate them as they hand them out, with
`gettext` in the request's language (English outside a request, so logs, tests and the CLI
read English). A module constant is marked with `N_` for the catalogue and translated where
it is used. The questionnaire's words need no mark: `intake.questionnaire.catalogue` gives
them to the catalogue, and the patient pages translate them as they draw them.
"""

from flask_babel import gettext, lazy_gettext, ngettext

__all__ = ["N_", "gettext", "lazy_gettext", "ngettext"]


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name for a marker)
    """Mark `message` for the catalogue without translating it here."""
    return message
