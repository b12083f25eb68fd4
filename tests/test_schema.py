"""The schema exists only through migrations, and the migrations match the models."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from intake import audit, audit_chain
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import (
    AuditChain,
    AuditEvent,
    ChartDocument,
    ExportBatch,
    SignerRelationship,
    StaffUser,
    Submission,
)
from testkit.factories import make_submission, submission_values


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app_context):
    assert _differences() == []


def test_migrations_go_down_and_up_again(app_context):
    downgrade(revision="base")
    assert set(db.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences() == []


def _stored_as_then(**columns: Any) -> int:
    """A submission inserted as the schema of the current revision holds it: only the
    columns that exist now (a later migration may add more), with the model's defaults."""
    present = {column["name"] for column in db.inspect(db.engine).get_columns("submission")}
    values = {"status": "submitted", "pdf_status": "pending", **submission_values(**columns)}
    table = sa.table(
        "submission",
        *(sa.column(c.name, c.type) for c in Submission.__table__.columns if c.name in present),
    )
    values = {key: value for key, value in values.items() if key in present}
    submission_id = db.session.execute(
        insert(table).values(values).returning(sa.column("id"))
    ).scalar_one()
    db.session.commit()
    return submission_id


def _head_revision() -> str:
    """The newest revision of the migrations, whichever migration that is today."""
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def _revision() -> str:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_content_not_null_keeps_every_pdf_and_stops_at_one_without_bytes(app_context, capsys):
    downgrade(revision="0003_staff")
    submission_id = _stored_as_then()
    document = {"submission_id": submission_id, "kind": "intake", "size": 0, "sha256": ""}
    kept, empty = db.session.scalars(
        insert(ChartDocument).returning(ChartDocument.id, sort_by_parameter_order=True),
        [{**document, "content": b"%PDF-1.7 signed"}, {**document, "content": None}],
    ).all()
    db.session.commit()

    # As `flask db upgrade` does: log the reason, exit 1.
    with pytest.raises(SystemExit):
        upgrade()
    assert f"chart_document rows without content: {empty}." in capsys.readouterr().err
    assert _revision() == "0003_staff"
    stored = db.session.execute(select(ChartDocument.id, ChartDocument.content)).all()
    assert sorted(stored) == [(kept, b"%PDF-1.7 signed"), (empty, None)]
    db.session.rollback()

    # Restored from a backup; now the upgrade goes through and keeps both.
    db.session.execute(
        update(ChartDocument).where(ChartDocument.id == empty).values(content=b"%PDF restored")
    )
    db.session.commit()
    upgrade()
    assert _differences() == []
    stored = db.session.execute(select(ChartDocument.id, ChartDocument.content)).all()
    assert sorted(stored) == [(kept, b"%PDF-1.7 signed"), (empty, b"%PDF restored")]


def test_status_keeps_only_the_review_and_export_stays_in_the_batch(app_context):
    downgrade(revision="0005_exported_index")
    batch = ExportBatch(actor_label="front desk", columns_version="1")
    db.session.add(batch)
    db.session.commit()
    batch_id = batch.id
    reviewed_at = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    # As the old export left them: "exported" whether anyone had reviewed them or not.
    unreviewed = _stored_as_then(status="exported", export_batch_id=batch_id)
    reviewed = _stored_as_then(status="exported", export_batch_id=batch_id, reviewed_at=reviewed_at)
    waiting = _stored_as_then()
    reviewed_only = _stored_as_then(status="reviewed", reviewed_at=reviewed_at)
    db.session.rollback()  # end the read, so the migrations' writes are seen

    def stored() -> dict[int, tuple[str, int | None]]:
        rows = db.session.execute(
            select(Submission.id, Submission.status, Submission.export_batch_id)
        ).all()
        db.session.rollback()
        return {row.id: (row.status, row.export_batch_id) for row in rows}

    upgrade()
    assert stored() == {
        unreviewed: ("submitted", batch_id),
        reviewed: ("reviewed", batch_id),
        waiting: ("submitted", None),
        reviewed_only: ("reviewed", None),
    }
    downgrade(revision="0005_exported_index")
    assert stored() == {
        unreviewed: ("exported", batch_id),
        reviewed: ("exported", batch_id),
        waiting: ("submitted", None),
        reviewed_only: ("reviewed", None),
    }
    upgrade()
    assert stored()[unreviewed] == ("submitted", batch_id)
    assert _differences() == []


