"""Which questions apply, given the answers so far."""

from collections.abc import Iterable, Mapping
from typing import Any

from intake.questionnaire.definition import BY_ID, QUESTIONS, Question, questions_in


def matches(answer: Any, values: Iterable[str]) -> bool:
    """Whether a stored answer is, or (for a list) includes, one of `values`."""
    values = set(values)
    if isinstance(answer, list):
        return bool(values.intersection(answer))
    return answer in values


def is_shown(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether the question applies, given the answers so far (conditions may chain)."""
    if question.hide_if is not None and holds(question.hide_if, answers):
        return False
    return question.show_if is None or holds(question.show_if, answers)


def holds(condition: tuple[str, tuple[str, ...]], answers: Mapping[str, Any]) -> bool:
    """Whether a question (itself shown) was answered with, or with a list including, one of
    the condition's values."""
    question_id, values = condition
    return is_shown(BY_ID[question_id], answers) and matches(answers.get(question_id), values)


def asked_on_page(question: Question, earlier: Mapping[str, Any]) -> bool:
    """Whether a page shows the question at all, given earlier pages' answers: a question
    hidden by an earlier page's answer is left out, while a follow-up of the same page is
    drawn (hidden until its answer calls for it)."""
    return question.hide_if is None or not holds(question.hide_if, earlier)


def section_is_shown(section_id: str, answers: Mapping[str, Any]) -> bool:
    """Whether a page has any question that applies: a page with none is skipped."""
    return any(is_shown(question, answers) for question in questions_in(section_id))


def shown_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers to questions that apply; answers to hidden follow-ups are dropped."""
    return {
        question.id: answers[question.id]
        for question in QUESTIONS
        if question.id in answers and is_shown(question, answers)
    }
