"""The questionnaire decides flags in one place, and every flag it declares can be raised."""

import pytest
from sqlalchemy import select

from intake import questionnaire
from intake.extensions import db
from intake.models import Submission
from intake.questionnaire import BY_ID, FLAGS, QUESTIONS, Kind, Question, is_shown
from testkit.factories import BASE_ANSWERS
from tests.test_kiosk import consent_data, fill_history, start

DECLARED = [
    pytest.param(question, value, code, id=code)
    for question in QUESTIONS
    for value, code in question.flags
]


def _harmless(question: Question) -> object:
    """An answer a patient could give that raises nothing."""
    if question.kind in (Kind.TEXT, Kind.LONG_TEXT):
        return "As my doctor knows"
    if question.kind == Kind.SCALE:
        return "5"
    raising = {value for value, _ in question.flags}
    value = next(value for value in question.choice_values if value not in raising)
    return [value] if question.kind == Kind.MULTI else value


def _answers_raising(question: Question, value: str) -> dict:
    """The usual answers, with this one given (and whatever it depends on), and every
    follow-up question that then appears answered harmlessly."""
    answers = dict(BASE_ANSWERS)
    chain = question
    while chain.show_if is not None:
        parent_id, values = chain.show_if
        chain = BY_ID[parent_id]
        answers[parent_id] = [values[0]] if chain.kind == Kind.MULTI else values[0]
    answers[question.id] = [value] if question.kind == Kind.MULTI else value
    while missing := [
        q
        for q in QUESTIONS
        if q.required and is_shown(q, answers) and answers.get(q.id) in (None, "", [])
    ]:
        for follow_up in missing:
            answers[follow_up.id] = _harmless(follow_up)
    return answers


def test_every_declared_flag_exists_and_every_flag_is_declared():
    declared = {code for question in QUESTIONS for _, code in question.flags}
    declared |= {screen.flag for screen in questionnaire.definition.TEXT_SCREENS}
    declared |= set(questionnaire.definition.GRADED_BY_CLINIC.values())
    assert declared == set(FLAGS)


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(("question", "value", "code"), DECLARED)
def test_each_flag_is_raised_through_the_tablet_and_stored(app, client, question, value, code):
    start(client)
    fill_history(client, _answers_raising(question, value))
    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert stored.flags == [code]
        # Beside its own answer only, on every page that shows the stored flags.
        marked = [
            (view.question_id, [flag.code for flag in view.flags])
            for section in questionnaire.history(
                stored.answers, questionnaire.Audience.CLINIC, stored.flags
            )
            for view in section.answers
            if view.flags
        ]
        assert marked == [(question.id, [code])]


def test_a_flag_stored_at_signing_stays_what_it_was(app_context):
    # A code an older questionnaire declared is still shown, under its own name.
    (flag,) = questionnaire.flag_details(["retired_flag"])
    assert (flag.code, flag.label) == ("retired_flag", "Retired flag")
    # And the stored list, not today's answers, is what a page marks.
    answers = {**BASE_ANSWERS, "anticoagulants": "yes", "anticoagulants_which": "warfarin"}
    sections = questionnaire.history(answers, questionnaire.Audience.CLINIC, stored_flags=[])
    assert not any(view.flags for section in sections for view in section.answers)