def test_times_come_back_aware_and_in_utc(app_context):
    chicago_noon = datetime(2026, 11, 25, 12, 0, tzinfo=timezone(timedelta(hours=-6)))
    submission = make_submission(submitted_at=chicago_noon)
    db.session.expire_all()
    stored = db.session.get(type(submission), submission.id)
    assert stored.submitted_at.tzinfo is not None
    assert stored.submitted_at.utcoffset() == timedelta(0)
    assert stored.submitted_at == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def test_naive_times_are_refused(app_context):
    db.session.add(AuditEvent(actor_type="cli", action="x", at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent)).all() == []


def test_public_ids_are_uuids(app_context):
    first, second = make_submission(), make_submission()
    assert first.public_id.version == 4
    assert first.public_id != second.public_id


def test_the_database_keeps_the_signer_relationship_to_its_vocabulary(app_context):
    stored = [make_submission(signer_relationship=value).id for value in SignerRelationship]
    assert len(stored) == len(SignerRelationship)
    with pytest.raises(IntegrityError, match="ck_submission_signer_relationship"):
        make_submission(signer_relationship="friend")
    db.session.rollback()
    # Not even a statement that goes around the models can write another value.
    with pytest.raises(IntegrityError, match="ck_submission_signer_relationship"):
        db.session.execute(
            update(Submission).where(Submission.id == stored[0]).values(signer_relationship="Self")
        )
    db.session.rollback()


