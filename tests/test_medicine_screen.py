"""Blood thinners named in the free-text medicine list are found, stored and shown."""

import html
import io
import re
import string
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from intake import create_app, questionnaire
from intake.chart.content import chart_content
from intake.config import ConfigError, load_config
from intake.extensions import db
from intake.models import ChartDocument, Submission
from intake.questionnaire.medicines import drug_list, fold, mentions
from testkit.factories import make_submission
from tests.staff_support import add_staff, log_in
from tests.test_kiosk import consent_data, fill_history, start

BLOOD_THINNERS = drug_list("blood_thinners")
MEDICINE_FLAG = "medicine_blood_thinner"
LIST_FILE = Path(questionnaire.__file__).parent / "blood_thinners.toml"


def named(text: str) -> list[tuple[str, str]]:
    """(word as typed, generic) for each blood thinner the text names."""
    return [(mention.typed, mention.generic) for mention in mentions(text, BLOOD_THINNERS)]


FOUND = [
    pytest.param(text, expected, id=text)
    for text, expected in [
        ("Eliquis 5 mg", [("Eliquis", "apixaban")]),
        ("Eliquis 5mg twice daily", [("Eliquis", "apixaban")]),
        ("eliquis5mg", [("eliquis", "apixaban")]),
        ("ELIQUIS", [("ELIQUIS", "apixaban")]),
        ("apixaban 2.5 mg", [("apixaban", "apixaban")]),
        ("Coumadín", [("Coumadín", "warfarin")]),
        ("Coumadi\u0301n 5 mg", [("Coumadín", "warfarin")]),  # the accent typed as a mark
        ("WARFARIN 5 mg, Jantoven", [("WARFARIN", "warfarin")]),  # one drug, named once
        ("Xarelto 20 mg with dinner", [("Xarelto", "rivaroxaban")]),
        ("Pradaxa", [("Pradaxa", "dabigatran")]),
        ("Savaysa 60mg", [("Savaysa", "edoxaban")]),
        ("Lovenox shots after my knee", [("Lovenox", "enoxaparin")]),
        ("Fragmin", [("Fragmin", "dalteparin")]),
        ("Arixtra", [("Arixtra", "fondaparinux")]),
        ("heparin flush", [("heparin", "heparin")]),
        ("Plavix 75mg", [("Plavix", "clopidogrel")]),
        ("Effient", [("Effient", "prasugrel")]),
        ("Brilinta 90 mg", [("Brilinta", "ticagrelor")]),
        ("Aggrenox", [("Aggrenox", "dipyridamole")]),
        ("baby aspirin 81 mg daily", [("aspirin", "aspirin")]),
        # Misspellings patients type, each listed in the data file.
        ("eliquiss", [("eliquiss", "apixaban")]),
        ("Eloquis", [("Eloquis", "apixaban")]),
        ("xeralto", [("xeralto", "rivaroxaban")]),
        ("Zarelto", [("Zarelto", "rivaroxaban")]),
        ("warfarine", [("warfarine", "warfarin")]),
        ("warferin", [("warferin", "warfarin")]),
        ("coumadine", [("coumadine", "warfarin")]),
        ("clopidigrel", [("clopidigrel", "clopidogrel")]),
        ("plavics", [("plavics", "clopidogrel")]),
        ("asprin", [("asprin", "aspirin")]),
        # Lists: commas, semicolons, new lines; in the order first named.
        (
            "Metformin 500 mg, Plavix 75 mg\nEliquis 5 mg; vitamin D",
            [("Plavix", "clopidogrel"), ("Eliquis", "apixaban")],
        ),
        ("Lisinopril\r\nxarelto\r\n", [("xarelto", "rivaroxaban")]),
    ]
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_a_blood_thinner_is_found_by_any_of_its_names(text, expected):
    assert named(text) == expected


def test_every_misspelling_the_list_tolerates_is_tested_above():
    data = tomllib.loads(LIST_FILE.read_text(encoding="utf-8"))
    tested = {fold(word) for case in FOUND for word, _ in case.values[1]}
    for medicine in data["medicine"]:
        for misspelling in medicine["misspellings"]:
            assert fold(misspelling) in tested, misspelling


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ibuprofen 200 mg as needed",
        "Metformin 500 mg twice a day",
        "Tylenol, Lisinopril, Atorvastatin",
        "aspirin-free pain reliever",
        "Aspirin - free",
        "Eliquisx",
        "warfarinase",
        "heparinoid cream",
        "Plavixes",
    ],
)
def test_words_that_only_look_like_a_blood_thinner_name_nothing(text):
    assert named(text) == []


