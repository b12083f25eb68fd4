"""Steps of the patient flow as a person does them on the tablet, driven by the questionnaire.

Each step reads the page as a patient does, by its words: in English by default, or in a
language of the catalogue when given its `translate` (`in_language("es")`).
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.support import Translations

from intake import questionnaire
from intake.questionnaire import Kind, Question
from testkit.factories import typed_input

SECTION_IDS = [section.id for section in questionnaire.SECTIONS]
_TYPED_KINDS = (Kind.TEXT, Kind.LONG_TEXT, Kind.EMAIL, Kind.PHONE, Kind.DATE)
TRANSLATIONS = Path(__file__).resolve().parent.parent / "intake" / "translations"
Translate = Callable[[str], str]


def in_language(language: str) -> Translate:
    """The page's words in `language`, read from the compiled catalogue as the app reads it."""
    catalogue = Translations.load(str(TRANSLATIONS), [language])
    return catalogue.gettext


def english(text: str) -> str:
    return text


def accessible_name(question: Question, translate: Translate = english) -> str:
    """The name a screen reader (and Playwright) gives the question's field or group."""
    label = translate(question.label)
    return label if question.required else f"{label} {translate('(optional)')}"


def answer_page(
    page, section_id: str, typed: dict[str, Any], translate: Translate = english
) -> None:
    """Answer the questions of one page that `typed` holds, by their labels."""
    for question in questionnaire.questions_in(section_id):
        if question.id not in typed or not page.locator(f"#q-{question.id}").is_visible():
            continue
        value = typed[question.id]
        name = accessible_name(question, translate)
        if question.kind in _TYPED_KINDS:
            page.get_by_label(name, exact=True).fill(value)
            continue
        group = page.get_by_role("group", name=name, exact=True)
        labels = dict(question.choices) if question.choices else {"yes": "Yes", "no": "No"}
        labels = {value: translate(label) for value, label in labels.items()}
        # By role and accessible name, as a screen reader finds it (an instrument's score,
        # shown small beside the words, is hidden from it).
        role = "checkbox" if question.kind == Kind.MULTI else "radio"
        for choice in value if isinstance(value, list) else [value]:
            group.get_by_role(role, name=labels.get(choice, choice), exact=True).check()


def start(page, base_url: str) -> None:
    """From the welcome screen, tap Start."""
    page.goto(base_url + "/")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/intake/about")


def next_page(page, translate: Translate = english) -> None:
    """Tap Next and wait for the page to change."""
    with page.expect_navigation():
        page.get_by_role("button", name=translate("Next"), exact=True).click()


def fill_history(
    page,
    answers: dict[str, Any] | None = None,
    on_each_page=None,
    translate: Translate = english,
) -> None:
    """Answer every page of the health history and arrive at the review page."""
    typed = typed_input(answers)
    for section_id in SECTION_IDS:
        if not questionnaire.section_is_shown(section_id, typed):
            continue  # no question of the page applies: Next skips it
        # A page refused once is shown again at its address with ?check=1.
        page.wait_for_url(re.compile(rf"/intake/{section_id}(\?.*)?$"))
        answer_page(page, section_id, typed, translate)
        if on_each_page:
            on_each_page(section_id)
        next_page(page, translate)
    page.wait_for_url("**/intake/review")


def initial_every_clause(page, initials: str) -> None:
    """Write the initials under each part of the consent."""
    boxes = page.locator("input[name^=initials_]")
    for index in range(boxes.count()):
        boxes.nth(index).fill(initials)
