"""A tablet left alone shows no one's answers, in Chromium: across a browser restart, with
and without the draft's cookie carried over, with scripts off, and behind the date of birth."""

import time

import pytest
from sqlalchemy import func, select

from intake import drafts
from intake.extensions import db
from intake.models import Draft
from testkit.browser import AXE_JS, TABLET, axe_violations, layout_problems
from testkit.browser_flow import next_page, start

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

WARNING, RESET = 2, 2
# What the patient typed; none of it may show without the date of birth.
ANSWERS = ("Jane", "Doe", "555 0142")


def count_drafts(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Draft))


def restarted(browser, state: dict, *, keep_session_cookies: bool, javascript: bool = True):
    """A new browser context from the old one's storage: a real restart of the kiosk browser
    drops session cookies; carrying them over is the worst case (a restored session)."""
    cookies = [
        cookie for cookie in state["cookies"] if keep_session_cookies or cookie["expires"] != -1
    ]
    context = browser.new_context(
        **TABLET, storage_state={**state, "cookies": cookies}, java_script_enabled=javascript
    )
    context.set_default_timeout(10_000)
    context.add_init_script(path=str(AXE_JS))
    return context


def shows_no_answer(page) -> bool:
    html = page.content()
    return not any(answer in html for answer in ANSWERS)


def type_about_you(page) -> None:
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Date of birth").fill("04/12/1970")
    page.get_by_label("Phone number").fill("(312) 555-0142")
    next_page(page)  # saved, with the messages of what is still missing


def test_a_draft_left_idle_is_refused_after_a_browser_restart(live_server, browser, page):
    live_server.app.config.update(
        KIOSK_IDLE_WARNING_SECONDS=WARNING, KIOSK_IDLE_RESET_SECONDS=RESET
    )
    page.goto(live_server.url + "/")
    with page.expect_response(lambda response: response.url.endswith("/start")) as started:
        page.get_by_role("button", name="Start").click()
    set_cookie = started.value.header_value("set-cookie")
    assert set_cookie.startswith(drafts.COOKIE_NAME + "=")
    assert "max-age" not in set_cookie.lower() and "expires" not in set_cookie.lower()
    type_about_you(page)
    assert "Doe" in page.content() and count_drafts(live_server) == 1

    # The kiosk browser is closed mid-form (no page script left to discard the draft)...
    state = page.context.storage_state()
    page.close()
    draft_cookie = next(c for c in state["cookies"] if c["name"] == drafts.COOKIE_NAME)
    assert draft_cookie["expires"] == -1  # a session cookie
    time.sleep(WARNING + RESET + 3)  # ...left alone past the warning, reset and keep-alive time

    # A real restart drops session cookies: the tablet has no draft at all.
    context = restarted(browser, state, keep_session_cookies=False)
    fresh = context.new_page()
    assert not any(c["name"] == drafts.COOKIE_NAME for c in context.cookies())
    fresh.goto(live_server.url + "/intake/about")
    assert fresh.url == live_server.url + "/" and shows_no_answer(fresh)
    assert not fresh.get_by_role("link", name="Continue where I left off").is_visible()
    context.close()

    # Even with the cookie carried over, and no script running, the server refuses the draft.
    context = restarted(browser, state, keep_session_cookies=True, javascript=False)
    answer = context.request.get(live_server.url + "/intake/about", max_redirects=0)
    assert answer.status == 303 and answer.headers["location"].endswith("/")
    assert "Doe" not in answer.text()
    assert count_drafts(live_server) == 0  # closed means deleted
    stale = context.new_page()
    for path in ["/intake/about", "/intake/review", "/intake/consent", "/intake/resume", "/"]:
        stale.goto(live_server.url + path)
        assert stale.url == live_server.url + "/", path
        assert shows_no_answer(stale), path
        assert not stale.get_by_role("link", name="Continue where I left off").is_visible()
    context.close()


