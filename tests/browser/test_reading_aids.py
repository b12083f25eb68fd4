"""Help for a patient who is slow, reads poorly or uses a keyboard, in Chromium: more time
before the form is cleared, the countdown announced, Enter between initials boxes, a signature
pad that says what it holds and can undo "Clear signature", and read aloud only with a voice."""

import pytest
from playwright.sync_api import expect

from intake import drafts
from testkit.browser import draw_with_finger, layout_problems
from testkit.factories import make_draft

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


def at_consent(live_server, page) -> None:
    with live_server.app.app_context():
        _, token = make_draft()
    page.context.add_cookies([{"name": drafts.COOKIE_NAME, "value": token, "url": live_server.url}])
    page.goto(live_server.url + "/intake/consent")


def test_enter_in_an_initials_box_goes_to_the_next_box_and_never_submits(live_server, page):
    at_consent(live_server, page)
    boxes = page.locator("input[name^=initials_]")
    boxes.nth(0).fill("JD")
    boxes.nth(0).press("Enter")
    expect(boxes.nth(1)).to_be_focused()
    assert page.url.endswith("/intake/consent")
    boxes.last.fill("JD")
    boxes.last.press("Enter")
    expect(page.locator("#agree")).to_be_focused()
    expect(page.locator("#error-summary")).to_have_count(0)


def test_the_signature_pad_says_what_it_holds_and_clear_can_be_undone(live_server, page):
    at_consent(live_server, page)
    state = page.locator("#signature-state")
    expect(state).to_have_text("The box is empty: no signature yet.")
    canvas = page.get_by_label("Signature", exact=True)
    draw_with_finger(page, canvas)
    expect(state).to_have_text("The box holds your signature.")
    drawn = page.locator("#signature").input_value()
    page.get_by_role("button", name="Clear signature").click()
    expect(state).to_contain_text("Signature cleared")
    assert page.locator("#signature").input_value() == ""
    page.get_by_role("button", name="Undo").click()
    expect(state).to_have_text("The box holds your signature.")
    assert page.locator("#signature").input_value() != ""
    assert len(page.locator("#signature").input_value()) > len(drawn) // 2
    expect(page.get_by_role("button", name="Undo")).to_be_hidden()


def test_i_need_more_time_doubles_the_quiet_time_once_and_the_countdown_is_announced(
    live_server, page
):
    live_server.app.config.update(KIOSK_IDLE_WARNING_SECONDS=2, KIOSK_IDLE_RESET_SECONDS=12)
    at_consent(live_server, page)
    dialog = page.locator("#idle-dialog")
    expect(dialog).to_be_visible(timeout=5_000)
    page.get_by_role("button", name="I need more time").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(2_500)  # past the usual warning: still quiet
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=5_000)
    expect(page.get_by_role("button", name="I need more time")).to_be_hidden()
    # 12 s to go: the live region speaks at 10 s, not every second.
    expect(page.locator("#idle-live")).to_contain_text("cleared in", timeout=6_000)
    page.get_by_role("button", name="I\u2019m still here").click()
    assert page.url.endswith("/intake/consent")


def test_read_aloud_is_offered_only_where_the_browser_has_a_voice(live_server, page):
    at_consent(live_server, page)
    voices = page.evaluate("() => window.speechSynthesis ? speechSynthesis.getVoices().length : 0")
    button = page.locator("[data-read-aloud]")
    if voices == 0:
        expect(button).to_be_hidden()
    else:
        expect(button).to_be_visible()


def test_at_320_px_wide_every_page_reflows_without_a_sideways_scroll(live_server, page):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/")
    assert layout_problems(page) == [], "welcome"
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/intake/about")
    assert layout_problems(page) == [], "about"
    at_consent(live_server, page)
    assert layout_problems(page) == [], "consent"
    page.goto(live_server.url + "/intake/visit")
    assert layout_problems(page) == [], "visit"
