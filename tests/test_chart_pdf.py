"""The signed chart PDF, read back with poppler (pdftotext, pdffonts), qpdf and pikepdf.

Two submissions are rendered once per backend and shared by every test here: one drawn
signature with accents, an apostrophe, a hyphen, flags and answers in Chinese and Arabic; one
typed signature by a Chinese-named parent for an Arabic-named child, with nothing flagged.
"""

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pikepdf
import pytest
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from sqlalchemy import select

from intake import audit, consents, questionnaire
from intake.chart import render_and_store
from intake.chart.job import RenderJob
from intake.chart.seal import outside_any_event_loop
from intake.chart.worker import renderer
from intake.extensions import db
from intake.models import AuditEvent, ChartDocument, PdfStatus, Submission
from intake.questionnaire import Kind
from testkit.factories import drawn_signature, make_submission
from tests.chart_support import (
    BACKEND_PARAMS,
    flat,
    module_app,
    needs,
    pdf_pages,
    pdffonts,
    pdfsig,
    qpdf_check,
    squeezed,
    to_unicode,
)
from tests.conftest import signing_key_for_tests

CHINESE = "我对针有点紧张"
ARABIC = "ابنتي تتحدث العربية"

DRAWN_ANSWERS = {
    "first_name": "José",
    "last_name": "Núñez-O'Brien",
    "date_of_birth": "1970-04-12",
    "address": "12 River Road\nApt 4\nSpringfield, IL 62701",
    "emergency_contact_name": "Zoë Łukasz-Kowalska",
    "physician": "",
    "pain_areas": ["lower_back", "other"],
    "pain_areas_other": "Left heel",
    "worse_with": "",
    "diabetes": "yes",
    "diabetes_controlled": "no",
    "cancer": "yes",
    "cancer_details": "Breast cancer, finished chemotherapy in 2024",
    "weight_loss": "yes",
    "night_pain": "yes",
    "calf_swelling": "yes",
    "anticoagulants": "yes",
    "anticoagulants_which": "Warfarin 5 mg",
    "allergies": ["latex", "nickel"],
    "allergies_details": "Rash from latex gloves",
    "metal_implants": "yes",
    "metal_implants_where": "Left knee replacement",
    "prior_needling": "yes",
    "prior_needling_experience": "good",
    "better_with": ARABIC,
    "anything_else": f"{CHINESE}。",
}
TYPED_ANSWERS = {
    "first_name": "فاطمة",
    "last_name": "الزهراء",
    "date_of_birth": "2014-06-02",
    "visit_reason": "膝盖疼痛两周了",
    "emergency_contact_name": "王秀英",
}


@dataclass(frozen=True)
class Rendered:
    """One rendered submission and what the database says about it."""

    pdf: bytes
    pages: list[str]
    layout_pages: list[str]
    row: dict[str, Any]
    document: dict[str, Any]
    events_before: list[str]
    events_after: list[str]


def _render(app, answers: dict, **columns) -> Rendered:
    with app.app_context():
        submission = make_submission(answers=answers, **columns)
        other = make_submission()
        audit.record("submission.view", target_type="submission", target_id=submission.public_id)
        audit.record(
            "submission.create",
            target_type="submission",
            target_id=submission.public_id,
            actor_type="kiosk",
            actor_label="Front desk 1",
        )
        audit.record("submission.review", target_type="submission", target_id=other.public_id)
        db.session.commit()
        events_before = [event.action for event in _events(submission)]
        document = render_and_store(submission)
        assert document is not None
        stored = db.session.get(Submission, submission.id)
        (row_document,) = db.session.scalars(
            select(ChartDocument).where(ChartDocument.submission_id == stored.id)
        ).all()
        row = {column.name: getattr(stored, column.key) for column in Submission.__mapper__.columns}
        document_values = {
            "content": row_document.content,
            "sha256": row_document.sha256,
            "size": row_document.size,
            "kind": row_document.kind,
            "created_at": row_document.created_at,
        }
        events_after = [event.action for event in _events(stored)]
    pdf = document_values["content"]
    return Rendered(
        pdf,
        pdf_pages(pdf),
        pdf_pages(pdf, layout=True),
        row,
        document_values,
        events_before,
        events_after,
    )


