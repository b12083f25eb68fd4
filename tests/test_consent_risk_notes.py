"""Risk notes on the consent page: shown for the flags the answers raise, signed as shown.

The page, the stored snapshot, its SHA-256 and the chart PDF carry the same notes; a
signature given to a page whose notes no longer match the answers is refused and the page
drawn again with the right ones.
"""

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from intake import consents, questionnaire
from intake.clock import clinic_today
from intake.extensions import db
from intake.models import ChartDocument, Submission
from testkit.factories import BASE_ANSWERS, typed_input
from tests.chart_support import squeezed
from tests.test_kiosk import consent_data, count, fill_history, post_section, start

pytestmark = pytest.mark.backends("sqlite")

BLOOD_THINNER = {"anticoagulants": "yes", "anticoagulants_which": "Warfarin"}
NOTE = (
    "You told us you take a blood thinner. Your therapist will look at this before they "
    "decide if dry needling is right for you today."
)


@pytest.fixture(autouse=True)
def _version_2_in_effect(app):
    with app.app_context():
        assert consents.current(today=clinic_today()).version == "2"


def _stored(app) -> Submission:
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        db.session.expunge(submission)
        return submission


def _pdf_text(app, submission: Submission) -> str:
    with app.app_context():
        pdf = db.session.scalar(
            select(ChartDocument.content).where(ChartDocument.submission_id == submission.id)
        )
    assert pdf is not None, "the chart PDF was not rendered at signing"
    return squeezed(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_the_note_is_read_in_the_document_not_written_here():
    (note,) = (n for n in consents.load("dry_needling", "2").risk_notes if n.id == "blood_thinner")
    assert note.paragraph == NOTE


def test_a_patient_on_a_blood_thinner_is_shown_the_note_and_signs_it(app, client):
    start(client)
    fill_history(client, BLOOD_THINNER)
    page = client.get("/intake/consent").get_data(as_text=True)
    assert "About your answers" in page
    assert NOTE in page
    assert page.index(NOTE) < page.index('id="agree"')  # before the agreement and signature
    agreement = consents.load("dry_needling", "2").agreement
    assert "I know I can ask questions, and my therapist will answer them" in agreement
    assert agreement in page and "my questions were answered" not in page

    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    stored = _stored(app)
    assert stored.flags == ["blood_thinner"]
    snapshot = json.loads(stored.consent_snapshot)
    assert snapshot["version"] == "2"
    assert [note["paragraph"] for note in snapshot["risk_notes"]] == [NOTE]
    assert snapshot["agreement"] == agreement
    assert stored.consent_sha256 == consents.snapshot_sha256(stored.consent_snapshot)
    with app.app_context():
        shown = consents.current(today=clinic_today()).as_shown(["blood_thinner"])
    assert stored.consent_snapshot == shown.snapshot()

    text = _pdf_text(app, stored)
    assert squeezed(NOTE) in text
    assert squeezed(agreement) in text


def test_a_clinic_that_grades_blood_thinners_as_contraindications_shows_the_same_note(app, client):
    app.config["CONTRAINDICATED_PRECAUTIONS"] = ("blood_thinner",)
    start(client)
    fill_history(client, BLOOD_THINNER)
    assert NOTE in client.get("/intake/consent").get_data(as_text=True)
    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    stored = _stored(app)
    assert stored.flags == ["anticoagulants"]
    assert NOTE in stored.consent_snapshot


def test_a_patient_whose_answers_raise_no_flag_is_shown_no_note(app, client):
    start(client)
    fill_history(client)
    page = client.get("/intake/consent").get_data(as_text=True)
    assert "About your answers" not in page and "You told us" not in page

    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    stored = _stored(app)
    assert stored.flags == []
    assert json.loads(stored.consent_snapshot)["risk_notes"] == []
    assert squeezed("About your answers") not in _pdf_text(app, stored)


def test_an_answer_changed_after_the_page_was_drawn_is_refused_and_the_page_shown_again(
    app, client
):
    start(client)
    fill_history(client)
    drawn = consent_data(client)  # the page as drawn: no note, and its SHA-256
    # Back to the history: the patient now says they take a blood thinner.
    section = questionnaire.BY_ID["anticoagulants"].section
    typed = typed_input({**BASE_ANSWERS, **BLOOD_THINNER})
    assert post_section(client, section, typed).status_code == 303

    # "Sign and submit" on the page drawn before, as a browser's back button would show it.
    response = client.post("/intake/consent", data=drawn)
    assert response.status_code == 303 and response.location.endswith("/intake/consent")
    assert count(app, Submission) == 0
    page = client.get("/intake/consent").get_data(as_text=True)
    assert "This consent was updated while the page was open" in page
    assert NOTE in page
    assert 'value="JD"' not in page  # initials given to the other text start afresh

    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    stored = _stored(app)
    assert stored.flags == ["blood_thinner"]
    assert NOTE in stored.consent_snapshot


def test_initials_kept_by_the_page_start_afresh_when_a_changed_answer_adds_a_note(app, client):
    start(client)
    fill_history(client)
    kept = consent_data(client, action="back")  # initials typed, then "Back" to the history
    assert client.post("/intake/consent", data=kept).status_code == 303
    page = client.get("/intake/consent").get_data(as_text=True)
    assert 'value="JD"' in page and "was updated" not in page  # kept, nothing changed
    section = questionnaire.BY_ID["anticoagulants"].section
    typed = typed_input({**BASE_ANSWERS, **BLOOD_THINNER})
    assert post_section(client, section, typed).status_code == 303

    page = client.get("/intake/consent").get_data(as_text=True)
    assert NOTE in page
    assert "This consent was updated while the page was open" in page
    assert 'value="JD"' not in page


def test_an_answer_that_raises_no_new_flag_keeps_the_page_as_signed(app, client):
    start(client)
    fill_history(client, BLOOD_THINNER)
    drawn = consent_data(client)
    typed = typed_input({**BASE_ANSWERS, **BLOOD_THINNER, "anticoagulants_which": "Coumadin"})
    section = questionnaire.BY_ID["anticoagulants"].section
    assert post_section(client, section, typed).status_code == 303
    assert client.post("/intake/consent", data=drawn).status_code == 303
    assert count(app, Submission) == 1