def test_limits_a_word_next_to_a_name_is_still_a_mention():
    # Documented limits: only "-free" right after a name unsays it.
    assert named("pre-Xarelto") == [("Xarelto", "rivaroxaban")]
    assert named("stopped warfarin last year") == [("warfarin", "warfarin")]
    assert named("no aspirin") == [("aspirin", "aspirin")]


def test_the_list_names_its_source_and_holds_one_word_per_name():
    assert "American Heart Association" in BLOOD_THINNERS.source
    generics = [medicine.generic for medicine in BLOOD_THINNERS.medicines]
    assert len(generics) == len(set(generics))
    for required in ("warfarin", "apixaban", "rivaroxaban", "dabigatran", "edoxaban"):
        assert required in generics
    for required in ("enoxaparin", "heparin", "clopidogrel", "prasugrel", "ticagrelor"):
        assert required in generics
    words = [word for medicine in BLOOD_THINNERS.medicines for word in medicine.words]
    assert len(words) == len(set(words)), "a word names two medicines"


@given(st.text())
def test_any_text_is_screened_without_error(text):
    for mention in mentions(text, BLOOD_THINNERS):
        assert mention.generic in {m.generic for m in BLOOD_THINNERS.medicines}


# What a patient types: Latin letters with and without accents, digits, list separators.
_TYPED = st.text(
    alphabet=string.ascii_letters + "áéíóúàèñçüöÁÉÍÓÚÑÇÜ" + string.digits + " ,;./\n",
    max_size=60,
)
_ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ", "c": "ç"}
_WORDS = sorted(word for medicine in BLOOD_THINNERS.medicines for word in medicine.words)


def _generics(text: str) -> list[str]:
    return [mention.generic for mention in mentions(text, BLOOD_THINNERS)]


@given(_TYPED)
def test_case_does_not_change_what_is_found(text):
    assert _generics(text) == _generics(text.upper()) == _generics(text.lower())


@given(_TYPED, st.sampled_from(_WORDS), _TYPED, st.data())
def test_a_listed_name_is_found_whatever_its_case_and_accents(before, word, after, data):
    flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    accents = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    typed = "".join(
        (_ACCENTED.get(char, char) if accent else char).upper() if flip else char
        for char, flip, accent in zip(word, flips, accents, strict=True)
    )
    found = _generics(f"{before} {typed} {after}")
    assert BLOOD_THINNERS.by_word[word].generic in found
    assert fold(typed) == word


def _sign(client, answers: dict) -> None:
    start(client)
    fill_history(client, answers)
    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


REASON = 'Medicine list names a blood thinner (apixaban: "Eliquis")'


@pytest.mark.backends("sqlite")
def test_a_blood_thinner_in_the_list_is_flagged_beside_it_on_the_staff_page_and_pdf(app, client):
    _sign(
        client, {"anticoagulants": "no", "medications": "Metformin 500 mg\nEliquis 5mg twice daily"}
    )
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert stored.flags == [MEDICINE_FLAG]
        assert stored.flag_notes == {MEDICINE_FLAG: 'apixaban: "Eliquis"'}
        public_id = stored.public_id
        pdf = db.session.scalars(select(ChartDocument.content)).one()

    # The signed PDF: the reason, with the word, beside the medicine list.
    text = _pdf_text(pdf)
    assert f"Review before dry needling: {REASON} (precaution)" in text
    medicines_at = text.index("Medicines you take")
    assert medicines_at < text.index(f"Review before dry needling: {REASON}", medicines_at)

    # The staff page: in the summary and beside the medicine list, nowhere else.
    add_staff(app)
    assert log_in(client).status_code == 302
    page = html.unescape(client.get(f"/staff/submissions/{public_id}").get_data(as_text=True))
    assert page.count(REASON) == 2
    beside = re.search(r"<dt>Medicines you take</dt>.*?</dd>", page, re.S).group()
    assert REASON in beside and "Eliquis 5mg twice daily" in beside
    blood_thinner = re.search(r"<dt>Do you take a blood thinner\?</dt>.*?</dd>", page, re.S)
    assert "flags" not in blood_thinner.group()