def _events(submission: Submission) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target_type == "submission",
            AuditEvent.target_id == str(submission.public_id),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def charts(request, tmp_path_factory) -> dict[str, Rendered]:
    """The two PDFs, rendered once per backend for every test in this module."""
    document = consents.current()
    initials = {clause.id: "J" + chr(ord("A") + i) for i, clause in enumerate(document.clauses)}
    with module_app(request, tmp_path_factory) as app:
        drawn = _render(
            app,
            DRAWN_ANSWERS,
            submitted_at=datetime(2026, 11, 3, 15, 41, 7, tzinfo=UTC),
            consent_initials=initials,
            signature_kind="drawn",
            signature_strokes=drawn_signature(),
            typed_signature=None,
        )
        typed = _render(
            app,
            TYPED_ANSWERS,
            submitted_at=datetime(2026, 7, 14, 14, 5, 9, tzinfo=UTC),
            signer_name="王秀英",
            signer_relationship="parent",
            typed_signature="王秀英",
            ip_address=None,
            device_label=None,
        )
        yield {"drawn": drawn, "typed": typed}


pytestmark = needs("pdftotext", "pdffonts", "qpdf", "noto-fonts")
BOTH = pytest.mark.parametrize("name", ["drawn", "typed"])


def _expected_answer(question: questionnaire.Question, value: Any) -> str | None:
    """How an answer reads on paper (the specification, written out independently)."""
    if value in (None, "", []):
        return None
    choices = dict(question.choices) or {"yes": "Yes", "no": "No"}
    if question.kind == Kind.MULTI:
        return ", ".join(choices[item] for item in value)
    if question.kind in (Kind.YES_NO, Kind.CHOICE):
        return choices[value]
    if question.kind == Kind.SCALE:
        return f"{value} out of 10"
    if question.kind == Kind.DATE:  # the clinic's dates: "Apr 12, 1970"
        day = date.fromisoformat(value)
        return f"{day:%b} {day.day}, {day.year}"
    return str(value)


@BOTH
def test_every_question_shown_is_listed_beside_its_answer(charts, name):
    chart = charts[name]
    answers = chart.row["answers"]
    lines = [flat(line) for page in chart.layout_pages for line in page.splitlines()]
    text = squeezed("".join(chart.pages))
    shown = [q for q in questionnaire.QUESTIONS if questionnaire.is_shown(q, answers)]
    for question in shown:
        expected = _expected_answer(question, answers.get(question.id))
        label_start = " ".join(question.label.split()[:3])
        beside = expected.split()[0] if expected else "Not answered"
        assert any(line.startswith(label_start) and beside in line for line in lines), (
            f"{question.id}: {label_start!r} not beside {beside!r}"
        )
        assert squeezed(expected or "Not answered") in text, question.id
    no_answers = [q for q in shown if answers.get(q.id) == "no"]
    assert len(no_answers) >= 10  # the "No" answers are all there too


def test_flagged_answers_are_marked_for_review(charts):
    text = flat(" ".join(charts["drawn"].pages))
    for label in (
        "Diabetes not well controlled",
        "Takes a blood thinner",
        "Latex allergy",
        "Allergy to metals (e.g. nickel)",
        "Cancer now or in treatment",
    ):
        assert f"Review before dry needling: {label}" in text
    for label in ("Weight loss without trying", "Calf swelling, warmth or redness"):
        assert f"Red flag, review before treatment: {label}" in text
    typed = flat(" ".join(charts["typed"].pages))
    assert "Review before dry needling:" not in typed
    assert "Nothing to review before dry needling" in typed
    assert "No red flags" in typed and "Red flag," not in typed


