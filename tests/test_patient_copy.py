"""The patient's copy of the signed consent: emailed from the thank-you page or the staff page,
printed from the staff page; received by a real SMTP server and read back."""

import hashlib
import html
from datetime import UTC, date, datetime
from io import BytesIO

import pikepdf
import pytest
from sqlalchemy import select, update

from intake import consents
from intake.extensions import db
from intake.models import ChartDocument, Submission
from tests.chart_support import flat, needs, pdf_pages
from tests.mail_support import (
    CLINIC_ADDRESS,
    CLINIC_PHONE,
    MAIL_FROM,
    free_port,
    running_smtp_server,
    send_mail_through,
)
from tests.staff_support import add_staff, add_submission, audit_events, log_in, submission_row
from tests.support import csrf_token
from tests.test_kiosk import consent_data, fill_history, start
from tests.test_kiosk_spanish import SPANISH_NAME, choose, html_lang

pytestmark = needs("pdftotext", "noto-fonts")

EMAIL = "jane.doe@example.org"
MASKED = "j\u2022\u2022\u2022@example.org"
CLINIC = "Riverside Physical Therapy"
# What the clinic keeps for itself, and must never reach the patient's copy or its email.
INTERNAL = (
    "127.0.0.1",  # the tablet's address, as the kiosk tests sign from it
    "192.0.2.10",  # the factories' evidence
    "Front desk 1",
    "Mozilla",
    "werkzeug",
    "SHA-256",
    "Audit",
    "submission.create",
    "Lower back pain",  # a health answer
    "Ibuprofen",
    "Red flag",
    "1970",  # the date of birth
)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) for the test; what it received."""
    with running_smtp_server() as inbox:
        yield inbox


def sign_on_the_tablet(client, answers: dict | None = None, initials: str = "JD") -> None:
    """Go through the whole tablet flow, as a patient does, and sign."""
    start(client)
    fill_history(client, answers)
    client.post("/intake/review", data={"csrf_token": csrf_token(client, "/intake/review")})
    response = client.post("/intake/consent", data=consent_data(client, initials))
    assert response.status_code == 303 and response.location.endswith("/intake/thanks")


def the_submission(app) -> tuple[dict, str]:
    """The one stored submission's columns, and its chart PDF's SHA-256 as stored."""
    with app.app_context():
        public_id = db.session.scalars(select(Submission.public_id)).one()
        sha256 = db.session.scalars(select(ChartDocument.sha256)).one()
    return submission_row(app, public_id), sha256


def ask_for_a_copy(client, token_from: str = "/intake/thanks"):
    """Post "Email me a copy" with the form token; a page without the button has none, so
    a test that posts anyway takes the session's token from the staff login page."""
    token = csrf_token(client, token_from)
    return client.post("/intake/thanks/email-copy", data={"csrf_token": token})


def attached_pdf(message, name: str = "signed-consent-copy.pdf") -> bytes:
    (part,) = [part for part in message.iter_attachments()]
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == name
    return part.get_content()


def assert_is_the_patient_copy(pdf: bytes, signer: str = "Jane Doe") -> str:
    """The copy holds the consent as signed and the clinic's contact, nothing internal."""
    assert pdf.startswith(b"%PDF-")
    text = flat("\n".join(pdf_pages(pdf)))
    document = consents.current()
    assert document.title in text
    for clause in document.clauses:
        assert flat(clause.heading) in text
        assert flat(clause.paragraphs[0]) in text
    assert flat(document.agreement) in text
    assert f"Signed by {signer}" in text and "Self (the patient)" in text
    assert CLINIC in text and CLINIC_PHONE in text and CLINIC_ADDRESS in text
    for internal in INTERNAL:
        assert internal not in text, internal
    return text


