"""The patient flow over HTTP, with CSRF on: pages, drafts, errors kept, signing once."""

import re
import shutil
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from intake import consents, drafts, questionnaire
from intake.clock import clinic_today
from intake.extensions import db
from intake.models import AuditEvent, Draft, Submission
from intake.questionnaire import instruments
from testkit.factories import signature_payload, typed_input
from tests.support import csrf_token, hidden_fields

SECTION_IDS = [section.id for section in questionnaire.SECTIONS]
# A painful knee: every page of the history applies, the LEFS's included.
EVERY_PAGE = {
    "pain_areas": ["lower_back", "thigh_knee"],
    "pain_side_thigh_knee": "left",
    **{item_id: "3" for item_id in instruments.LEFS.item_ids},
}


def start(client) -> None:
    response = client.post("/start", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/intake/about")


def section_data(section_id: str, typed: dict) -> MultiDict:
    data = MultiDict()
    for question in questionnaire.questions_in(section_id):
        value = typed.get(question.id)
        if isinstance(value, list):
            for item in value:
                data.add(question.id, item)
        elif value is not None:
            data.add(question.id, value)
    return data


def post_section(client, section_id: str, typed: dict, action: str = "next", **extra):
    path = f"/intake/{section_id}"
    data = section_data(section_id, typed)
    data["csrf_token"] = csrf_token(client, path)
    data["action"] = action
    for key, value in extra.items():
        data[key] = value
    return client.post(path, data=data)


def refused_section(client, section_id: str, typed: dict, **extra) -> str:
    """Post a page that must be refused; the page it redirects to, with its problems."""
    response = post_section(client, section_id, typed, **extra)
    assert response.status_code == 303
    assert response.location.startswith(f"/intake/{section_id}?check=1")
    page = client.get(response.location)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def fill_history(client, answers: dict | None = None) -> list[str]:
    """Answer each page that Next leads to, from the first to the review; the pages' ids."""
    typed = typed_input(answers)
    visited = []
    path = "/intake/about"
    while path != "/intake/review":
        section_id = path.removeprefix("/intake/")
        response = post_section(client, section_id, typed)
        assert response.status_code == 303, (section_id, response.get_data(as_text=True)[:3000])
        assert not response.location.startswith(path), (section_id, "refused")
        visited.append(section_id)
        path = response.location
    return visited


def consent_data(client, initials: str = "JD", **overrides) -> dict:
    data = {
        **hidden_fields(client, "/intake/consent"),  # the CSRF token, the version shown
        "action": "submit",
        "agree": "y",
        "method": "drawn",
        "signature": signature_payload(),
        **{f"initials_{clause.id}": initials for clause in consents.current().clauses},
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_input(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Draft)).one().data["input"]


def test_welcome_page_has_the_start_button(client):
    html = client.get("/").get_data(as_text=True)
    assert ">Start</button>" in html
    assert 'name="csrf_token"' in html


def test_start_without_csrf_token_is_refused(app, client):
    client.get("/")
    assert client.post("/start").status_code == 400
    assert count(app, Draft) == 0


def test_start_sets_an_httponly_cookie_holding_only_a_token(app, client):
    start(client)
    cookie = client.get_cookie(drafts.COOKIE_NAME)
    assert cookie.http_only and cookie.same_site == "Lax"
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        assert draft.token_hash == drafts.hash_token(cookie.value)


def test_patient_pages_are_not_cached_and_allow_no_inline_script(client):
    start(client)
    assert fill_history(client, EVERY_PAGE) == SECTION_IDS
    paths = [*(f"/intake/{s}" for s in SECTION_IDS), "/intake/review", "/intake/consent"]
    # The welcome screen holds the draft: then the date-of-birth page is the one shown.
    for path in [*paths, "/intake/stop", "/", "/intake/resume", "/intake/thanks"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"].startswith("no-store"), path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"inline script on {path}"
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {path}"
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_pages_are_generated_from_the_questionnaire(client):
    start(client)
    fill_history(client, EVERY_PAGE)
    for section_id in SECTION_IDS:
        html = client.get(f"/intake/{section_id}").get_data(as_text=True)
        for question in questionnaire.questions_in(section_id):
            assert f'id="q-{question.id}"' in html
            assert str(question.label).replace("'", "&#39;") in html


def test_a_complete_flow_stores_one_submission_and_shows_no_answers_after(app, client):
    start(client)
    fill_history(client)
    review = client.get("/intake/review")
    assert review.status_code == 200
    html = review.get_data(as_text=True)
    assert "Review your answers" in html and "April 12, 1970" in html and "Lower back" in html
    # No painful leg: every page but the LEFS's.
    assert html.count(">Change</a>") == len(SECTION_IDS) - 1

    response = client.post(
        "/intake/review", data={"csrf_token": csrf_token(client, "/intake/review")}
    )
    assert response.headers["Location"].endswith("/intake/consent")
    consent_page = client.get("/intake/consent").get_data(as_text=True)
    assert "You are signing as <strong>Jane Doe</strong>" in consent_page
    assert (
        ">Sign and submit</button>" in consent_page and ">Clear signature</button>" in consent_page
    )

    response = client.post("/intake/consent", data=consent_data(client))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/intake/thanks")
    assert client.get_cookie(drafts.COOKIE_NAME) is None

    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.full_name == "Jane Doe" and submission.signature_kind == "drawn"
        assert submission.user_agent and submission.ip_address == "127.0.0.1"
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor_type) for e in events] == [
            ("submission.create", "kiosk"),
            ("chart.render", "kiosk"),
        ]
        # The signed PDF was rendered right after the submission committed.
        assert submission.pdf_status == "rendered"
        assert [d.kind for d in submission.documents] == ["intake"]
    assert count(app, Draft) == 0

    thanks = client.get("/intake/thanks")
    assert thanks.headers["Cache-Control"].startswith("no-store")
    text = thanks.get_data(as_text=True)
    assert "Thank you" in text and "Jane" not in text and "Doe" not in text

    # Back after the thank-you page: the consent page has nothing to show any more.
    again = client.get("/intake/consent")
    assert again.status_code == 303 and again.headers["Location"].endswith("/")
    assert "Jane" not in client.get("/", follow_redirects=True).get_data(as_text=True)


