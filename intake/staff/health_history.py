"""A submission's answers laid out for staff, straight from the questionnaire definition.

Every shown question appears in order, section by section, with "Not answered" where the
patient left it empty; answers to questions this version does not know (from an older or
newer questionnaire) are listed at the end, so nothing the patient submitted is hidden.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake import questionnaire
from intake.clock import format_date
from intake.questionnaire import FLAGS, Flag, Kind, Question

SEVERITY_ORDER = {questionnaire.SEVERITY_CONTRAINDICATION: 0, questionnaire.SEVERITY_PRECAUTION: 1}


@dataclass(frozen=True)
class AnswerLine:
    """One question and its answer, as text."""

    question_id: str
    label: str
    text: str
    answered: bool
    flags: tuple[Flag, ...] = ()
    multiline: bool = False


@dataclass(frozen=True)
class SectionAnswers:
    """The answers of one section of the questionnaire."""

    title: str
    lines: tuple[AnswerLine, ...]


def flag_list(codes: Iterable[str]) -> list[Flag]:
    """Flags for badges: contraindications first; a code this version does not know still shows."""
    flags = [
        FLAGS.get(code) or Flag(code, code.replace("_", " ").capitalize(), "") for code in codes
    ]
    return sorted(flags, key=lambda flag: SEVERITY_ORDER.get(flag.severity, 2))


def health_history(answers: Mapping[str, Any]) -> list[SectionAnswers]:
    """Every shown question with its answer, section by section."""
    sections = []
    for section in questionnaire.SECTIONS:
        lines = tuple(
            _line(question, answers)
            for question in questionnaire.questions_in(section.id)
            if questionnaire.is_shown(question, answers)
        )
        if lines:
            sections.append(SectionAnswers(section.title, lines))
    unknown = [key for key in answers if key not in questionnaire.BY_ID]
    if unknown:
        lines = tuple(
            AnswerLine(key, key, _plain(answers[key]), _answered(answers[key])) for key in unknown
        )
        sections.append(SectionAnswers("Other answers", lines))
    return sections


def _line(question: Question, answers: Mapping[str, Any]) -> AnswerLine:
    value = answers.get(question.id)
    answered = _answered(value)
    return AnswerLine(
        question_id=question.id,
        label=question.label,
        text=_text(question, value) if answered else "Not answered",
        answered=answered,
        flags=tuple(flag_list(_flags_raised_by(question, answers))),
        multiline=question.kind == Kind.LONG_TEXT,
    )


def _answered(value: Any) -> bool:
    return value not in (None, "", [])


def _text(question: Question, value: Any) -> str:
    """An answer in words: choice labels rather than stored values."""
    labels = dict(question.choices)
    if question.kind == Kind.YES_NO:
        return {"yes": "Yes", "no": "No"}.get(value, str(value))
    if question.kind == Kind.CHOICE:
        return labels.get(value, str(value))
    if question.kind == Kind.MULTI and isinstance(value, list):
        return ", ".join(labels.get(item, str(item)) for item in value)
    if question.kind == Kind.SCALE:
        return f"{value} out of 10"
    if question.kind == Kind.DATE:
        try:
            return format_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _flags_raised_by(question: Question, answers: Mapping[str, Any]) -> list[str]:
    """The flag codes this answer raises (beyond what the questions it depends on raise)."""
    chain = []
    parent = question.show_if
    while parent is not None:
        chain.append(parent[0])
        parent = questionnaire.BY_ID[parent[0]].show_if
    before = {qid: answers[qid] for qid in chain if qid in answers}
    with_answer = {**before, question.id: answers.get(question.id)}
    raised = set(questionnaire.flags_for(with_answer)) - set(questionnaire.flags_for(before))
    return [code for code in FLAGS if code in raised]
