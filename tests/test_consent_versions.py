"""Consent versions: version 1 exactly as patients signed it, version 2 with its agreement and
risk notes, and which version is in effect when."""

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from pypdf import PdfReader

from intake import consents, questionnaire
from intake.chart import render_and_store
from intake.chart.content import chart_content
from intake.questionnaire import Severity
from testkit.factories import make_submission
from tests.chart_support import squeezed

# Version 1's snapshot SHA-256 as it was computed before version 2 existed: stored
# submissions hold it, and their chart PDFs print it.
VERSION_1_SHA256 = "ab29f1a2f19b89d16b2c1dd5f6adfa8b35bb03927d51aa5220b31ee3498f21ef"
VERSION_1 = consents.load("dry_needling", "1")
VERSION_2 = consents.load("dry_needling", "2")


def test_version_1_snapshot_is_byte_for_byte_what_patients_signed():
    assert VERSION_1.sha256 == VERSION_1_SHA256
    assert set(json.loads(VERSION_1.snapshot())) == {
        "clauses",
        "document_id",
        "effective_date",
        "title",
        "version",
    }
    assert consents.from_snapshot(VERSION_1.snapshot()) == VERSION_1
    assert VERSION_1.as_shown(["blood_thinner", "epilepsy"]) == VERSION_1
    assert VERSION_1.agreement_text == (
        "I have read this consent, my questions were answered, and I agree."
    )


def test_version_2_takes_effect_on_its_date():
    assert consents.current(today=date(2026, 11, 29)) == VERSION_1
    assert consents.current(today=date(2026, 11, 30)) == VERSION_2


def test_the_snapshot_holds_only_the_notes_shown_in_the_documents_order():
    shown = VERSION_2.as_shown(["epilepsy", "anticoagulants"])
    assert [note.id for note in shown.risk_notes] == ["blood_thinner", "epilepsy"]
    data = json.loads(shown.snapshot())
    assert [note["id"] for note in data["risk_notes"]] == ["blood_thinner", "epilepsy"]
    assert data["agreement"] == VERSION_2.agreement
    assert consents.from_snapshot(shown.snapshot()) == shown
    assert shown.sha256 == consents.snapshot_sha256(shown.snapshot())
    assert len({shown.sha256, VERSION_2.as_shown([]).sha256, VERSION_2.sha256}) == 3
    assert json.loads(VERSION_2.as_shown([]).snapshot())["risk_notes"] == []


def test_every_note_names_declared_flags_and_every_flag_but_two_has_a_note():
    covered = [code for note in VERSION_2.risk_notes for code in note.flags]
    assert len(covered) == len(set(covered))  # one note per flag
    assert set(covered) <= questionnaire.FLAGS.keys()
    # An interpreter, or help with medical decisions, changes how consent is given, not a
    # risk of needling: the front desk and the therapist handle them, not a note.
    assert questionnaire.FLAGS.keys() - set(covered) == {"consent_support", "interpreter"}
    (red_flags,) = (note for note in VERSION_2.risk_notes if note.id == "red_flags")
    assert set(red_flags.flags) == {
        code for code, flag in questionnaire.FLAGS.items() if flag.severity == Severity.RED_FLAG
    }


def test_version_2_says_what_patients_asked_to_know():
    text = " ".join(p for clause in VERSION_2.clauses for p in clause.paragraphs)
    for words in (
        "deep ache",
        "twitch",
        "flare up for a day or two",
        "latex",
        "blood thinner, you may bruise or bleed more",
        "never done if you have a pacemaker",
        "licensed physical therapist who has trained in dry needling",
        "For heel pain, the studies so far are promising, but there are only a few",
        "Most found help for a few weeks or months",
    ):
        assert words in text, words
    assert "I know I can ask questions, and my therapist will answer them before any needling" in (
        VERSION_2.agreement
    )


def test_a_submission_signed_under_version_1_renders_and_verifies_as_before(app, runner):
    with app.app_context():
        submission = make_submission({"anticoagulants": "yes"}, consent=VERSION_1)
        assert submission.flags == ["blood_thinner"]
        assert submission.consent_version == "1"
        assert submission.consent_snapshot == VERSION_1.snapshot()
        assert submission.consent_sha256 == VERSION_1_SHA256
        content = chart_content(
            submission,
            [],
            clinic_name="Clinic",
            timezone="America/Chicago",
            rendered_at=datetime.now(UTC),
        )
        assert content.consent.risk_notes == () and content.consent.agreement is None
        document = render_and_store(submission)
        assert document is not None
        pages = PdfReader(io.BytesIO(document.content)).pages
        text = squeezed(" ".join(page.extract_text() for page in pages))
    assert squeezed(VERSION_1.clauses[0].paragraphs[0]) in text
    assert squeezed(VERSION_1_SHA256) in text
    assert squeezed("About your answers") not in text
    assert squeezed(VERSION_1.agreement_text) not in text
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output


def test_the_clinical_content_page_lists_every_note_as_the_patient_reads_it():
    page = (Path(__file__).parent.parent / "docs" / "clinical-content.md").read_text("utf-8")
    for note in consents.current(today=date.max).risk_notes:
        assert f"| `{note.id}` | " in page and f" | {note.paragraph} |" in page, note.id