def test_validation_errors_sit_next_to_the_field_and_keep_what_was_typed(app, client):
    start(client)
    typed = typed_input(
        {
            "last_name": "",
            "date_of_birth": "2090-01-01",
            "email": "jane@@example",
            "phone": "555-12",
        }
    )
    typed["first_name"] = "Zo\u00eb"
    html = refused_section(client, "about", typed)
    assert 'id="error-summary"' in html and "Please check these 4 answers" in html
    for field, words in [
        ("last_name", "Please fill this in."),
        ("date_of_birth", "cannot be in the future"),
        ("email", "does not look like an email address"),
        ("phone", "does not look like a phone number"),
    ]:
        block = re.search(rf'id="q-{field}".*?</div>', html, re.S).group(0)
        assert words in block, field
        assert 'aria-invalid="true"' in block
    assert 'value="Zo\u00eb"' in html
    assert 'value="01/01/2090"' in html
    assert 'value="jane@@example"' in html and 'value="555-12"' in html
    # The typed values are kept on the server too: a reload shows them again.
    assert stored_input(app)["email"] == "jane@@example"
    assert 'value="jane@@example"' in client.get("/intake/about").get_data(as_text=True)


def test_an_answer_over_its_limit_is_refused_on_the_page_as_typed(app, client):
    start(client)
    too_long = "=HYPERLINK(x) " * 250  # 3,500 characters where 1,000 fit
    response = post_section(client, "about", typed_input())
    assert response.status_code == 303
    response = post_section(client, "visit", {**typed_input(), "visit_reason": too_long})
    assert response.status_code == 303 and "check=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="error-summary"' in page and "1000" in page
    assert escape(too_long.strip()) in page  # shown as typed, for the patient to shorten


def test_date_of_birth_more_than_120_years_ago_is_caught(client):
    start(client)
    html = refused_section(client, "about", typed_input({"date_of_birth": "1890-01-01"}))
    assert "more than 120 years ago" in html