def test_red_flags_lead_the_first_page_then_dry_needling_flags_by_family(charts):
    # Read as pypdf reads it, without spaces: long reasons wrap, a hyphen may end a line.
    page = squeezed(PdfReader(io.BytesIO(charts["drawn"].pdf)).pages[0].extract_text())

    def at(text: str, start: int = 0) -> int:
        return page.index(squeezed(text), start)

    red, needling = at("Red flags: review before treatment"), at("Review before dry needling")
    contraindications, precautions = at("Contraindications", needling), at("Precautions", needling)
    assert red < needling < contraindications < precautions < at("About you")
    for code in ("cancer_history", "unexplained_weight_loss", "night_pain", "possible_dvt"):
        flag = questionnaire.FLAGS[code]
        assert red < at(f"{flag.label}: {flag.reason}") < needling, code
    assert (
        contraindications < at("Allergy to metals (e.g. nickel) (contraindication)") < precautions
    )
    assert precautions < at("Takes a blood thinner (precaution)")
    assert precautions < at("Latex allergy (precaution)")


@BOTH
def test_consent_text_exactly_as_shown_with_initials_beside_each_clause(charts, name):
    chart = charts[name]
    document = consents.from_snapshot(chart.row["consent_snapshot"])
    text = flat(" ".join(chart.pages))
    layout = flat(" ".join(chart.layout_pages))
    assert document.title in text
    position = 0
    for clause in document.clauses:
        for paragraph in clause.paragraphs:
            assert re.search(_as_extracted(paragraph), text), paragraph[:40]
        heading = layout.index(clause.heading, position)
        initials = layout.index(f" {chart.row['consent_initials'][clause.id]} ", heading)
        position = initials
    if name == "drawn":
        assert len(set(chart.row["consent_initials"].values())) == len(document.clauses)


def _as_extracted(paragraph: str) -> str:
    """A pattern for a paragraph as pdftotext gives it back.

    Where a line breaks after a hyphen ("single-" / "use"), pdftotext joins the two halves
    and drops the hyphen, so a hyphen may be missing; every other character must be there.
    """
    words = [re.escape(word).replace("\\-", "-?") for word in flat(paragraph).split(" ")]
    return r"\s+".join(words)


@BOTH
def test_every_page_has_the_footer_and_page_x_of_y(charts, name):
    chart = charts[name]
    row = chart.row
    total = len(chart.pages)
    assert total >= 4
    for number, page in enumerate(chart.pages, start=1):
        page = flat(page)
        # A right-to-left name may come back from pdftotext with a neighbouring "·" inside
        # it (its bidi reordering of the line); the rendered page reads correctly.
        assert "Patient:" in page and f"{row['first_name']} {row['last_name']}" in page, number
        if name == "drawn":
            assert "Patient: José Núñez-O'Brien · DOB: Apr 12, 1970 · Submission:" in page
        born = row["date_of_birth"]
        assert f"DOB: {born:%b} {born.day}, {born.year}" in page
        assert f"Submission: {row['public_id']}" in page
        assert f"Consent: {row['consent_document']} v{row['consent_version']}" in page
        assert f"Page {number} of {total}" in page


@BOTH
def test_clinic_name_at_the_top(charts, name):
    first_line = next(line for line in charts[name].pages[0].splitlines() if line.strip())
    assert first_line.strip() == "Riverside Physical Therapy"


def test_drawn_signature_is_vector_paths_from_the_strokes(charts):
    chart = charts["drawn"]
    pdf = pikepdf.open(io.BytesIO(chart.pdf))
    images = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
    ]
    assert images == []  # no raster anywhere: the signature is drawn as paths
    (page_index,) = [i for i, text in enumerate(chart.pages) if "Drawn by finger" in text]
    operators = [
        str(operator) for _, operator in pikepdf.parse_content_stream(pdf.pages[page_index])
    ]
    strokes = chart.row["signature_strokes"]["strokes"]
    segments = sum(len(stroke) - 1 for stroke in strokes)
    assert operators.count("l") >= segments
    assert operators.count("c") >= 4  # the tap drawn as a dot (a circle of curves)
    text = flat(chart.pages[page_index])
    assert "Signed by José Núñez-O'Brien" in text
    assert "Relationship to the patient Self (the patient)" in text
    assert "November 3, 2026, 9:41:07 AM CST (UTC-06:00)" in text
    assert "2026-11-03 15:41:07 UTC" in text
    assert "Agreed to the consent above: Yes" in text


