"""Which flags answers raise: decided here and nowhere else.

A flag hangs on the answer that raises it (`Question.flags`). At signing, `flags_for` is
stored on the submission and never computed again: every page and the chart PDF show the
stored codes (`flag_details`), and mark beside each answer only the stored flags it raised.
"""

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from intake.questionnaire.definition import FLAGS, QUESTIONS, Flag, Question, Severity
from intake.questionnaire.rules import is_shown, matches

_SEVERITY_ORDER = {Severity.RED_FLAG: 0, Severity.CONTRAINDICATION: 1, Severity.PRECAUTION: 2}
# The codes of the red-flag family, which the CSV and the dashboard keep apart from dry needling's.
RED_FLAG_CODES = tuple(code for code, flag in FLAGS.items() if flag.severity == Severity.RED_FLAG)


def raised_by(question: Question, answers: Mapping[str, Any]) -> list[str]:
    """The flag codes this question's answer raises (none when the question is not shown)."""
    if not question.flags or not is_shown(question, answers):
        return []
    answer = answers.get(question.id)
    raised = {code for value, code in question.flags if matches(answer, (value,))}
    return [code for code in FLAGS if code in raised]


def flags_for(answers: Mapping[str, Any]) -> list[str]:
    """The flag codes a set of answers raises, in FLAGS order, without duplicates: what a
    submission stores at signing."""
    raised = {code for question in QUESTIONS for code in raised_by(question, answers)}
    return [code for code in FLAGS if code in raised]


def flag_details(codes: Iterable[str]) -> list[Flag]:
    """Stored flag codes as flags to show: red flags, then contraindications, then precautions.
    A code this version no longer declares is still shown, under its code, rather than dropped."""
    flags = [
        FLAGS.get(code) or Flag(code, code.replace("_", " ").capitalize(), "") for code in codes
    ]
    return sorted(flags, key=lambda flag: _SEVERITY_ORDER.get(flag.severity, 3))


def red_flag_codes(codes: Iterable[str]) -> list[str]:
    """Of stored flag codes, the red flags, in stored order."""
    return [code for code in codes if code in RED_FLAG_CODES]


def needling_flag_codes(codes: Iterable[str]) -> list[str]:
    """Of stored flag codes, all but the red flags: dry needling's, and any no longer declared."""
    return [code for code in codes if code not in RED_FLAG_CODES]


def stored_flags_raised_by(
    question: Question, answers: Mapping[str, Any], stored: Collection[str]
) -> tuple[Flag, ...]:
    """Of the flags stored on a submission, those this answer raised: the mark beside it."""
    return tuple(flag_details(code for code in raised_by(question, answers) if code in stored))
