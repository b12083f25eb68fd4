"""The CSV's columns: a fixed part, one column per questionnaire item, in order, then the
outcome instruments' totals.

This list is the contract with the clinic's EHR. It is derived from `intake.questionnaire`, so
adding a question adds a column; renaming an id or an allowed value is a breaking change and
bumps `questionnaire.VERSION`, which the export records as its columns version.
"""

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, NamedTuple

from intake import questionnaire
from intake.answers import PHONE_SHAPE
from intake.models import ConsentState, Language, SignerRelationship
from intake.questionnaire import FLAGS, Audience, Kind, Question, instruments

COLUMNS_VERSION = questionnaire.VERSION

# The identity items of the questionnaire are also Submission columns. They appear once, in the
# fixed part, under the same names as their question ids (and with the same meaning), so the
# questionnaire part skips them rather than repeat them.
IDENTITY_QUESTIONS = ("first_name", "last_name", "date_of_birth", "phone", "email")

# The exact shapes of typed values. A typed cell that matches its shape is written as it is;
# one that does not (which validation on entry should make impossible) is treated as free text.
CODE = re.compile(r"[a-z0-9_]+")
CODES = re.compile(r"[a-z0-9_]+(?:;[a-z0-9_]+)*")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHA256 = re.compile(r"[0-9a-f]{64}")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2}")
SCALE = re.compile(r"10|[0-9]")
WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]*")
# The phone numbers intake.answers accepts: never starting with "-", "=" or "@".
PHONE = PHONE_SHAPE
VERSION = re.compile(r"[0-9A-Za-z._]+")


class Record(NamedTuple):
    """What the export reads of one submission (see `intake.ehr.reading`)."""

    id: int
    public_id: uuid.UUID
    submitted_at: datetime
    first_name: str
    last_name: str
    date_of_birth: date
    phone: str
    email: str | None
    questionnaire_version: str
    answers: Mapping[str, Any]
    flags: list[str]
    consent_document: str
    consent_version: str
    consent_sha256: str
    signed_at: datetime
    signer_name: str
    signer_relationship: str
    guardian_phone: str | None
    corrects_public_id: uuid.UUID | None
    pdf_sha256: str | None
    consent_decision: str | None  # the latest therapist's decision then, if any
    consent_decided_at: datetime | None
    language: str  # the language the consent was read and signed in


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, what the data dictionary says of it, and how to fill it."""

    name: str
    meaning: str
    type: str
    allowed: str
    value: Callable[[Record, tzinfo], str]
    # Typed values of this shape keep their exact form; None marks free text.
    shape: re.Pattern[str] | None = None
    # The questionnaire item whose answer the column holds, if it is one: the export then
    # fills a row's answer cells in one pass (intake.ehr.writing), equal to `value`'s.
    question: Question | None = None

    @property
    def free_text(self) -> bool:
        """Whether the cell holds what a person typed, and so may look like a formula."""
        return self.shape is None


def timestamp(moment: datetime, zone: tzinfo) -> str:
    """ISO 8601 to the second, with the zone's offset at that moment."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")  # stored values are aware and in UTC


def _optional(value: object) -> str:
    return "" if value is None else str(value)