def test_signed_patient_data_cannot_be_changed(app_context):
    from intake.models import RecordImmutable, SubmissionStatus

    submission = make_submission()
    submission.status = SubmissionStatus.REVIEWED  # workflow: allowed
    db.session.commit()
    for column, value in (
        ("first_name", "Janet"),
        ("answers", {**submission.answers, "pregnant": "yes"}),
        ("consent_snapshot", "{}"),
        ("typed_signature", "Someone Else"),
    ):
        setattr(submission, column, value)
        with pytest.raises(RecordImmutable, match=column):
            db.session.commit()
        db.session.rollback()
    db.session.delete(submission)
    with pytest.raises(RecordImmutable, match="may not be deleted"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(type(submission), submission.id).first_name == "Jane"


def test_audit_events_are_append_only(app_context):
    from intake.models import RecordImmutable

    db.session.add(AuditEvent(actor_type="cli", action="demo.seed"))
    db.session.commit()
    event = db.session.scalar(select(AuditEvent))
    event.action = "nothing.happened"
    with pytest.raises(RecordImmutable, match="may not be changed"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(event)
    with pytest.raises(RecordImmutable, match="may not be deleted"):
        db.session.commit()
    db.session.rollback()


def test_vocabulary_checks_keep_every_row_and_refuse_unknown_values(app_context):
    downgrade(revision="0006_review_status")
    submission_id = _stored_as_then()
    db.session.execute(
        insert(ChartDocument),
        [
            {
                "submission_id": submission_id,
                "kind": "intake",
                "content": b"%PDF",
                "size": 4,
                "sha256": "",
            }
        ],
    )
    db.session.execute(insert(AuditEvent).values(actor_type="kiosk", action="submission.create"))
    db.session.commit()

    upgrade()  # copies submission on SQLite, which chart_document points at
    assert _differences() == []
    assert db.session.scalar(select(ChartDocument.submission_id)) == submission_id
    assert db.session.get(Submission, submission_id).first_name == "Jane"
    index_columns = {
        index["name"]: index for index in db.inspect(db.engine).get_indexes("submission")
    }
    assert "ix_submission_exported_submitted_at" in index_columns
    db.session.rollback()

    for statement in (
        update(Submission).values(status="exported"),
        update(Submission).values(pdf_status="lost"),
        update(Submission).values(signature_kind="stamped"),
        update(Submission).values(signer_relationship="neighbour"),
        insert(AuditEvent).values(actor_type="robot", action="x"),
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(statement)
        db.session.rollback()


def test_guardian_phone_comes_empty_to_rows_stored_before_and_goes_away_again(app_context):
    downgrade(revision="0010_flag_notes")
    before = _stored_as_then()
    upgrade()
    assert _revision() == _head_revision()
    assert db.session.get(Submission, before).guardian_phone is None
    db.session.rollback()
    minor = make_submission({"date_of_birth": "2015-06-01"})
    assert minor.guardian_phone == "+1 312 555 0199"  # the emergency contact, as parent
    db.session.rollback()

    downgrade(revision="0010_flag_notes")
    columns = {column["name"] for column in db.inspect(db.engine).get_columns("submission")}
    assert "guardian_phone" not in columns
    upgrade()
    assert _differences() == []


def test_consent_decisions_keep_every_account_and_submission(app_context):
    downgrade(revision="0011_guardian_phone")
    before = _stored_as_then()
    db.session.execute(
        sa.text(
            "INSERT INTO staff_user (email, password_hash, role, active, failed_logins, "
            "created_at, session_token) VALUES "
            "('desk@example.org', 'x', 'staff', true, 0, CURRENT_TIMESTAMP, 't1'), "
            "('boss@example.org', 'x', 'admin', true, 0, CURRENT_TIMESTAMP, 't2')"
        )
    )
    db.session.commit()
    upgrade()
    assert _differences() == []
    roles = dict(db.session.execute(sa.text("SELECT email, role FROM staff_user")).all())
    assert roles == {"desk@example.org": "front_desk", "boss@example.org": "admin"}
    stored = db.session.get(Submission, before)
    assert (stored.consent_state, stored.consent_confirmed_at, stored.consent_ends_on) == (
        "signed",
        None,
        None,
    )
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(Submission).values(consent_state="maybe"))
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text("UPDATE staff_user SET role = 'staff'"))
    db.session.rollback()

    downgrade(revision="0011_guardian_phone")
    roles = dict(db.session.execute(sa.text("SELECT email, role FROM staff_user")).all())
    assert roles == {"desk@example.org": "staff", "boss@example.org": "admin"}
    db.session.commit()
    upgrade()
    assert _differences() == []


def test_staff_accounts_stored_before_two_step_login_have_none(app_context):
    downgrade(revision="0011_guardian_phone")
    db.session.execute(
        sa.text(
            "INSERT INTO staff_user (email, password_hash, role, active, failed_logins, "
            "created_at, session_token) VALUES ('old@example.org', 'x', 'staff', true, 0, "
            ":now, 'token')"
        ),
        {"now": datetime.now(UTC).replace(tzinfo=None)},
    )
    db.session.commit()
    upgrade()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "old@example.org"))
    assert not user.has_two_step and user.recovery_codes == []
    db.session.rollback()
    downgrade(revision="0011_guardian_phone")
    assert "recovery_code" not in db.inspect(db.engine).get_table_names()
    upgrade()
    assert _differences() == []


def test_the_audit_chain_begins_after_the_events_recorded_before_it(app_context):
    downgrade(revision="0014_language")
    then = sa.table(
        "audit_event", *(sa.column(name) for name in ("actor_type", "action", "at", "outcome"))
    )
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    if db.engine.dialect.name == "sqlite":
        moment = moment.replace(tzinfo=None)
    for action in ("auth.login", "dashboard.view"):
        row = {"actor_type": "staff", "action": action, "at": moment, "outcome": "success"}
        db.session.execute(insert(then).values(row))
    db.session.commit()
    upgrade()
    chain = db.session.get(AuditChain, 1)
    assert (chain.unchained_events, chain.length) == (2, 0)
    db.session.rollback()
    begin_write()
    audit.record(AuditAction.DASHBOARD_VIEW)
    db.session.commit()
    assert audit_chain.verify_chain() == (1, [])
