"""The staff side in a real headless Chromium: login by keyboard, dashboard, PDF, idle warning."""

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from intake.models import StaffRole
from testkit.factories import DEFAULT_PASSWORD
from tests.staff_support import (
    ADMIN_EMAIL,
    STAFF_EMAIL,
    add_pdf,
    add_staff,
    add_submission,
)

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


@pytest.fixture
def page(browser):
    """A desktop page (not the tablet) with downloads on; fails on any console or script error."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: _is_problem(m) and problems.append(m.text))
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert problems == []


def _is_problem(message) -> bool:
    """A console error other than the browser's own request for /favicon.ico."""
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")


def _log_in_by_keyboard(page, base: str, email: str = STAFF_EMAIL) -> None:
    page.goto(base + "/staff/")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/staff/")


def test_login_dashboard_download_and_logout(app, live_server, page, tmp_path: Path):
    add_staff(app)
    public_id = add_submission(
        app,
        {
            "first_name": "José",
            "last_name": "Núñez",
            "anticoagulants": "yes",
            "anticoagulants_which": "warfarin",
        },
    )
    content = b"%PDF-1.7\n% the signed intake\n%%EOF\n"
    digest = add_pdf(app, public_id, content)

    _log_in_by_keyboard(page, live_server.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Núñez, José")
    expect(row.get_by_text("Takes a blood thinner")).to_be_visible()

    page.get_by_label("Name or date of birth").fill("nunez")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Núñez, José", exact=True).click()
    expect(page.get_by_role("heading", name="José Núñez")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    # The name as written (filename*), for browsers that read it; ASCII is the fallback.
    assert download.suggested_filename.startswith("Núñez_José_")
    saved = tmp_path / "download.pdf"
    download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == digest

    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text(f"by {STAFF_EMAIL}")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    page.go_back()
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_idle_warning_lets_staff_stay_then_logs_out(app, live_server, page):
    app.config["STAFF_IDLE_TIMEOUT_SECONDS"] = 8  # warned at 4 seconds left
    add_staff(app)
    _log_in_by_keyboard(page, live_server.url)
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog.get_by_role("button", name="Stay logged in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    # Left alone this time: the warning comes back, then the session ends.
    expect(dialog).to_be_visible(timeout=8_000)
    page.wait_for_url("**/staff/login**", timeout=12_000)
    expect(
        page.get_by_text("You were logged out after 8 seconds without activity.")
    ).to_be_visible()


def test_admin_pages_are_reachable_from_the_menu(app, live_server, page):
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    _log_in_by_keyboard(page, live_server.url, ADMIN_EMAIL)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="auth.login")).to_be_visible()
    page.get_by_role("link", name="Staff accounts").click()
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