def _fixed_columns() -> tuple[Column, ...]:
    """The columns every row has, whatever the questionnaire asks."""
    when = "ISO 8601 to the second with the UTC offset, e.g. `2026-11-25T18:04:05+00:00`"
    local = "ISO 8601 to the second with the clinic's offset, e.g. `2026-11-25T12:04:05-06:00`"
    flags = ", ".join(
        f"`{code}` ({flag.label}, {flag.severity})"
        for code, flag in FLAGS.items()
        if code not in questionnaire.RED_FLAG_CODES
    )
    retired = ", ".join(
        f"`{code}` ({flag.label}, {flag.severity})"
        for code, flag in questionnaire.RETIRED_FLAGS.items()
    )
    red_flags = ", ".join(
        f"`{code}` ({FLAGS[code].label})" for code in questionnaire.RED_FLAG_CODES
    )
    relationships = ", ".join(f"`{value}` ({value.label})" for value in SignerRelationship)
    states = ", ".join(f"`{value}` ({value.label})" for value in ConsentState)
    languages = ", ".join(f"`{value}` ({value.label})" for value in Language)
    return (
        Column(
            "submission_id",
            "The submission's permanent id in Intake (the one in its staff page's address).",
            "UUID",
            "lower-case UUID",
            lambda r, z: str(r.public_id),
            UUID,
        ),
        Column(
            "submitted_at_utc",
            'When the patient pressed "Sign and submit", in UTC.',
            "timestamp",
            when,
            lambda r, z: _utc(r.submitted_at),
            TIMESTAMP,
        ),
        Column(
            "submitted_at_local",
            "The same moment in the clinic's time zone (the `INTAKE_TIMEZONE` setting).",
            "timestamp",
            local,
            lambda r, z: timestamp(r.submitted_at, z),
            TIMESTAMP,
        ),
        Column(
            "first_name",
            "Patient's first name, as typed (questionnaire item `first_name`).",
            "text",
            _name_limit("first_name"),
            lambda r, z: r.first_name,
        ),
        Column(
            "last_name",
            "Patient's last name, as typed (questionnaire item `last_name`).",
            "text",
            _name_limit("last_name"),
            lambda r, z: r.last_name,
        ),
        Column(
            "date_of_birth",
            "Patient's date of birth (questionnaire item `date_of_birth`).",
            "date",
            "`YYYY-MM-DD`",
            lambda r, z: r.date_of_birth.isoformat(),
            DATE,
        ),
        Column(
            "phone",
            "Patient's phone number (questionnaire item `phone`).",
            "phone",
            "as typed and validated on entry: a digit, `+` or `(`, then digits, spaces and "
            "`+ ( ) - . /`, then an optional extension (`x 12`, `ext. 12`); kept exactly, a "
            "leading `+` included",
            lambda r, z: r.phone,
            PHONE,
        ),
        Column(
            "email",
            "Patient's email address (questionnaire item `email`); empty if not given.",
            "email",
            "an address validated on entry, or empty",
            lambda r, z: _optional(r.email),
        ),
        Column(
            "consent_document",
            "Which consent document the patient signed.",
            "code",
            "`dry_needling`",
            lambda r, z: r.consent_document,
            CODE,
        ),
        Column(
            "consent_version",
            "The version of that consent document.",
            "code",
            "a version number, e.g. `1`",
            lambda r, z: r.consent_version,
            VERSION,
        ),
        Column(
            "consent_sha256",
            "SHA-256 of the exact consent text shown to the patient (Intake keeps the text).",
            "hex",
            "64 lower-case hexadecimal characters",
            lambda r, z: r.consent_sha256,
            SHA256,
        ),
        Column(
            "signed_at_utc",
            "When the consent was signed, in UTC.",
            "timestamp",
            when,
            lambda r, z: _utc(r.signed_at),
            TIMESTAMP,
        ),
        Column(
            "signed_at_local",
            "The same moment in the clinic's time zone.",
            "timestamp",
            local,
            lambda r, z: timestamp(r.signed_at, z),
            TIMESTAMP,
        ),
        Column(
            "signer_name",
            "Who signed: the patient; for a minor a parent or legal guardian; for an adult who "
            "cannot sign, their legally authorised representative.",
            "text",
            "one line, up to 200 characters, any script",
            lambda r, z: r.signer_name,
        ),
        Column(
            "signer_relationship",
            "The signer's relationship to the patient.",
            "code",
            relationships,
            lambda r, z: r.signer_relationship,
            CODE,
        ),
        Column(
            "flags",
            "Dry-needling contraindications and precautions raised by the answers.",
            "codes, `;`-separated",
            f"empty (none), or any of, in this order: {flags}; in submissions of an earlier "
            f"questionnaire version also {retired}",
            # Stored in FLAGS order; red flags have their own column.
            lambda r, z: ";".join(questionnaire.needling_flag_codes(r.flags)),
            CODES,
        ),
        Column(
            "pdf_sha256",
            "SHA-256 of the signed intake PDF stored in Intake; empty if it had not been "
            "rendered yet when the file was first written (a batch stays as it was).",
            "hex",
            "64 lower-case hexadecimal characters, or empty",
            lambda r, z: _optional(r.pdf_sha256),
            SHA256,
        ),
        Column(
            "questionnaire_version",
            "The version of the questionnaire the patient answered.",
            "code",
            "a version number, e.g. `1`",
            lambda r, z: r.questionnaire_version,
            VERSION,
        ),
        Column(
            "corrects_submission_id",
            "When this submission corrects an earlier one, that one's `submission_id`.",
            "UUID",
            "lower-case UUID, or empty",
            lambda r, z: _optional(r.corrects_public_id),
            UUID,
        ),
        # New fixed columns go here, after the last one, so every earlier column keeps its
        # position for a reader that counts columns.
        Column(
            "red_flags",
            "Red flags raised by the answers: symptoms to review before any treatment, and "
            "perhaps refer to a doctor (see docs/clinical-content.md). Never in `flags`.",
            "codes, `;`-separated",
            f"empty (none), or any of, in this order: {red_flags}",
            lambda r, z: ";".join(questionnaire.red_flag_codes(r.flags)),
            CODES,
        ),
        Column(
            "guardian_phone",
            "For a patient under 18, the phone number of the parent or legal guardian who "
            "signed; empty for an adult patient.",
            "phone",
            "as `phone`, or empty",
            lambda r, z: _optional(r.guardian_phone),
            PHONE,
        ),
        Column(
            "consent_state",
            "Where the dry-needling consent stood when this file was written: signed by the "
            "patient, then confirmed or declined by a therapist, or withdrawn by the patient "
            "(see docs/consent.md). A batch downloaded again shows it as it was then.",
            "code",
            f"one of: {states}",
            lambda r, z: r.consent_decision or ConsentState.SIGNED,
            CODE,
        ),
        Column(
            "consent_confirmed_at_utc",
            "When a therapist confirmed the consent (discussed with the patient, questions "
            "answered, the patient agrees), in UTC; empty unless `consent_state` is "
            "`confirmed`.",
            "timestamp",
            f"{when}, or empty",
            lambda r, z: (
                _utc(r.consent_decided_at) if r.consent_decision == ConsentState.CONFIRMED else ""
            ),
            TIMESTAMP,
        ),
        Column(
            "language",
            "The language the patient read and signed the consent in, and saw the pages in "
            "(an ISO 639-1 code). Every other cell is the same whatever the language: answers "
            "are the same codes, and free text is exactly as the patient typed it.",
            "code",
            f"one of: {languages}",
            lambda r, z: r.language,
            CODE,
        ),
    )


