"""What a patient typed, turned into checked questionnaire answers.

The tablet keeps each page's input as typed (strings, and lists of strings for multi-choice
questions) in the draft. This module is the one place that decides whether that input is a
valid answer to a question of `intake.questionnaire`, and what is stored: the kiosk's forms
use it to put messages next to fields, and the submission service runs it again over the
whole draft, so nothing that breaks the questionnaire can ever reach a Submission.
"""

import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from intake import questionnaire
from intake.dates import DateError, read_date
from intake.questionnaire import Kind, Question
from intake.translation import N_, gettext

# Longest input of one field a page checks, whatever the question allows, so that a pasted
# essay is refused with its length; a draft keeps no more than the question allows.
MAX_RAW_LENGTH = 10_000
MAX_AGE_YEARS = 120
DEFAULT_PHONE_REGION = "US"
# A multi-choice value that cannot be combined with the others ("No allergies").
EXCLUSIVE_CHOICE = "none"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# Invisible characters that change how the text around them reads without being any part of
# it: bidirectional embeddings, overrides and isolates (which can make a stored name display
# as another), zero-width space, word joiner and byte-order mark. The joiners that some
# scripts spell with (ZWJ, ZWNJ) and the plain direction marks (LRM, RLM) stay.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
# The shape of a phone number as typed (which phonenumbers then checks): it starts with a
# digit, "+" or "(" and holds only digits and punctuation, never a letter but an extension's
# "x" or "ext". The CSV export trusts exactly this shape, so a cell that starts like a
# formula ("-312…", "=…") can never pass as a phone number.
PHONE_SHAPE = re.compile(r"[0-9+(][0-9+()\-. /]*(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?", re.IGNORECASE)
_SCALE_VALUES = tuple(str(n) for n in range(11))
# Kinds answered by tapping one of the page's values: nothing else is worth keeping.
_CHOSEN = (Kind.YES_NO, Kind.CHOICE, Kind.SCALE)

