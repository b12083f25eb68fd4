"""The CSV's columns come from the questionnaire, and docs/csv-columns.md describes them."""

import hashlib
from datetime import date
from pathlib import Path

import pytest

from intake import answers, ehr, questionnaire
from intake.ehr.columns import CODE, FIXED_COLUMNS, IDENTITY_QUESTIONS, PHONE, QUESTION_COLUMNS
from intake.ehr.dictionary import data_dictionary
from intake.ehr.writing import neutralise

DOCS = Path(__file__).resolve().parent.parent / "docs" / "csv-columns.md"

# The header of each columns version, pinned: changing the columns without bumping
# questionnaire.VERSION (and updating this) breaks the EHR's import unannounced.
HEADER_SHA256 = {
    "1": "3b2382f58569a33555aea9fe59ed15d25dedef363cbb64675bbf7e09ee0acee2",
    # The general-health (red flag) questions, past cancer, and the `red_flags` column.
    "2": "1e365cf8acc0784b3497d1f04af08924acbd43fb61569042087f10f90f8d3361",
    # `guardian_phone` after `red_flags`; a fuller history (side, imaging, goals, language,
    # falls, lung disease, CRPS, fainting, surgery timing); pregnancy and needle fear graded;
    # the LEFS: its 20 items (`lefs_01`..`lefs_20`), and `lefs_total` after every other column;
    # `consent_state` and `consent_confirmed_at_utc` after `guardian_phone`; `language` (the
    # language the consent was signed in) after them.
    "3": "5d6b8e133a3d75f05385dbd1e34162bc117389e1b5c21b876c82d11528ac9030",
}


def test_fixed_columns_then_every_question_in_order_then_the_scores():
    names = ehr.column_names()
    assert names[: len(FIXED_COLUMNS)] == [
        "submission_id",
        "submitted_at_utc",
        "submitted_at_local",
        "first_name",
        "last_name",
        "date_of_birth",
        "phone",
        "email",
        "consent_document",
        "consent_version",
        "consent_sha256",
        "signed_at_utc",
        "signed_at_local",
        "signer_name",
        "signer_relationship",
        "flags",
        "pdf_sha256",
        "questionnaire_version",
        "corrects_submission_id",
        "red_flags",
        "guardian_phone",
        "consent_state",
        "consent_confirmed_at_utc",
        "language",
    ]
    asked = [q.id for q in questionnaire.QUESTIONS if q.id not in IDENTITY_QUESTIONS]
    assert names[len(FIXED_COLUMNS) :] == [*asked, "lefs_total"]
    assert len(set(names)) == len(names)


def test_identity_questions_are_the_fixed_columns_of_the_same_name():
    fixed = {column.name for column in FIXED_COLUMNS}
    for question_id in IDENTITY_QUESTIONS:
        assert question_id in questionnaire.BY_ID
        assert question_id in fixed
    assert not {column.name for column in QUESTION_COLUMNS} & set(IDENTITY_QUESTIONS)


def test_codes_never_need_quoting_or_splitting():
    """Choice values and flag codes join with ';' and split back unambiguously."""
    codes = [value for q in questionnaire.QUESTIONS for value in q.choice_values]
    codes += list(questionnaire.FLAGS)
    assert all(CODE.fullmatch(code) for code in codes)


@pytest.mark.parametrize(
    "typed",
    [
        "+1 312 555 0142",
        "(312) 555-0142",
        "312.555.0142",
        "312/555-0142 x12",
        "+1-312-555-0142 EXT. 3",
    ],
)
def test_phone_numbers_the_tablet_accepts_keep_their_form(typed):
    stored = answers.parse(questionnaire.BY_ID["phone"], typed, today=date(2026, 11, 25))
    assert stored == typed
    assert PHONE.fullmatch(stored)
    assert not PHONE.fullmatch("+1+HYPERLINK(A1)") and not PHONE.fullmatch("=1+2")


def test_the_header_is_pinned_to_the_columns_version():
    header = ",".join(ehr.column_names()).encode()
    assert ehr.COLUMNS_VERSION == questionnaire.VERSION
    assert hashlib.sha256(header).hexdigest() == HEADER_SHA256[ehr.COLUMNS_VERSION], (
        "The CSV header changed: if a column was renamed or removed, bump questionnaire.VERSION; "
        "then record the new header's SHA-256 here and regenerate docs/csv-columns.md."
    )


@pytest.mark.parametrize(
    ("typed", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-2", "'-2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("\0x", "'\0x"),
        ("'already", "''already"),
        ("1+2=3", "1+2=3"),
        ("Jane", "Jane"),
        ("", ""),
    ],
)
def test_neutralise_formula_looking_text(typed, cell):
    assert neutralise(typed) == cell
    assert (cell[1:] if cell.startswith("'") else cell) == typed  # the documented way back


def test_data_dictionary_is_up_to_date():
    assert DOCS.read_text(encoding="utf-8") == data_dictionary(), (
        "docs/csv-columns.md is out of date: run `flask --app wsgi intake csv-columns`."
    )


def test_data_dictionary_describes_every_column():
    text = data_dictionary()
    for column in ehr.COLUMNS:
        assert f"| `{column.name}` |" in text
    for question in questionnaire.QUESTIONS:
        for value in question.choice_values:
            assert f"`{value}`" in text
    assert "`pregnancy_trimester` | Needles and devices: Which trimester?" in text
    assert "Asked only when `pregnant` is `yes`; empty otherwise." in text
    assert "--raw" in text
