"""The patient flow in Chromium on a touch tablet: every page, signing, errors and resets."""

import pytest
from flask import abort
from sqlalchemy import func, select

from intake import drafts
from intake.extensions import db
from intake.models import Draft, Submission
from intake.questionnaire.instruments import LEFS
from testkit.browser import (
    LANDSCAPE,
    LARGE_LANDSCAPE,
    PORTRAIT,
    axe_violations,
    check_tablet_page,
    draw_with_finger,
    ink_pixels,
    signature_field,
    tap_with_finger,
)
from testkit.browser_flow import fill_history, initial_every_clause, next_page, start
from testkit.factories import make_draft

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


# The hidden field describes the strokes at the box's current size.
SIGNATURE_FITS_BOX = """() => {
    const box = document.querySelector("#signature-canvas").getBoundingClientRect();
    const value = document.querySelector("#signature").value;
    return value !== "" && Math.abs(JSON.parse(value).width - box.width) < 0.5;
}"""


def stored(live_server, query):
    with live_server.app.app_context():
        return db.session.execute(query).scalars().all()


def count(live_server, model) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def at_consent(live_server, page, answers=None) -> None:
    """A tablet whose draft holds a complete history, on the consent page."""
    with live_server.app.app_context():
        _, token = make_draft(answers)
    page.context.add_cookies([{"name": drafts.COOKIE_NAME, "value": token, "url": live_server.url}])
    page.goto(live_server.url + "/intake/consent")