Raw = str | list[str]


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message tells the patient what to do."""


class IncompleteAnswers(ValueError):
    """Some answers of a section are missing or invalid."""

    def __init__(self, section_id: str, errors: dict[str, str]):
        super().__init__(f"section {section_id!r} has {len(errors)} problem(s)")
        self.section_id = section_id
        self.errors = errors


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Normalise typed text: NFC, no control or invisible formatting characters, trimmed,
    single spaces on one line."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _INVISIBLE.sub("", value.replace("\t", " "))
    if multiline:
        value = _CONTROL.sub("", value)
        lines = [line.rstrip() for line in value.split("\n")]
        return "\n".join(lines).strip()
    value = _CONTROL.sub(" ", value.replace("\n", " "))
    return " ".join(value.split())


def keep_text(value: str, limit: int = MAX_RAW_LENGTH) -> str:
    """Typed text as a draft keeps it: as typed, without NUL characters (PostgreSQL cannot
    store them in JSON), and no longer than `limit`."""
    return value.replace("\x00", "")[:limit]


def keep_raw(question: Question, value: Any, limit: int | None = None) -> Raw:
    """What a draft keeps of a posted value: the text as the answer will read, no longer than
    the question allows (or than `limit`, to keep a refused answer whole); of a choice, only
    one of its values."""
    if question.kind == Kind.MULTI:
        items = value if isinstance(value, list) else [value]
        allowed = set(question.choice_values)
        return [item for item in dict.fromkeys(items) if isinstance(item, str) and item in allowed]
    if isinstance(value, list):
        value = value[0] if value else ""
    if not isinstance(value, str):
        return ""
    if question.kind in _CHOSEN:
        return value if value in _chosen_values(question) else ""
    # Cleaned as the answer will be, so that cutting at the question's limit never shortens
    # an answer that fits it (a textarea posts each line break as two characters).
    text = clean_text(value, multiline=question.kind == Kind.LONG_TEXT)
    return text[: limit or question.max_length]


def _chosen_values(question: Question) -> tuple[str, ...]:
    return _SCALE_VALUES if question.kind == Kind.SCALE else question.choice_values


def parse(question: Question, raw: Raw | None, *, today: date) -> Any:
    """The stored answer for one shown question, or AnswerError saying what to fix.

    Blank optional answers are stored as "" (or [] for multi-choice), so every shown
    question has a key in the answers.
    """
    if question.kind == Kind.MULTI:
        return _parse_multi(question, raw)
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    text = clean_text(raw or "", multiline=question.kind == Kind.LONG_TEXT)
    if not text:
        if question.required:
            raise AnswerError(_required_message(question))
        return ""
    parser = _PARSERS.get(question.kind, _parse_text)
    return parser(question, text, today)


def section_answers(
    section_id: str, raw_input: Mapping[str, Raw], *, today: date, required: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check every shown question of one section: (answers, {question id: message}).

    `required` names the optional questions the clinic requires (its REQUIRED_QUESTIONS).
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questionnaire.questions_in(section_id):
        if not questionnaire.is_shown(question, raw_input):
            continue
        question = questionnaire.as_asked(question, required)
        try:
            answers[question.id] = parse(question, raw_input.get(question.id), today=today)
        except AnswerError as error:
            errors[question.id] = str(error)
    return answers, errors


def all_answers(
    raw_input: Mapping[str, Raw], *, today: date, required: Collection[str] = ()
) -> dict[str, Any]:
    """Every shown answer of the whole questionnaire, or IncompleteAnswers for the first
    section (in page order) that still has a problem."""
    answers: dict[str, Any] = {}
    for section in questionnaire.SECTIONS:
        section_result, errors = section_answers(
            section.id, raw_input, today=today, required=required
        )
        if errors:
            raise IncompleteAnswers(section.id, errors)
        answers.update(section_result)
    return questionnaire.shown_answers(answers)


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years of age on `day`."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def _required_message(question: Question) -> str:
    if question.kind == Kind.YES_NO:
        return gettext("Please choose Yes or No.")
    if question.kind == Kind.CHOICE:
        return gettext("Please choose one of the answers.")
    if question.kind == Kind.MULTI:
        return gettext("Please choose at least one answer.")
    if question.kind == Kind.SCALE:
        return gettext("Please choose a number from 0 to 10.")
    if question.kind == Kind.DATE:
        return gettext("Please enter the date as month/day/year, for example 04/12/1970.")
    return gettext("Please fill this in.")


def _check_length(question: Question, text: str) -> str:
    if len(text) > question.max_length:
        raise AnswerError(
            gettext(
                "Please shorten this to %(limit)s characters or fewer (it has %(count)s).",
                limit=question.max_length,
                count=len(text),
            )
        )
    return text


def _parse_text(question: Question, text: str, today: date) -> str:
    return _check_length(question, text)


def _parse_choice(question: Question, text: str, today: date) -> str:
    if text not in question.choice_values:
        raise AnswerError(_required_message(question))
    return text


def _parse_multi(question: Question, raw: Raw | None) -> list[str]:
    values = raw if isinstance(raw, list) else ([raw] if raw else [])
    chosen = set(values)
    if not chosen.issubset(question.choice_values):
        raise AnswerError(gettext("Please choose from the answers shown."))
    if not chosen:
        if question.required:
            raise AnswerError(_required_message(question))
        return []
    if EXCLUSIVE_CHOICE in chosen and len(chosen) > 1:
        none_label = dict(question.choices)[EXCLUSIVE_CHOICE]
        raise AnswerError(
            gettext(
                "You chose \u201c%(answer)s\u201d and another answer. "
                "Please choose one or the other.",
                answer=gettext(none_label),
            )
        )
    return [value for value in question.choice_values if value in chosen]


def _parse_scale(question: Question, text: str, today: date) -> int:
    # Only the page's own radio values: str.isdigit() also passes "²", which int() refuses.
    if text not in _SCALE_VALUES:
        raise AnswerError(_required_message(question))
    return int(text)


def _parse_date(question: Question, text: str, today: date) -> str:
    try:
        day = read_date(text)
    except DateError as error:
        raise AnswerError(str(error)) from None
    if day is None:
        raise AnswerError(_required_message(question))
    birth = question.id == "date_of_birth"
    if day > today:
        if birth:
            raise AnswerError(
                gettext("The date of birth cannot be in the future. Please check the year.")
            )
        raise AnswerError(gettext("The date cannot be in the future. Please check the year."))
    if day < _years_before(today, MAX_AGE_YEARS):
        if birth:
            message = N_(
                "The date of birth is more than %(years)s years ago. Please check the year."
            )
        else:
            message = N_("The date is more than %(years)s years ago. Please check the year.")
        raise AnswerError(gettext(message, years=MAX_AGE_YEARS))
    return day.isoformat()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _parse_email(question: Question, text: str, today: date) -> str:
    _check_length(question, text)
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise AnswerError(
            gettext(
                "This does not look like an email address. Please check it "
                "(for example name@example.com), or leave it empty."
            )
        ) from None
    return text


def _parse_phone(question: Question, text: str, today: date) -> str:
    _check_length(question, text)
    if text[0] not in "0123456789+(" and not text[0].isdigit():
        raise AnswerError(
            gettext(
                "A phone number starts with a digit, + or (. Please enter it with the area "
                "code, for example (312) 555-0142."
            )
        )
    valid = False
    if PHONE_SHAPE.fullmatch(text):
        try:
            number = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
    if not valid:
        raise AnswerError(
            gettext(
                "This does not look like a phone number. Please enter it with the area code, "
                "for example (312) 555-0142."
            )
        )
    return text


_PARSERS = {
    Kind.TEXT: _parse_text,
    Kind.LONG_TEXT: _parse_text,
    Kind.CHOICE: _parse_choice,
    Kind.YES_NO: _parse_choice,
    Kind.SCALE: _parse_scale,
    Kind.DATE: _parse_date,
    Kind.EMAIL: _parse_email,
    Kind.PHONE: _parse_phone,
}
