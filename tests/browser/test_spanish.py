"""The whole flow in Spanish, in Chromium: a Spanish double surname, its usual initials, the
stored submission, the signed PDF and the CSV; axe on every Spanish page and at 200 % text."""

import csv
import io

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import Submission
from testkit.browser import check_tablet_page as check_page
from testkit.browser import draw_with_finger
from testkit.browser_flow import fill_history, in_language, next_page
from tests.chart_support import pdf_pages

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

es = in_language("es")
PATIENT = {"first_name": "María José", "last_name": "García López"}


def test_a_patient_completes_the_whole_flow_in_spanish(live_server, page, runner, tmp_path):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "es"
    check_page(page, "bienvenida")
    page.get_by_role("button", name=es("Start")).click()
    page.wait_for_url("**/intake/about")

    checked = []

    def each_page(section_id: str) -> None:
        assert page.locator("html").get_attribute("lang") == "es"
        check_page(page, section_id)
        checked.append(section_id)

    fill_history(page, PATIENT, on_each_page=each_page, translate=es)
    assert "about" in checked and "medical" in checked
    assert page.get_by_role("heading", name=es("Review your answers")).is_visible()
    check_page(page, "revisión")
    next_page(page, es)
    page.wait_for_url("**/intake/consent")
    text = page.locator("main").inner_text()
    assert "neumotórax" in text and "acupuntura" in text
    check_page(page, "consentimiento")

    for box in page.locator("input[name^=initials_]").all():
        box.fill("MG")
    page.get_by_label("Leí este consentimiento").check()
    draw_with_finger(page, page.get_by_label(es("Signature"), exact=True))
    assert page.locator("#signature-state").inner_text() == es("The box holds your signature.")
    with page.expect_navigation():
        page.get_by_role("button", name=es("Sign and submit")).click()
    page.wait_for_url("**/intake/thanks")
    assert page.get_by_role("heading", name="Gracias").is_visible()
    check_page(page, "gracias")

    with live_server.app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.language == "es"
        assert (submission.first_name, submission.last_name) == ("María José", "García López")
        assert set(submission.consent_initials.values()) == {"MG"}
        assert "punción seca" in submission.consent_snapshot
        (document,) = submission.documents
        pdf = document.content
        public_id = str(submission.public_id)
    chart = " ".join(pdf_pages(pdf))
    assert "neumotórax" in chart and "acupuntura" in chart
    assert "Signed in Spanish" in chart
    assert "García López" in chart

    out = tmp_path / "export.csv"
    result = runner.invoke(args=["intake", "export-csv", "--new", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))
    assert row["submission_id"] == public_id
    assert row["language"] == "es"
    assert row["sex"] in ("female", "male", "other", "no_answer")  # codes, not Spanish words
    assert row["last_name"] == "García López"

    # The next patient starts in English.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_spanish_pages_at_200_percent_text_keep_their_layout(live_server, page):
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    larger = page.get_by_role("button", name=es("Larger text"))
    larger.click()
    page.wait_for_load_state()
    page.get_by_role("button", name=es("Larger text")).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("class") == "text-size-3"
    assert page.get_by_role("button", name=es("Larger text")).is_disabled()
    check_page(page, "bienvenida al 200 %")
    page.get_by_role("button", name=es("Start")).click()
    page.wait_for_url("**/intake/about")
    check_page(page, "sobre usted al 200 %")
    # The pain scales wrap rather than squeeze: each option keeps room for its number.
    page.goto(live_server.url + "/intake/visit")
    check_page(page, "esta visita al 200 %")
    widths = page.locator(".kind-scale .option").evaluate_all(
        "options => options.map(o => o.getBoundingClientRect().width)"
    )
    assert widths and min(widths) >= 44


def test_switching_language_mid_page_keeps_what_was_typed(live_server, page):
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/intake/about")
    page.get_by_label("First name").fill("María José")
    page.get_by_label("Last name").fill("García López")
    with page.expect_navigation():
        page.get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_label(es("First name"), exact=True).input_value() == "María José"
    assert page.get_by_label(es("Last name"), exact=True).input_value() == "García López"
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.get_by_label("Last name").input_value() == "García López"
