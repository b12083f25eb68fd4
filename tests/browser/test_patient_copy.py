"""'Email me a copy' on the thank-you page, in Chromium on a touch tablet, with a real SMTP
server receiving the copy."""

import pytest

from testkit.browser import draw_with_finger
from testkit.browser_flow import initial_every_clause
from tests.browser.test_patient_flow import at_consent, check_page, sign_and_submit
from tests.mail_support import running_smtp_server, send_mail_through

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


def test_email_me_a_copy_sends_it_and_shows_nothing_of_the_patient(live_server, page):
    app = live_server.app
    app.config["KIOSK_THANK_YOU_SECONDS"] = 8
    with running_smtp_server() as inbox:
        send_mail_through(app, inbox.port)
        at_consent(live_server, page)
        initial_every_clause(page, "JD")
        page.get_by_label("I have read this consent").check()
        draw_with_finger(page, page.get_by_label("Signature", exact=True))
        sign_and_submit(page)

        page.wait_for_url("**/intake/thanks")
        offer = page.get_by_role("main").inner_text()
        assert "j\u2022\u2022\u2022@example.org" in offer and "it is your choice" in offer
        for phi in ("jane.doe", "Jane", "Doe", "1970"):
            assert phi not in page.content(), phi
        check_page(page, "thank you, with the offer of a copy")

        with page.expect_navigation():
            page.get_by_role("button", name="Email me a copy").click()
        page.wait_for_url("**/intake/thanks")
        after = page.get_by_role("main").inner_text()
        assert "Your copy is on its way by email." in after
        assert "Email me a copy" not in after and "@" not in page.content()
        (message,) = inbox.messages
        assert message["To"] == "jane.doe@example.org"
        (attachment,) = message.iter_attachments()
        assert attachment.get_content().startswith(b"%PDF-")

        # The tablet still goes back to the welcome screen by itself, and offers nothing there.
        page.wait_for_url(live_server.url + "/", timeout=12_000)
        assert page.get_by_role("button", name="Start").is_visible()
        assert "copy" not in page.get_by_role("main").inner_text().lower()
