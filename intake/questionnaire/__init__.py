"""The health-history questionnaire: its definition, which questions apply, the flags answers
raise, the outcome instruments and their scores, and how answers read. See each module; the
names most callers need are here."""

from intake.questionnaire.definition import (
    BY_ID,
    FLAGS,
    QUESTIONS,
    RETIRED_FLAGS,
    SECTIONS,
    VERSION,
    Flag,
    Kind,
    Question,
    Section,
    Severity,
    questions_in,
)
from intake.questionnaire.flags import (
    RED_FLAG_CODES,
    flag_details,
    flag_notes_for,
    flags_for,
    needling_flag_codes,
    red_flag_codes,
)
from intake.questionnaire.instruments import INSTRUMENTS, Instrument, Score, scores
from intake.questionnaire.presentation import (
    AnswerView,
    Audience,
    SectionView,
    answer_text,
    history,
)
from intake.questionnaire.rules import (
    as_asked,
    asked_on_page,
    hidden_questions,
    is_shown,
    no_to_the_rest,
    section_is_shown,
    shown_answers,
)

__all__ = [
    "BY_ID",
    "FLAGS",
    "INSTRUMENTS",
    "QUESTIONS",
    "RED_FLAG_CODES",
    "RETIRED_FLAGS",
    "SECTIONS",
    "VERSION",
    "AnswerView",
    "Audience",
    "Flag",
    "Instrument",
    "Kind",
    "Question",
    "Score",
    "Section",
    "SectionView",
    "Severity",
    "answer_text",
    "as_asked",
    "asked_on_page",
    "flag_details",
    "flag_notes_for",
    "flags_for",
    "history",
    "needling_flag_codes",
    "no_to_the_rest",
    "red_flag_codes",
    "hidden_questions",
    "is_shown",
    "questions_in",
    "scores",
    "section_is_shown",
    "shown_answers",
]