def test_the_reason_is_read_from_the_stored_row_not_from_today_s_list(app_context):
    # Signed when the list knew a name it no longer holds: the PDF rendered later
    # (render-pending) and the staff page still read the stored reason.
    submission = make_submission(
        {"medications": "Oldbrand 10 mg"},
        flags=[MEDICINE_FLAG],
        flag_notes={MEDICINE_FLAG: 'dabigatran: "Oldbrand"'},
    )
    content = chart_content(
        submission,
        [],
        clinic_name="Clinic",
        timezone="America/Chicago",
        rendered_at=submission.submitted_at,
    )
    reason = 'Medicine list names a blood thinner (dabigatran: "Oldbrand")'
    needling = [flag.label for _, group in content.needling_flags for flag in group]
    assert needling == [reason] and content.red_flags == ()
    beside = {
        view.question_id: [flag.label for flag in view.flags]
        for section in content.history
        for view in section.answers
    }
    assert beside["medications"] == [reason]
    assert questionnaire.flags_for(submission.answers) == []  # today's list finds nothing


def test_a_row_stored_before_notes_existed_shows_its_flags_without_them(app_context):
    submission = make_submission(
        {"anticoagulants": "yes", "anticoagulants_which": "x"}, flag_notes=None
    )
    (flag,) = questionnaire.flag_details(submission.flags, submission.flag_notes)
    assert flag.label == "Takes a blood thinner"


@pytest.mark.backends("sqlite")
def test_the_clinic_setting_makes_taking_a_blood_thinner_a_contraindication(
    app, client, monkeypatch
):
    yes = {"anticoagulants": "yes", "anticoagulants_which": "Xarelto"}
    _sign(client, yes)
    monkeypatch.setenv("INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION", "1")
    strict = create_app({"TESTING": True})
    strict_client = strict.test_client()
    _sign(strict_client, {**yes, "medications": "Xarelto 20 mg"})

    with app.app_context():
        first, second = db.session.scalars(select(Submission).order_by(Submission.id)).all()
        # Graded when signed, and kept: the setting applies to submissions signed after it.
        assert first.flags == ["blood_thinner"]
        assert questionnaire.flag_details(first.flags)[0].severity == "precaution"
        assert second.flags == ["anticoagulants", MEDICINE_FLAG]
        details = questionnaire.flag_details(second.flags, second.flag_notes)
        assert [(flag.code, flag.severity) for flag in details] == [
            ("anticoagulants", "contraindication"),
            (MEDICINE_FLAG, "precaution"),  # a name in free text stays a precaution
        ]
        second_id = second.public_id

    add_staff(app)
    assert log_in(client).status_code == 302
    page = html.unescape(client.get(f"/staff/submissions/{second_id}").get_data(as_text=True))
    beside = re.search(r"<dt>Do you take a blood thinner\?</dt>.*?</dd>", page, re.S).group()
    assert "badge-contraindication" in beside and "Takes blood thinners" in beside
    assert 'Medicine list names a blood thinner (rivaroxaban: "Xarelto")' in page
    with strict.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("raw", "graded"), [(None, ()), ("0", ()), ("1", ("blood_thinner",))])
def test_the_setting_is_read_as_on_or_off(tmp_path, raw, graded):
    env = {"INTAKE_SECRET_KEY": "k" * 40}
    if raw is not None:
        env["INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION"] = raw
    assert load_config(str(tmp_path), env)["CONTRAINDICATED_PRECAUTIONS"] == graded


def test_a_setting_that_is_neither_on_nor_off_stops_the_start(tmp_path):
    env = {"INTAKE_SECRET_KEY": "k" * 40, "INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION": "yes"}
    with pytest.raises(ConfigError, match="INTAKE_BLOOD_THINNER_IS_CONTRAINDICATION must be 1"):
        load_config(str(tmp_path), env)
