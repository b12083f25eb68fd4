"""Two-step login in a real Chromium: enrol with the key shown beside the QR code, log out, log
in with a code, then with a recovery code (once only); a wrong code is refused and audited."""

import re
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from testkit.browser import AXE_JS, axe_violations
from testkit.factories import DEFAULT_PASSWORD
from tests.staff_support import STAFF_EMAIL, add_staff, audit_events

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


@pytest.fixture
def page(browser):
    """A desktop page that fails the test on any console error (a CSP violation included)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE_JS))  # not subject to the page's CSP
    tab = context.new_page()
    problems: list[str] = []
    tab.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico")
            and problems.append(m.text)
        ),
    )
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert problems == []


def _password(page, base: str) -> None:
    page.goto(base + "/staff/login")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").first.click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()


def _fresh_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """The app's code now, waiting for the next one if this one was used already."""
    while (code := totp.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def test_enrol_log_in_with_a_code_then_a_recovery_code_once(app, live_server, page, tmp_path):
    app.config["STAFF_REQUIRE_MFA"] = True
    add_staff(app)
    base = live_server.url

    _password(page, base)
    expect(page.get_by_role("heading", name="Set up two-step login")).to_be_visible()
    qr = page.locator("svg.qr-code")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 150  # large enough for a phone to read
    code_field = page.get_by_label("6-digit code")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"
    assert axe_violations(page) == []
    shot = Path(tmp_path) / "enrol.png"
    page.screenshot(path=str(shot), full_page=True)
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    used: set[str] = set()

    code_field.fill(_fresh_code(totp, used))
    page.get_by_role("button", name="Turn on two-step login").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert axe_violations(page) == []
    codes = page.locator("ol.recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them — continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    _log_out(page)

    # With a code from the app.
    _password(page, base)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_label("6-digit code")).to_be_focused()
    page.keyboard.type(_fresh_code(totp, used))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    _log_out(page)

    # A wrong code is refused, and the audit log has it.
    _password(page, base)
    valid = {totp.at(time.time() + offset) for offset in (-30, 0, 30, 60)}
    wrong = next(c for c in ("135790", "246801", "975310", "864200") if c not in valid)
    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    expect(page.get_by_label("6-digit code")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []

    # A recovery code instead: accepted once…
    page.get_by_role("link", name="Use a recovery code").click()
    page.get_by_role("textbox", name="Recovery code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You used a recovery code; 9 left.")).to_be_visible()
    _log_out(page)

    # …and refused the second time.
    _password(page, base)
    page.get_by_role("link", name="Use a recovery code").click()
    page.get_by_role("textbox", name="Recovery code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("That recovery code was used already")).to_be_visible()
    page.goto(base + "/staff/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    outcomes = [e["outcome"] for e in audit_events(app, "auth.two_step_code")]
    assert outcomes == ["success", "wrong_code"]
    recovery = [e["outcome"] for e in audit_events(app, "auth.recovery_code")]
    assert recovery == ["success", "replayed"]
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", codes[0])
