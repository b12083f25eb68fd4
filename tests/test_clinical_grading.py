"""Dry needling's flags graded as in practice, each level raised through the real form.

Pregnancy by trimester and never asked of a patient who said male; needle fear by how
afraid; recent surgery by when and where; lung disease only where a needle could reach a
lung; an implant near the pain; an interpreter for the consent talk. Flags an earlier
questionnaire raised keep the label and severity they were signed with.
"""

import pytest
from sqlalchemy import select

from intake import questionnaire
from intake.extensions import db
from intake.models import Submission
from intake.questionnaire import Severity
from intake.questionnaire.instruments import LEFS
from testkit.factories import BASE_ANSWERS, typed_input
from tests.test_kiosk import consent_data, fill_history, post_section, start

pytestmark = pytest.mark.backends("sqlite")


def signed(app, client, changes: dict, *, drop: tuple[str, ...] = ()) -> Submission:
    """Fill the whole history with the usual answers changed by `changes`, sign, and return
    the stored submission."""
    answers = {**BASE_ANSWERS, **changes}
    for question_id in drop:
        answers.pop(question_id, None)
    start(client)
    fill_history(client, answers)
    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        db.session.expunge(submission)
        return submission


def severities(submission: Submission) -> dict[str, str]:
    return {flag.code: flag.severity for flag in questionnaire.flag_details(submission.flags)}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"pregnant": "no"}, {}),
        ({"pregnant": "not_applicable"}, {}),
        ({"pregnant": "maybe"}, {"pregnancy_early": Severity.CONTRAINDICATION}),
        (
            {"pregnant": "yes", "pregnancy_trimester": "first"},
            {"pregnancy_early": Severity.CONTRAINDICATION},
        ),
        (
            {"pregnant": "yes", "pregnancy_trimester": "unknown"},
            {"pregnancy_early": Severity.CONTRAINDICATION},
        ),
        (
            {"pregnant": "yes", "pregnancy_trimester": "second"},
            {"pregnancy_later": Severity.PRECAUTION},
        ),
        (
            {"pregnant": "yes", "pregnancy_trimester": "third"},
            {"pregnancy_later": Severity.PRECAUTION},
        ),
    ],
    ids=["no", "not-applicable", "maybe", "first", "unknown", "second", "third"],
)
def test_pregnancy_is_graded_by_trimester(app, client, changes, expected):
    assert severities(signed(app, client, changes)) == expected


def test_the_badge_says_which_trimester(app_context):
    early, later = questionnaire.flag_details(["pregnancy_early", "pregnancy_later"])
    assert "first trimester" in early.label and "second or third" in later.label


def test_pregnancy_is_never_asked_of_a_patient_who_said_male(app, client):
    start(client)
    typed = typed_input({"sex": "male"})
    assert post_section(client, "about", typed).status_code == 303
    page = client.get("/intake/needling").get_data(as_text=True)
    assert 'name="pregnant"' not in page and "Are you pregnant" not in page
    submission = signed(app, client, {"sex": "male"}, drop=("pregnant",))
    assert "pregnant" not in submission.answers


@pytest.mark.parametrize("sex", ["female", "other", "no_answer"])
def test_pregnancy_is_asked_of_anyone_who_could_be_pregnant_at_any_age(app, client, sex):
    start(client)
    # A girl of 13: her guardian answers, and the question is still asked.
    typed = typed_input({"sex": sex, "date_of_birth": "2013-06-01"})
    assert post_section(client, "about", typed).status_code == 303
    page = client.get("/intake/needling").get_data(as_text=True)
    assert 'name="pregnant"' in page and "Does not apply to me" in page


def test_a_patient_who_changes_their_answer_to_male_keeps_no_pregnancy_answer(app, client):
    start(client)
    fill_history(client, {"pregnant": "maybe"})
    assert post_section(client, "about", typed_input({"sex": "male"})).status_code == 303
    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert "pregnant" not in stored.answers
        assert "pregnancy_early" not in stored.flags


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("a_little", {}),
        ("very", {"needle_fear": Severity.PRECAUTION}),
        ("severe", {"needle_phobia_severe": Severity.CONTRAINDICATION}),
    ],
)
def test_needle_fear_is_graded_and_ordinary_nerves_raise_nothing(app, client, level, expected):
    submission = signed(app, client, {"needle_fear": "yes", "needle_fear_level": level})
    assert severities(submission) == expected