def test_the_thank_you_page_offers_the_copy_masked_and_emails_it_once(app, client, smtp_server):
    send_mail_through(app, smtp_server.port)
    sign_on_the_tablet(client)
    before, chart_sha256 = the_submission(app)

    page = html.unescape(client.get("/intake/thanks").get_data(as_text=True))
    assert "Email me a copy" in page and MASKED in page
    assert EMAIL not in page and "Jane" not in page and "Doe" not in page
    assert 'data-return-after="20"' in page  # the screen still goes back to the welcome screen

    response = ask_for_a_copy(client)
    assert response.status_code == 303 and response.location.endswith("/intake/thanks")
    after = html.unescape(client.get("/intake/thanks").get_data(as_text=True))
    assert "Your copy is on its way by email." in after
    assert "Email me a copy" not in after and "@" not in after

    (message,) = smtp_server.messages
    assert smtp_server.recipients == [[EMAIL]]
    assert message["From"] == MAIL_FROM and message["To"] == EMAIL
    assert message["Subject"] == f"Your signed consent from {CLINIC}"
    body = message.get_body(("plain",)).get_content()
    assert CLINIC in body and CLINIC_PHONE in body and "attached" in body
    for phi in ("Jane", "Doe", "1970", "April", "Lower back", "dry needling"):
        assert phi not in body and phi not in message["Subject"]
    pdf = attached_pdf(message)
    assert_is_the_patient_copy(pdf)
    # PDF/A-3u, like the chart PDF.
    with pikepdf.open(BytesIO(pdf)) as document, document.open_metadata() as xmp:
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("3", "U")

    events = audit_events(app, "chart.patient_copy_email")
    assert [(e["actor_type"], e["outcome"]) for e in events] == [
        ("kiosk", "requested"),
        ("kiosk", "success"),
    ]
    assert events[1]["detail"]["sha256"] == hashlib.sha256(pdf).hexdigest()

    # Once: a second post (a replayed form, a double tap) sends nothing more.
    again = client.post("/intake/thanks/email-copy", data={"csrf_token": csrf_token(client, "/")})
    assert again.status_code == 303
    assert len(smtp_server.messages) == 1
    # The record and its signed PDF are exactly as they were.
    assert the_submission(app) == (before, chart_sha256)


def test_a_copy_is_emailed_once_per_submission_even_from_a_copied_session(app, client, smtp_server):
    send_mail_through(app, smtp_server.port)
    sign_on_the_tablet(client)
    session_cookie = client.get_cookie("session").value
    assert ask_for_a_copy(client).status_code == 303
    other = app.test_client()
    other.set_cookie("session", session_cookie)
    response = other.post(
        "/intake/thanks/email-copy", data={"csrf_token": csrf_token(other, "/intake/thanks")}
    )
    assert response.status_code == 303
    assert len(smtp_server.messages) == 1
    assert "Your copy was already sent." in other.get("/intake/thanks").get_data(as_text=True)


def test_asking_without_the_form_token_sends_nothing(app, client, smtp_server):
    send_mail_through(app, smtp_server.port)
    sign_on_the_tablet(client)
    response = client.post("/intake/thanks/email-copy")
    assert response.status_code == 400
    assert smtp_server.messages == []
    assert audit_events(app, "chart.patient_copy_email") == []


def test_a_mail_server_that_does_not_answer_gets_a_calm_message_and_changes_nothing(app, client):
    send_mail_through(app, free_port())  # nothing listens there
    sign_on_the_tablet(client)
    before, chart_sha256 = the_submission(app)

    assert ask_for_a_copy(client).status_code == 303
    page = client.get("/intake/thanks").get_data(as_text=True)
    assert "We could not send the email just now" in page and "nothing is lost" in page
    assert "Jane" not in page and "Traceback" not in page

    events = audit_events(app, "chart.patient_copy_email")
    assert [e["outcome"] for e in events] == ["requested", "failure"]
    assert events[1]["detail"]["error"].startswith("ConnectionRefusedError")
    assert EMAIL not in str(events)
    assert the_submission(app) == (before, chart_sha256)


