"""The questionnaire decides flags in one place, and every flag it declares can be raised."""

from pathlib import Path

import pytest
from sqlalchemy import select

from intake import questionnaire
from intake.extensions import db
from intake.models import Submission
from intake.questionnaire import BY_ID, FLAGS, QUESTIONS, Kind, Question, Severity, is_shown
from intake.questionnaire.definition import Raises
from testkit.factories import BASE_ANSWERS
from tests.test_kiosk import consent_data, fill_history, start


def _raised(question: Question, rule: Raises) -> list[str]:
    """The codes one answer raises when the rule's condition holds, as pages show them: red
    flags first. A rule of the same answer with another condition raises nothing then."""
    codes = [
        raises.flag
        for raises in question.flags
        if raises.value == rule.value and raises.only_if in (None, rule.only_if)
    ]
    return [flag.code for flag in questionnaire.flag_details(codes)]


def _rules(question: Question) -> list[Raises]:
    """Each answer that raises flags once, and once more for each condition it depends on."""
    return list({(rule.value, rule.only_if): rule for rule in question.flags}.values())


# Each answer that raises flags, once per condition; "Cancer now" raises a red flag and a
# precaution; a recent surgery near the pain raises a contraindication only if recent.
DECLARED = [
    pytest.param(question, rule, _raised(question, rule), id="+".join(_raised(question, rule)))
    for question in QUESTIONS
    for rule in _rules(question)
]


def _harmless(question: Question) -> object:
    """An answer a patient could give that raises nothing."""
    if question.kind in (Kind.TEXT, Kind.LONG_TEXT):
        return "As my doctor knows"
    if question.kind == Kind.SCALE:
        return "5"
    raising = {raises.value for raises in question.flags}
    value = next(value for value in question.choice_values if value not in raising)
    return [value] if question.kind == Kind.MULTI else value


def _give(answers: dict, question: Question, value: str) -> None:
    """Answer `value` to a question, and whatever it depends on so that it is shown."""
    chain = question
    while chain.show_if is not None:
        parent_id, values = chain.show_if
        chain = BY_ID[parent_id]
        answers[parent_id] = [values[0]] if chain.kind == Kind.MULTI else values[0]
    answers[question.id] = [value] if question.kind == Kind.MULTI else value


def _answers_raising(question: Question, rule: Raises) -> dict:
    """The usual answers, with this one given (and whatever it and its condition depend on),
    and every follow-up question that then appears answered harmlessly."""
    answers = dict(BASE_ANSWERS)
    if rule.only_if is not None:
        condition_id, values = rule.only_if
        _give(answers, BY_ID[condition_id], values[0])
    _give(answers, question, rule.value)
    while missing := [
        q
        for q in QUESTIONS
        if q.required and is_shown(q, answers) and answers.get(q.id) in (None, "", [])
    ]:
        for follow_up in missing:
            answers[follow_up.id] = _harmless(follow_up)
    return answers


def test_every_declared_flag_exists_and_every_flag_is_declared():
    on_answers = {raises.flag for question in QUESTIONS for raises in question.flags}
    declared = on_answers | {screen.flag for screen in questionnaire.definition.TEXT_SCREENS}
    declared |= set(questionnaire.definition.GRADED_BY_CLINIC.values())
    assert declared == set(FLAGS)
    # Each raised through the tablet: here those on answers; the medicine screen and the
    # clinic's grading in tests/test_medicine_screen.py.
    raised_through_the_tablet = {code for param in DECLARED for code in param.values[2]}
    assert raised_through_the_tablet == on_answers


def test_every_red_flag_has_a_reason_staff_can_read():
    red = [flag for flag in FLAGS.values() if flag.severity == Severity.RED_FLAG]
    assert {flag.code for flag in red} == set(questionnaire.RED_FLAG_CODES)
    assert len(red) >= 10
    for flag in red:
        assert flag.reason.endswith(".") and len(flag.reason) <= 100, flag.code


def test_red_flags_come_before_dry_needling_flags_and_split_apart():
    codes = ["anticoagulants", "night_pain", "latex_allergy", "possible_dvt", "retired_flag"]
    shown = [flag.code for flag in questionnaire.flag_details(codes)]
    assert shown == [
        "night_pain",
        "possible_dvt",
        "anticoagulants",
        "latex_allergy",
        "retired_flag",
    ]
    assert questionnaire.red_flag_codes(codes) == ["night_pain", "possible_dvt"]
    assert questionnaire.needling_flag_codes(codes) == [
        "anticoagulants",
        "latex_allergy",
        "retired_flag",
    ]


@pytest.mark.backends("sqlite")
def test_past_cancer_is_asked_only_of_a_patient_without_cancer_now(app, client):
    start(client)
    answers = {**BASE_ANSWERS, "cancer": "yes", "cancer_details": "Lymphoma, in chemotherapy"}
    answers.pop("cancer_past", None)
    fill_history(client, answers)
    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert "cancer_past" not in stored.answers
        assert stored.flags == ["cancer_history", "active_cancer"]


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("question", "rule", "codes"), DECLARED)
def test_each_flag_is_raised_through_the_tablet_and_stored(app, client, question, rule, codes):
    start(client)
    fill_history(client, _answers_raising(question, rule))
    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert stored.flags == [code for code in FLAGS if code in codes]
        # Beside its own answer only, on every page that shows the stored flags.
        marked = [
            (view.question_id, [flag.code for flag in view.flags])
            for section in questionnaire.history(
                stored.answers, questionnaire.Audience.CLINIC, stored.flags
            )
            for view in section.answers
            if view.flags
        ]
        assert marked == [(question.id, codes)]


def test_a_flag_stored_at_signing_stays_what_it_was(app_context):
    # A code an older questionnaire declared is still shown, under its own name.
    (flag,) = questionnaire.flag_details(["retired_flag"])
    assert (flag.code, flag.label) == ("retired_flag", "Retired flag")
    # And the stored list, not today's answers, is what a page marks.
    answers = {**BASE_ANSWERS, "anticoagulants": "yes", "anticoagulants_which": "warfarin"}
    sections = questionnaire.history(answers, questionnaire.Audience.CLINIC, stored_flags=[])
    assert not any(view.flags for section in sections for view in section.answers)


def test_the_clinical_content_page_names_every_red_flag_as_the_code_does():
    page = (Path(__file__).parent.parent / "docs" / "clinical-content.md").read_text("utf-8")
    for code in questionnaire.RED_FLAG_CODES:
        flag = FLAGS[code]
        assert f"{flag.label} (`{code}`)" in page, code
        assert flag.reason in page, code
        for question in QUESTIONS:
            if any(raises.flag == code for raises in question.flags):
                assert question.label in page and f"`{question.id}`" in page, question.id
                assert question.help in page, question.id


def test_the_clinical_content_page_names_every_question_and_every_flag_as_the_code_does():
    page = (Path(__file__).parent.parent / "docs" / "clinical-content.md").read_text("utf-8")
    for question in QUESTIONS:
        assert f"| {question.label} | `{question.id}` |" in page, question.id
    for code in {**FLAGS, **questionnaire.RETIRED_FLAGS}:
        assert f"`{code}`" in page, code
    for code, flag in FLAGS.items():
        assert f"{flag.label} (`{code}`)" in page and flag.reason in page, code
