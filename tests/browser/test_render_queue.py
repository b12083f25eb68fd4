"""The render queue in Chromium: the patient is thanked before the PDF exists; the staff page
says "PDF rendering…" until the render worker (a real `flask intake render-worker` process)
has stored it, then offers "Download PDF"."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import ChartDocument, PdfStatus, Submission
from testkit import render_worker
from testkit.browser import staff_page
from testkit.browser_flow import fill_history, next_page, start
from testkit.factories import DEFAULT_PASSWORD
from tests.browser.test_signers import sign
from tests.conftest import TEST_SECRET_KEY
from tests.staff_support import STAFF_EMAIL, add_staff

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


def test_thanked_before_the_pdf_exists_then_staff_download_it(
    app, live_server, page, browser, tmp_path
):
    queue = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app.config["QUEUE_URL"] = queue

    start(page, live_server.url)
    fill_history(page, {"first_name": "Aroha", "last_name": "Ngata"})
    next_page(page)
    page.wait_for_url("**/intake/consent")
    sign(page, "AN")
    page.wait_for_url("**/intake/thanks")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    with app.app_context():  # thanked, and no PDF yet: it waits for the render worker
        submission = db.session.scalar(select(Submission))
        assert submission.pdf_status == PdfStatus.PENDING
        assert db.session.scalar(select(func.count()).select_from(ChartDocument)) == 0
        public_id = submission.public_id

    add_staff(app)
    desk = staff_page(browser, live_server.url, STAFF_EMAIL, DEFAULT_PASSWORD)
    expect(desk.get_by_text("1 signed PDF waiting to be rendered.")).to_be_visible()
    desk.goto(f"{live_server.url}/staff/submissions/{public_id}")
    expect(desk.get_by_text("PDF rendering…")).to_be_visible()
    expect(desk.get_by_role("link", name="Download PDF")).to_have_count(0)

    environment = {
        "INTAKE_ENV": "testing",
        "INTAKE_SECRET_KEY": TEST_SECRET_KEY,
        "INTAKE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INTAKE_QUEUE_URL": queue,
        "INTAKE_CLINIC_NAME": app.config["CLINIC_NAME"],
        "INTAKE_TIMEZONE": app.config["CLINIC_TIMEZONE"],
        # The clinic key the app fixture seals with, so verify accepts the worker's seals.
        "INTAKE_SIGNING_KEY_FILE": app.config["SIGNING_KEY_FILE"],
        "INTAKE_SIGNING_CERT_FILE": app.config["SIGNING_CERT_FILE"],
    }
    with render_worker.running(environment, tmp_path / "worker.log") as worker:
        link = desk.get_by_role("link", name="Download PDF")
        for _ in range(60):  # staff reload the page, as they would
            desk.reload()
            if link.count():
                break
            desk.wait_for_timeout(500)
        assert link.count() == 1, worker.log_tail()
        with desk.expect_download() as download_info:
            link.click()
        assert download_info.value.suggested_filename.startswith("Ngata_Aroha_")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChartDocument)) == 1
    desk.context.close()
