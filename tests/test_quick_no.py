"""'Answer No to the rest' on the tablet's pages of yes/no questions, posted without a script."""

from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from intake import questionnaire
from intake.questionnaire import Kind
from testkit.tablet_client import read_form
from tests.test_kiosk import fill_history, post_section, start, stored_input

QUICK_NO = ("action", "all_no")


def tap_quick_no(client, section_id: str, values: dict, **query) -> str:
    """Post the page as a browser does after typing `values` and tapping the button; the
    page it redirects to."""
    path = f"/intake/{section_id}"
    page = client.get(path, query_string=query).get_data(as_text=True)
    pairs = read_form(page).fill(values, QUICK_NO)
    response = client.post(path, data=MultiDict(pairs))
    assert response.status_code == 303
    return response.location


def test_only_the_history_pages_of_yes_no_questions_offer_it():
    offering = [section.id for section in questionnaire.SECTIONS if section.quick_no]
    assert offering == ["general", "medical"]


def test_it_answers_no_only_where_nothing_was_answered_and_keeps_what_was_typed(app, client):
    start(client)
    typed = {"diabetes": "yes", "cancer": "yes", "cancer_details": "Melanoma, surgery 2024"}
    location = tap_quick_no(client, "medical", typed)
    assert urlsplit(location).path == "/intake/medical"
    assert urlsplit(location).fragment == "quick-no"

    kept = stored_input(app)
    assert kept["diabetes"] == "yes" and kept["cancer"] == "yes"
    assert kept["cancer_details"] == "Melanoma, surgery 2024"
    assert kept["heart_disease"] == "no" and kept["epilepsy"] == "no"
    # Follow-ups are never answered for the patient: asked about a Yes, or revealed by a No.
    assert kept["diabetes_controlled"] == ""
    assert kept.get("cancer_past", "") == ""

    html = client.get(location).get_data(as_text=True)
    given = [
        q.id
        for q in questionnaire.questions_in("medical")
        if q.kind == Kind.YES_NO and q.show_if is None and q.id not in typed
    ]
    assert f"Answered No to {len(given)} questions. You can still change any answer." in html
    assert "Please choose" not in html  # the page is shown again, not checked
    assert 'value="Melanoma, surgery 2024"' in html


def test_a_yes_is_kept_and_a_follow_up_a_no_reveals_is_left_to_the_patient(app, client):
    start(client)
    tap_quick_no(client, "medical", {"lymphedema": "yes", "lymphedema_where": "Left arm"})
    kept = stored_input(app)
    shown_yes_no = [
        q.id
        for q in questionnaire.questions_in("medical")
        if q.kind == Kind.YES_NO and q.show_if is None and q.id != "lymphedema"
    ]
    assert {kept[qid] for qid in shown_yes_no} == {"no"}
    assert kept["lymphedema"] == "yes" and kept["lymphedema_where"] == "Left arm"
    assert kept["cancer"] == "no"
    assert kept.get("cancer_past", "") == ""  # shown only now: the patient answers it

    # Next asks that one question, and nothing else on the page.
    response = post_section(client, "medical", kept)
    assert response.location.startswith("/intake/medical?check=1")
    html = client.get(response.location).get_data(as_text=True)
    assert html.count('class="field-error"') == 1
    assert 'id="cancer_past-error"' in html


def test_a_tap_from_review_returns_to_the_page_changed_from_review(app, client):
    start(client)
    fill_history(client)
    location = tap_quick_no(client, "general", {"night_pain": "yes"}, return_to="review")
    assert "return_to=review" in location and "quick_no=0" in location
    assert stored_input(app)["night_pain"] == "yes"
    html = client.get(location).get_data(as_text=True)
    assert "Every question shown already has an answer." in html
    assert "Save and return to review" in html


def test_a_page_without_the_control_treats_the_action_as_next(app, client):
    start(client)
    response = post_section(client, "about", {}, action="all_no")
    assert response.location.startswith("/intake/about?check=1")


def test_the_button_says_what_it_does(client):
    start(client)
    html = client.get("/intake/medical").get_data(as_text=True)
    assert ">Answer No to the rest</button>" in html
    assert "Sets every question you have not answered to No, except follow-up" in html
    assert 'id="quick-no-status" role="status"' in html
    assert "Answer No to the rest" not in client.get("/intake/about").get_data(as_text=True)
