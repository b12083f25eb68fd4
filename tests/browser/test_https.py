"""Over HTTPS, as a clinic serves it: Chromium's own Referer rules meet the CSRF checks.

On HTTPS, Flask-WTF also checks that a form post's Referer is this site (WTF_CSRF_SSL_STRICT).
A browser sends that header only as the Referrer-Policy allows: with `no-referrer` every post
was refused, which plain-HTTP tests cannot see.
"""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import Draft
from testkit.browser import TABLET, self_signed_certificate, serve
from testkit.browser_flow import fill_history, start
from testkit.factories import DEFAULT_PASSWORD
from tests.staff_support import STAFF_EMAIL, add_staff

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


@pytest.fixture
def https_url(app, tmp_path):
    with serve(app, ssl_context=self_signed_certificate(tmp_path)) as url:
        yield url


@pytest.fixture
def secure_page(browser):
    """A tablet page that accepts the test's own certificate and records what it sends."""
    context = browser.new_context(**TABLET, ignore_https_errors=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.sent = []
    page.on("request", lambda request: page.sent.append(request))
    yield page
    context.close()


def test_a_patient_goes_through_the_history_over_https(app, https_url, secure_page):
    page = secure_page
    start(page, https_url)
    fill_history(page)  # every page posted, each with its token and the Referer it allows

    posts = [request for request in page.sent if request.method == "POST"]
    assert len(posts) >= 6
    assert all(request.headers.get("referer", "").startswith(https_url + "/") for request in posts)
    response = page.goto(https_url + "/intake/review")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["referrer-policy"] == "same-origin"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 1


def test_staff_log_in_and_out_over_https(app, https_url, secure_page):
    add_staff(app)
    page = secure_page
    page.goto(https_url + "/staff/")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(https_url + "/staff/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
