"""Signing in Chromium with the names and initials real people write."""

import re

import pytest
from sqlalchemy import select

from intake.models import Submission
from testkit.browser import draw_with_finger
from testkit.browser_flow import initial_every_clause
from tests.browser.test_patient_flow import at_consent, sign_and_submit, stored

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


def sign(page, initials: str) -> None:
    initial_every_clause(page, initials)
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    sign_and_submit(page)


@pytest.mark.parametrize(
    ("first", "last", "initials", "stored_initials"),
    [
        ("Zoë", "O'Brien-Łukasz", "zo", "ZO"),
        ("María José", "García López", "M.G.", "MG"),
        ("Thị Minh Khai", "Nguyễn", "T. M. K. N.", "TMKN"),
    ],
)
def test_a_patient_signs_with_the_initials_they_write(
    live_server, page, first, last, initials, stored_initials
):
    at_consent(live_server, page, {"first_name": first, "last_name": last})
    sign(page, initials)
    page.wait_for_url("**/intake/thanks")
    (submission,) = stored(live_server, select(Submission))
    assert submission.signer_name == f"{first} {last}"
    assert set(submission.consent_initials.values()) == {stored_initials}


def test_refused_initials_suggest_initials_that_are_then_accepted(live_server, page):
    at_consent(live_server, page, {"first_name": "Zoë", "last_name": "O'Brien-Łukasz"})
    sign(page, "OZ")
    message = page.get_by_role("main").inner_text()
    example = re.search(r"for example (\w+)\.", message)
    assert example and example.group(1) == "ZO"
    assert stored(live_server, select(Submission)) == []
    sign(page, example.group(1))
    page.wait_for_url("**/intake/thanks")
    (submission,) = stored(live_server, select(Submission))
    assert set(submission.consent_initials.values()) == {"ZO"}