def sign_and_submit(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()


def check_page(page, name: str) -> None:
    """axe-core finds nothing serious; the layout holds from portrait to large landscape."""
    check_tablet_page(page, name, (PORTRAIT, LANDSCAPE, LARGE_LANDSCAPE))


def test_the_whole_flow_with_a_drawn_signature(live_server, page):
    live_server.app.config["KIOSK_THANK_YOU_SECONDS"] = 2
    page.goto(live_server.url + "/")
    check_page(page, "welcome")
    start(page, live_server.url)
    # A painful knee: every page is checked, the LEFS's included.
    knee = {
        "pain_areas": ["lower_back", "thigh_knee"],
        "pain_side_thigh_knee": "both",
        **{item_id: "4" for item_id in LEFS.item_ids},
    }
    fill_history(page, knee, on_each_page=lambda section_id: check_page(page, section_id))

    review = page.get_by_role("main")
    assert "Review your answers" in review.inner_text()
    assert "April 12, 1970" in review.inner_text()
    check_page(page, "review")
    next_page(page)

    page.wait_for_url("**/intake/consent")
    check_page(page, "consent")
    initial_every_clause(page, "JD")
    page.get_by_label("I have read this consent").check()
    canvas = page.get_by_label("Signature", exact=True)
    draw_with_finger(page, canvas)
    assert ink_pixels(page) > 500
    field = signature_field(page)
    assert len(field["data"]) == 3
    sign_and_submit(page)

    page.wait_for_url("**/intake/thanks")
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert "Jane" not in page.content() and "Doe" not in page.content()
    check_page(page, "thanks")
    (submission,) = stored(live_server, select(Submission))
    assert submission.full_name == "Jane Doe"
    assert submission.signature_kind == "drawn"
    assert len(submission.signature_strokes["strokes"]) == 3
    assert submission.signature_strokes["width"] == round(field["width"], 1)
    assert submission.signature_svg.startswith("<svg")
    assert count(live_server, Draft) == 0

    # The thank-you page returns to the welcome screen by itself.
    page.wait_for_url(live_server.url + "/", timeout=6_000)
    assert page.get_by_role("button", name="Start").is_visible()


def test_a_minor_signed_by_a_parent(live_server, page):
    start(page, live_server.url)
    fill_history(page, {"date_of_birth": "2014-03-09"})
    next_page(page)
    assert "is under 18" in page.get_by_role("main").inner_text()
    check_page(page, "consent for a minor")
    page.get_by_label("Parent\u2019s or legal guardian\u2019s full name").fill("Mary Roe")
    page.get_by_role("group", name="Relationship to the patient").get_by_label("Parent").check()
    page.get_by_label("Parent\u2019s or guardian\u2019s phone number").fill("(312) 555-0107")
    initial_every_clause(page, "MR")
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    sign_and_submit(page)
    page.wait_for_url("**/intake/thanks")
    (submission,) = stored(live_server, select(Submission))
    assert (submission.signer_name, submission.signer_relationship) == ("Mary Roe", "parent")
    assert submission.guardian_phone == "(312) 555-0107"
    assert set(submission.consent_initials.values()) == {"MR"}


def test_a_typed_signature(live_server, page):
    at_consent(live_server, page)
    page.get_by_role("group", name="How would you like to sign?").get_by_label(
        "Type my name"
    ).check()
    assert not page.get_by_label("Signature", exact=True).is_visible()
    initial_every_clause(page, "jd")
    page.get_by_label("I have read this consent").check()
    page.get_by_label("Type your full name").fill("Jane Doe")
    sign_and_submit(page)
    # Without the intent box: refused next to it, and everything typed is still there.
    message = page.locator("#typed_intent-error")
    assert "confirm that the typed name is your signature" in message.inner_text()
    assert page.get_by_label("Type your full name").input_value() == "Jane Doe"
    assert page.locator("input[name=initials_what]").input_value() == "jd"
    page.get_by_label("I intend this typed name as my signature.").check()
    sign_and_submit(page)
    page.wait_for_url("**/intake/thanks")
    (submission,) = stored(live_server, select(Submission))
    assert (submission.signature_kind, submission.typed_signature) == ("typed", "Jane Doe")


def test_validation_errors_keep_what_was_typed(live_server, page):
    start(page, live_server.url)
    page.get_by_label("First name").fill("Zo\u00eb")
    page.get_by_label("Date of birth").fill("04/12/2090")
    page.get_by_label("Email (optional)").fill("zoe@@example")
    page.get_by_label("Phone number").fill("555-12")
    next_page(page)

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "cannot be in the future" in page.locator("#q-date_of_birth .field-error").inner_text()
    assert "email address" in page.locator("#q-email .field-error").inner_text()
    assert "area code" in page.locator("#q-phone .field-error").inner_text()
    assert "Please fill this in." in page.locator("#q-last_name .field-error").inner_text()
    assert page.get_by_label("First name").input_value() == "Zo\u00eb"
    assert page.get_by_label("Date of birth").input_value() == "04/12/2090"
    assert page.get_by_label("Email (optional)").input_value() == "zoe@@example"
    check_page(page, "about with errors")

    # A reload keeps everything typed: it is in the draft on the server, not in the browser.
    page.reload()
    assert page.get_by_label("Email (optional)").input_value() == "zoe@@example"
    storage = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert storage == [0, 0, ""]


def test_a_tap_is_not_a_signature_and_the_draft_survives(live_server, page):
    at_consent(live_server, page)
    initial_every_clause(page, "JD")
    page.get_by_label("I have read this consent").check()
    tap_with_finger(page, page.get_by_label("Signature", exact=True))
    sign_and_submit(page)
    assert "tap or a dot" in page.locator("#signature-error").inner_text()
    check_page(page, "consent with an error")
    assert page.locator("input[name=initials_what]").input_value() == "JD"
    assert count(live_server, Submission) == 0 and count(live_server, Draft) == 1
    page.get_by_role("button", name="Clear signature").click()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    sign_and_submit(page)
    page.wait_for_url("**/intake/thanks")


def test_resizing_and_rotating_after_drawing_keep_the_signature(live_server, page):
    at_consent(live_server, page)
    canvas = page.get_by_label("Signature", exact=True)
    draw_with_finger(page, canvas)
    drawn = signature_field(page)
    portrait_ink = ink_pixels(page)
    assert portrait_ink > 500

    for size in (LANDSCAPE, LARGE_LANDSCAPE, PORTRAIT, LARGE_LANDSCAPE):
        page.set_viewport_size(size)
        page.wait_for_function(SIGNATURE_FITS_BOX)
        box = canvas.bounding_box()
        field = signature_field(page)
        assert field["width"] == pytest.approx(box["width"], abs=0.5), size
        assert len(field["data"]) == len(drawn["data"])
        assert ink_pixels(page) > 0.5 * portrait_ink * (box["width"] / drawn["width"]), size
        # The strokes kept their place in the box: scaled, not cut off or moved.
        first, scaled = drawn["data"][0]["points"][0], field["data"][0]["points"][0]
        assert scaled["x"] / field["width"] == pytest.approx(first["x"] / drawn["width"], abs=0.01)

    initial_every_clause(page, "JD")
    page.get_by_label("I have read this consent").check()
    sign_and_submit(page)
    page.wait_for_url("**/intake/thanks")
    (submission,) = stored(live_server, select(Submission))
    assert submission.signature_strokes["width"] == pytest.approx(field["width"], abs=0.1)
    assert len(submission.signature_strokes["strokes"]) == 3


def test_a_double_tap_on_sign_and_submit_stores_one_submission(live_server, page):
    at_consent(live_server, page)
    initial_every_clause(page, "JD")
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    button = page.get_by_role("button", name="Sign and submit")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_navigation():
        page.touchscreen.tap(x, y)
        page.touchscreen.tap(x, y)
    page.wait_for_url("**/intake/thanks")
    assert count(live_server, Submission) == 1
    assert count(live_server, Draft) == 0


def test_back_after_the_thank_you_page_shows_nothing_of_the_patient(live_server, page):
    start(page, live_server.url)
    fill_history(page)
    next_page(page)
    initial_every_clause(page, "JD")
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    sign_and_submit(page)
    page.wait_for_url("**/intake/thanks")
    visited = []
    while True:
        page.go_back()
        page.wait_for_load_state()
        if page.url == "about:blank":
            break
        visited.append(page.url)
        text = page.content()
        assert "Jane" not in text and "Doe" not in text and "1970" not in text, page.url
        assert page.url == live_server.url + "/", "every page of the flow now shows the welcome"
    assert len(visited) >= 7


def test_inactivity_warns_then_discards_the_draft(live_server, page):
    live_server.app.config.update(KIOSK_IDLE_WARNING_SECONDS=1, KIOSK_IDLE_RESET_SECONDS=2)
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    dialog.wait_for(state="visible", timeout=4_000)
    assert axe_violations(page) == []
    page.get_by_role("button", name="I\u2019m still here").click()
    assert not dialog.is_visible()
    assert page.get_by_label("First name").input_value() == "Jane"

    page.wait_for_url(live_server.url + "/", timeout=8_000)
    assert page.get_by_role("button", name="Start").is_visible()
    assert count(live_server, Draft) == 0
    assert "Jane" not in page.content()


def test_follow_up_questions_appear_after_the_answer_that_calls_for_them(live_server, page):
    start(page, live_server.url)
    page.goto(live_server.url + "/intake/medical")
    details = page.get_by_label("What kind, and what treatment?")
    assert not details.is_visible()
    cancer = page.get_by_role("group", name="Cancer now, or in treatment for cancer")
    cancer.get_by_label("Yes").check()
    assert details.is_visible()
    cancer.get_by_label("No").check()
    assert not details.is_visible()


def test_a_dropped_connection_loses_nothing(live_server, page):
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.context.set_offline(True)
    page.get_by_role("button", name="Next", exact=True).click()
    assert page.get_by_role("alert").filter(has_text="no connection").is_visible()
    assert page.get_by_label("Last name").input_value() == "Doe"
    page.context.set_offline(False)
    # What was typed reached the server as it was typed: a reload shows it again.
    page.wait_for_timeout(2_000)
    page.reload()
    assert page.get_by_label("Last name").input_value() == "Doe"


def test_stop_and_clear_my_answers(live_server, page):
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Date of birth").fill("04/12/1970")
    next_page(page)  # the errors do not matter: what was typed is saved
    page.goto(live_server.url + "/")
    check_page(page, "welcome with a draft on this tablet")
    page.get_by_role("link", name="Continue where I left off").click()
    page.wait_for_url("**/intake/resume")
    check_page(page, "date of birth to continue")
    assert "Jane" not in page.content()
    page.get_by_label("Date of birth").fill("04/12/1970")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/intake/about")
    assert page.get_by_label("First name").input_value() == "Jane"
    page.get_by_role("link", name="Stop and clear my answers").click()
    check_page(page, "stop")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, clear my answers").click()
    assert page.url == live_server.url + "/"
    assert count(live_server, Draft) == 0
    assert not page.get_by_role("link", name="Continue where I left off").is_visible()


def test_a_page_whose_session_was_lost_comes_back_as_typed(live_server, page):
    """The browser lost its session cookie (closed, tab restored): the form token no longer
    matches. The page comes back with what was typed and a notice; one more tap saves it."""
    start(page, live_server.url)
    page.context.clear_cookies(name="session")  # the draft's own cookie stays
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Date of birth").fill("04/12/1970")
    next_page(page)

    assert page.url.endswith("/intake/about")
    assert page.get_by_role("status").filter(has_text="open too long to be saved").is_visible()
    assert page.get_by_label("Last name").input_value() == "Doe"
    check_page(page, "about after an expired token")
    fill_history(page)  # the same page, answered and sent again, now with a good token
    assert count(live_server, Draft) == 1


def test_a_draft_left_behind_an_error_page_is_still_cleared(live_server, page):
    """An error page on the tablet keeps the inactivity guard: the next patient never finds
    the last one's answers behind "Continue where I left off"."""
    app = live_server.app

    @app.get("/intake-broken")
    def broken():
        abort(400)

    app.config.update(KIOSK_IDLE_WARNING_SECONDS=1, KIOSK_IDLE_RESET_SECONDS=2)
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    next_page(page)  # saved, with the page's messages
    page.goto(live_server.url + "/intake-broken")
    assert page.get_by_role("heading", name="Something went wrong with that request").is_visible()
    check_page(page, "an error page with a draft on the tablet")

    page.wait_for_url(live_server.url + "/", timeout=8_000)
    assert count(live_server, Draft) == 0
    assert not page.get_by_role("link", name="Continue where I left off").is_visible()
