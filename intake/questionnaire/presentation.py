"""How an answer reads: one place turns stored answers into text, for every audience.

The review page (the patient), the staff pages and the chart PDF (the clinic) and the EHR
CSV (a machine) all read answers through `answer_text` and `history`; none formats an answer
of its own. One date format per audience, chosen here.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

from babel.dates import format_date as babel_format_date
from flask_babel import get_locale

from intake import clock
from intake.questionnaire import instruments
from intake.questionnaire.definition import BY_ID, SECTIONS, Flag, Kind, Question, questions_in
from intake.questionnaire.flags import stored_flags_raised_by
from intake.questionnaire.rules import is_shown
from intake.translation import gettext

OTHER_ANSWERS = "Other answers"


class Audience(StrEnum):
    """Who reads the answer, and so how it is written."""

    # the review page, in the patient's language: "April 12, 1970", "Yes", "7 out of 10"
    # ("12 de abril de 1970", "Sí", "7 de 10"); free text always as typed
    PATIENT = "patient"
    CLINIC = "clinic"  # staff pages and the chart PDF: "Apr 12, 1970", "Yes", "7 out of 10"
    # (and an instrument's item with its score: "3 – A little bit of difficulty")
    EHR = "ehr"  # the CSV: the stored codes, "1970-04-12", "yes", "7", "latex;nickel"


@dataclass(frozen=True)
class AnswerView:
    """One question and its answer as a reader sees it."""

    question_id: str
    label: str
    text: str | None  # None: the question was shown and left empty
    flags: tuple[Flag, ...] = ()  # the stored flags this answer raised
    multiline: bool = False

    @property
    def answered(self) -> bool:
        """Whether the patient gave an answer."""
        return self.text is not None


@dataclass(frozen=True)
class SectionView:
    """A titled group of answers; `section_id` is None for answers the questionnaire no
    longer defines."""

    section_id: str | None
    title: str
    answers: tuple[AnswerView, ...]


def format_date(day: date, audience: Audience) -> str:
    """A date as this audience reads it."""
    if audience == Audience.PATIENT:
        locale = get_locale()
        if locale is not None and locale.language != "en":
            return babel_format_date(day, format="long", locale=locale)
        return f"{clock.MONTHS[day.month - 1]} {day.day}, {day.year}"
    if audience == Audience.CLINIC:
        return clock.format_date(day)
    return day.isoformat()


def answer_text(question: Question, value: Any, audience: Audience) -> str | None:
    """A stored answer as this audience reads it; None when it was left empty."""
    if value is None or value == "" or value == []:
        return None
    if audience == Audience.EHR:
        return _coded(question, value)
    labels = dict(question.choices) if question.kind != Kind.YES_NO else {"yes": "Yes", "no": "No"}
    if audience == Audience.PATIENT:
        labels = {value: gettext(label) for value, label in labels.items()}
    if audience == Audience.CLINIC and question.id in instruments.BY_ITEM:
        return f"{value} – {labels.get(value, value)}"
    if question.kind in (Kind.YES_NO, Kind.CHOICE, Kind.MULTI):
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(item, str(item)) for item in values)
    if question.kind == Kind.SCALE:
        if audience == Audience.PATIENT:
            return gettext("%(value)s out of 10", value=value)
        return f"{value} out of 10"
    if question.kind == Kind.DATE:
        try:
            return format_date(date.fromisoformat(value), audience)
        except (TypeError, ValueError):
            return str(value)  # kept as stored rather than hidden
    return _plain(value)


def history(
    answers: Mapping[str, Any],
    audience: Audience,
    stored_flags: Collection[str] = (),
    flag_notes: Mapping[str, str] | None = None,
) -> list[SectionView]:
    """Every shown question with its answer, section by section (a section with none shown
    is left out), then any answer the questionnaire no longer defines: nothing a patient
    submitted is left out. Each answer carries the stored flags it raised, with the notes
    stored beside them."""
    sections = []
    for section in SECTIONS:
        views = tuple(
            _view(question, answers, audience, stored_flags, flag_notes)
            for question in questions_in(section.id)
            if is_shown(question, answers)
        )
        if views:
            title = gettext(section.title) if audience == Audience.PATIENT else section.title
            sections.append(SectionView(section.id, title, views))
    unknown = sorted(key for key in answers if key not in BY_ID)
    if unknown:
        views = tuple(AnswerView(key, key, _plain(answers[key])) for key in unknown)
        sections.append(SectionView(None, OTHER_ANSWERS, views))
    return sections


def _view(
    question: Question,
    answers: Mapping[str, Any],
    audience: Audience,
    stored: Collection[str],
    notes: Mapping[str, str] | None,
) -> AnswerView:
    return AnswerView(
        question_id=question.id,
        label=gettext(question.label) if audience == Audience.PATIENT else question.label,
        text=answer_text(question, answers.get(question.id), audience),
        flags=stored_flags_raised_by(question, answers, stored, notes),
        multiline=question.kind == Kind.LONG_TEXT,
    )


def _coded(question: Question, value: Any) -> str:
    """The stored code, as the EHR reads it: choices in the questionnaire's order."""
    return coder(question)(value)


@cache
def coder(question: Question) -> Callable[[Any], str]:
    """How the EHR reads a (non-empty) answer to this question, decided once per question:
    the stored code, several choices in the questionnaire's order."""
    if question.kind == Kind.MULTI:
        rank = {choice: index for index, choice in enumerate(question.choice_values)}
        last = len(rank)

        def choices(value: Any) -> str:
            if isinstance(value, list):
                return ";".join(sorted(value, key=lambda choice: rank.get(choice, last)))
            return str(value)

        return choices
    if question.kind == Kind.YES_NO:
        return lambda value: ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return str


def _plain(value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