def _name_limit(question_id: str) -> str:
    """The allowed values of a name column: the questionnaire's own limit, not a copy of it."""
    return f"one line, up to {questionnaire.BY_ID[question_id].max_length} characters, any script"


def _answer_cell(question: Question) -> Callable[[Record, tzinfo], str]:
    """How one question's stored answer becomes a cell; empty when it was not asked.

    Built once per question, so the per-row work is a lookup and, for a follow-up question,
    the questionnaire's own `is_shown`.
    """
    question_id = question.id
    conditional = question.show_if is not None or question.hide_if is not None

    def cell(record: Record, _zone: tzinfo) -> str:
        value = record.answers.get(question_id)
        if value is None or value == "":
            return ""
        if conditional and not questionnaire.is_shown(question, record.answers):
            return ""
        return questionnaire.answer_text(question, value, Audience.EHR) or ""

    return cell


def _describe(question: Question) -> tuple[str, str, re.Pattern[str] | None]:
    """The data dictionary's type and allowed values of a question, and its exact shape."""
    choices = ", ".join(f"`{value}` ({label})" for value, label in question.choices)
    length = f"up to {question.max_length} characters"
    return {
        Kind.YES_NO: ("yes/no", "`yes`, `no`", CODE),
        Kind.CHOICE: ("code", f"one of {choices}", CODE),
        Kind.MULTI: ("codes, `;`-separated", f"any of, in this order: {choices}", CODES),
        Kind.TEXT: ("text", f"one line, {length}", None),
        Kind.LONG_TEXT: ("text", f"may contain line breaks, {length}", None),
        Kind.DATE: ("date", "`YYYY-MM-DD`", DATE),
        Kind.SCALE: ("whole number", "`0` to `10`", SCALE),
        Kind.EMAIL: ("email", "an address validated on entry", None),
        Kind.PHONE: ("phone", "as validated on entry; kept exactly", PHONE),
    }[question.kind]


