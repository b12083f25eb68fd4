"""The therapist's part of a consent: confirm, decline, record a withdrawal; each an addendum
PDF that names the signed intake PDF; only therapists may; the consent's state and lapse."""

import hashlib
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from intake import clock, consents
from intake.chart import render_and_store
from intake.chart.seal import SealState, check_seal
from intake.extensions import db
from intake.models import (
    ChartDocument,
    ConsentDecision,
    DocumentKind,
    ExportBatch,
    StaffRole,
    Submission,
)
from tests.chart_support import needs, pdf_pages, squeezed
from tests.csv_reading import parse
from tests.staff_support import (
    ADMIN_EMAIL,
    STAFF_EMAIL,
    THERAPIST_EMAIL,
    add_staff,
    add_submission,
    audit_events,
    log_in,
    submission_row,
)
from tests.support import csrf_token

pytestmark = needs("pdftotext")
IMPOSSIBLE_TIMEOUT = 0.001  # seconds: every render is stopped


@pytest.fixture
def signed(app) -> uuid.UUID:
    """A submission whose signed intake PDF is stored (really rendered)."""
    public_id = add_submission(app, {"anything_else": "Ask about my left heel."})
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.public_id == public_id))
        assert render_and_store(submission) is not None
    return public_id


@pytest.fixture
def therapist(app, client):
    add_staff(app, THERAPIST_EMAIL, StaffRole.THERAPIST)
    assert log_in(client, THERAPIST_EMAIL).status_code == 302
    return client


def _post(client, public_id: uuid.UUID, what: str, **data):
    page = f"/staff/submissions/{public_id}"
    token = csrf_token(client, page)
    return client.post(f"{page}/consent/{what}", data={"csrf_token": token, **data})


def _intake_sha256(app, public_id: uuid.UUID) -> str:
    with app.app_context():
        return db.session.scalar(
            select(ChartDocument.sha256)
            .join(Submission)
            .where(Submission.public_id == public_id, ChartDocument.kind == DocumentKind.INTAKE)
        )


def _addendum(client, public_id: uuid.UUID) -> bytes:
    """The newest addendum, downloaded through its link on the submission page."""
    page = client.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    links = re.findall(rf'href="(/staff/submissions/{public_id}/addenda/[0-9a-f-]+\.pdf)"', page)
    assert links, "no addendum link on the page"
    response = client.get(links[-1])
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return response.data


