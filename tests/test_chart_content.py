"""What the chart says, before any PDF: answers in words, flags, signature paths, times."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake import consents, questionnaire
from intake.chart.content import (
    ChartDataError,
    chart_content,
    clinic_time,
    utc_time,
)
from intake.chart.document import chart_html
from intake.chart.signature import InvalidSignature, drawn_signature
from intake.questionnaire import BY_ID, Audience, Kind, answer_text
from intake.questionnaire.flags import raised_by
from testkit.factories import make_submission

RENDERED_AT = datetime(2026, 11, 3, 16, 0, tzinfo=UTC)


def _content(submission):
    return chart_content(
        submission,
        [],
        clinic_name="Riverside Physical Therapy",
        timezone="America/Chicago",
        rendered_at=RENDERED_AT,
    )


def _answer_values(question: questionnaire.Question):
    if question.kind in (Kind.YES_NO, Kind.CHOICE):
        return st.sampled_from(question.choice_values)
    if question.kind == Kind.MULTI:
        return st.lists(st.sampled_from(question.choice_values), unique=True, max_size=3)
    if question.kind == Kind.SCALE:
        return st.integers(0, 10)
    return st.text(max_size=5)


ANY_ANSWERS = st.fixed_dictionaries(
    {}, optional={q.id: _answer_values(q) for q in questionnaire.QUESTIONS}
)


@given(ANY_ANSWERS)
def test_flags_per_question_add_up_to_the_submission_flags(answers):
    per_question = {
        code for question in questionnaire.QUESTIONS for code in raised_by(question, answers)
    }
    assert sorted(per_question) == sorted(questionnaire.flags_for(answers))


def test_flags_are_raised_by_the_question_that_asks():
    answers = {"allergies": ["latex", "nickel"], "diabetes": "yes", "diabetes_controlled": "no"}

    def codes(question_id):
        return raised_by(BY_ID[question_id], answers)

    assert codes("allergies") == ["metal_allergy", "latex_allergy"]
    assert codes("diabetes_controlled") == ["diabetes_uncontrolled"]
    assert codes("diabetes") == []
    hidden = {"diabetes": "no", "diabetes_controlled": "no"}
    assert raised_by(BY_ID["diabetes_controlled"], hidden) == []


@pytest.mark.parametrize(
    ("question_id", "value", "expected"),
    [
        ("heart_disease", "no", "No"),
        ("heart_disease", "yes", "Yes"),
        ("onset_how", "injury", "After an injury or fall"),
        ("onset_how", "a value from a later questionnaire", "a value from a later questionnaire"),
        ("pain_areas", ["lower_back", "hip"], "Lower back, Hip"),
        ("pain_now", 0, "0 out of 10"),
        ("address", "12 River Road\nApt 4", "12 River Road\nApt 4"),
        ("physician", "", None),
        ("treatment_so_far", [], None),
        ("email", None, None),
    ],
)
def test_answers_read_in_words(question_id, value, expected):
    assert answer_text(BY_ID[question_id], value, Audience.CLINIC) == expected


def test_drawn_signature_paths_are_built_from_numbers_only():
    signature = drawn_signature(
        {
            "width": 600,
            "height": 200,
            "strokes": [[[10, 20], [30.456, 40.5], [700, -5]], [[500.25, 100]]],
        }
    )
    # Out-of-pad points are clamped to the pad; single taps become dots.
    assert signature.paths == ("M10 20 L30.46 40.5 L600 0",)
    assert signature.dots == (("500.25", "100"),)
    assert (signature.display_width, signature.display_height) == (336, 112)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "<svg onload=alert(1)>",
        {"width": 600, "height": 200, "strokes": []},
        {"width": 600, "height": 200, "strokes": [[["<script>", 1]]]},
        {"width": 600, "height": 200, "strokes": [[[True, 1], [2, 3]]]},
        {"width": 600, "height": 200, "strokes": [[[float("nan"), 1], [2, 3]]]},
        {"width": 600, "height": 200, "strokes": [[[1e400, 1], [2, 3]]]},
        {"width": 600, "height": 200, "strokes": [[[1]]]},
        {"width": 600, "height": 200, "strokes": [[1, 2]]},
        {"width": "600", "height": 200, "strokes": [[[1, 2]]]},
        {"width": 0, "height": 200, "strokes": [[[1, 2]]]},
        {"width": 600, "height": 200, "strokes": [[[1, 2]] * 50_001]},
    ],
)
def test_drawn_signature_refuses_anything_but_numbers(data):
    with pytest.raises(InvalidSignature):
        drawn_signature(data)


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        (
            "America/Chicago",
            datetime(2026, 11, 3, 15, 41, 7, tzinfo=UTC),
            "November 3, 2026, 9:41:07 AM CST (UTC-06:00)",
        ),
        (
            "America/Chicago",
            datetime(2026, 7, 14, 23, 5, 9, tzinfo=UTC),
            "July 14, 2026, 6:05:09 PM CDT (UTC-05:00)",
        ),
        (
            "Asia/Kolkata",
            datetime(2026, 1, 1, 6, 30, tzinfo=UTC),
            "January 1, 2026, 12:00:00 PM IST (UTC+05:30)",
        ),
        (
            "America/New_York",
            datetime(2026, 1, 1, 5, 0, tzinfo=UTC),
            "January 1, 2026, 12:00:00 AM EST (UTC-05:00)",
        ),
    ],
)
def test_clinic_time_has_the_offset(zone, moment, expected):
    assert clinic_time(moment, ZoneInfo(zone)) == expected
    assert utc_time(moment) == moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@pytest.mark.backends("sqlite")
def test_every_section_and_every_answer_is_kept(app_context):
    submission = make_submission()
    submission.answers = {**submission.answers, "retired_question": "kept anyway"}
    content = _content(submission)
    answers = submission.answers
    titles = [content.details.title, *(section.title for section in content.history)]
    # Every section with a question shown (no painful leg: no LEFS), then the unknown answers.
    asked = [s for s in questionnaire.SECTIONS if questionnaire.section_is_shown(s.id, answers)]
    assert titles == [s.title for s in asked] + ["Other answers"]
    assert "lefs" not in {s.id for s in asked}
    listed = [
        row.question_id
        for section in (content.details, *content.history)
        for row in section.answers
    ]
    assert set(listed) == set(submission.answers)
    assert content.history[-1].answers[0].text == "kept anyway"


@pytest.mark.backends("sqlite")
def test_a_consent_snapshot_that_fails_its_hash_is_not_rendered(app_context):
    submission = make_submission()
    submission.consent_snapshot = submission.consent_snapshot.replace("rare", "common")
    with pytest.raises(ChartDataError, match="does not match its SHA-256"):
        _content(submission)


@pytest.mark.backends("sqlite")
def test_consent_clauses_carry_their_own_initials(app_context):
    document = consents.current()
    initials = {clause.id: f"X{i}" for i, clause in enumerate(document.clauses)}
    content = _content(make_submission(consent_initials=initials))
    assert [(c.heading, c.initials) for c in content.consent.clauses] == [
        (clause.heading, initials[clause.id]) for clause in document.clauses
    ]


@pytest.mark.backends("sqlite")
def test_answers_to_an_older_questionnaire_say_so(app_context):
    older = make_submission(questionnaire_version="0")
    html = " ".join(chart_html(older, [], RENDERED_AT).split())
    assert (
        "These answers were given to questionnaire version 0; the questions are listed "
        f"as worded in version {questionnaire.VERSION}." in html
    )
    assert "These answers were given" not in chart_html(make_submission(), [], RENDERED_AT)
