"""The Lower Extremity Functional Scale: declared once, asked of a painful leg only, scored on
the server, and its score the same on the staff page, the chart PDF and the CSV."""

import csv
import html
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from intake import questionnaire
from intake.chart import render_and_store
from intake.extensions import db
from intake.models import Draft, Submission
from intake.questionnaire import BY_ID, QUESTIONS, SECTIONS, Kind
from intake.questionnaire.instruments import INSTRUMENTS, LEFS
from testkit.factories import BASE_ANSWERS, make_submission, typed_input
from tests.staff_support import add_staff, add_submission, log_in
from tests.test_kiosk import consent_data, fill_history, post_section, start

LEG = ("hip", "thigh_knee", "leg_ankle_foot")
# 12 items "A little bit of difficulty" (3) and 8 "Moderate difficulty" (2): 36 + 16 = 52.
ITEM_ANSWERS = {item_id: "3" if n < 12 else "2" for n, item_id in enumerate(LEFS.item_ids)}
KNEE = {"pain_areas": ["lower_back", "thigh_knee"], "pain_side_thigh_knee": "right", **ITEM_ANSWERS}
NOTE = "(higher is better; a change of 9 points or more is meaningful)"


def test_the_lefs_is_declared_as_published():
    assert LEFS.id == "lefs" and LEFS.abbreviation == "LEFS"
    assert len(LEFS.items) == 20 and len(set(LEFS.items)) == 20
    assert LEFS.item_ids == tuple(f"lefs_{n:02d}" for n in range(1, 21))
    assert LEFS.answer_labels == (
        "Extreme difficulty or unable to perform activity",
        "Quite a bit of difficulty",
        "Moderate difficulty",
        "A little bit of difficulty",
        "No difficulty",
    )
    assert (LEFS.max_score, LEFS.mdc) == (80, 9)
    assert LEFS.stem == "Today, do you or would you have any difficulty at all with:"
    assert "Binkley" in LEFS.citation and "1999;79(4):371" in LEFS.citation
    assert LEFS.items[0] == "Any of your usual work, housework or school activities"
    assert LEFS.items[-1] == "Rolling over in bed"


def test_every_instrument_s_items_are_questions_of_the_questionnaire_with_unique_ids():
    ids = [question.id for question in QUESTIONS]
    assert len(ids) == len(set(ids))
    assert len({section.id for section in SECTIONS}) == len(SECTIONS)
    for instrument in INSTRUMENTS:
        parent_id, values = instrument.asked_when
        assert set(values) <= set(BY_ID[parent_id].choice_values)
        assert [q.id for q in questionnaire.questions_in(instrument.id)] == list(
            instrument.item_ids
        )
        for question in questionnaire.questions_in(instrument.id):
            assert question.kind == Kind.CHOICE and question.required
            assert question.choice_values == ("0", "1", "2", "3", "4")
            assert question.show_if == instrument.asked_when
    # The LEFS's page comes right after "This visit", before "Your general health".
    order = [section.id for section in SECTIONS]
    assert order[order.index("visit") + 1 : order.index("general")] == ["lefs"]
    assert LEFS.asked_when == ("pain_areas", LEG)


@given(st.lists(st.integers(min_value=0, max_value=4), min_size=20, max_size=20))
def test_the_total_is_the_sum_of_the_items_and_lies_within_0_to_80(scores):
    answers = {item_id: str(score) for item_id, score in zip(LEFS.item_ids, scores, strict=True)}
    total = LEFS.score(answers)
    assert total == sum(scores)
    assert 0 <= total <= LEFS.max_score
    assert [score.text for score in questionnaire.scores(answers)] == [f"LEFS {total} / 80"]


@given(st.sampled_from(LEFS.item_ids), st.sampled_from([None, "", "5", "-1", "x", "²"]))
def test_no_total_unless_every_item_holds_a_score(missing, bad):
    answers = {**ITEM_ANSWERS, missing: bad}
    if bad is None:
        del answers[missing]
    assert LEFS.score(answers) is None
    assert questionnaire.scores(answers) == ()


