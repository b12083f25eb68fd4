"""A tablet left alone shows no one's answers: the server's idle rule, the date of birth that
reopens a held draft, and what autosave may store."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from intake import drafts, questionnaire, signatures
from intake.answers import keep_raw
from intake.extensions import db
from intake.models import Draft, utcnow
from intake.questionnaire import Kind
from testkit.factories import signature_payload, typed_input
from testkit.races import at_once
from tests.support import csrf_token
from tests.test_kiosk import (
    consent_data,
    count,
    fill_history,
    post_section,
    start,
    stored_input,
)

WARNING, RESET = 30, 10
# The server closes a draft one keep-alive interval after the page would have cleared it.
CLOSED_AFTER = WARNING + RESET + min(drafts.KEEP_ALIVE_MAX_SECONDS, WARNING // 2)


@pytest.fixture
def short_idle(app):
    """Short kiosk timings, as a test would configure them."""
    app.config.update(KIOSK_IDLE_WARNING_SECONDS=WARNING, KIOSK_IDLE_RESET_SECONDS=RESET)
    return app


def age_draft(app, *, idle: int = 0, started: int = 0) -> None:
    """Move the tablet's draft back in time: last saved `idle` seconds ago, started `started`
    seconds ago (or as long ago as it was last saved)."""
    with app.app_context():
        draft = db.session.scalars(select(Draft)).one()
        draft.updated_at = utcnow() - timedelta(seconds=idle)
        draft.created_at = utcnow() - timedelta(seconds=max(idle, started))
        db.session.commit()


def the_draft(app) -> Draft | None:
    with app.app_context():
        return db.session.scalars(select(Draft)).one_or_none()


def keep_alive(client, token: str | None = None):
    return client.post("/intake/keep-alive", data={"csrf_token": token or csrf_token(client)})


def start_with_about(client) -> str:
    """A patient started and filled the first page; the token of a page for later posts."""
    start(client)
    assert post_section(client, "about", typed_input()).status_code == 303
    return csrf_token(client, "/intake/visit")


def resume_with(client, date_of_birth: str):
    token = csrf_token(client, "/intake/resume")
    return client.post("/intake/resume", data={"csrf_token": token, "date_of_birth": date_of_birth})


# What the patient typed (the date of birth is also the page's own example: not listed).
ANSWERS = ("Jane", "Doe", "555 0142", "River Road", "Lower back pain")


def shows_no_answer(html: str) -> bool:
    return not any(answer in html for answer in ANSWERS)


# The cookie


def test_the_draft_cookie_is_a_session_cookie(client):
    response = client.post("/start", data={"csrf_token": csrf_token(client, "/")})
    cookie = next(
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.startswith(drafts.COOKIE_NAME + "=")
    )
    assert "Max-Age" not in cookie and "Expires" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# The server's idle rule


def test_a_draft_left_idle_past_warning_and_reset_is_closed_with_nothing_shown(short_idle, client):
    app = short_idle
    start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER + 1)
    for path in ["/intake/about", "/intake/review", "/intake/consent", "/intake/resume"]:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"].endswith("/"), path
        assert shows_no_answer(response.get_data(as_text=True))
    assert count(app, Draft) == 0  # closed means deleted
    assert client.get_cookie(drafts.COOKIE_NAME) is None
    html = client.get("/").get_data(as_text=True)
    assert "the form was closed" in html and "Continue where I left off" not in html


def test_a_draft_idle_less_than_warning_and_reset_is_still_open(short_idle, client):
    app = short_idle
    start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER - 5)
    response = client.get("/intake/about")
    assert response.status_code == 200 and "Doe" in response.get_data(as_text=True)


def test_the_welcome_screen_does_not_offer_a_closed_draft(short_idle, client):
    app = short_idle
    start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER + 1)
    html = client.get("/").get_data(as_text=True)
    assert "Continue where I left off" not in html and 'id="idle-dialog"' not in html
    assert count(app, Draft) == 0


def test_an_autosave_to_a_closed_draft_stores_nothing(short_idle, client):
    app = short_idle
    token = start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER + 1)
    data = {"csrf_token": token, "action": "autosave", "pain_now": "3"}
    assert client.post("/intake/visit", data=data).status_code == 204
    assert count(app, Draft) == 0


def test_an_autosave_counts_as_activity(short_idle, client):
    app = short_idle
    token = start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER - 1)
    data = {"csrf_token": token, "action": "autosave", "pain_now": "3"}
    assert client.post("/intake/visit", data=data).status_code == 204
    assert utcnow() - the_draft(app).updated_at < timedelta(seconds=WARNING)


def test_the_keep_alive_restarts_the_idle_clock(short_idle, client):
    app = short_idle
    token = start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER - 1)
    assert keep_alive(client, token).status_code == 204
    assert utcnow() - the_draft(app).updated_at < timedelta(seconds=WARNING)
    assert client.get("/intake/about").status_code == 200


def test_the_keep_alive_needs_the_csrf_token(short_idle, client):
    app = short_idle
    start_with_about(client)
    age_draft(app, idle=WARNING)
    assert client.post("/intake/keep-alive", data={}).status_code == 400
    assert utcnow() - the_draft(app).updated_at >= timedelta(seconds=WARNING)


def test_the_keep_alive_cannot_reopen_a_closed_draft(short_idle, client):
    app = short_idle
    token = start_with_about(client)
    age_draft(app, idle=CLOSED_AFTER + 1)
    assert keep_alive(client, token).status_code == 410
    assert client.get("/intake/about").headers["Location"].endswith("/")
    assert count(app, Draft) == 0


def test_the_keep_alive_cannot_reopen_a_held_draft(client):
    token = start_with_about(client)
    client.get("/")  # the tablet went back to the welcome screen
    assert keep_alive(client, token).status_code == 410
    assert client.get("/intake/about").headers["Location"].endswith("/intake/resume")


def test_a_draft_kept_alive_still_closes_at_its_hard_cap(app, client):
    start_with_about(client)
    age_draft(app, idle=0, started=app.config["DRAFT_MAX_AGE_SECONDS"] + 1)
    assert client.get("/intake/about").headers["Location"].endswith("/")
    assert count(app, Draft) == 0


def test_start_and_purge_drafts_delete_idle_closed_drafts(short_idle, runner):
    app = short_idle
    with app.app_context():
        idle, _ = drafts.create()
        old, _ = drafts.create()
        _, live_token = drafts.create()
        idle.updated_at = utcnow() - timedelta(seconds=CLOSED_AFTER + 1)
        old.created_at = utcnow() - timedelta(seconds=app.config["DRAFT_MAX_AGE_SECONDS"] + 1)
        db.session.commit()
    result = runner.invoke(args=["intake", "purge-drafts"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 expired draft" in result.output
    with app.app_context():
        assert drafts.load(live_token) is not None
        idle, _ = drafts.create()
        idle.updated_at = utcnow() - timedelta(seconds=CLOSED_AFTER + 1)
        db.session.commit()
        drafts.create()  # Start sweeps what is closed
        assert len(db.session.scalars(select(Draft)).all()) == 2


# The date of birth that reopens a held draft


def test_the_welcome_screen_holds_a_live_draft_behind_the_date_of_birth(app, client):
    start_with_about(client)
    html = client.get("/").get_data(as_text=True)
    assert "Continue where I left off" in html and shows_no_answer(html)
    assert the_draft(app).resume_locked
    for path in ["/intake/about", "/intake/visit", "/intake/review", "/intake/consent"]:
        response = client.get(path)
        assert response.headers["Location"].endswith("/intake/resume"), path
    page = client.get("/intake/resume")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Date of birth" in html and shows_no_answer(html)
    assert "Stop and clear my answers" not in html and "Step " not in html


@pytest.mark.parametrize("typed", ["04/12/1970", "4/12/1970", "04-12-1970", "04121970"])
def test_the_date_of_birth_as_the_patient_would_type_it_reopens_the_draft(app, client, typed):
    start_with_about(client)
    client.get("/")
    response = resume_with(client, typed)
    assert response.status_code == 303 and response.headers["Location"].endswith("/intake/visit")
    assert not the_draft(app).resume_locked
    assert "Doe" in client.get("/intake/about").get_data(as_text=True)


def test_a_wrong_date_of_birth_shows_nothing_and_says_how_many_tries_are_left(app, client):
    start_with_about(client)
    client.get("/")
    response = resume_with(client, "12/04/1970")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and shows_no_answer(html)
    assert "You have 2 more tries." in html
    assert "You have 1 more try." in resume_with(client, "01/01/1980").get_data(as_text=True)
    assert the_draft(app).resume_failures == 2
    assert client.get("/intake/about").headers["Location"].endswith("/intake/resume")


def test_three_wrong_dates_of_birth_close_the_draft(app, client):
    start_with_about(client)
    client.get("/")
    resume_with(client, "01/01/1980")
    resume_with(client, "01/02/1980")
    response = resume_with(client, "01/03/1980")
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    assert count(app, Draft) == 0
    assert client.get_cookie(drafts.COOKIE_NAME) is None
    html = client.get("/").get_data(as_text=True)
    assert "the form was closed" in html and "Continue where I left off" not in html
    assert client.get("/intake/resume").headers["Location"].endswith("/")


def test_what_is_not_a_date_is_not_counted_as_a_try(app, client):
    start_with_about(client)
    client.get("/")
    response = resume_with(client, "23/04/1981")
    assert response.status_code == 422
    assert "looks like day/month/year" in response.get_data(as_text=True)
    assert resume_with(client, "").status_code == 422
    assert the_draft(app).resume_failures == 0


def test_the_right_date_of_birth_after_wrong_ones_starts_the_count_again(app, client):
    start_with_about(client)
    client.get("/")
    resume_with(client, "01/01/1980")
    resume_with(client, "01/01/1981")
    assert resume_with(client, "04/12/1970").status_code == 303
    client.get("/")
    resume_with(client, "01/01/1980")
    assert the_draft(app) is not None and the_draft(app).resume_failures == 1


def test_parallel_guesses_cannot_exceed_the_tries(app, client):
    start_with_about(client)
    client.get("/")
    token = csrf_token(client, "/intake/resume")
    cookies = {name: client.get_cookie(name).value for name in ("session", drafts.COOKIE_NAME)}

    def guess(number: int) -> int:
        other = app.test_client()
        for name, value in cookies.items():
            other.set_cookie(name, value)
        data = {"csrf_token": token, "date_of_birth": f"01/{number + 1:02d}/1980"}
        return other.post("/intake/resume", data=data).status_code

    statuses = at_once(8, guess)
    assert sorted(statuses) == [303] * 6 + [422] * 2  # two wrong, the third closed it
    assert count(app, Draft) == 0


def test_a_draft_without_a_date_of_birth_is_closed_at_the_welcome_screen(app, client):
    """Nothing could prove whose it is: the welcome screen does not offer it, and deletes it."""
    start(client)
    data = {"first_name": "Jane", "last_name": "Doe"}
    assert post_section(client, "about", data, action="autosave").status_code == 204
    html = client.get("/").get_data(as_text=True)
    assert "Continue where I left off" not in html and 'id="idle-dialog"' not in html
    assert count(app, Draft) == 0
    assert client.get("/intake/about").headers["Location"].endswith("/")


def test_stop_and_go_back_does_not_hold_the_draft(client):
    start_with_about(client)
    assert client.get("/intake/stop").status_code == 200
    assert client.get("/intake/resume").headers["Location"].endswith("/intake/visit")


def test_a_held_draft_cannot_be_signed(app, client):
    start(client)
    fill_history(client)
    data = consent_data(client)
    client.get("/")
    response = client.post("/intake/consent", data=data)
    assert response.headers["Location"].endswith("/intake/resume")
    assert count(app, Draft) == 1


# What autosave may store


def test_autosave_keeps_each_field_to_its_own_limit(app, client):
    start(client)
    typed = {"first_name": "x" * 10_000, "sex": "y" * 10_000, "address": "z" * 10_000}
    assert post_section(client, "about", typed, action="autosave").status_code == 204
    kept = stored_input(app)
    assert kept["first_name"] == "x" * 99 and kept["sex"] == "" and kept["address"] == "z" * 300
    with app.app_context():
        assert drafts.size_of(the_draft(app).data) < 2_000


def test_a_page_with_a_too_long_answer_is_refused_with_its_length(client):
    start(client)
    response = post_section(client, "about", typed_input({"first_name": "x" * 250}))
    assert response.status_code == 303  # shown again after a redirect, never as the post
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "(it has 250)" in html
    assert "x" * 250 in html  # kept on the page to shorten, not cut short unseen


def test_an_autosave_over_the_size_limit_is_refused_and_stores_nothing(app, client):
    app.config["DRAFT_MAX_BYTES"] = 1_000
    start(client)
    assert post_section(client, "about", typed_input()).status_code == 303
    before = stored_input(app)
    typed = {"better_with": "b" * 500, "worse_with": "w" * 500}
    assert post_section(client, "visit", typed, action="autosave").status_code == 413
    assert stored_input(app) == before


def test_a_page_over_the_size_limit_says_so_and_keeps_what_was_typed(app, client):
    app.config["DRAFT_MAX_BYTES"] = 1_000
    start(client)
    assert post_section(client, "about", typed_input()).status_code == 303
    before = stored_input(app)
    response = post_section(client, "visit", typed_input({"better_with": "b" * 500}))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "longer than this form can keep" in html and "b" * 500 in html
    assert stored_input(app) == before
    assert the_draft(app).step == "visit"


def test_the_default_size_limit_admits_the_largest_draft_a_patient_can_make(app):
    """Every text field full, in four-byte characters, and a drawn signature as detailed as
    a valid one may be (about 260 KB in all): still within DRAFT_MAX_BYTES."""

    typed = {}
    for question in questionnaire.QUESTIONS:
        if question.kind == Kind.MULTI:
            typed[question.id] = keep_raw(question, list(question.choice_values))
        elif question.choices or question.kind in (Kind.YES_NO, Kind.SCALE):
            typed[question.id] = keep_raw(question, "yes" if question.kind == Kind.YES_NO else "")
        else:
            typed[question.id] = keep_raw(question, "\U0001d49c" * 10_000)

    def drawn(count: int) -> str:
        points = [(40.123 + n % 500, 60.456 + n % 97) for n in range(count)]
        return signature_payload(strokes=[points[i : i + 1_900] for i in range(0, count, 1_900)])

    count = signatures.MAX_POINTS
    while len(largest := drawn(count)) > signatures.MAX_PAYLOAD_CHARS:
        count -= 50
    signatures.parse_drawn(largest)
    signing = {f"initials_{n}": "\U0001d49c" * 200 for n in range(12)}
    signing.update(
        guardian_name="\U0001d49c" * 200,
        guardian_phone="\U0001d49c" * 200,
        typed_name="\U0001d49c" * 200,
    )
    signing["signature"] = largest
    with app.app_context():
        size = drafts.size_of({"input": typed, "signing": signing})
        assert size <= app.config["DRAFT_MAX_BYTES"]