def test_no_offer_without_a_mail_server(app, client):
    sign_on_the_tablet(client)
    page = client.get("/intake/thanks").get_data(as_text=True)
    assert "Thank you" in page and "Email me a copy" not in page
    response = ask_for_a_copy(client, token_from="/staff/login")
    assert response.status_code == 303
    assert "can no longer send a copy" in client.get("/intake/thanks").get_data(as_text=True)
    assert audit_events(app, "chart.patient_copy_email") == []


def test_no_offer_when_the_patient_gave_no_email_address(app, client, smtp_server):
    send_mail_through(app, smtp_server.port)
    sign_on_the_tablet(client, {"email": ""})
    page = client.get("/intake/thanks").get_data(as_text=True)
    assert "Email me a copy" not in page and "\u2022" not in page


def test_a_clinic_that_turned_email_copies_off_offers_none(app, client, smtp_server):
    send_mail_through(app, smtp_server.port, PATIENT_COPY_EMAIL=False)
    sign_on_the_tablet(client)
    assert "Email me a copy" not in client.get("/intake/thanks").get_data(as_text=True)
    ask_for_a_copy(client, token_from="/staff/login")
    assert smtp_server.messages == []


def test_the_welcome_screen_ends_the_offer_for_the_next_patient(app, client, smtp_server):
    send_mail_through(app, smtp_server.port)
    sign_on_the_tablet(client)
    client.get("/")  # the thank-you page went back to the welcome screen
    assert "Email me a copy" not in client.get("/intake/thanks").get_data(as_text=True)
    ask_for_a_copy(client, token_from="/staff/login")
    assert smtp_server.messages == []


# ---------------------------------------------------------------- the staff side


@pytest.fixture
def staff_client(app, client):
    """The front desk, logged in (a staff member, not an admin)."""
    add_staff(app)
    return client if log_in(client).status_code == 302 else pytest.fail("login refused")


