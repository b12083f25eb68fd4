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
    if question.show_if is None:
        return True
    parent_id, values = question.show_if
    parent = BY_ID[parent_id]
    return is_shown(parent, answers) and matches(answers.get(parent_id), values)


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
