"""A minor's parent or guardian gives a phone number when signing: asked, checked as the
questionnaire checks a phone, kept on refusal, and stored for the staff page, PDF and CSV."""

import csv
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from intake.extensions import db
from intake.models import Submission
from tests.chart_support import flat
from tests.staff_support import add_staff, log_in
from tests.test_kiosk import consent_data, count, fill_history, start

MINOR = {"date_of_birth": "2015-06-01"}
GUARDIAN = {"guardian_name": "Mary Roe", "guardian_relationship": "parent"}
LABEL = "Parent\u2019s or guardian\u2019s phone number"


def refused(client, **fields) -> str:
    """Sign and submit with these fields; the consent page the refusal redirects to."""
    data = consent_data(client, initials="MR", **GUARDIAN, **fields)
    response = client.post("/intake/consent", data=data)
    assert response.status_code == 303 and response.location == "/intake/consent"
    return client.get("/intake/consent").get_data(as_text=True)


def test_a_minor_s_guardian_must_give_a_phone_number_that_is_one(app, client):
    start(client)
    fill_history(client, MINOR)
    html = client.get("/intake/consent").get_data(as_text=True)
    assert f'<label for="guardian_phone">{LABEL}</label>' in html
    assert re.search(r'<input[^>]*id="guardian_phone"[^>]*type="tel"', html)

    html = refused(client)
    assert "Please enter the parent\u2019s or guardian\u2019s phone number" in html
    assert 'href="#guardian_phone"' in html  # listed in the summary, linked to its box
    assert 'value="Mary Roe"' in html  # what was typed stays

    html = refused(client, guardian_phone="call my mum")
    assert "A phone number starts with a digit, + or (." in html
    assert 'value="call my mum"' in html
    html = refused(client, guardian_phone="555")
    assert "This does not look like a phone number." in html and 'value="555"' in html
    assert count(app, Submission) == 0

    data = consent_data(client, initials="MR", **GUARDIAN, guardian_phone="+1 312 555 0107")
    assert client.post("/intake/consent", data=data).location == "/intake/thanks"
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.guardian_phone == "+1 312 555 0107"


def test_an_adult_patient_is_not_asked_for_it(app, client):
    start(client)
    fill_history(client)
    assert 'id="guardian_phone"' not in client.get("/intake/consent").get_data(as_text=True)
    assert client.post("/intake/consent", data=consent_data(client)).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Submission)).one().guardian_phone is None


def test_staff_see_it_on_the_submission_page_the_pdf_and_the_csv(app, client, runner, tmp_path):
    start(client)
    fill_history(client, MINOR)
    data = consent_data(client, initials="MR", **GUARDIAN, guardian_phone="+1 312 555 0107")
    assert client.post("/intake/consent", data=data).location == "/intake/thanks"
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        public_id = submission.public_id
        (document,) = submission.documents
        pdf = PdfReader(io.BytesIO(document.content))
        text = flat(" ".join(page.extract_text() for page in pdf.pages))
    assert "Parent\u2019s or guardian\u2019s phone +1 312 555 0107" in text

    add_staff(app)
    assert log_in(client).status_code == 302
    page = client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    assert "<dt>Parent&rsquo;s or guardian&rsquo;s phone</dt><dd>+1 312 555 0107</dd>" in page

    out = tmp_path / "export.csv"
    args = ["intake", "export-csv", "--from", "2015-01-01", "--to", "2100-01-01", "-o", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    (row,) = rows
    # Kept exactly, its "+" too: the shape of a phone number can never start a formula.
    assert row["guardian_phone"] == "+1 312 555 0107"
    assert row["signer_name"] == "Mary Roe" and row["signer_relationship"] == "parent"