def _meaning(question: Question) -> str:
    """The question as the patient read it, and when it is asked."""
    label = question.label if question.label.endswith(("?", ".")) else question.label + "."
    instrument = instruments.BY_ITEM.get(question.id)
    if instrument is not None:
        number = instrument.item_ids.index(question.id) + 1
        label = f"{instrument.abbreviation} item {number}: {instrument.stem} {label}"
    if question.hide_if:
        parent_id, values = question.hide_if
        label = f"{label} Not asked when `{parent_id}` {_condition(parent_id, values)}"
        if not question.show_if:
            optional = "" if question.required else ", and when not answered (optional)"
            return f"{label}; empty then{optional}."
        label += "."
    if question.show_if:
        parent_id, values = question.show_if
        condition = _condition(parent_id, values)
        return f"{label} Asked only when `{parent_id}` {condition}; empty otherwise."
    if not question.required:
        return f"{label} Optional; empty when not answered."
    return label


def _condition(parent_id: str, values: Sequence[str]) -> str:
    listed = " or ".join(f"`{value}`" for value in values)
    verb = "includes" if questionnaire.BY_ID[parent_id].kind == Kind.MULTI else "is"
    return f"{verb} {listed}"


def _score_columns() -> tuple[Column, ...]:
    """One `<instrument>_total` per outcome instrument, after every other column."""
    return tuple(
        Column(
            f"{instrument.id}_total",
            f"{instrument.title} ({instrument.abbreviation}): the sum of its items "
            f"`{instrument.item_ids[0]}` to `{instrument.item_ids[-1]}` "
            f"({instrument.summary_note}). Empty when it was not asked.",
            "whole number",
            f"`0` to `{instrument.max_score}`, or empty",
            _score_cell(instrument),
            WHOLE_NUMBER,
        )
        for instrument in questionnaire.INSTRUMENTS
    )


def _score_cell(instrument: instruments.Instrument) -> Callable[[Record, tzinfo], str]:
    def cell(record: Record, _zone: tzinfo) -> str:
        return _optional(instrument.score(record.answers))

    return cell


def _question_columns() -> tuple[Column, ...]:
    columns = []
    for question in questionnaire.QUESTIONS:
        if question.id in IDENTITY_QUESTIONS:
            continue
        type_, allowed, shape = _describe(question)
        columns.append(
            Column(
                question.id,
                _meaning(question),
                type_,
                allowed,
                _answer_cell(question),
                shape,
                question,
            )
        )
    return tuple(columns)


FIXED_COLUMNS: tuple[Column, ...] = _fixed_columns()
QUESTION_COLUMNS: tuple[Column, ...] = _question_columns()
# The instruments' totals come after every question: scores computed from the answers.
SCORE_COLUMNS: tuple[Column, ...] = _score_columns()
COLUMNS: tuple[Column, ...] = FIXED_COLUMNS + QUESTION_COLUMNS + SCORE_COLUMNS


def column_names() -> list[str]:
    """The CSV header, in order."""
    return [column.name for column in COLUMNS]


def columns_named(names: Sequence[str]) -> tuple[Column, ...]:
    """The columns with these names, in this order (an earlier batch's header).

    Questions added since then are left out, so an old batch still reproduces; a name that no
    longer exists raises KeyError.
    """
    by_name = {column.name: column for column in COLUMNS}
    return tuple(by_name[name] for name in names)
