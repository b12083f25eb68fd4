"""INTAKE_REQUIRE_REFERRAL: the referring doctor, optional by default, required when set."""

import re

import pytest
from sqlalchemy import select

from intake import consents, create_app, drafts, signatures, signing
from intake.config import load_config
from intake.extensions import db
from intake.models import Submission
from testkit.factories import make_draft, typed_input
from tests.test_kiosk import consent_data, count, fill_history, post_section, start

ABOUT = "/intake/about"


@pytest.fixture
def strict(app, monkeypatch):
    """The same clinic's service (same database and key) with the setting on."""
    monkeypatch.setenv("INTAKE_REQUIRE_REFERRAL", "1")
    strict = create_app({"TESTING": True})
    yield strict
    with strict.app_context():
        db.session.remove()
        db.engine.dispose()


def _about(client) -> str:
    """Post the first page with a first name and no doctor; where it leads."""
    return post_section(client, "about", {"first_name": "Ana"}).location


@pytest.mark.parametrize(("raw", "required"), [(None, ()), ("0", ()), ("1", ("physician",))])
def test_the_setting_is_read_as_on_or_off(tmp_path, raw, required):
    env = {"INTAKE_SECRET_KEY": "k" * 40}
    if raw is not None:
        env["INTAKE_REQUIRE_REFERRAL"] = raw
    assert load_config(str(tmp_path), env)["REQUIRED_QUESTIONS"] == required


@pytest.mark.backends("sqlite")
def test_without_the_setting_the_doctor_is_optional(client):
    start(client)
    html = client.get(ABOUT).get_data(as_text=True)
    assert 'Referring or primary doctor <span class="optional">(optional)</span>' in html
    location = _about(client)
    html = client.get(location).get_data(as_text=True)
    assert 'id="physician-error"' not in html


@pytest.mark.backends("sqlite")
def test_with_the_setting_the_page_asks_for_the_referring_doctor(strict):
    client = strict.test_client()
    start(client)
    html = client.get(ABOUT).get_data(as_text=True)
    assert '<label for="physician">Referring doctor</label>' in html
    assert "Your state requires a doctor\u2019s referral for dry needling." in html
    assert re.search(r'<input[^>]*aria-required="true"[^>]*id="physician"', html)

    location = _about(client)
    assert location.startswith("/intake/about?check=1")
    html = client.get(location).get_data(as_text=True)
    assert 'id="physician-error"' in html and "Please fill this in." in html
    assert 'value="Ana"' in html  # what was typed stays

    response = post_section(client, "about", {"first_name": "Ana", "physician": "Dr. Lee"})
    html = client.get(response.location).get_data(as_text=True)
    assert 'id="physician-error"' not in html


@pytest.mark.backends("sqlite")
def test_signing_refuses_a_history_without_the_doctor_once_it_is_required(app, client, strict):
    # Answered while the doctor was optional; signed after the clinic turned the setting on.
    start(client)
    fill_history(client, {"physician": ""})
    data = consent_data(client)
    strict_client = strict.test_client()
    for name in (drafts.COOKIE_NAME, strict.config["SESSION_COOKIE_NAME"]):
        strict_client.set_cookie(name, client.get_cookie(name).value)

    response = strict_client.post("/intake/consent", data=data)
    assert response.status_code == 303
    assert response.location == "/intake/about?check=1"
    assert count(app, Submission) == 0

    post_section(strict_client, "about", typed_input({"physician": "Dr. Amy Chen"}))
    response = strict_client.post("/intake/consent", data=consent_data(strict_client))
    assert response.location == "/intake/thanks"
    with app.app_context():
        assert db.session.scalars(select(Submission)).one().answers["physician"] == "Dr. Amy Chen"


@pytest.mark.backends("sqlite")
def test_the_signing_service_itself_refuses_it_without_the_doctor(strict):
    with strict.app_context():
        _, token = make_draft({"physician": ""})
        name = "Jane Doe"
        initials = signatures.example_initials(name)
        document = consents.current()
        typed = signing.Signing(
            initials={clause.id: initials for clause in document.clauses},
            method="typed",
            typed_name=name,
            typed_intent=True,
            agreed=True,
        )
        with pytest.raises(signing.DraftIncomplete) as refused:
            signing.submit_draft(token, typed, signing.Evidence())
        assert refused.value.section_id == "about"
        assert db.session.scalars(select(Submission)).all() == []