def test_follow_up_questions_show_only_after_their_answer(client):
    start(client)
    typed = typed_input()
    html = client.get("/intake/medical").get_data(as_text=True)
    assert re.search(r'id="q-cancer_details"[^>]*data-show-if="cancer"[^>]*hidden', html)
    typed["cancer"] = "yes"
    html = refused_section(client, "medical", typed)
    block = re.search(r'<div class="question[^"]*" id="q-cancer_details"[^>]*>', html).group(0)
    assert "hidden" not in block
    assert "Please fill this in." in html


def test_back_saves_without_checking_and_next_goes_on(app, client):
    start(client)
    post_section(client, "about", typed_input())
    response = post_section(
        client, "visit", {"visit_reason": "Sore knee", "pain_now": "12"}, "back"
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/intake/about")
    assert stored_input(app)["visit_reason"] == "Sore knee"
    html = client.get("/intake/visit").get_data(as_text=True)
    assert "Sore knee" in html


def test_autosave_keeps_what_is_typed_without_leaving_the_page(app, client):
    start(client)
    response = post_section(client, "about", {"first_name": "Jan"}, "autosave")
    assert response.status_code == 204
    assert stored_input(app)["first_name"] == "Jan"


def test_review_sends_an_incomplete_history_back_to_its_page(client):
    start(client)
    post_section(client, "about", typed_input())
    response = client.get("/intake/review")
    assert response.status_code == 303
    assert "/intake/visit?check=1" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please choose a number from 0 to 10." in html


def test_change_from_review_returns_to_review(client):
    start(client)
    fill_history(client)
    html = client.get("/intake/visit?from=review").get_data(as_text=True)
    assert 'name="return_to" value="review"' in html
    response = post_section(client, "visit", typed_input({"pain_now": 3}), return_to="review")
    assert response.headers["Location"].endswith("/intake/review")
    assert "3 out of 10" in client.get("/intake/review").get_data(as_text=True)


def test_pages_without_a_draft_go_to_the_welcome_screen(client):
    for path in ["/intake/about", "/intake/review", "/intake/consent", "/intake/resume"]:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/"), path


def test_unknown_section_is_not_found(client):
    start(client)
    assert client.get("/intake/nowhere").status_code == 404


def refused_signing(app, client, **overrides) -> str:
    start(client)
    fill_history(client)
    response = client.post("/intake/consent", data=consent_data(client, **overrides))
    # Refused: back to the page by a redirect (Back or reload never post it again).
    assert response.status_code == 303 and response.location == "/intake/consent"
    assert count(app, Submission) == 0
    assert count(app, Draft) == 1
    assert stored_input(app)["first_name"] == "Jane"  # the draft survives
    page = client.get("/intake/consent")
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("signature", "words"),
    [
        ("", "Please sign in the box"),
        (signature_payload(strokes=[[(300, 100)]]), "looks like a tap or a dot"),
        (
            '{"width": 600, "height": 200, "data": [{"points": "x"}]}',
            "could not read the signature",
        ),
        ("[" * 300_000, "too much detail"),
    ],
    ids=["empty", "tap", "malformed", "oversized"],
)
def test_bad_signatures_are_refused_with_a_clear_message(app, client, signature, words):
    html = refused_signing(app, client, signature=signature)
    block = re.search(r'<div class="signature-panel.*?</canvas>', html, re.S).group(0)
    assert words in block
    assert 'value="JD"' in html  # the initials are kept
    assert 'value=""' in re.search(r'<input type="hidden" id="signature"[^>]*>', html).group(0)