def test_typed_signature_signer_and_summer_time_offset(charts):
    chart = charts["typed"]
    (page,) = [flat(text) for text in chart.pages if "Typed signature" in text]
    assert "王秀英 Typed signature: the signer typed their name to sign." in page
    assert "Signed by 王秀英" in page
    assert "Relationship to the patient Parent" in page
    assert "July 14, 2026, 9:05:09 AM CDT (UTC-05:00)" in page
    assert "2026-07-14 14:05:09 UTC" in page


@BOTH
def test_audit_page_lists_evidence_hashes_and_the_events_at_render_time(charts, name):
    chart = charts[name]
    row = chart.row
    page = flat(chart.pages[-1])
    assert page.startswith("Riverside Physical Therapy") and "Audit trail" in page
    canonical = json.dumps(
        row["answers"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert f"Answers SHA-256 {hashlib.sha256(canonical.encode()).hexdigest()}" in page
    assert f"Consent text SHA-256 {row['consent_sha256']}" in page
    assert f"Submission ID {row['public_id']}" in page
    started = row["started_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    submitted = row["submitted_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert re.search(rf"Form started .*\(UTC-0[56]:00\) {started}", page)
    assert re.search(rf"Form submitted .*\(UTC-0[56]:00\) {submitted}", page)
    assert f"User agent {row['user_agent']}" in page
    if name == "drawn":
        assert "IP address 192.0.2.10" in page
        assert "Device label Front desk 1" in page
    else:
        assert "IP address Not recorded" in page
        assert "Device label Not recorded" in page
    events = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d (\S+)", page)
    assert events == chart.events_before == ["submission.view", "submission.create"]
    assert "submission.review" not in page  # another submission's event
    assert chart.events_after == [*chart.events_before, "chart.render"]


@BOTH
def test_attachment_is_the_stored_submission_as_json(charts, name):
    chart = charts[name]
    row = chart.row
    pdf = pikepdf.open(io.BytesIO(chart.pdf))
    assert list(pdf.attachments) == [f"submission-{row['public_id']}.json"]
    spec = pdf.attachments[f"submission-{row['public_id']}.json"]
    assert spec.obj.AFRelationship == "/Data"
    assert [item.objgen for item in pdf.Root.AF] == [spec.obj.objgen]
    embedded = spec.get_file()
    assert embedded.mime_type == "application/json"
    record = json.loads(embedded.read_bytes().decode("utf-8"))
    assert record["format"] == "intake.submission"
    assert record["submission_id"] == str(row["public_id"])
    assert record["answers"] == row["answers"]
    assert record["patient"] == {
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "date_of_birth": row["date_of_birth"].isoformat(),
        "phone": row["phone"],
        "email": row["email"],
    }
    consent = record["consent"]
    assert consent["snapshot"] == row["consent_snapshot"]
    assert consents.snapshot_sha256(consent["snapshot"]) == consent["sha256"]
    assert consent["sha256"] == row["consent_sha256"]
    assert consent["initials"] == row["consent_initials"]
    assert record["signer"] == {
        "name": row["signer_name"],
        "relationship": row["signer_relationship"],
        "guardian_phone": row["guardian_phone"],
    }
    assert record["signature"]["kind"] == row["signature_kind"]
    assert record["signature"]["strokes"] == row["signature_strokes"]
    assert record["signature"]["typed"] == row["typed_signature"]
    assert datetime.fromisoformat(record["submitted_at"]) == row["submitted_at"]
    assert record["evidence"] == {
        "ip_address": row["ip_address"],
        "user_agent": row["user_agent"],
        "device_label": row["device_label"],
    }
    canonical = json.dumps(
        row["answers"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert record["answers_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert [event["action"] for event in record["audit_events"]] == chart.events_before


@BOTH
def test_pdf_a_3u_metadata(charts, name):
    chart = charts[name]
    pdf = pikepdf.open(io.BytesIO(chart.pdf))
    xmp = pdf.open_metadata()
    assert xmp["pdfaid:part"] == "3"
    assert xmp["pdfaid:conformance"] == "U"  # 3u, not the weaker 3b
    assert xmp["dc:creator"] == ["Riverside Physical Therapy"]
    assert xmp["dc:title"].startswith(f"Intake for {chart.row['first_name']}")
    assert "dry needling" in xmp["dc:description"]
    created = chart.document["created_at"].astimezone(UTC)
    assert xmp["xmp:CreateDate"] == created.strftime("%Y-%m-%dT%H:%M:%SZ")
    info = pdf.docinfo
    assert str(info.Author) == "Riverside Physical Therapy"
    assert str(info.Title) == xmp["dc:title"]
    assert str(info.Subject) == xmp["dc:description"]
    assert str(info.CreationDate) == created.strftime("D:%Y%m%d%H%M%SZ")
    # What PDF/A asks of the file's structure, beyond the XMP claim.
    (intent,) = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert "/ID" in pdf.trailer and "/Encrypt" not in pdf.trailer
    assert pdf.pdf_version == "1.7"
    for page in pdf.pages:
        for font in page.Resources.Font.values():
            descriptor = font.DescendantFonts[0].FontDescriptor
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys())
            assert "/ToUnicode" in font


@BOTH
def test_pdffonts_embeds_fonts_that_cover_chinese_and_arabic(charts, name):
    fonts = pdffonts(charts[name].pdf)
    assert fonts and all(font["emb"] == "yes" and font["uni"] == "yes" for font in fonts)
    names = [font["name"].split("+", 1)[-1] for font in fonts]
    assert any(name.startswith("Noto-Sans-CJK") for name in names), names
    assert any(name.startswith("Noto-Sans-Arabic") for name in names), names


def test_names_and_answers_in_every_script_extract_as_typed(charts):
    drawn = flat(" ".join(charts["drawn"].pages))
    for sample in ("José Núñez-O'Brien", "Zoë Łukasz-Kowalska", CHINESE, ARABIC):
        assert sample in drawn
    typed = flat(" ".join(charts["typed"].pages))
    for sample in ("فاطمة", "الزهراء", "王秀英", "膝盖疼痛两周了"):
        assert sample in typed


@BOTH
@needs("pdfsig")
def test_pdfsig_and_pyhanko_find_the_clinic_seal_valid_over_the_whole_file(charts, name):
    chart = charts[name]
    report = pdfsig(chart.pdf)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    signatures = PdfFileReader(io.BytesIO(chart.pdf)).embedded_signatures
    (signature,) = signatures
    trusted = load_certs_from_pemder([str(signing_key_for_tests()[1])])
    context = ValidationContext(trust_roots=trusted, allow_fetching=False)
    # pyHanko runs an asyncio loop: not on this thread, which Playwright's may hold already.
    status = outside_any_event_loop(lambda: validate_pdf_signature(signature, context))
    assert status.bottom_line, status.pretty_print_details()
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


@BOTH
def test_qpdf_finds_no_error(charts, name):
    result = qpdf_check(charts[name].pdf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


@BOTH
def test_stored_once_with_its_hash_and_status(charts, name):
    chart = charts[name]
    assert chart.document["kind"] == "intake"
    assert chart.document["size"] == len(chart.pdf)
    assert chart.document["sha256"] == hashlib.sha256(chart.pdf).hexdigest()
    assert chart.row["pdf_status"] == PdfStatus.RENDERED
    assert chart.row["pdf_error"] is None
    assert chart.pdf.startswith(b"%PDF-1.7")


def test_arabic_ligatures_map_to_their_letters_in_reading_order():
    """Lam-alef is one glyph for two letters; the PDF maps it to lam, then alef.

    That is why the Arabic samples above avoid it: poppler's pdftotext (22.12) reverses the
    two letters when it reorders a right-to-left line, an extractor bug that pypdf (#1589)
    and PDFBox (PDFBOX-4531) have fixed. The text layer itself is right, as checked here.
    """
    text = "السلام عليكم، لا بأس"
    job = RenderJob(
        html=f'<p lang="ar" dir="rtl">{text}</p>',
        attachment=b"{}",
        attachment_name="record.json",
        attachment_description="",
        created=datetime(2026, 11, 3, tzinfo=UTC),
    )
    mapping = to_unicode(renderer.render(job, timeout=60).pdf, "Noto-Sans-Arabic")
    assert "\u0644\u0627" in mapping.values()  # the ligature: lam, alef
    assert all(letters in text for letters in mapping.values())  # every glyph in reading order
