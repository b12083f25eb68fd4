"""Which questions apply, given the answers so far, and how the clinic's settings ask them."""

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from intake.questionnaire.definition import (
    BY_ID,
    QUESTIONS,
    REQUIRED_BY_CLINIC,
    Kind,
    Question,
    questions_in,
)


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


def hidden_questions(answers: Mapping[str, Any]) -> set[str]:
    """The ids of the answered questions that do not apply: `is_shown` for all at once (an
    answer of None or "" counts as none).

    One pass in questionnaire order, for reading many submissions (the EHR export). A
    condition always names an earlier question (definition._check_flags), so its answer's
    fate is known by the time it is needed.
    """
    hidden: set[str] = set()
    for question_id, parent, values, hidden_when in _CONDITIONS:
        if answers.get(question_id) in (None, ""):
            # Unanswered, it needs no hiding; nor can a condition naming it hold, hidden or not.
            continue
        if parent in hidden:
            holds = False
        else:
            answer = answers.get(parent)
            holds = not values.isdisjoint(answer) if isinstance(answer, list) else answer in values
        if holds is hidden_when:
            hidden.add(question_id)
    return hidden


# Every condition as (question id, the question it names, its values, whether holding hides
# the question): hide_if (hidden when it holds), then show_if (hidden when it does not).
_CONDITIONS = tuple(
    (question.id, condition[0], frozenset(condition[1]), hidden_when)
    for question in QUESTIONS
    for condition, hidden_when in ((question.hide_if, True), (question.show_if, False))
    if condition is not None
)


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


def as_asked(question: Question, required: Collection[str] = ()) -> Question:
    """The question as this clinic asks it: one of REQUIRED_BY_CLINIC whose id is in
    `required` (the clinic's setting) is required, with its own label and help."""
    if question.id not in required or question.id not in REQUIRED_BY_CLINIC:
        return question
    label, help_text = REQUIRED_BY_CLINIC[question.id]
    return dataclasses.replace(question, required=True, label=label, help=help_text)


def no_to_the_rest(section_id: str, answers: Mapping[str, Any]) -> dict[str, str]:
    """The answers "Answer No to the rest" gives on one page: No to each yes/no question of
    its list not answered yet. A Yes stays, and a follow-up question is never answered for the
    patient: one about a Yes may raise a flag on No ("Is your diabetes well controlled?"),
    and one that a No reveals ("Have you had cancer in the past?") was never read."""
    return {
        question.id: "no"
        for question in questions_in(section_id)
        if question.kind == Kind.YES_NO
        and question.show_if is None
        and not answers.get(question.id)
    }