def test_print_patient_copy_opens_the_copy_and_is_audited(app, staff_client):
    send_mail_through(app, free_port())
    public_id = add_submission(
        app,
        {"first_name": "Zoë", "last_name": "O'Brien-Łukasz"},
        signed_at=datetime(2026, 12, 1, 16, 5, 9, tzinfo=UTC),
        submitted_at=datetime(2026, 12, 1, 16, 5, 9, tzinfo=UTC),
    )
    before = submission_row(app, public_id)
    page = staff_client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    assert f'href="/staff/submissions/{public_id}/patient-copy"' in page
    assert "Print patient copy" in page

    response = staff_client.get(f"/staff/submissions/{public_id}/patient-copy")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename=OBrien-Lukasz_Zoe_2026-12-01_patient-copy.pdf" in disposition
    text = assert_is_the_patient_copy(response.data, signer="Zoë O'Brien-Łukasz")
    assert "December 1, 2026, 10:05:09 AM CST (UTC-06:00)" in text  # clinic time
    # Made from the row alone: the same bytes each time.
    assert staff_client.get(f"/staff/submissions/{public_id}/patient-copy").data == response.data

    events = audit_events(app, "chart.patient_copy")
    assert len(events) == 2 and events[0]["actor_type"] == "staff"
    assert events[0]["target_id"] == str(public_id)
    assert events[0]["detail"]["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert submission_row(app, public_id) == before


def test_the_patient_copy_needs_a_login_like_the_signed_pdf(app, client):
    public_id = add_submission(app)
    response = client.get(f"/staff/submissions/{public_id}/patient-copy")
    assert response.status_code == 302 and "/staff/login" in response.location
    response = client.post(f"/staff/submissions/{public_id}/patient-copy/email")
    assert response.status_code in (302, 400)
    assert audit_events(app, "chart.patient_copy") == []


def test_an_unknown_submission_has_no_copy(staff_client):
    missing = "00000000-0000-4000-8000-000000000000"
    assert staff_client.get(f"/staff/submissions/{missing}/patient-copy").status_code == 404


def test_staff_can_email_the_copy_again(app, staff_client, smtp_server):
    send_mail_through(app, smtp_server.port)
    public_id = add_submission(app)
    path = f"/staff/submissions/{public_id}"
    page = staff_client.get(path).get_data(as_text=True)
    assert "Email patient copy" in page
    for _ in range(2):
        response = staff_client.post(
            f"{path}/patient-copy/email", data={"csrf_token": csrf_token(staff_client, path)}
        )
        assert response.status_code == 302
    assert "The patient&#39;s copy was emailed." in staff_client.get(path).get_data(as_text=True)
    assert len(smtp_server.messages) == 2 and smtp_server.recipients[0] == [EMAIL]
    assert_is_the_patient_copy(attached_pdf(smtp_server.messages[0]))
    events = audit_events(app, "chart.patient_copy_email")
    assert [(e["actor_type"], e["outcome"]) for e in events] == [
        ("staff", "requested"),
        ("staff", "success"),
    ] * 2


def test_no_email_button_without_an_address(app, staff_client, smtp_server):
    send_mail_through(app, smtp_server.port)
    public_id = add_submission(app, {"email": ""})
    path = f"/staff/submissions/{public_id}"
    assert "Email patient copy" not in staff_client.get(path).get_data(as_text=True)
    staff_client.post(
        f"{path}/patient-copy/email", data={"csrf_token": csrf_token(staff_client, path)}
    )
    assert smtp_server.messages == []


def test_a_consent_text_changed_behind_the_app_s_back_gives_no_copy(app, staff_client):
    public_id = add_submission(app)
    with app.app_context():
        # Behind the application's back: the app itself refuses to change a signed record.
        db.session.execute(
            update(Submission).values(consent_snapshot=Submission.consent_snapshot + " ")
        )
        db.session.commit()
    path = f"/staff/submissions/{public_id}"
    response = staff_client.get(f"{path}/patient-copy")
    assert response.status_code == 302 and response.location == path
    page = html.unescape(staff_client.get(path).get_data(as_text=True))
    assert "The patient's copy could not be made just now. Nothing was changed." in page
    (event,) = audit_events(app, "chart.patient_copy")
    assert event["outcome"] == "failure"
    assert "does not match its SHA-256" in event["detail"]["error"]


def test_a_staff_send_that_fails_says_so_and_changes_nothing(app, staff_client):
    send_mail_through(app, free_port())
    public_id = add_submission(app)
    before = submission_row(app, public_id)
    path = f"/staff/submissions/{public_id}"
    staff_client.post(
        f"{path}/patient-copy/email", data={"csrf_token": csrf_token(staff_client, path)}
    )
    page = html.unescape(staff_client.get(path).get_data(as_text=True))
    assert "The email could not be sent" in page
    events = audit_events(app, "chart.patient_copy_email")
    assert [(e["actor_type"], e["outcome"]) for e in events] == [
        ("staff", "requested"),
        ("staff", "failure"),
    ]
    assert submission_row(app, public_id) == before


def test_a_parent_s_copy_names_the_child_and_holds_the_notes_they_were_shown(app, staff_client):
    answers = {"date_of_birth": "2014-03-09", "anticoagulants": "yes", "anticoagulants_which": "x"}
    public_id = add_submission(app, answers)
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
        notes = consents.from_snapshot(row.consent_snapshot).risk_notes
    assert notes  # the blood thinner's note was shown before the signature
    response = staff_client.get(f"/staff/submissions/{public_id}/patient-copy")
    text = flat("\n".join(pdf_pages(response.data)))
    assert "signed for Jane Doe" in text and "Signed by John Doe" in text and "Parent" in text
    assert "About your answers" in text
    for note in notes:
        assert flat(note.paragraph) in text
    assert "555 0199" not in text  # the parent's phone stays in the chart


def test_a_spanish_patient_is_offered_the_copy_in_spanish_and_the_next_patient_sees_english(
    app, client, smtp_server
):
    send_mail_through(app, smtp_server.port)
    choose(client, "es")
    sign_on_the_tablet(client, SPANISH_NAME, "MG")
    page = html.unescape(client.get("/intake/thanks").get_data(as_text=True))
    assert html_lang(page) == "es"
    assert "Enviarme una copia por correo electrónico" in page and MASKED in page
    response = ask_for_a_copy(client)
    assert response.status_code == 303
    after = html.unescape(client.get("/intake/thanks").get_data(as_text=True))
    assert "Su copia va en camino por correo electrónico." in after
    (message,) = smtp_server.messages
    attached_pdf(message, "copia-consentimiento-firmado.pdf")
    # The screen goes back to the welcome: the next patient starts in English.
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"


def test_an_unanswered_offer_ends_at_the_welcome_screen_language_and_all(app, client, smtp_server):
    send_mail_through(app, smtp_server.port)
    choose(client, "es")
    sign_on_the_tablet(client, SPANISH_NAME, "MG")
    assert html_lang(client.get("/intake/thanks").get_data(as_text=True)) == "es"
    welcome = client.get("/").get_data(as_text=True)
    assert html_lang(welcome) == "en"
    assert "Email me a copy" not in client.get("/intake/thanks").get_data(as_text=True)


def test_a_spanish_patient_s_copy_and_email_are_in_spanish_and_the_chart_stays_english(
    app, client, staff_client, smtp_server
):
    send_mail_through(app, smtp_server.port)
    choose(client, "es")
    sign_on_the_tablet(client, {**SPANISH_NAME, "email": EMAIL}, "MG")
    assert ask_for_a_copy(client).status_code == 303
    (message,) = smtp_server.messages
    assert message["Subject"] == f"Su consentimiento firmado de {CLINIC}"
    body = message.get_body(("plain",)).get_content()
    assert body.startswith("Hola:") and "le enviamos adjunta" in body
    assert f"Teléfono: {CLINIC_PHONE}" in body and "Phone" not in body

    emailed = flat("\n".join(pdf_pages(attached_pdf(message, "copia-consentimiento-firmado.pdf"))))
    spanish = consents.current(language="es")
    assert spanish.title in emailed and flat(spanish.clauses[0].paragraphs[0]) in emailed
    for words in ("Su copia del consentimiento que firmó", "INICIALES", "Firma", "Preguntas"):
        assert words in emailed, words  # (initials' caption is upper case)
    assert "Página 1 de " in emailed
    assert "Firmado por María José García López" in emailed and "El/la paciente" in emailed
    assert " de 20" in emailed  # the date as Spanish writes it: "1 de diciembre de 2026"
    effective = date.fromisoformat(spanish.effective_date)
    assert f"vigente desde el {effective.day} de " in emailed  # not the ISO date
    for english in ("Your copy", "INITIALS", "Signed by", "Self (the patient)", "Page 1"):
        assert english not in emailed, english

    # Staff, whose pages are English, print the same copy: in the patient's language.
    row, _sha256 = the_submission(app)
    printed = staff_client.get(f"/staff/submissions/{row['public_id']}/patient-copy")
    assert flat("\n".join(pdf_pages(printed.data))) == emailed

    # The chart PDF, rendered as the patient signed in Spanish, speaks English to the clinic.
    with app.app_context():
        chart = db.session.scalars(select(ChartDocument.content)).one()
    text = flat("\n".join(pdf_pages(chart)))
    for words in ("Signed in Spanish.", "INITIALS", "Signed by", "Self (the patient)", "Page 1"):
        assert words in text, words
    assert "INICIALES" not in text and "Firmado por" not in text
