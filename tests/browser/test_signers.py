"""Who signs, in Chromium: real-world names, a minor's guardian, an adult's representative."""

import io
import re
import threading
import time

import pytest
from flask import request
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from intake.extensions import db
from intake.models import Submission
from testkit.browser import check_tablet_page as check_page
from testkit.browser import draw_with_finger
from testkit.browser_flow import fill_history, initial_every_clause, next_page, start
from tests.chart_support import flat

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


def the_submission(live_server) -> tuple[Submission, str]:
    """The one stored submission, and the text of its signed PDF as pypdf reads it."""
    with live_server.app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        (document,) = submission.documents
        reader = PdfReader(io.BytesIO(document.content))
        text = flat(" ".join(page.extract_text() for page in reader.pages))
        db.session.expunge(submission)
    return submission, text


def at_consent_page(live_server, page, answers: dict) -> None:
    """Start, answer the whole history with these answers, and go on from the review."""
    start(page, live_server.url)
    fill_history(page, answers)
    next_page(page)
    page.wait_for_url("**/intake/consent")


def sign(page, initials: str) -> None:
    """Initial every part, agree, draw the signature and tap "Sign and submit"."""
    initial_every_clause(page, initials)
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()


@pytest.mark.parametrize(
    ("first", "last", "initials"),
    [
        # The initials these people write: first name and the first part of the surname.
        ("Zo\u00eb", "O'Brien-\u0141ukasz", "ZO"),
        ("Mar\u00eda Jos\u00e9", "Garc\u00eda L\u00f3pez", "MG"),
    ],
    ids=["hyphenated surname", "Spanish double surname"],
)
def test_a_patient_with_a_compound_surname_signs(live_server, page, first, last, initials):
    at_consent_page(live_server, page, {"first_name": first, "last_name": last})
    note = page.locator(".signer-note:visible")
    assert f"You are signing as {first} {last}" in note.inner_text()
    sign(page, initials)
    page.wait_for_url("**/intake/thanks")
    submission, text = the_submission(live_server)
    assert (submission.signer_name, submission.signer_relationship) == (f"{first} {last}", "self")
    assert set(submission.consent_initials.values()) == {initials}
    assert f"Signed by {first} {last}" in text


def test_a_minor_s_guardian_gives_their_name_before_the_initials(live_server, page):
    at_consent_page(live_server, page, {"date_of_birth": "2013-02-20"})
    name = page.get_by_label("Parent\u2019s or legal guardian\u2019s full name")
    first_initials = page.locator("input[name^=initials_]").first
    assert name.bounding_box()["y"] < first_initials.bounding_box()["y"]
    assert "your own" in page.locator(".signer-note").inner_text()
    # Initials before the name: refused, and what was typed stays to be corrected.
    page.get_by_role("group", name="Relationship to the patient").get_by_label(
        "Legal guardian"
    ).check()
    sign(page, "AL")
    assert "under 18" in page.locator("#error-summary").inner_text()
    assert page.locator("input[name=initials_what]").input_value() == "AL"
    name.fill("Ana Lima")
    page.get_by_label("Parent\u2019s or guardian\u2019s phone number").fill("+1 773 555 0123")
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()
    page.wait_for_url("**/intake/thanks")
    submission, text = the_submission(live_server)
    assert (submission.signer_name, submission.signer_relationship) == (
        "Ana Lima",
        "legal_guardian",
    )
    assert "Signed by Ana Lima" in text and "Relationship to the patient Legal guardian" in text
    assert submission.guardian_phone == "+1 773 555 0123"
    assert "Parent\u2019s or guardian\u2019s phone +1 773 555 0123" in text


def test_an_adult_s_representative_signs_and_the_pdf_names_them(live_server, page):
    at_consent_page(live_server, page, {})
    who = page.get_by_role("group", name="Who is signing?")
    assert who.get_by_label("I am signing for myself").is_checked()
    representative_name = page.get_by_label("Representative\u2019s full name")
    assert not representative_name.is_visible()

    who.get_by_label("legally authorised representative").check()
    expect(representative_name).to_be_visible()
    note = page.locator(".signer-note:visible")
    assert "your own initials (the representative\u2019s), not the patient\u2019s" in (
        note.inner_text()
    )
    first_initials = page.locator("input[name^=initials_]").first
    assert representative_name.bounding_box()["y"] < first_initials.bounding_box()["y"]
    representative_name.fill("Robert Smith")
    page.get_by_role("group", name="What allows you to sign for the patient?").get_by_label(
        "Health-care power of attorney"
    ).check()
    # The patient's own initials are not the representative's.
    check_page(page, "consent signed by a representative")
    sign(page, "JD")
    assert "(Robert Smith)" in page.locator("#error-summary").inner_text()
    check_page(page, "consent signed by a representative, refused")
    # Each line of the summary takes the patient to its box.
    links = page.locator("#error-summary a")
    for index in range(links.count()):
        link = links.nth(index)
        target = page.locator(link.get_attribute("href"))
        link.click()
        expect(target).to_be_in_viewport()
        page.evaluate("window.scrollTo(0, 0)")
    assert representative_name.input_value() == "Robert Smith"  # kept after the refusal
    assert (
        page.get_by_role("group", name="Who is signing?")
        .get_by_label("legally authorised representative")
        .is_checked()
    )
    sign(page, "RS")
    # A redirect keeps the address's #fragment of the last link followed.
    page.wait_for_url(re.compile(r"/intake/thanks(#.*)?$"))

    submission, text = the_submission(live_server)
    assert submission.full_name == "Jane Doe"
    assert (submission.signer_name, submission.signer_relationship) == (
        "Robert Smith",
        "health_care_poa",
    )
    assert "Signed by Robert Smith" in text
    assert "Relationship to the patient Health-care power of attorney" in text


def test_sign_and_submit_says_saving_while_its_request_runs(live_server, page):
    app = live_server.app
    # The server is made slow on purpose, so the page can be seen while it waits.
    arrived, release = threading.Event(), threading.Event()

    @app.before_request
    def slow_signing():
        if request.path == "/intake/consent" and request.form.get("action") == "submit":
            arrived.set()
            release.wait(timeout=10)

    at_consent_page(live_server, page, {})
    initial_every_clause(page, "JD")
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    # Chromium answers no question about a page whose post is on its way, so the page notes
    # for itself the moment the button is disabled and says "Saving…", and the next page
    # (same tab, same origin) reads the note.
    page.evaluate(
        """() => {
            const button = document.querySelector("#consent-form button[value=submit]");
            new MutationObserver(() => {
                if (button.disabled && button.textContent === "Saving\u2026") {
                    sessionStorage.setItem("seen-saving", "yes");
                }
            }).observe(button, {attributes: true, childList: true, characterData: true});
        }"""
    )
    page.locator("#consent-form button[value=submit]").click(no_wait_after=True)
    assert arrived.wait(timeout=10), "the signature never reached the server"
    time.sleep(0.3)  # the page's moment to say so, while the server holds the request
    release.set()
    page.wait_for_url("**/intake/thanks")
    assert page.evaluate("() => sessionStorage.getItem('seen-saving')") == "yes"
    submission, _ = the_submission(live_server)
    assert submission.signer_name == "Jane Doe"
