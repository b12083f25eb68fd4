"""Browser fixtures: the app served from a thread on a per-test database, and Chromium on a
tablet-sized, touch screen.

Mark a test (or module) with ``pytest.mark.browser``. Without Chromium or Playwright such
tests are skipped, decided at collection; with INTAKE_TEST_REQUIRE_BROWSER=1 (CI) they fail
instead. Like every database test they run on each backend unless marked with ``backends``;
the patient-flow tests use SQLite, where the tablet's clinic runs.

    pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

    def test_something(live_server, page):
        page.goto(live_server.url + "/")
"""

import os
from dataclasses import dataclass

import pytest
from flask import Flask

from testkit.browser import AXE_JS, TABLET, chromium_available, launch_chromium, serve

REQUIRE_BROWSER = os.environ.get("INTAKE_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM_FOUND = chromium_available()


def pytest_collection_modifyitems(config, items):
    """Skip browser tests when Chromium is missing, unless they are required (then the
    `browser` fixture fails them)."""
    for item in items:
        if item.get_closest_marker("browser") is None:
            continue
        if not CHROMIUM_FOUND and not REQUIRE_BROWSER:
            item.add_marker(
                pytest.mark.skipif(True, reason="Chromium or Playwright is not installed")
            )


@dataclass
class LiveServer:
    """The app under test, served over HTTP."""

    app: Flask
    url: str


@pytest.fixture
def live_server(app) -> LiveServer:
    """The test's app (its own database) served from a thread on a free port."""
    with serve(app) as url:
        yield LiveServer(app=app, url=url)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not CHROMIUM_FOUND:
        pytest.fail("Chromium or Playwright is missing and INTAKE_TEST_REQUIRE_BROWSER=1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def tablet(browser):
    """A fresh browser profile on a portrait tablet with touch, axe-core at hand."""
    context = browser.new_context(**TABLET)
    context.set_default_timeout(10_000)
    # An init script is not subject to the page's Content-Security-Policy.
    context.add_init_script(path=str(AXE_JS))
    yield context
    context.close()


@pytest.fixture
def page(tablet):
    """A page that fails the test on a script error, a Content-Security-Policy violation or
    a request the server answered with an error."""
    page = tablet.new_page()
    problems: list[str] = []

    def on_console(message) -> None:
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "the server responded with a status of 5" in text
        ):
            problems.append(f"console: {text}")

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", on_console)
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status == 404 or response.status >= 500
            else None
        ),
    )
    yield page
    assert problems == []