@pytest.mark.parametrize(
    ("when", "near", "expected"),
    [
        ("within_12_weeks", "yes", {"recent_surgery_near_pain": Severity.CONTRAINDICATION}),
        ("within_12_weeks", "no", {"recent_surgery": Severity.PRECAUTION}),
        ("earlier", "yes", {"recent_surgery": Severity.PRECAUTION}),
        ("earlier", "no", {"recent_surgery": Severity.PRECAUTION}),
    ],
)
def test_recent_surgery_is_graded_by_when_and_where(app, client, when, near, expected):
    changes = {
        "recent_surgery": "yes",
        "recent_surgery_where": "Left knee arthroscopy",
        "recent_surgery_when": when,
        "recent_surgery_near_pain": near,
    }
    assert severities(signed(app, client, changes)) == expected


@pytest.mark.parametrize(
    ("areas", "flagged"),
    [
        (["lower_back"], False),
        (["thigh_knee"], False),
        (["shoulder"], True),
        (["upper_back"], True),
        (["head_neck"], True),
        (["chest_abdomen"], True),
        (["hip", "shoulder"], True),
    ],
)
def test_lung_disease_is_flagged_only_where_a_needle_could_reach_a_lung(
    app, client, areas, flagged
):
    sides = {f"pain_side_{area}": "both" for area in areas}
    lefs = {item_id: "2" for item_id in LEFS.item_ids}  # asked when a leg hurts
    changes = {"pain_areas": areas, "lung_disease": "yes", **sides, **lefs}
    submission = signed(app, client, changes, drop=("pain_side_lower_back",))
    assert submission.answers["lung_disease"] == "yes"
    assert ("lung_risk" in submission.flags) is flagged


def test_an_implant_near_the_pain_is_flagged_and_one_elsewhere_is_not(app, client):
    changes = {
        "metal_implants": "yes",
        "metal_implants_where": "Right hip replacement",
        "metal_implants_near_pain": "no",
    }
    assert severities(signed(app, client, changes)) == {}


def test_an_implant_near_the_pain_is_a_precaution(app, client):
    changes = {
        "metal_implants": "yes",
        "metal_implants_where": "Plate in the lower back",
        "metal_implants_near_pain": "yes",
    }
    assert severities(signed(app, client, changes)) == {
        "metal_implant_near_pain": Severity.PRECAUTION
    }


def test_an_interpreter_is_offered_only_for_another_language_and_flagged(app, client):
    start(client)
    assert post_section(client, "about", typed_input()).status_code == 303
    about = client.get("/intake/about").get_data(as_text=True)
    assert 'id="q-interpreter"' in about  # drawn, hidden until another language is chosen
    changes = {"preferred_language": "spanish", "interpreter": "yes"}
    submission = signed(app, client, changes)
    assert severities(submission) == {"interpreter": Severity.PRECAUTION}


def test_fever_is_a_red_flag_and_a_reason_not_to_needle_yet(app, client):
    submission = signed(app, client, {"fever_sweats": "yes"})
    assert severities(submission) == {
        "fever_night_sweats": Severity.RED_FLAG,
        "infection_now": Severity.PRECAUTION,
    }


def test_every_dry_needling_flag_has_a_reason_staff_can_read():
    for flag in questionnaire.FLAGS.values():
        assert flag.reason.endswith(".") and len(flag.reason) <= 100, flag.code


def test_a_retired_flag_keeps_the_label_and_severity_it_was_signed_with(app_context):
    answers = {**BASE_ANSWERS, "pregnant": "yes", "pregnancy_trimester": "third"}
    (flag,) = questionnaire.flag_details(["pregnancy"])
    assert (flag.label, flag.severity) == ("Pregnant or may be pregnant", "contraindication")
    marked = [
        (view.question_id, [flag.code for flag in view.flags])
        for section in questionnaire.history(
            answers, questionnaire.Audience.CLINIC, stored_flags=["pregnancy"]
        )
        for view in section.answers
        if view.flags
    ]
    assert marked == [("pregnant", ["pregnancy"])]