def test_a_signature_larger_than_any_request_gets_the_413_page_and_the_draft_survives(app, client):
    start(client)
    fill_history(client)
    data = consent_data(client, signature="[" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = client.post("/intake/consent", data=data)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert count(app, Submission) == 0 and count(app, Draft) == 1


def test_initials_that_do_not_match_are_refused_and_a_good_signature_is_kept(app, client):
    html = refused_signing(app, client, initials="XY")
    assert "do not match the name of the person signing (Jane Doe)" in html
    assert 'value="XY"' in html
    kept = re.search(r'<input type="hidden" id="signature"[^>]*>', html).group(0)
    assert "&#34;strokes&#34;" not in kept and "&#34;data&#34;" in kept
    # A reload keeps the initials and the signature too.
    again = client.get("/intake/consent").get_data(as_text=True)
    assert 'value="XY"' in again and "&#34;data&#34;" in again


def test_nul_characters_typed_on_the_consent_page_are_not_kept(app, client):
    # PostgreSQL cannot keep a NUL in a JSON draft: it was a 500 instead of the page's message.
    html = refused_signing(app, client, agree=None, initials="J\x00D", guardian_name="\x00")
    assert "Please tick this box to agree" in html
    with app.app_context():
        signing = db.session.scalars(select(Draft)).one().data["signing"]
    assert signing["initials_what"] == "JD" and signing["guardian_name"] == ""
    assert 'value="JD"' in client.get("/intake/consent").get_data(as_text=True)


def test_typed_signature_needs_the_intent_box(app, client):
    html = refused_signing(app, client, method="typed", signature=None, typed_name="Jane Doe")
    assert "confirm that the typed name is your signature" in html
    response = client.post(
        "/intake/consent",
        data=consent_data(client, method="typed", typed_name="Jane Doe", typed_intent="y"),
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Submission.typed_signature)).one() == "Jane Doe"


def test_a_minor_is_signed_for_by_a_parent_or_guardian(app, client):
    start(client)
    fill_history(client, {"date_of_birth": "2015-06-01"})
    html = client.get("/intake/consent").get_data(as_text=True)
    assert "is under 18" in html and "Parent or legal guardian" in html
    client.post("/intake/consent", data=consent_data(client))
    html = client.get("/intake/consent").get_data(as_text=True)
    assert "Please enter the parent\u2019s or guardian\u2019s full name" in html
    response = client.post(
        "/intake/consent",
        data=consent_data(
            client,
            initials="MR",
            guardian_name="Mary Roe",
            guardian_relationship="parent",
            guardian_phone="(312) 555-0107",
        ),
    )
    assert response.location == "/intake/thanks"
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert (submission.signer_name, submission.signer_relationship) == ("Mary Roe", "parent")


def test_a_second_tap_on_sign_and_submit_stores_one_submission(app, client):
    start(client)
    fill_history(client)
    data = consent_data(client)
    cookie = client.get_cookie(drafts.COOKIE_NAME).value
    first = client.post("/intake/consent", data=data)
    # The second tap was sent with the same cookie before the first answer arrived.
    client.set_cookie(drafts.COOKIE_NAME, cookie)
    second = client.post("/intake/consent", data=data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].endswith("/intake/thanks")
    assert count(app, Submission) == 1
    with app.app_context():
        created = select(func.count()).where(AuditEvent.action == "submission.create")
        assert db.session.scalar(created) == 1


def test_each_initials_problem_names_its_part_and_links_to_its_box(app, client):
    html = refused_signing(app, client, initials="")
    clauses = consents.current().clauses
    summary = re.search(r'id="error-summary".*?</ul>', html, re.S).group(0)
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)
    assert len(links) == len(clauses)
    for (target, message), clause in zip(links, clauses, strict=True):
        assert target == f"initials_{clause.id}"
        heading = str(escape(clause.heading))
        assert message.startswith(f"Initials for \u201c{heading}\u201d: please write")
        assert f'<input type="text" id="{target}"' in html  # the link has a box to go to


def test_every_link_of_the_error_summary_goes_to_an_input_of_the_page(app, client):
    html = refused_signing(
        app,
        client,
        initials="XY",
        agree=None,
        method="typed",
        signature=None,
        signing_for="representative",
    )
    summary = re.search(r'id="error-summary".*?</ul>', html, re.S).group(0)
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert {"representative_name", "representative_relationship-0", "agree"} <= set(targets)
    assert {"typed_name", "typed_intent"} <= set(targets)
    for target in targets:
        assert len(re.findall(rf'\sid="{target}"', html)) == 1, target
    # Who signs is asked first, and its problems are listed first.
    assert targets[:2] == ["representative_name", "representative_relationship-0"]


