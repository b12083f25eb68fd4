"""Back, Forward and reload in Chromium after "Sign and submit": never a browser error page,
never a page that stays; every walk ends on the welcome screen by itself."""

import pytest

from testkit.browser import draw_with_finger
from testkit.browser_flow import fill_history, initial_every_clause, next_page, start

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

# A page that Chromium cannot show again without posting its form once more ("Confirm form
# resubmission", net::ERR_CACHE_MISS) is replaced by its own error page, where no script runs.
BROWSER_ERROR = "chrome-error://"


def move(page, how: str) -> None:
    """Back, Forward or reload, as the tablet's browser does them; never onto a browser
    error page, and every page it shows again is fetched with a GET."""
    response = {"back": page.go_back, "forward": page.go_forward, "reload": page.reload}[how]()
    page.wait_for_load_state()
    assert not page.url.startswith(BROWSER_ERROR), how
    if response is not None:
        assert response.request.method == "GET", (how, response.url)


def ends_on_welcome(page, base_url: str) -> None:
    """The tablet is on the welcome screen, or goes there by itself (the thank-you page)."""
    page.wait_for_url(base_url + "/", timeout=8_000)
    assert page.get_by_role("button", name="Start").is_visible()
    assert "Jane" not in page.content() and "Doe" not in page.content()


def test_back_forward_and_reload_after_refused_and_accepted_signing(live_server, page):
    live_server.app.config["KIOSK_THANK_YOU_SECONDS"] = 1
    base = live_server.url
    start(page, base)
    # A refused page of the history first: Back later passes through it.
    page.get_by_label("First name").fill("Jane")
    next_page(page)
    assert page.locator("#error-summary").is_visible()
    fill_history(page)
    next_page(page)
    page.wait_for_url("**/intake/consent")

    # A refused "Sign and submit": the page with its problems, however it is shown again.
    initial_every_clause(page, "XY")
    page.get_by_label("I have read this consent").check()
    draw_with_finger(page, page.get_by_label("Signature", exact=True))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()
    for how in ("reload", "back", "forward", "reload", "back", "back", "forward", "forward"):
        move(page, how)
        assert page.url.startswith(base + "/intake/"), (how, page.url)
        # Each page still has the inactivity guard that takes it back to the welcome screen.
        assert page.locator("#idle-dialog").count() == 1, (how, page.url)
    assert page.url == base + "/intake/consent"
    assert "do not match" in page.locator("#error-summary").inner_text()
    assert page.locator("input[name=initials_what]").input_value() == "XY"

    # Corrected and accepted.
    initial_every_clause(page, "JD")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and submit").click()
    page.wait_for_url("**/intake/thanks")
    walks = [
        ("back",),
        ("forward",),
        ("reload",),
        ("back", "back", "back"),
        ("forward", "forward"),
        ("back", "reload", "forward", "reload"),
    ]
    for walk in walks:
        for how in walk:
            move(page, how)
        ends_on_welcome(page, base)
    # And from the thank-you page itself, before it leaves by itself.
    page.goto(base + "/intake/thanks")
    for how in ("reload", "back", "forward"):
        move(page, how)
        ends_on_welcome(page, base)


def test_back_onto_a_refused_page_of_the_history_shows_it_without_posting(live_server, page):
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    next_page(page)
    refused_url = page.url
    assert "check=1" in refused_url and page.locator("#error-summary").is_visible()
    fill_history(page)  # answered, Next: the following pages, then the review
    for _ in range(20):
        move(page, "back")
        if page.url == refused_url:
            break
    assert page.url == refused_url
    assert page.get_by_label("First name").input_value() == "Jane"


def test_a_page_drawn_by_its_own_post_is_never_posted_again(live_server, page):
    """The one page of the flow still drawn as the answer to its post: a form whose token had
    expired (the browser lost its session cookie), shown again as typed. Reload, Back and
    Forward visit its address instead of posting it again."""
    start(page, live_server.url)
    page.context.clear_cookies(name="session")  # the draft's own cookie stays
    page.get_by_label("First name").fill("Jane")
    next_page(page)
    assert page.get_by_role("status").filter(has_text="open too long to be saved").is_visible()
    move(page, "reload")
    assert page.url == live_server.url + "/intake/about"
    fill_history(page)
    visited = []
    while not page.url.startswith("about:"):  # Back through the whole history
        move(page, "back")
        visited.append(page.url)
    assert live_server.url + "/intake/about" in visited
    for how in ("forward",) * 3 + ("reload",):
        move(page, how)
        assert page.url.startswith(live_server.url + "/"), (how, page.url)


def test_a_refused_date_of_birth_is_never_posted_again(live_server, page):
    """The page that reopens a form held at the welcome screen, after a wrong date of birth:
    reload, Back and Forward fetch it afresh, and no guess is counted twice."""
    start(page, live_server.url)
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Date of birth").fill("04/12/1970")
    next_page(page)
    page.goto(live_server.url + "/")  # the form is held for its date of birth
    page.get_by_role("link", name="Continue where I left off").click()
    page.wait_for_url("**/intake/resume")
    page.get_by_label("Date of birth").fill("01/01/1980")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert "2 more tries" in page.content()
    for how in ("reload", "back", "forward", "reload"):
        move(page, how)
        assert "Jane" not in page.content() and "Doe" not in page.content(), how
    page.goto(live_server.url + "/intake/resume")
    page.get_by_label("Date of birth").fill("01/02/1980")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert "1 more try" in page.content()  # the reloads counted nothing
