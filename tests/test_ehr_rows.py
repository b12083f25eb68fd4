"""A row of the CSV, filled in one pass, is exactly what each column's own `value` says.

The export fills a row's answer cells together (intake.ehr.writing) rather than through each
column's `value`, which stays the definition of a cell. These properties hold the two to
each other for any answers, the odd and the hostile included.
"""

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from intake import questionnaire
from intake.ehr.columns import COLUMNS, Record
from intake.ehr.writing import NEUTRALISER, _Rows, neutralise
from intake.questionnaire import Kind

ZONE = ZoneInfo("America/Chicago")
# Text that starts like a formula, holds the separator the row search joins cells with, or
# is empty: what an export must neutralise, must not be fooled by, or must leave empty.
TEXT = st.text(alphabet=st.sampled_from("ab =+-@'\t\r\n\0\x1f,\"é王"), max_size=6)


def _answer(question: questionnaire.Question):
    stored = st.sampled_from(question.choice_values) if question.choice_values else TEXT
    odd = st.one_of(
        st.none(),
        st.just(""),
        st.just([]),
        st.booleans(),
        st.integers(-1, 11),
        st.floats(allow_nan=False),
        st.lists(TEXT, max_size=2),
    )
    if question.kind == Kind.MULTI:
        return st.one_of(st.lists(st.sampled_from(question.choice_values), max_size=3), odd)
    return st.one_of(stored, TEXT, odd)


ANSWERS = st.fixed_dictionaries({}, optional={q.id: _answer(q) for q in questionnaire.QUESTIONS})


@given(ANSWERS)
@example({"diabetes": "no", "diabetes_controlled": "no"})
@example({"cancer": "yes", "cancer_past": "yes"})
def test_hidden_questions_are_those_not_shown(answers):
    expected = {
        question.id
        for question in questionnaire.QUESTIONS
        if answers.get(question.id) not in (None, "")
        and not questionnaire.is_shown(question, answers)
    }
    assert questionnaire.hidden_questions(answers) == expected


@given(ANSWERS, TEXT, TEXT, st.sampled_from(["+1 312 555 0100", "-1", "=1+1", "(312) 555-0100"]))
@example({"visit_reason": '=HYPERLINK("x")', "address": "\x1f-1"}, "\x1f", "-", "+1 312 555 0100")
def test_a_row_is_each_columns_value_neutralised(answers, first_name, signer_name, phone):
    record = _record(answers, first_name=first_name, signer_name=signer_name, phone=phone)
    assert _Rows(COLUMNS, ZONE, raw=False)(record) == _reference(record, raw=False)
    assert _Rows(COLUMNS, ZONE, raw=True)(record) == _reference(record, raw=True)


@given(ANSWERS, st.permutations(COLUMNS))
def test_a_row_follows_any_columns_order(answers, columns):
    # An earlier batch is written again with its own header's columns and order.
    record = _record(answers)
    expected = dict(zip([c.name for c in COLUMNS], _reference(record, raw=False), strict=True))
    row = _Rows(columns, ZONE, raw=False)(record)
    assert row == [expected[column.name] for column in columns]


def _reference(record: Record, raw: bool) -> list[str]:
    """Each column's `value`, then neutralised as a spreadsheet-safe cell must be."""
    cells = []
    for column in COLUMNS:
        cell = column.value(record, ZONE)
        looks_like_formula = cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "\0", "'"))
        if not raw and looks_like_formula and not (column.shape and column.shape.fullmatch(cell)):
            cell = neutralise(cell)
            assert cell.startswith(NEUTRALISER)
        cells.append(cell)
    return cells


def _record(answers, *, first_name="Ana", signer_name="Ana Díaz", phone="+1 312 555 0100"):
    moment = datetime(2026, 11, 30, 17, 5, 9, tzinfo=UTC)
    return Record(
        id=1,
        public_id=uuid.UUID(int=7),
        submitted_at=moment,
        first_name=first_name,
        last_name="Díaz",
        date_of_birth=date(1960, 2, 29),
        phone=phone,
        email=None,
        questionnaire_version="3",
        answers=answers,
        flags=["anticoagulants", "night_pain"],
        consent_document="dry_needling",
        consent_version="2",
        consent_sha256="0" * 64,
        signed_at=moment,
        signer_name=signer_name,
        signer_relationship="self",
        guardian_phone=None,
        corrects_public_id=None,
        pdf_sha256=None,
        consent_decision=None,
        consent_decided_at=None,
        language="en",
    )
