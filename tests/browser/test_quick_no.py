"""'Answer No to the rest' in Chromium: set on the page without a reload, changed, reviewed."""

import re

import pytest
from playwright.sync_api import expect

from intake import questionnaire
from intake.questionnaire import Kind
from testkit.browser_flow import accessible_name, answer_page, next_page, start
from testkit.factories import typed_input
from tests.browser.test_signers import check_page

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

LIST = [q for q in questionnaire.questions_in("medical") if q.kind == Kind.YES_NO and not q.show_if]


def group(page, question_id: str):
    """A yes/no question's group of radio buttons, by its label."""
    question = questionnaire.BY_ID[question_id]
    return page.get_by_role("group", name=accessible_name(question), exact=True)


def answer(page, question_id: str) -> str:
    """What a question's review row says."""
    label = questionnaire.BY_ID[question_id].label
    row = page.locator(".answer").filter(has=page.get_by_text(label, exact=True))
    return row.locator("dd").inner_text()


def test_a_patient_answers_no_to_the_rest_changes_one_and_reviews(live_server, page):
    typed = typed_input()
    start(page, live_server.url)
    for section_id in ("about", "visit", "general"):
        answer_page(page, section_id, typed)
        next_page(page)
    page.wait_for_url("**/intake/medical")
    answer_page(page, "medical", {"diabetes": "yes", "diabetes_controlled": "yes"})
    page.evaluate("window.stillHere = true")

    page.get_by_role("button", name="Answer No to the rest").click()
    status = page.get_by_role("status").filter(has_text="Answered No")
    expect(status).to_have_text(
        f"Answered No to {len(LIST) - 1} questions. You can still change any answer."
    )
    assert page.evaluate("window.stillHere") is True  # no reload
    expect(group(page, "diabetes").get_by_label("Yes", exact=True)).to_be_checked()
    expect(group(page, "heart_disease").get_by_label("No", exact=True)).to_be_checked()
    expect(group(page, "diabetes_controlled").get_by_label("Yes", exact=True)).to_be_checked()
    # A No reveals "cancer in the past?", for the patient to answer; details stay hidden.
    expect(page.locator("#q-cancer_details")).to_be_hidden()
    expect(group(page, "cancer_past").get_by_label("No", exact=True)).not_to_be_checked()
    check_page(page, "medical history after Answer No to the rest")

    group(page, "osteoporosis").get_by_label("Yes", exact=True).check()
    group(page, "cancer_past").get_by_label("No", exact=True).check()
    next_page(page)
    for section_id in ("medications", "needling"):
        page.wait_for_url(re.compile(rf"/intake/{section_id}$"))
        answer_page(page, section_id, typed)
        next_page(page)
    page.wait_for_url("**/intake/review")

    assert answer(page, "osteoporosis") == "Yes"
    assert answer(page, "diabetes") == "Yes"
    assert answer(page, "diabetes_controlled") == "Yes"
    for question in LIST:
        if question.id not in ("osteoporosis", "diabetes"):
            assert answer(page, question.id) == "No", question.id
