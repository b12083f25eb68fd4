"""Names, dates and phone numbers as real patients type them: through the tablet's pages,
into the stored submission and out through the CSV."""

import re
from datetime import UTC, datetime

from sqlalchemy import select

from intake import consents, ehr
from intake.extensions import db
from intake.models import Submission
from testkit.factories import make_submission, typed_input
from tests.csv_reading import parse
from tests.test_kiosk import consent_data, count, fill_history, post_section, start


def stored(app) -> Submission:
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        db.session.expunge(submission)
        return submission


def refused(client, response) -> str:
    """The page a refused post sends the tablet back to, with its problems shown."""
    assert response.status_code == 303 and "check=1" in response.headers["Location"]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def clause_count() -> int:
    return len(consents.current().clauses)


def test_a_spanish_double_surname_signs_with_first_name_and_first_surname(app, client):
    start(client)
    fill_history(client, {"first_name": "María José", "last_name": "García López"})
    response = client.post("/intake/consent", data=consent_data(client, initials="MG"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith("/intake/thanks")
    submission = stored(app)
    assert submission.signer_name == "María José García López"
    assert set(submission.consent_initials.values()) == {"MG"}


def test_refused_initials_suggest_an_example_that_is_then_accepted(app, client):
    start(client)
    fill_history(client, {"first_name": "Zoë", "last_name": "O'Brien-Łukasz"})
    refused = client.post(
        "/intake/consent", data=consent_data(client, initials="OZ"), follow_redirects=True
    )
    html = refused.get_data(as_text=True)
    assert count(app, Submission) == 0
    example = re.search(r"Please write the first letters of that name, for example (\w+)\.", html)
    assert example and example.group(1) == "ZO"
    response = client.post("/intake/consent", data=consent_data(client, initials="ZO"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert set(stored(app).consent_initials.values()) == {"ZO"}


def test_a_guardian_signs_with_the_initials_of_their_own_name(app, client):
    start(client)
    fill_history(client, {"date_of_birth": "2015-06-01"})
    response = client.post(
        "/intake/consent",
        data=consent_data(
            client,
            initials="z.o.",
            guardian_name="Zoë O'Brien-Łukasz",
            guardian_relationship="parent",
            guardian_phone="+1 312 555 0107",
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    submission = stored(app)
    assert submission.signer_name == "Zoë O'Brien-Łukasz"
    assert set(submission.consent_initials.values()) == {"ZO"}


def test_initials_of_a_four_part_name_fit_the_box_with_dots_and_spaces(app, client):
    start(client)
    fill_history(client, {"first_name": "Thị Minh Khai", "last_name": "Nguyễn"})
    page = client.get("/intake/consent").get_data(as_text=True)
    boxes = re.findall(r'<input type="text" id="initials_[^>]*>', page)
    assert len(boxes) == clause_count()
    assert all('maxlength="12"' in box for box in boxes)
    response = client.post("/intake/consent", data=consent_data(client, initials="T. M. K. N."))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert set(stored(app).consent_initials.values()) == {"TMKN"}


def test_initials_longer_than_the_box_are_refused_with_an_example(app, client):
    start(client)
    fill_history(client)
    response = client.post(
        "/intake/consent",
        data=consent_data(client, initials="J. D. J. D. J. D."),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert ": please write just your initials, at most 12 characters, for example JD." in html
    assert count(app, Submission) == 0


def test_a_date_written_day_first_says_what_was_understood_and_what_to_type(app, client):
    start(client)
    typed = typed_input()
    typed["date_of_birth"] = "23/04/1981"
    html = refused(client, post_section(client, "about", typed))
    block = re.search(r'id="q-date_of_birth".*?</div>', html, re.S).group(0)
    assert (
        "23/04/1981 looks like day/month/year. Please write month / day / year, "
        "for example 04/23/1981." in block
    )
    assert 'value="23/04/1981"' in block
    typed["date_of_birth"] = "04/23/1981"
    assert post_section(client, "about", typed).status_code == 303


def test_the_email_field_says_optional_once(client):
    start(client)
    html = client.get("/intake/about").get_data(as_text=True)
    block = re.search(r'id="q-email".*?</div>', html, re.S).group(0)
    assert block.count("(optional)") == 1
    assert "Optional." not in html


def test_a_phone_number_starting_with_a_minus_is_refused_with_a_clear_message(app, client):
    start(client)
    typed = typed_input()
    typed["phone"] = "-312-555-0142"
    html = refused(client, post_section(client, "about", typed))
    block = re.search(r'id="q-phone".*?</div>', html, re.S).group(0)
    assert "A phone number starts with a digit, + or (." in block
    assert 'value="-312-555-0142"' in block
    typed["phone"] = "(312) 555-0142"
    assert post_section(client, "about", typed).status_code == 303


def test_a_phone_posted_on_the_tablet_and_one_stored_before_the_rule_reach_the_csv_safely(
    app, client
):
    start(client)
    fill_history(client, {"phone": "(312) 555-0142", "last_name": "Posted"})
    response = client.post("/intake/consent", data=consent_data(client, initials="JP"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with app.app_context():
        # A record kept from before phone numbers had to start with a digit, + or (.
        make_submission(
            {"phone": "-312-555-0142", "last_name": "Older"},
            submitted_at=datetime(2026, 11, 1, 15, 0, tzinfo=UTC),
        )
        batch = ehr.export_new("test")
        _header, rows = parse(b"".join(ehr.stream_batch(batch, "test")))
    phones = {row["last_name"]: row["phone"] for row in rows}
    assert phones == {"Posted": "(312) 555-0142", "Older": "'-312-555-0142"}
