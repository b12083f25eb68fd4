"""The therapist's part of consent in Chromium: one therapist confirms, another declines, a
third records a withdrawal; each downloads the addendum PDF their decision made, and it names
them, their credentials, the time and the signed intake PDF's SHA-256."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake import clock
from intake.chart import render_and_store
from intake.extensions import db
from intake.models import ChartDocument, DocumentKind, StaffRole, Submission
from testkit.factories import DEFAULT_PASSWORD, make_staff, make_submission
from tests.chart_support import pdf_pages, squeezed
from tests.staff_support import STAFF_EMAIL, add_staff

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

THERAPISTS = {
    "confirm": ("dana@example.org", "Dana Reyes", "PT, DPT, Cert. DN"),
    "decline": ("kwame@example.org", "Kwame Mensah-Bonsu", "PT, MSPT"),
    "withdraw": ("linh@example.org", "Nguyễn Thị Linh", "DPT, OCS"),
}


@pytest.fixture
def staff_context(browser):
    """Open a desktop browser profile per person; each fails the test on a console error."""
    opened, problems = [], []

    def open_page():
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        tab = context.new_page()
        tab.on("console", lambda m: _is_problem(m) and problems.append(m.text))
        tab.on("pageerror", lambda error: problems.append(str(error)))
        return tab

    yield open_page
    for context in opened:
        context.close()
    assert problems == []


def _is_problem(message) -> bool:
    """A console error other than the browser's own request for /favicon.ico."""
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")


def _signed_intake(app, last_name: str) -> tuple[str, str]:
    """A submission with its intake PDF really rendered; its public id and the PDF's SHA-256."""
    with app.app_context():
        submission = make_submission({"first_name": "Amara", "last_name": last_name})
        assert render_and_store(submission) is not None
        sha256 = db.session.scalar(
            select(ChartDocument.sha256).where(
                ChartDocument.submission_id == submission.id,
                ChartDocument.kind == DocumentKind.INTAKE,
            )
        )
        return str(submission.public_id), sha256


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/staff/")


def _addendum_text(page, tmp_path: Path, name: str) -> str:
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("^Addendum PDF")).last.click()
    saved = tmp_path / f"{name}.pdf"
    download_info.value.save_as(saved)
    return squeezed("\n".join(pdf_pages(saved.read_bytes())))


def test_three_therapists_confirm_decline_and_record_a_withdrawal(
    app, live_server, staff_context, tmp_path
):
    base = live_server.url
    with app.app_context():
        for email, name, credentials in THERAPISTS.values():
            make_staff(email, StaffRole.THERAPIST, display_name=name, credentials=credentials)
        today = clock.clinic_today()
    intakes = {what: _signed_intake(app, f"Obi-{what}") for what in THERAPISTS}

    # The front desk sees the consent waiting for the therapist, and cannot record it.
    add_staff(app)
    desk = staff_context()
    _log_in(desk, base, STAFF_EMAIL)
    row = desk.get_by_role("row").filter(has_text="Obi-confirm, Amara")
    expect(row.get_by_text("Signed by patient")).to_be_visible()
    row.get_by_role("link", name="Obi-confirm, Amara", exact=True).click()
    expect(desk.get_by_text("Only a therapist records the consent conversation")).to_be_visible()
    expect(desk.get_by_role("button", name="Sign confirmation")).to_have_count(0)

    for what, (email, name, credentials) in THERAPISTS.items():
        public_id, intake_sha256 = intakes[what]
        page = staff_context()
        _log_in(page, base, email)
        page.goto(f"{base}/staff/submissions/{public_id}")
        before = datetime.now(UTC)
        if what == "confirm":
            page.get_by_text("Confirm: discussed, questions answered").click()
            until = page.get_by_label("Consent in force until")
            expect(until).to_have_value((today.replace(year=today.year + 1)).isoformat())
            until.fill((today + timedelta(days=90)).isoformat())
            page.get_by_label("Note (optional)").first.fill("Explained the twitch response.")
            page.get_by_role("button", name="Sign confirmation").click()
            state, words = "Confirmed by therapist", "patient agrees to dry needling"
        elif what == "decline":
            page.get_by_text("Decline: dry needling not appropriate").click()
            page.get_by_label("The patient declined dry needling").check()
            page.get_by_role("button", name="Sign decline").click()
            state, words = "Declined", "The patient declined dry needling"
        else:
            page.get_by_text("Record a withdrawal of consent").click()
            page.get_by_label("Who they told").fill("Sam, front desk")
            page.get_by_label("How", exact=True).select_option(label="By phone")
            page.get_by_role("button", name="Sign withdrawal").click()
            state, words = "Withdrawn", "The patient withdrew their consent"
        expect(
            page.get_by_text(f"{state}: recorded, and its addendum PDF is stored.")
        ).to_be_visible()
        panel = page.get_by_role("region", name="Consent for dry needling")
        expect(panel.locator(".status").first).to_have_text(state)

        text = _addendum_text(page, tmp_path, what)
        for expected in (words, f"{name}, {credentials}", email, intake_sha256):
            assert squeezed(expected) in text, (what, expected)
        signed_at = re.search(r"Signedat\(UTC\)(\d{4}-\d\d-\d\d\d\d:\d\d:\d\d)UTC", text)
        assert signed_at, text
        moment = datetime.strptime(signed_at.group(1), "%Y-%m-%d%H:%M:%S").replace(tzinfo=UTC)
        assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC)

    # The dashboard shows where each consent stands.
    desk.goto(base + "/staff/")
    for what, state in (
        ("confirm", "Confirmed by therapist"),
        ("decline", "Declined"),
        ("withdraw", "Withdrawn"),
    ):
        row = desk.get_by_role("row").filter(has_text=f"Obi-{what}, Amara")
        expect(row.locator(".status", has_text=state)).to_have_count(1)
    with app.app_context():
        rows = db.session.execute(select(Submission.last_name, Submission.consent_state)).all()
    assert sorted(rows) == [
        ("Obi-confirm", "confirmed"),
        ("Obi-decline", "declined"),
        ("Obi-withdraw", "withdrawn"),
    ]