def _location(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.location


def _progress(page: str) -> tuple[int, int]:
    step, of = re.search(r"Step (\d+) of (\d+)", page).groups()
    return int(step), int(of)


def test_without_a_painful_leg_the_lefs_page_is_never_a_step(client):
    start(client)
    typed = typed_input()  # lower back only
    assert _location(post_section(client, "about", typed)) == "/intake/visit"
    assert _location(post_section(client, "visit", typed)) == "/intake/general"
    # Asked for directly, it sends the patient on; Back from the next page skips it too.
    assert _location(client.get("/intake/lefs")) == "/intake/general"
    assert _location(post_section(client, "general", typed, action="back")) == "/intake/visit"
    page = client.get("/intake/general").get_data(as_text=True)
    assert _progress(page) == (3, len(SECTIONS) + 1)  # 6 pages, review and consent
    assert fill_history(client) == [s.id for s in SECTIONS if s.id != "lefs"]
    review = client.get("/intake/review").get_data(as_text=True)
    assert "Everyday activities" not in review and "/intake/lefs" not in review


def test_a_painful_knee_brings_the_lefs_page_after_this_visit_and_back(client):
    start(client)
    typed = typed_input(KNEE)
    post_section(client, "about", typed)
    assert _location(post_section(client, "visit", typed)) == "/intake/lefs"
    page = client.get("/intake/lefs").get_data(as_text=True)
    assert _progress(page) == (3, len(SECTIONS) + 2)
    assert LEFS.stem in page and LEFS.instructions in page
    assert page.count('<fieldset class="question kind-choice') == 20
    assert 'data-show-if="pain_areas"' not in page  # the answer is on another page
    for item in LEFS.items:
        assert f"<legend>{item}</legend>" in page
    for label in LEFS.answer_labels:
        assert page.count(f"<span>{label}</span>") == 20
    # The score is small and beside the words, never read out as the answer.
    assert page.count('<span class="option-score" aria-hidden="true">4</span>') == 20
    # Every item is required: a page with one left out is shown again with its problem.
    incomplete = {k: v for k, v in typed.items() if k != "lefs_07"}
    refused = post_section(client, "lefs", incomplete)
    assert _location(refused) == "/intake/lefs?check=1"
    again = client.get(refused.location).get_data(as_text=True)
    assert 'id="q-lefs_07"' in again and "Please choose one of the answers." in again
    assert _location(post_section(client, "lefs", typed)) == "/intake/general"
    assert _location(post_section(client, "general", typed, action="back")) == "/intake/lefs"
    assert _location(post_section(client, "lefs", typed, action="back")) == "/intake/visit"


def test_the_lefs_answered_on_the_tablet_is_stored_and_scored(app, client):
    start(client)
    assert fill_history(client, KNEE) == [section.id for section in SECTIONS]
    review = client.get("/intake/review").get_data(as_text=True)
    assert "Everyday activities" in review and "A little bit of difficulty" in review
    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert {k: stored.answers[k] for k in LEFS.item_ids} == ITEM_ANSWERS
        assert [(s.text, s.note) for s in questionnaire.scores(stored.answers)] == [
            ("LEFS 52 / 80", NOTE)
        ]


def test_unticking_the_leg_drops_the_lefs_answers(app, client):
    start(client)
    fill_history(client, KNEE)
    # From the review, the patient changes "Where does it hurt?" to the lower back alone.
    back_only = typed_input({**KNEE, "pain_areas": ["lower_back"]})
    response = post_section(client, "visit", back_only, return_to="review")
    assert _location(response) == "/intake/review"
    review = client.get("/intake/review").get_data(as_text=True)
    assert "Everyday activities" not in review
    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert not set(LEFS.item_ids) & set(stored.answers)
        assert questionnaire.scores(stored.answers) == ()


def test_ticking_the_leg_from_the_review_sends_the_patient_to_the_lefs_page(app, client):
    start(client)
    fill_history(client)
    knee = typed_input({"pain_areas": ["thigh_knee"], "pain_side_thigh_knee": "left"})
    assert _location(post_section(client, "visit", knee, return_to="review")) == "/intake/review"
    # The review finds the LEFS unanswered and sends the patient to that page to fix it.
    assert _location(client.get("/intake/review")) == "/intake/lefs?check=1"
    with app.app_context():
        assert db.session.scalars(select(Draft)).one().data["input"]["pain_areas"] == ["thigh_knee"]
    # Coming back to the tablet leads the same way.
    assert _location(client.get("/intake/resume")) == "/intake/review"


@pytest.fixture
def staff_client(app, client):
    add_staff(app)
    assert log_in(client).status_code == 302
    return client


def test_the_staff_page_shows_the_lefs_score_with_how_to_read_it(app, staff_client):
    public_id = add_submission(app, KNEE)
    page = html.unescape(staff_client.get(f"/staff/submissions/{public_id}").get_data(as_text=True))
    assert "<strong>LEFS 52 / 80</strong>" in page and NOTE in page
    assert "<h3>Everyday activities</h3>" in page
    assert "<dt>Walking a mile</dt>" in page and "2 \u2013 Moderate difficulty" in page


def test_the_chart_pdf_shows_the_lefs_score_on_its_first_page(app_context):
    knee = make_submission(KNEE)
    back = make_submission()
    first_page, text = _pdf_text(render_and_store(knee).content)
    assert "LEFS 52 / 80" in first_page
    assert "higher is better; a change of 9 points or more is meaningful" in first_page
    assert "Everyday activities" in text and "Rolling over in bed" in text
    assert "2 \u2013 Moderate difficulty" in text
    first_page, text = _pdf_text(render_and_store(back).content)
    assert "LEFS" not in text and "Everyday activities" not in text


def _pdf_text(pdf: bytes) -> tuple[str, str]:
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    return pages[0], " ".join(pages)


def test_the_csv_has_the_items_as_numbers_and_the_total_last(app, runner):
    with app.app_context():
        knee = make_submission(KNEE)
        back = make_submission({**BASE_ANSWERS, **ITEM_ANSWERS})  # dropped: never asked
        knee_id, back_id = str(knee.public_id), str(back.public_id)
    result = runner.invoke(args=["intake", "export-csv", "--raw"])
    assert result.exit_code == 0, result.output
    header, *rows = csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8")))
    assert header[-1] == "lefs_total"
    assert header[-21:-1] == list(LEFS.item_ids)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_id[knee_id]["lefs_total"] == "52"
    assert [by_id[knee_id][item] for item in LEFS.item_ids] == list(ITEM_ANSWERS.values())
    assert by_id[back_id]["lefs_total"] == ""
    assert all(by_id[back_id][item] == "" for item in LEFS.item_ids)
