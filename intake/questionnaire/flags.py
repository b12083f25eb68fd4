"""Which flags answers raise: decided here and nowhere else.

A flag hangs on the answer that raises it (`Question.flags`). At signing, `flags_for` is
stored on the submission and never computed again: every page and the chart PDF show the
stored codes (`flag_details`), and mark beside each answer only the stored flags it raised.

A flag raised by words of a free-text answer (`TEXT_SCREENS`) also stores a note, the words
that matched: the reason reads the same from the stored row whatever today's lists say.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

from intake.questionnaire import medicines
from intake.questionnaire.definition import (
    BY_ID,
    FLAGS,
    GRADED_BY_CLINIC,
    QUESTIONS,
    RETIRED_FLAGS,
    RETIRED_ON,
    TEXT_SCREENS,
    Flag,
    Question,
    Severity,
)
from intake.questionnaire.rules import holds, is_shown, matches

_SEVERITY_ORDER = {Severity.RED_FLAG: 0, Severity.CONTRAINDICATION: 1, Severity.PRECAUTION: 2}
# The codes of the red-flag family, which the CSV and the dashboard keep apart from dry needling's.
RED_FLAG_CODES = tuple(code for code, flag in FLAGS.items() if flag.severity == Severity.RED_FLAG)


def raised_by(question: Question, answers: Mapping[str, Any]) -> list[str]:
    """The flag codes this question's answer raises (none when the question is not shown)."""
    if not question.flags or not is_shown(question, answers):
        return []
    answer = answers.get(question.id)
    raised = {
        raises.flag
        for raises in question.flags
        if matches(answer, (raises.value,))
        and (raises.only_if is None or holds(raises.only_if, answers))
    }
    return [code for code in FLAGS if code in raised]


def flags_for(answers: Mapping[str, Any], *, contraindicated: Collection[str] = ()) -> list[str]:
    """The flag codes a set of answers raises, in FLAGS order, without duplicates: what a
    submission stores at signing. `contraindicated`: the precautions this clinic grades as
    contraindications (GRADED_BY_CLINIC), stored under their stricter code."""
    raised = {code for question in QUESTIONS for code in raised_by(question, answers)}
    raised.update(flag_notes_for(answers))
    graded = {
        GRADED_BY_CLINIC[code] if code in contraindicated and code in GRADED_BY_CLINIC else code
        for code in raised
    }
    return [code for code in FLAGS if code in graded]


def flag_notes_for(answers: Mapping[str, Any]) -> dict[str, str]:
    """What each flag raised by words of a free-text answer stores beside its code: the
    medicines named, each with the word that named it as the patient typed it."""
    notes = {}
    for screen in TEXT_SCREENS:
        question = BY_ID[screen.question]
        text = answers.get(question.id)
        if not isinstance(text, str) or not is_shown(question, answers):
            continue
        found = medicines.mentions(text, medicines.drug_list(screen.drug_list))
        if found:
            notes[screen.flag] = "; ".join(_named(mention) for mention in found)
    return notes


def _named(mention: medicines.Mention) -> str:
    if medicines.fold(mention.typed) == medicines.fold(mention.generic):
        return mention.generic
    return f'{mention.generic}: "{mention.typed}"'


def flag_details(codes: Iterable[str], notes: Mapping[str, str] | None = None) -> list[Flag]:
    """Stored flag codes as flags to show: red flags, then contraindications, then
    precautions, each label completed by the note stored with it (the words that matched). A
    code an earlier version raised keeps its label and severity; an unknown code is still
    shown, under its code, rather than dropped."""
    notes = notes or {}
    flags = [
        _with_note(
            FLAGS.get(code)
            or RETIRED_FLAGS.get(code)
            or Flag(code, code.replace("_", " ").capitalize(), ""),
            notes.get(code),
        )
        for code in codes
    ]
    return sorted(flags, key=lambda flag: _SEVERITY_ORDER.get(flag.severity, 3))


def red_flag_codes(codes: Iterable[str]) -> list[str]:
    """Of stored flag codes, the red flags, in stored order."""
    return [code for code in codes if code in RED_FLAG_CODES]


def needling_flag_codes(codes: Iterable[str]) -> list[str]:
    """Of stored flag codes, all but the red flags: dry needling's, and any no longer declared."""
    return [code for code in codes if code not in RED_FLAG_CODES]


def _with_note(flag: Flag, note: str | None) -> Flag:
    return replace(flag, label=f"{flag.label} ({note})") if note else flag


def stored_flags_raised_by(
    question: Question,
    answers: Mapping[str, Any],
    stored: Collection[str],
    notes: Mapping[str, str] | None = None,
) -> tuple[Flag, ...]:
    """Of the flags stored on a submission, those this answer raised: the mark beside it.
    A flag of a free-text answer is taken as stored, never matched again."""
    codes = set(raised_by(question, answers))
    codes.update(GRADED_BY_CLINIC[code] for code in codes & GRADED_BY_CLINIC.keys())
    codes.update(screen.flag for screen in TEXT_SCREENS if screen.question == question.id)
    codes.update(code for code, on in RETIRED_ON.items() if on == question.id)
    return tuple(flag_details((code for code in stored if code in codes), notes))