def test_who_signs_is_asked_before_the_initials(client):
    start(client)
    fill_history(client)
    html = client.get("/intake/consent").get_data(as_text=True)
    first_initials = html.index('id="initials_')
    assert html.index('name="signing_for"') < first_initials
    assert html.index('name="representative_name"') < first_initials
    start(client)
    fill_history(client, {"date_of_birth": "2015-06-01"})
    html = client.get("/intake/consent").get_data(as_text=True)
    assert html.index('name="guardian_name"') < html.index('id="initials_')
    assert 'name="signing_for"' not in html  # a minor's page: a parent or guardian signs


def test_an_adult_patient_s_representative_signs_with_their_own_name(app, client):
    start(client)
    fill_history(client)
    html = client.get("/intake/consent").get_data(as_text=True)
    assert "I am signing for myself" in html and "legally authorised representative" in html
    # The patient's initials are not the representative's.
    refused = refused_signing_again(
        client,
        consent_data(
            client,
            initials="JD",
            signing_for="representative",
            representative_name="Robert Smith",
            representative_relationship="health_care_poa",
        ),
    )
    assert "do not match the name of the person signing (Robert Smith)" in refused
    assert 'value="Robert Smith"' in refused and 'value="JD"' in refused
    response = client.post(
        "/intake/consent",
        data=consent_data(
            client,
            initials="RS",
            signing_for="representative",
            representative_name="Robert Smith",
            representative_relationship="health_care_poa",
            method="typed",
            signature=None,
            typed_name="Robert Smith",
            typed_intent="y",
        ),
    )
    assert response.status_code == 303 and response.location == "/intake/thanks"
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert stored.full_name == "Jane Doe"
        assert (stored.signer_name, stored.signer_relationship) == (
            "Robert Smith",
            "health_care_poa",
        )
        assert stored.typed_signature == "Robert Smith"


def test_a_representative_must_give_a_name_and_an_authority_the_list_knows(app, client):
    html = refused_signing(
        app,
        client,
        signing_for="representative",
        representative_name=" ",
        representative_relationship="friend",
    )
    assert "Please enter the representative\u2019s full name" in html
    assert "Please choose what allows you to sign for the patient." in html
    # An adult's page offers no parent: the patient is not a minor.
    html = refused_signing_again(
        client,
        consent_data(
            client,
            initials="MR",
            signing_for="representative",
            representative_name="Mary Roe",
            representative_relationship="parent",
        ),
    )
    assert "Please choose what allows you to sign for the patient." in html
    assert count(app, Submission) == 0


def test_a_refused_signing_shown_again_by_reload_or_back_posts_nothing(app, client):
    html = refused_signing(app, client, initials="XY")
    assert 'id="error-summary"' in html
    # The refusal's page is a plain GET: a reload shows the same problems, signs nothing.
    assert client.get("/intake/consent").get_data(as_text=True) == html
    assert count(app, Submission) == 0
    # The next save of the page (what autosave sends as the patient types) clears them.
    client.post("/intake/consent", data=consent_data(client, initials="J", action="autosave"))
    again = client.get("/intake/consent").get_data(as_text=True)
    assert 'id="error-summary"' not in again and 'value="J"' in again


def test_change_from_review_says_where_the_button_goes(client):
    start(client)
    fill_history(client)
    html = client.get("/intake/visit?from=review").get_data(as_text=True)
    assert "Changing: " in html and "Step 2 of" not in html
    assert ">Save and return to review</button>" in html and ">Next</button>" not in html
    # A refused change stays a change.
    html = refused_section(client, "visit", typed_input({"pain_now": 12}), return_to="review")
    assert ">Save and return to review</button>" in html
    assert 'name="return_to" value="review"' in html
    html = client.get("/intake/visit").get_data(as_text=True)
    assert ">Next</button>" in html and "Step 2 of" in html


def refused_signing_again(client, data: dict) -> str:
    """Post the consent page that must be refused; the page shown after the redirect."""
    response = client.post("/intake/consent", data=data)
    assert response.status_code == 303 and response.location == "/intake/consent"
    return client.get("/intake/consent").get_data(as_text=True)


