"""Red flags and the LEFS in Chromium: a patient with a painful knee answers yes on the
general-health page and the LEFS on its page; staff see the red flags on the dashboard, the
submission's page and the first page of the signed PDF, and the LEFS score there and in the
CSV they export."""

import csv
import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from intake import consents
from intake.questionnaire import FLAGS
from intake.questionnaire.instruments import LEFS
from testkit.browser_flow import fill_history, next_page, start
from testkit.factories import DEFAULT_PASSWORD
from tests.browser.test_signers import check_page, sign
from tests.chart_support import squeezed
from tests.staff_support import STAFF_EMAIL, add_staff

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]

# Yes to four general-health questions and to past cancer; one dry-needling precaution too.
ANSWERS = {
    "first_name": "Ruth",
    "last_name": "Okafor",
    "weight_loss": "yes",
    "night_pain": "yes",
    "fever_sweats": "yes",
    "new_weakness": "yes",
    "cancer_past": "yes",
    "cancer_past_details": "Breast, 2015",
    "needle_fainting": "yes",
    # A painful knee: the LEFS is asked. 12 items "A little bit of difficulty" (3), 8 "Quite a
    # bit" (1): 44 out of 80.
    "pain_areas": ["lower_back", "thigh_knee"],
    "pain_side_thigh_knee": "right",
    **{item_id: "3" if n < 12 else "1" for n, item_id in enumerate(LEFS.item_ids)},
}
LEFS_TOTAL = 12 * 3 + 8 * 1
RED_FLAGS = (
    "unexplained_weight_loss",
    "fever_night_sweats",
    "night_pain",
    "new_neurological_signs",
    "cancer_history",
)


def test_a_patient_with_red_flags_and_the_staff_who_read_them(
    app, live_server, page, browser, tmp_path
):
    checked = []

    def check_general_health(section_id: str) -> None:
        if section_id == "general":
            expect(page.get_by_role("heading", name="Your general health")).to_be_visible()
            check_page(page, "general health")
        if section_id in ("general", "lefs"):
            checked.append(section_id)

    start(page, live_server.url)
    fill_history(page, ANSWERS, on_each_page=check_general_health)
    next_page(page)
    page.wait_for_url("**/intake/consent")
    assert checked == ["lefs", "general"]
    # Before the signature, a plain paragraph for each kind of flag her answers raised, and
    # none for the others.
    raised = {*RED_FLAGS, "fainting", "infection_now"}
    notes = consents.current().risk_notes
    expected = [note.paragraph for note in notes if raised & set(note.flags)]
    assert 2 < len(expected) < len(notes)
    shown = page.get_by_role("region", name="About your answers").locator("p")
    expect(shown).to_have_text(expected)
    sign(page, "RO")
    page.wait_for_url("**/intake/thanks")

    add_staff(app)
    staff = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 860})
    staff.set_default_timeout(10_000)
    desk = staff.new_page()
    desk.goto(live_server.url + "/staff/")
    desk.get_by_label("Email").fill(STAFF_EMAIL)
    desk.get_by_label("Password").fill(DEFAULT_PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    desk.wait_for_url(live_server.url + "/staff/")

    # The dashboard's own filter finds her; her red flags come before dry needling's.
    desk.get_by_label("Flags").select_option(label="Red flags")
    desk.get_by_role("button", name="Search").click()
    row = desk.get_by_role("row").filter(has_text="Okafor, Ruth")
    expect(row).to_have_count(1)
    # As a screen reader says them: the family (hidden on screen, shown by colour), the label.
    badges = [" ".join(text.split()) for text in row.locator(".badge").all_inner_texts()]
    assert badges == [
        *(f"Red flag: {FLAGS[code].label}" for code in RED_FLAGS),
        "Precaution: Faints with needles or blood draws",
        f"Precaution: {FLAGS['infection_now'].label}",  # the fever, for needling
    ]

    row.get_by_role("link", name="Okafor, Ruth", exact=True).click()
    panel = desk.get_by_role("region", name="Red flags: review before treatment")
    for code in RED_FLAGS:
        expect(panel.get_by_text(FLAGS[code].reason)).to_be_visible()
    expect(
        desk.get_by_role("region", name="Dry-needling flags").get_by_text("Faints with needles")
    ).to_be_visible()

    scores = desk.get_by_role("region", name="Outcome scores")
    expect(scores).to_contain_text(f"LEFS {LEFS_TOTAL} / 80")

    expect(desk.get_by_role("link", name="Download PDF")).to_be_visible()
    with desk.expect_download() as download_info:
        desk.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "intake.pdf"
    download_info.value.save_as(saved)
    first_page = squeezed(PdfReader(io.BytesIO(saved.read_bytes())).pages[0].extract_text())
    red = first_page.index(squeezed("Red flags: review before treatment"))
    needling = first_page.index(squeezed("Review before dry needling"))
    for code in RED_FLAGS:
        flag = FLAGS[code]
        assert red < first_page.index(squeezed(f"{flag.label}: {flag.reason}")) < needling
    assert needling < first_page.index(squeezed("Faints with needles or blood draws"))
    assert squeezed(f"LEFS {LEFS_TOTAL} / 80") in first_page

    # The front desk exports the new submissions for the EHR: her row, her score.
    desk.goto(live_server.url + "/staff/")
    desk.get_by_role("link", name="Export CSV").click()
    with desk.expect_download() as download_info:
        desk.get_by_role("button", name="Export CSV").click()
    exported = tmp_path / "export.csv"
    download_info.value.save_as(exported)
    (row,) = csv.DictReader(io.StringIO(exported.read_text("utf-8-sig")))
    assert (row["last_name"], row["lefs_total"]) == ("Okafor", str(LEFS_TOTAL))
    assert [row[item_id] for item_id in LEFS.item_ids] == [ANSWERS[i] for i in LEFS.item_ids]
    assert row["red_flags"].split(";") == list(RED_FLAGS)
    staff.close()
