"""The patient pages in Spanish: the choice, the switch on any page, what is signed and kept."""

import logging
import re
from datetime import date

from sqlalchemy import select

from intake import consents, languages
from intake.chart import render_and_store
from intake.extensions import db
from intake.models import Submission
from testkit.factories import make_submission, signature_payload
from tests.chart_support import pdf_pages
from tests.support import csrf_token, hidden_fields
from tests.test_kiosk import fill_history, post_section, start, stored_input

SPANISH_NAME = {"first_name": "María José", "last_name": "García López"}


def choose(client, language: str, path: str = "/") -> None:
    """Tap a language button of a page without a form of answers."""
    data = {"csrf_token": csrf_token(client, path), "language": language, "next": path}
    response = client.post("/display", data=data)
    assert response.status_code == 303


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def test_the_welcome_screen_offers_english_and_spanish_and_follows_the_choice(client):
    html = client.get("/").get_data(as_text=True)
    assert html_lang(html) == "en"
    assert 'lang="es"' in html and "Español" in html
    choose(client, "es")
    html = client.get("/").get_data(as_text=True)
    assert html_lang(html) == "es"
    assert "Bienvenido" in html and ">Empezar<" in html
    assert 'aria-pressed="true">Español' in html


def test_a_language_not_offered_changes_nothing(client):
    choose(client, "fr")
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"


def test_switching_language_on_a_page_keeps_what_was_typed(app, client):
    start(client)
    typed = {"first_name": "María José", "last_name": "García López"}
    data = {"csrf_token": csrf_token(client, "/intake/about"), "language": "es", **typed}
    response = client.post("/intake/about", data=data)
    assert response.status_code == 303
    assert response.location == "/intake/about"
    assert stored_input(app)["last_name"] == "García López"
    html = client.get("/intake/about").get_data(as_text=True)
    assert html_lang(html) == "es"
    assert "Sobre usted" in html and 'value="García López"' in html
    assert "Mes / día / año" in html


def test_errors_and_the_date_hint_are_in_spanish(client):
    choose(client, "es")
    start(client)
    response = post_section(client, "about", {"first_name": "Ana", "date_of_birth": "23/04/1981"})
    html = client.get(response.location).get_data(as_text=True)
    assert "Revise estas" in html
    assert "23/04/1981 parece día/mes/año" in html
    assert "Por favor llene esto." in html


def test_the_choice_ends_with_the_draft(client):
    choose(client, "es")
    start(client)
    client.post("/intake/discard", data={"csrf_token": csrf_token(client, "/intake/stop")})
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"


def sign_in_spanish(app, client) -> Submission:
    choose(client, "es")
    start(client)
    fill_history(client, SPANISH_NAME)
    html = client.get("/intake/consent").get_data(as_text=True)
    assert "neumotórax" in html and "acupuntura" in html
    data = {
        **hidden_fields(client, "/intake/consent"),
        "action": "submit",
        "agree": "y",
        "method": "drawn",
        "signature": signature_payload(),
        **{f"initials_{clause.id}": "MG" for clause in consents.current().clauses},
    }
    response = client.post("/intake/consent", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.location.endswith("/intake/thanks")
    thanks = client.get(response.location).get_data(as_text=True)
    assert "Gracias" in thanks
    with app.app_context():
        return db.session.scalars(select(Submission)).one()


def test_a_spanish_consent_is_signed_with_spanish_initials_and_recorded(app, client):
    submission = sign_in_spanish(app, client)
    spanish = consents.current(today=submission.signed_at.date(), language="es")
    assert submission.language == "es"
    assert submission.consent_initials == {c.id: "MG" for c in spanish.clauses}
    assert '"language":"es"' in submission.consent_snapshot
    assert "neumotórax" in submission.consent_snapshot
    assert submission.consent_sha256 == consents.snapshot_sha256(submission.consent_snapshot)
    assert submission.last_name == "García López"  # free text as typed
    # The next patient starts in English.
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"


def test_each_spanish_version_matches_its_english_clause_for_clause():
    for english in consents.versions():
        spanish = consents.load("dry_needling", english.version, "es")
        assert [c.id for c in spanish.clauses] == [c.id for c in english.clauses]
        assert spanish.version == english.version
        assert spanish.sha256 != english.sha256
        assert spanish.language_code == "es" and english.language_code == "en"


def test_the_spanish_translations_record_no_reviewer_yet():
    for english in consents.versions():
        translation = consents.translation("dry_needling", english.version, "es")
        assert translation is not None and not translation.reviewed


def test_production_does_not_offer_an_unreviewed_translation_and_says_so_once(app, caplog):
    app.config["INTAKE_ENV"] = "production"
    with caplog.at_level(logging.WARNING):
        offered = languages.offered_languages(app)
    assert offered == ("en",)
    lines = [r.getMessage() for r in caplog.records if "not offered" in r.getMessage()]
    assert len(lines) == 1 and "Spanish (es) is not offered" in lines[0]


def test_development_and_tests_offer_spanish(app):
    assert app.config["PATIENT_LANGUAGES"] == ("en", "es")


def test_a_version_1_spanish_document_keeps_its_agreement_in_spanish():
    spanish = consents.load("dry_needling", "1", "es")
    assert spanish.agreement is None
    assert spanish.agreement_text.startswith("Leí este consentimiento")
    assert consents.current(today=date(2026, 11, 5), language="es").version == "1"


def test_a_spanish_chart_prints_the_consent_as_read_beside_english_answers(app, runner):
    with app.app_context():
        submission = make_submission(
            {"preferred_language": "spanish"}, consent=consents.current(language="es")
        )
        document = render_and_store(submission)
        assert submission.language == "es"
        text = " ".join(pdf_pages(document.content))
    assert "Signed in Spanish" in text
    assert "neumotórax" in text and "acupuntura" in text
    assert "Health history" in text and "Which language do you prefer for your care?" in text
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output


def test_a_display_button_goes_back_only_to_a_page_of_this_site(client):
    for elsewhere in ("https://example.org/", "//example.org/", "/\\example.org", "/\t/x.org"):
        data = {"csrf_token": csrf_token(client, "/"), "language": "es", "next": elsewhere}
        assert client.post("/display", data=data).location == "/"


def test_a_display_button_without_a_form_token_is_refused(client):
    assert client.post("/display", data={"language": "es", "next": "/"}).status_code == 400


def test_the_welcome_screen_says_the_answers_were_cleared_after_the_tablet_was_idle(client):
    start(client)
    data = {"csrf_token": csrf_token(client, "/intake/about"), "reason": "idle"}
    response = client.post("/intake/discard", data=data)
    assert response.location == "/"
    html = client.get("/").get_data(as_text=True)
    assert "your answers were cleared to keep them private" in html


def test_a_language_whose_catalogue_is_not_compiled_is_not_offered(app, caplog, monkeypatch):
    monkeypatch.setattr(languages, "_compiled", lambda app, code: False)
    with caplog.at_level(logging.WARNING):
        assert languages.offered_languages(app) == ("en",)
    assert any("catalogue is not compiled" in r.getMessage() for r in caplog.records)