def test_a_draft_found_at_the_welcome_screen_asks_for_the_date_of_birth(live_server, browser, page):
    """Restarted within the idle time with its cookie kept (a restored session): the welcome
    screen offers the draft, but neither it nor any page shows an answer without the date of
    birth the patient typed; three wrong ones close it."""
    start(page, live_server.url)
    type_about_you(page)
    state = page.context.storage_state()
    page.close()

    context = restarted(browser, state, keep_session_cookies=True)
    tablet = context.new_page()
    tablet.goto(live_server.url + "/")
    assert shows_no_answer(tablet)
    for path in ["/intake/about", "/intake/visit", "/intake/review"]:
        tablet.goto(live_server.url + path)
        assert tablet.url == live_server.url + "/intake/resume", path
        assert shows_no_answer(tablet), path
    assert axe_violations(tablet) == [] and layout_problems(tablet) == []

    tablet.goto(live_server.url + "/")
    tablet.get_by_role("link", name="Continue where I left off").click()
    tablet.wait_for_url("**/intake/resume")
    tablet.get_by_label("Date of birth").fill("12/04/1970")
    with tablet.expect_navigation():
        tablet.get_by_role("button", name="Continue").click()
    assert "2 more tries" in tablet.content() and shows_no_answer(tablet)
    tablet.get_by_label("Date of birth").fill("04/12/1970")
    with tablet.expect_navigation():
        tablet.get_by_role("button", name="Continue").click()
    assert tablet.url.endswith("/intake/about")
    assert tablet.get_by_label("Last name").input_value() == "Doe"

    tablet.goto(live_server.url + "/")
    tablet.get_by_role("link", name="Continue where I left off").click()
    for wrong in ("01/01/1980", "01/02/1980", "01/03/1980"):
        tablet.get_by_label("Date of birth").fill(wrong)
        with tablet.expect_navigation():
            tablet.get_by_role("button", name="Continue").click()
    assert tablet.url == live_server.url + "/"
    assert tablet.get_by_role("status").filter(has_text="the form was closed").is_visible()
    assert count_drafts(live_server) == 0
    context.close()


def test_only_a_patient_at_work_keeps_the_draft_open(live_server, page):
    """The page tells the server the patient is there after a touch, a key or a scroll, and
    never when the tablet is left alone."""
    live_server.app.config.update(
        KIOSK_IDLE_WARNING_SECONDS=WARNING, KIOSK_IDLE_RESET_SECONDS=RESET
    )
    beats: list[str] = []
    page.on(
        "request",
        lambda request: (
            beats.append(request.method) if request.url.endswith("/intake/keep-alive") else None
        ),
    )
    start(page, live_server.url)
    page.mouse.move(300, 600)
    # Past the server's idle time, kept open only by the patient scrolling (which saves
    # nothing, so only the keep-alive tells the server).
    for _ in range(9):
        page.mouse.wheel(0, 40)
        page.wait_for_timeout(700)
    assert beats and set(beats) == {"POST"}
    assert count_drafts(live_server) == 1
    page.wait_for_timeout(1_500)  # the beat after the last scroll
    beats.clear()
    page.wait_for_url(live_server.url + "/", timeout=(WARNING + RESET + 4) * 1000)
    assert beats == []  # left alone: no keep-alive, and the page discarded the draft
    assert count_drafts(live_server) == 0


def test_i_am_still_here_tells_the_server_at_once(live_server, page):
    """However late in the countdown the patient answers, the server hears it then, not at
    the next keep-alive (up to 45 seconds later, possibly after its own limit)."""
    live_server.app.config.update(KIOSK_IDLE_WARNING_SECONDS=6, KIOSK_IDLE_RESET_SECONDS=30)
    beats: list[float] = []
    page.on(
        "request",
        lambda request: (
            beats.append(time.monotonic()) if request.url.endswith("/intake/keep-alive") else None
        ),
    )
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    dialog.wait_for(timeout=15_000)  # left alone: the warning; a keep-alive comes every 3 s
    beats.clear()
    answered = time.monotonic()
    page.get_by_role("button", name="I\u2019m still here").click()
    page.wait_for_timeout(1_000)
    assert beats and beats[0] - answered < 0.5  # at once, not at the next beat
    assert not dialog.is_visible() and page.get_by_label("First name").input_value() == "Jane"