def test_stop_and_clear_discards_the_draft(app, client):
    start(client)
    post_section(client, "about", typed_input())
    assert "Stop and clear your answers?" in client.get("/intake/stop").get_data(as_text=True)
    response = client.post(
        "/intake/discard", data={"csrf_token": csrf_token(client, "/intake/stop")}
    )
    assert response.status_code == 303
    assert count(app, Draft) == 0
    assert client.get_cookie(drafts.COOKIE_NAME) is None


def test_start_discards_the_previous_draft_on_this_tablet(app, client):
    start(client)
    post_section(client, "about", typed_input())
    start(client)
    assert count(app, Draft) == 1
    assert stored_input(app) == {}


def test_welcome_offers_to_continue_a_live_draft_after_the_date_of_birth(client):
    start(client)
    post_section(client, "about", typed_input())
    html = client.get("/").get_data(as_text=True)
    assert "Continue where I left off" in html and 'id="idle-dialog"' in html
    assert "Jane" not in client.get("/intake/resume").get_data(as_text=True)
    token = csrf_token(client, "/intake/resume")
    response = client.post(
        "/intake/resume", data={"csrf_token": token, "date_of_birth": "04/12/1970"}
    )
    assert response.headers["Location"].endswith("/intake/visit")


@pytest.mark.parametrize(
    "path", ["/intake/about", "/intake/review", "/intake/consent", "/intake/discard"]
)
def test_every_patient_post_needs_the_csrf_token(app, client, path):
    start(client)
    post_section(client, "about", typed_input())
    response = client.post(path, data={"action": "next", "first_name": "Mallory"})
    assert response.status_code == 400
    assert stored_input(app)["first_name"] == "Jane"


def test_consent_page_autosaves_what_is_typed(app, client):
    start(client)
    fill_history(client)
    data = consent_data(client, action="autosave", initials="J", signature="not a signature")
    assert client.post("/intake/consent", data=data).status_code == 204
    with app.app_context():
        signing = db.session.scalars(select(Draft)).one().data["signing"]
    assert signing["initials_what"] == "J" and signing["agree"] is True
    assert "signature" not in signing  # only a readable signature is kept
    assert 'value="J"' in client.get("/intake/consent").get_data(as_text=True)


def test_a_background_save_after_the_draft_is_gone_is_quiet(client):
    start(client)
    post_section(client, "about", typed_input())
    token = csrf_token(client, "/intake/stop")
    client.post("/intake/discard", data={"csrf_token": token})
    response = client.post(
        "/intake/about", data={"csrf_token": token, "action": "autosave", "first_name": "J"}
    )
    assert response.status_code == 204
    assert "For your privacy" not in client.get("/").get_data(as_text=True)


def test_the_tablet_name_is_kept_as_evidence(app, client):
    from flask import Response

    from intake.tablets import COOKIE_NAME, set_tablet_label

    with app.test_request_context():
        response = Response()
        set_tablet_label(response, "Front desk 1")
        value = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client.set_cookie(COOKIE_NAME, value)
    start(client)
    fill_history(client)
    client.post("/intake/consent", data=consent_data(client))
    with app.app_context():
        assert db.session.scalars(select(Submission.device_label)).one() == "Front desk 1"


def test_a_refused_typed_signing_never_keeps_junk_from_the_signature_pad(app, client):
    """Found by fuzzing: with "typed" chosen, the pad's field is not checked by the service,
    so a NUL there once reached the draft (a 500 on PostgreSQL, whose JSON refuses it)."""
    start(client)
    fill_history(client)
    client.post("/intake/review", data={"csrf_token": csrf_token(client, "/intake/review")})
    response = client.post(
        "/intake/consent",
        data=consent_data(client, method="typed", signature="\x00", agree=None),
    )
    assert response.status_code == 303 and response.location == "/intake/consent"
    with app.app_context():
        signing = db.session.scalars(select(Draft)).one().data.get("signing", {})
    assert signing.get("signature", "") == ""
    assert count(app, Submission) == 0


def _lose_the_session(app, client) -> None:
    """What a browser closed and reopened does: its session cookie (and the form token it
    vouches for) is gone; the draft's own cookie lasts."""
    client.delete_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))


