"""One submission's page, its signed PDF download and "Mark reviewed"."""

import hashlib
import html
import re
from io import BytesIO
from urllib.parse import unquote

import pytest
from pypdf import PdfWriter
from sqlalchemy import update

from intake import clock, consents, questionnaire
from intake.extensions import db
from intake.models import ChartDocument, ExportBatch, PdfStatus, SubmissionStatus
from intake.questionnaire import Audience
from testkit.factories import BASE_ANSWERS
from tests.staff_support import (
    STAFF_EMAIL,
    add_pdf,
    add_staff,
    add_submission,
    audit_events,
    export_new,
    log_in,
    submission_row,
)
from tests.support import csrf_token

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100">'
    '<path d="M10 50 L290 50" stroke="black" fill="none"/></svg>'
)


@pytest.fixture
def staff_client(app, client):
    """A client logged in as a (non-admin) staff member."""
    add_staff(app)
    assert log_in(client).status_code == 302
    return client


def _pdf_bytes(text: str = "Signed intake") -> bytes:
    """A small real PDF."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_the_page_shows_every_answer_from_the_questionnaire(app, staff_client):
    answers = {
        "first_name": "José",
        "last_name": "Núñez",
        "anticoagulants": "yes",
        "anticoagulants_which": "Apixaban <5 mg>",
        "allergies": ["latex", "nickel"],
        "allergies_details": "Gloves & watch straps",
        "diabetes": "yes",
        "diabetes_controlled": "no",
        "pain_areas": ["lower_back", "other"],
        "pain_areas_other": "Left heel",
    }
    public_id = add_submission(app, answers)
    row = submission_row(app, public_id)
    response = staff_client.get(f"/staff/submissions/{public_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = html.unescape(response.get_data(as_text=True))
    stored = row["answers"]
    shown = [q for q in questionnaire.QUESTIONS if questionnaire.is_shown(q, stored)]
    assert len(shown) > 40
    for question in shown:
        assert f"<dt>{question.label}</dt>" in page, question.id
    for section in questionnaire.SECTIONS:
        shown_here = questionnaire.section_is_shown(section.id, stored)
        assert (f"<h3>{section.title}</h3>" in page) == shown_here, section.id
    assert "Outcome scores" not in page  # no painful leg: the LEFS was not asked
    # Answers in words, user text escaped and intact, hidden follow-ups absent.
    assert "Latex, Nickel or other metals" in page
    assert "Lower back, Somewhere else" in page
    assert "Apixaban <5 mg>" in page and "&lt;5 mg&gt;" in response.get_data(as_text=True)
    assert "5 out of 10" in page
    assert "Which trimester?" not in page  # not pregnant: the follow-up never applied
    # Flags of the record, and next to the answers that raised them.
    for label in ("Takes a blood thinner", "Diabetes not well controlled", "Latex allergy"):
        assert page.count(label) >= 2, label
    # Consent and signature.
    consent = consents.current().as_shown(row["flags"])
    assert consent.title in page
    assert f"{consent.version} (in effect from {consent.effective_date})" in page
    assert consent.sha256 in page
    for clause in consent.clauses:
        assert clause.heading in page
    # The notes the patient was shown for their answers, and the agreement they ticked.
    assert [note.id for note in consent.risk_notes] == [
        "blood_thinner",
        "metal_allergy",
        "latex_allergy",
        "other_health",
    ]
    for note in consent.risk_notes:
        assert note.paragraph in page
    assert consent.agreement in page
    assert "<dd>José Núñez</dd>" in page
    assert "<dt>Relationship to the patient</dt><dd>Self (the patient)</dd>" in page
    assert "PDF rendering…" in page  # PDF status
    assert "Front desk 1" in page


def test_red_flags_are_listed_with_their_reasons_above_the_dry_needling_flags(app, staff_client):
    answers = {
        "bleeding_disorder": "yes",
        "bladder_bowel": "yes",
        "chest_breathing": "yes",
    }
    public_id = add_submission(app, answers)
    page = html.unescape(staff_client.get(f"/staff/submissions/{public_id}").get_data(as_text=True))
    red = page.index('<h2 id="red-flags-title">Red flags: review before treatment</h2>')
    needling = page.index('<h2 id="flags-title">Dry-needling flags</h2>')
    assert red < needling
    for code in ("cauda_equina_signs", "chest_pain_breathless"):
        flag = questionnaire.FLAGS[code]
        assert red < page.index(flag.label) < page.index(flag.reason) < needling, code
        assert page.count(flag.label) == 2, code  # and beside the answer that raised it
    assert needling < page.index("Bleeding disorder")
    assert page.count(">Bleeding disorder<") == 2  # not among the red flags
    quiet = add_submission(app, {"first_name": "Quinn"})
    page = staff_client.get(f"/staff/submissions/{quiet}").get_data(as_text=True)
    assert "No red flags were raised." in page


def test_answers_this_version_does_not_know_still_show():
    sections = questionnaire.history(
        {**BASE_ANSWERS, "old_question": "kept anyway"}, Audience.CLINIC
    )
    assert sections[-1].title == "Other answers"
    assert sections[-1].answers[0].text == "kept anyway"


def test_a_drawn_signature_is_an_image_never_markup(app, staff_client):
    public_id = add_submission(
        app,
        signature_kind="drawn",
        typed_signature=None,
        signature_strokes={"width": 300, "height": 100, "strokes": [[[10, 50], [290, 50]]]},
        signature_svg=SVG,
    )
    page = staff_client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    assert '<img class="signature" src="data:image/svg+xml;base64,' in page
    assert "<svg" not in page


def test_a_failed_pdf_says_so(app, staff_client):
    public_id = add_submission(app, pdf_status=PdfStatus.FAILED, pdf_error="font missing")
    page = staff_client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    assert "Not made: font missing." in page
    assert "Download PDF" not in page


def test_download_pdf_serves_the_stored_bytes(app, staff_client):
    public_id = add_submission(app, {"first_name": "Zoë", "last_name": "O'Brien-Núñez"})
    content = _pdf_bytes()
    digest = add_pdf(app, public_id, content)
    page = staff_client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    link = f'<a class="button" href="/staff/submissions/{public_id}/pdf">Download PDF</a>'
    assert link in page
    assert digest in page
    response = staff_client.get(f"/staff/submissions/{public_id}/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    submitted = submission_row(app, public_id)["submitted_at"]
    with app.app_context():
        day = clock.local(submitted).date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=OBrien-Nunez_Zoe_{day}_intake.pdf; "
        f"filename*=UTF-8''OBrien-N%C3%BA%C3%B1ez_Zo%C3%AB_{day}_intake.pdf"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_data()
    assert body == content
    assert hashlib.sha256(body).hexdigest() == digest
    assert body.startswith(b"%PDF-")
    (event,) = audit_events(app, "pdf.download")
    assert event["target_type"] == "submission" and event["target_id"] == str(public_id)
    assert event["detail"]["sha256"] == digest


def _download_names(header: str) -> tuple[str, str | None]:
    """The ASCII filename and the filename* (decoded) of a Content-Disposition header."""
    plain = re.search(r'(?:^|; )filename="?([^";]*)"?(?:;|$)', header).group(1)
    written = re.search(r"filename\*=UTF-8''([^;]*)", header)
    return plain, unquote(written.group(1)) if written else None


@pytest.mark.parametrize(
    ("first", "last", "plain", "written"),
    [
        ("Zoë", "O'Brien-Łukasz", "OBrien-Lukasz_Zoe", "OBrien-Łukasz_Zoë"),
        ("Søren", "Ødegård", "Odegard_Soren", "Ødegård_Søren"),
        ("Jürgen", "Großmann", "Grossmann_Jurgen", "Großmann_Jürgen"),
        ("Ægir", "Þórsson", "Thorsson_Aegir", "Þórsson_Ægir"),
        ("Đức", "Trần", "Tran_Duc", "Trần_Đức"),
        ("小明", "王", "patient", "王_小明"),
        ("محمد", "بن سلمان", "patient", "بن-سلمان_محمد"),
        ("Jane", "Doe", "Doe_Jane", None),
    ],
)
def test_the_pdf_download_name_spells_letters_plainly_and_keeps_the_name_as_written(
    app, staff_client, first, last, plain, written
):
    public_id = add_submission(app, {"first_name": first, "last_name": last})
    add_pdf(app, public_id, _pdf_bytes())
    response = staff_client.get(f"/staff/submissions/{public_id}/pdf")
    assert response.status_code == 200
    with app.app_context():
        day = clock.local(submission_row(app, public_id)["submitted_at"]).date()
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment; ") and header.isascii()
    names = _download_names(header)
    assert names[0] == f"{plain}_{day.isoformat()}_intake.pdf"
    assert names[1] == (f"{written}_{day.isoformat()}_intake.pdf" if written else None)


def test_download_is_the_first_intake_document(app, staff_client):
    public_id = add_submission(app)
    original = _pdf_bytes("original")
    add_pdf(app, public_id, original)
    add_pdf(app, public_id, _pdf_bytes("later copy"))
    assert staff_client.get(f"/staff/submissions/{public_id}/pdf").get_data() == original


def test_no_pdf_yet_is_404(app, staff_client):
    public_id = add_submission(app)
    assert staff_client.get(f"/staff/submissions/{public_id}/pdf").status_code == 404
    assert (
        staff_client.get("/staff/submissions/00000000-0000-4000-8000-000000000000").status_code
        == 404
    )


def test_altered_bytes_are_never_served(app, staff_client):
    public_id = add_submission(app)
    add_pdf(app, public_id, _pdf_bytes())
    with app.app_context():
        # Behind the application's back: the app itself refuses to change a stored document.
        db.session.execute(update(ChartDocument).values(content=_pdf_bytes("tampered")))
        db.session.commit()
    response = staff_client.get(f"/staff/submissions/{public_id}/pdf")
    assert response.status_code == 500
    assert b"%PDF" not in response.get_data()
    (event,) = audit_events(app, "pdf.download")
    assert event["outcome"] == "checksum_mismatch"


def test_mark_reviewed_records_who_and_when(app, staff_client):
    public_id = add_submission(app)
    token = csrf_token(staff_client, f"/staff/submissions/{public_id}")
    response = staff_client.post(
        f"/staff/submissions/{public_id}/review", data={"csrf_token": token}
    )
    assert response.location == f"/staff/submissions/{public_id}"
    row = submission_row(app, public_id)
    assert row["status"] == SubmissionStatus.REVIEWED
    assert row["reviewed_at"] is not None and row["reviewed_by_id"] is not None
    page = staff_client.get(response.location).get_data(as_text=True)
    assert f"by {STAFF_EMAIL}" in page
    assert "Mark reviewed</button>" not in page
    # A second post (another tab) changes nothing.
    again = staff_client.post(f"/staff/submissions/{public_id}/review", data={"csrf_token": token})
    assert again.status_code == 302
    assert submission_row(app, public_id)["reviewed_at"] == row["reviewed_at"]
    (event,) = audit_events(app, "submission.review")
    assert event["target_id"] == str(public_id)


def test_reviewing_an_exported_submission_keeps_it_exported(app, staff_client):
    public_id = add_submission(app)
    export_new(app)
    batch_id = submission_row(app, public_id)["export_batch_id"]
    before = _summary(staff_client.get(f"/staff/submissions/{public_id}"))
    assert ">New</span>" in before and "Mark reviewed</button>" in before
    token = csrf_token(staff_client, f"/staff/submissions/{public_id}")
    staff_client.post(f"/staff/submissions/{public_id}/review", data={"csrf_token": token})
    row = submission_row(app, public_id)
    assert (row["status"], row["reviewed_at"] is not None) == (SubmissionStatus.REVIEWED, True)
    assert batch_id is not None and row["export_batch_id"] == batch_id
    after = _summary(staff_client.get(f"/staff/submissions/{public_id}"))
    assert ">Reviewed</span>" in after
    with app.app_context():
        made = db.session.get(ExportBatch, batch_id).created_at
        assert f">Exported</span> {clock.format_datetime(made)}" in after


def test_a_submission_not_exported_says_so(app, staff_client):
    public_id = add_submission(app)
    summary = _summary(staff_client.get(f"/staff/submissions/{public_id}"))
    assert re.search(r"<dt>Exported</dt><dd>\s*Not yet\s*</dd>", summary)


def _summary(response) -> str:
    """The page's summary panel: status, review, export, PDF."""
    page = response.get_data(as_text=True)
    start = page.index('<dl class="summary">')
    return page[start : page.index("</dl>", start)]


def test_every_view_of_a_submission_is_audited(app, staff_client):
    public_id = add_submission(app)
    staff_client.get(f"/staff/submissions/{public_id}")
    staff_client.get(f"/staff/submissions/{public_id}")
    events = audit_events(app, "submission.view")
    assert [(e["target_type"], e["target_id"]) for e in events] == [
        ("submission", str(public_id))
    ] * 2
    assert re.fullmatch(r"[0-9a-f-]{36}", events[0]["target_id"])