def test_a_therapist_confirms_and_the_addendum_names_the_signed_pdf(app, therapist, signed):
    intake_sha256 = _intake_sha256(app, signed)
    with app.app_context():
        until = clock.clinic_today() + timedelta(days=180)
    response = _post(
        therapist,
        signed,
        "confirm",
        care_plan_ends_on=until.isoformat(),
        note="Explained twitch response and soreness.\nPatient asked about bruising.",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = submission_row(app, signed)
    assert (row["consent_state"], row["consent_ends_on"]) == ("confirmed", until)
    assert row["consent_confirmed_at"] is not None

    text = squeezed("\n".join(pdf_pages(_addendum(therapist, signed))))
    for expected in (
        "Consent confirmed by the therapist",
        "Discussed with the patient; questions answered; patient agrees to dry needling.",
        "Dana Reyes, PT, DPT",
        THERAPIST_EMAIL,
        intake_sha256,
        "Explained twitch response and soreness.",
        "Patient asked about bruising.",
    ):
        assert squeezed(expected) in text, expected
    # The signed intake PDF is untouched; the decision and its addendum are on record.
    assert _intake_sha256(app, signed) == intake_sha256
    (confirm,) = audit_events(app, "consent.confirm")
    assert confirm["outcome"] == "success"
    assert confirm["detail"]["intake_sha256"] == intake_sha256
    (stored,) = audit_events(app, "chart.addendum")
    assert stored["target_id"] == str(signed)
    page = therapist.get(f"/staff/submissions/{signed}").get_data(as_text=True)
    assert "Confirmed by therapist" in page


def test_a_therapist_declines_then_the_patient_cannot_be_confirmed_once_withdrawn(
    app, therapist, signed
):
    response = _post(therapist, signed, "decline", reason="not_appropriate", note="")
    assert response.status_code == 302
    assert submission_row(app, signed)["consent_state"] == "declined"
    text = squeezed("\n".join(pdf_pages(_addendum(therapist, signed))))
    assert squeezed("Dry needling not appropriate / declined.") in text
    assert squeezed("Dry needling is not appropriate for this patient") in text

    with app.app_context():
        told_at = clock.local(datetime.now(UTC) - timedelta(hours=2))
    response = _post(
        therapist,
        signed,
        "withdraw",
        told_by="Jane's daughter, Ana Pérez",
        told_to="Front desk: Sam",
        told_at=told_at.strftime("%Y-%m-%dT%H:%M"),
        told_how="phone",
        note="Called to say no needles.",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = submission_row(app, signed)
    assert (row["consent_state"], row["consent_confirmed_at"]) == ("withdrawn", None)
    text = squeezed("\n".join(pdf_pages(_addendum(therapist, signed))))
    for expected in ("Consent withdrawn", "Ana Pérez", "Front desk: Sam", "By phone"):
        assert squeezed(expected) in text, expected

    # A withdrawn consent is over: confirming it again is refused, and nothing is stored.
    with app.app_context():
        until = clock.clinic_today() + timedelta(days=30)
    refused = _post(therapist, signed, "confirm", care_plan_ends_on=until.isoformat(), note="x")
    assert refused.status_code == 400
    assert "This consent is withdrawn" in refused.get_data(as_text=True)
    assert submission_row(app, signed)["consent_state"] == "withdrawn"
    assert len(audit_events(app, "chart.addendum")) == 2


@pytest.mark.parametrize("role", [StaffRole.FRONT_DESK, StaffRole.ADMIN])
@pytest.mark.parametrize("what", ["confirm", "decline", "withdraw"])
def test_only_a_therapist_records_the_consent(app, client, signed, role, what):
    email = STAFF_EMAIL if role == StaffRole.FRONT_DESK else ADMIN_EMAIL
    add_staff(app, email, role)
    assert log_in(client, email).status_code == 302
    page = client.get(f"/staff/submissions/{signed}").get_data(as_text=True)
    assert "Only a therapist records the consent conversation" in page
    assert f"/consent/{what}" not in page
    with app.app_context():
        until = (clock.clinic_today() + timedelta(days=30)).isoformat()
    response = _post(
        client,
        signed,
        what,
        care_plan_ends_on=until,
        reason="patient_declined",
        told_by="The patient",
        told_to="Sam",
        told_at="2026-11-30T10:00",
        told_how="phone",
    )
    assert response.status_code == 403
    assert submission_row(app, signed)["consent_state"] == "signed"
    (refused,) = audit_events(app, f"consent.{what}")
    assert (refused["outcome"], refused["actor_label"]) == ("forbidden", email)
    with app.app_context():
        assert db.session.scalar(select(ConsentDecision.id)) is None


def test_a_therapist_with_no_credentials_is_told_and_nothing_is_kept(app, client, signed):
    add_staff(app, THERAPIST_EMAIL, StaffRole.THERAPIST, display_name=None, credentials=None)
    assert log_in(client, THERAPIST_EMAIL).status_code == 302
    with app.app_context():
        until = (clock.clinic_today() + timedelta(days=30)).isoformat()
    response = _post(client, signed, "confirm", care_plan_ends_on=until, note="Discussed.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "no name and credentials to sign with" in page
    assert "Discussed.</textarea>" in page  # what was typed is kept
    assert submission_row(app, signed)["consent_state"] == "signed"


def test_form_errors_keep_the_note_and_say_what_to_fix(app, therapist, signed):
    response = _post(therapist, signed, "confirm", care_plan_ends_on="2001-01-01", note="Talked.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The plan of care must end after today." in page
    assert "Talked.</textarea>" in page
    missing = _post(therapist, signed, "decline", note="Kept note")
    assert missing.status_code == 400
    assert "Choose why dry needling will not go ahead." in missing.get_data(as_text=True)
    assert "Kept note</textarea>" in missing.get_data(as_text=True)
    assert submission_row(app, signed)["consent_state"] == "signed"


def test_nothing_is_recorded_before_the_signed_pdf_exists(app, therapist):
    public_id = add_submission(app)
    page = therapist.get(f"/staff/submissions/{public_id}").get_data(as_text=True)
    assert "The signed intake PDF is not stored yet" in page
    with app.app_context():
        until = (clock.clinic_today() + timedelta(days=30)).isoformat()
    response = _post(therapist, public_id, "confirm", care_plan_ends_on=until)
    assert response.status_code == 400
    assert "The signed intake PDF is not stored yet" in response.get_data(as_text=True)


def test_a_consent_lapses_with_a_new_version_or_the_end_of_the_plan_of_care(app, therapist, signed):
    first = consents.versions()[0]
    old = add_submission(app, consent=first)
    page = therapist.get(f"/staff/submissions/{old}").get_data(as_text=True)
    assert "Consent lapsed:" in page
    assert f"signed on consent version {first.version}" in page

    with app.app_context():
        until = clock.clinic_today() + timedelta(days=1)
    assert (
        _post(therapist, signed, "confirm", care_plan_ends_on=until.isoformat()).status_code == 302
    )
    assert "Consent lapsed:" not in therapist.get(f"/staff/submissions/{signed}").get_data(
        as_text=True
    )
    with app.app_context():  # a year on: the plan of care has ended
        db.session.execute(
            update(Submission)
            .where(Submission.public_id == signed)
            .values(consent_ends_on=date(2001, 1, 1))
        )
        db.session.commit()
    page = therapist.get(f"/staff/submissions/{signed}").get_data(as_text=True)
    assert "the plan of care ended on Jan 1, 2001" in page

    # Today's dashboard shows each intake's consent state, and which have lapsed.
    rows = re.findall(r"<tr>(.*?)</tr>", therapist.get("/staff/").get_data(as_text=True), re.S)
    by_id = {row_id: row for row in rows for row_id in (str(old), str(signed)) if row_id in row}
    assert "Signed by patient" in by_id[str(old)]
    assert f"signed on consent version {first.version}" in by_id[str(old)]
    assert "Confirmed by therapist" in by_id[str(signed)]
    assert "the plan of care ended on Jan 1, 2001" in by_id[str(signed)]


def test_a_failed_addendum_loses_nothing_and_render_pending_makes_it(
    app, therapist, runner, signed
):
    app.config["CHART_RENDER_TIMEOUT_SECONDS"] = IMPOSSIBLE_TIMEOUT
    response = _post(therapist, signed, "decline", reason="patient_declined", note="Prefers not.")
    assert response.status_code == 302
    page = therapist.get(response.location).get_data(as_text=True)
    assert "Its addendum PDF could not be made now" in page
    assert "Addendum PDF not made yet." in page
    assert submission_row(app, signed)["consent_state"] == "declined"
    assert audit_events(app, "chart.addendum") == []

    app.config["CHART_RENDER_TIMEOUT_SECONDS"] = 30
    result = runner.invoke(args=["intake", "render-pending"])
    assert result.exit_code == 0, result.output
    assert f"of submission {signed}." in result.output
    assert "1 rendered, 0 failed." in result.output
    text = squeezed("\n".join(pdf_pages(_addendum(therapist, signed))))
    assert squeezed("The patient declined dry needling") in text
    assert squeezed("Prefers not.") in text
    result = runner.invoke(args=["intake", "render-pending"])
    assert "nothing to render" in result.output


def test_verify_checks_every_addendum(app, therapist, runner, signed):
    with app.app_context():
        until = (clock.clinic_today() + timedelta(days=30)).isoformat()
    assert _post(therapist, signed, "confirm", care_plan_ends_on=until).status_code == 302
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 0, result.output
    assert "Checked 2 stored documents" in result.output
    # Sealed by the clinic like the intake PDF, so verify checked its seal too.
    with app.app_context():
        addendum = db.session.scalars(
            select(ChartDocument).where(ChartDocument.kind == DocumentKind.CONSENT_ADDENDUM)
        ).one()
        seal = check_seal(addendum.content, addendum.created_at)
        assert seal.state == SealState.VALID, seal.reason
        db.session.rollback()

    # Replaced behind Intake's back, bytes and hash together: the audit event tells.
    forged = b"%PDF-1.7 a different decision"
    with app.app_context():
        db.session.execute(
            update(ChartDocument)
            .where(ChartDocument.kind == DocumentKind.CONSENT_ADDENDUM)
            .values(content=forged, sha256=hashlib.sha256(forged).hexdigest(), size=len(forged))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert "consent addendum of decision" in result.output
    assert "it was replaced" in result.output
    assert "(consent_addendum): it cannot be read as a PDF" in result.output  # nor sealed

    # Removed: the event that recorded it still names it.
    with app.app_context():
        db.session.execute(
            delete(ChartDocument).where(ChartDocument.kind == DocumentKind.CONSENT_ADDENDUM)
        )
        db.session.commit()
    result = runner.invoke(args=["intake", "verify"])
    assert result.exit_code == 1
    assert "is not in the database" in result.output
    # ... and render-pending does not make a new one in its place.
    result = runner.invoke(args=["intake", "render-pending"])
    assert "nothing to render" in result.output


def test_the_csv_has_the_consent_state_and_an_old_batch_keeps_the_state_it_had(
    app, therapist, runner, signed
):
    made = runner.invoke(args=["intake", "export-csv", "--new", "--raw"])
    assert made.exit_code == 0, made.output
    _, (row,) = parse(made.stdout_bytes)
    assert (row["consent_state"], row["consent_confirmed_at_utc"]) == ("signed", "")

    with app.app_context():
        until = (clock.clinic_today() + timedelta(days=30)).isoformat()
    assert _post(therapist, signed, "confirm", care_plan_ends_on=until).status_code == 302
    confirmed_at = submission_row(app, signed)["consent_confirmed_at"]

    # The batch, made again, is byte for byte what it was: the consent as it stood then.
    with app.app_context():
        batch_id = db.session.scalar(select(ExportBatch.public_id))
    again = runner.invoke(args=["intake", "export-csv", "--batch", str(batch_id)])
    assert again.exit_code == 0, again.output
    assert again.stdout_bytes == made.stdout_bytes
    # A date range is read now.
    today = clock_today(app).isoformat()
    ranged = runner.invoke(args=["intake", "export-csv", "--from", today, "--to", today, "--raw"])
    _, (row,) = parse(ranged.stdout_bytes)
    assert row["consent_state"] == "confirmed"
    assert row["consent_confirmed_at_utc"] == confirmed_at.astimezone(UTC).isoformat(
        timespec="seconds"
    )


def clock_today(app) -> date:
    with app.app_context():
        return clock.clinic_today()