def _token_in(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_history_page_posted_after_its_token_expired_comes_back_as_typed(app, client):
    start(client)
    post_section(client, "about", typed_input())
    stale = csrf_token(client, "/intake/visit")
    _lose_the_session(app, client)
    data = section_data("visit", typed_input({"visit_reason": "Stiff neck after a fall"}))
    data["csrf_token"], data["action"] = stale, "next"
    response = client.post("/intake/visit", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "open too long to be saved. What you typed is still here" in html
    assert "Stiff neck after a fall" in html
    assert "visit_reason" not in stored_input(app)  # nothing of the refused post was saved
    data["csrf_token"] = _token_in(html)  # the page came back with a new token
    assert client.post("/intake/visit", data=data).status_code == 303
    assert stored_input(app)["visit_reason"] == "Stiff neck after a fall"


def test_a_consent_posted_after_its_token_expired_keeps_the_initials_and_signs_nothing(app, client):
    start(client)
    fill_history(client)
    data = consent_data(client, initials="JD")
    _lose_the_session(app, client)
    response = client.post("/intake/consent", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "open too long to be saved" in html and 'value="JD"' in html
    assert count(app, Submission) == 0
    data["csrf_token"] = _token_in(html)
    assert client.post("/intake/consent", data=data).status_code == 303
    assert count(app, Submission) == 1


def test_other_patient_posts_after_the_token_expired_change_nothing_and_say_so(app, client):
    start(client)
    fill_history(client)
    stale = csrf_token(client, "/intake/stop")
    _lose_the_session(app, client)
    for path in ("/intake/review", "/intake/discard"):
        response = client.post(path, data={"csrf_token": stale})
        assert response.status_code == 400
        assert "That page had expired" in response.get_data(as_text=True)
    assert count(app, Draft) == 1
    autosave = client.post("/intake/about", data={"csrf_token": stale, "action": "autosave"})
    assert autosave.status_code == 400 and autosave.get_data() == b""


@pytest.fixture
def consent_folder(monkeypatch, tmp_path):
    """The consent documents in a folder of the test's own, where a new version can appear."""
    folder = tmp_path / "consents"
    shutil.copytree(Path(consents.__file__).parent / "dry_needling", folder / "dry_needling")
    monkeypatch.setattr(consents, "_HERE", folder)
    consents.load.cache_clear()
    yield folder / "dry_needling"
    consents.load.cache_clear()


def test_a_consent_updated_while_its_page_is_open_is_shown_again_not_signed(
    app, client, consent_folder
):
    with app.app_context():
        today = clinic_today()  # the clinic's day, in its own time zone
    answers = {"date_of_birth": f"{today.year - 10}-06-01"}  # a parent signs
    start(client)
    fill_history(client, answers)
    data = consent_data(client, initials="MR", guardian_name="Mary Roe")
    data["guardian_relationship"] = "parent"
    data["guardian_phone"] = "(312) 555-0107"
    shown = consents.current(today=today)
    assert "collapsed lung" in client.get("/intake/consent").get_data(as_text=True)
    # A clinic deploys a new version, in effect today, while the parent reads the one shown.
    newer = str(int(shown.version) + 1)
    text = (consent_folder / f"v{shown.version}.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^version = .*$", f'version = "{newer}"', text)
    text = re.sub(r"(?m)^effective_date = .*$", f"effective_date = {today.isoformat()}", text)
    (consent_folder / f"v{newer}.toml").write_text(
        text.replace("collapsed lung", "lung that collapses"), encoding="utf-8"
    )

    response = client.post("/intake/consent", data=data)
    assert response.status_code == 303 and response.location.endswith("/intake/consent")
    assert count(app, Submission) == 0
    page = client.get("/intake/consent").get_data(as_text=True)
    assert "This consent was updated while the page was open" in page
    assert "lung that collapses" in page
    assert 'value="MR"' not in page  # initials given to version 1 are not carried over
    assert 'value="Mary Roe"' in page  # who signs is kept

    data = consent_data(client, initials="MR", guardian_name="Mary Roe")
    data["guardian_relationship"] = "parent"
    data["guardian_phone"] = "(312) 555-0107"
    assert client.post("/intake/consent", data=data).status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Submission)).one()
        assert stored.consent_version == newer
        assert "lung that collapses" in stored.consent_snapshot
