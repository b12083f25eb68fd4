"""The audit log's hash chain: appended safely by concurrent writers, and checked by `verify`.

Tampering goes straight to the tables with Core statements, as an intruder with database
access would (the app itself refuses to change or delete an audit event).
"""

import json

import pytest
from sqlalchemy import delete, func, select, update

from intake import audit, audit_chain
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import AuditChain, AuditEvent
from testkit.races import at_once, failures


def _record(count: int, action: AuditAction = AuditAction.DASHBOARD_VIEW) -> list[int]:
    ids = []
    for number in range(count):
        begin_write()
        event = audit.record(action, detail={"n": number})
        db.session.commit()
        ids.append(event.id)
    return ids


def _behind_the_apps_back(*statements) -> None:
    for statement in statements:
        db.session.execute(statement)
    db.session.commit()


def _verify(runner, *args: str):
    return runner.invoke(args=["intake", "verify", *args])


def test_each_event_holds_the_hash_of_the_one_before(app_context):
    _record(3)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)).all()
    assert [event.chain_seq for event in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert audit_chain.head().length == 3
    assert audit_chain.head().hash == events[2].hash
    assert audit_chain.verify_chain() == (3, [])


def test_verify_passes_a_whole_chain(app, runner):
    with app.app_context():
        _record(3)
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "The audit chain of 3 events is whole." in result.output


def test_verify_names_the_one_old_event_that_was_edited(app, runner):
    with app.app_context():
        ids = _record(5)
        _behind_the_apps_back(
            update(AuditEvent).where(AuditEvent.id == ids[1]).values(actor_label="someone else")
        )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"CHAIN audit event {ids[1]} (chain position 2, dashboard.view, " in result.output
    assert "no longer matches its hash: it was changed after it was written" in result.output
    assert "breaks in 1 place(s)" in result.output


def test_verify_notices_an_edit_whose_hash_was_recomputed(app, runner):
    with app.app_context():
        ids = _record(4)
        event = db.session.get(AuditEvent, ids[1])
        fields = {
            column: getattr(event, column)
            for column in (
                "at",
                "actor_type",
                "actor_id",
                "actor_label",
                "action",
                "target_type",
                "target_id",
                "ip_address",
                "outcome",
            )
        }
        fields["detail"] = {"n": 99}
        forged = audit_chain.event_hash(fields, 2, event.prev_hash)
        db.session.rollback()
        _behind_the_apps_back(
            update(AuditEvent).where(AuditEvent.id == ids[1]).values(detail={"n": 99}, hash=forged)
        )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"audit event {ids[2]} (chain position 3) does not follow" in result.output


@pytest.mark.parametrize(
    ("deleted", "message"),
    [
        (1, "chain positions 2 to 2 are missing (deleted)"),  # one in the middle
        (3, "the chain's head says 4 events"),  # the newest, with the head left as it was
    ],
)
def test_verify_notices_a_deleted_event(app, runner, deleted, message):
    with app.app_context():
        ids = _record(4)
        _behind_the_apps_back(delete(AuditEvent).where(AuditEvent.id == ids[deleted]))
    result = _verify(runner)
    assert result.exit_code == 1
    assert message in result.output


def test_verify_notices_an_event_slipped_in_outside_the_chain(app, runner):
    with app.app_context():
        _record(1)
        _behind_the_apps_back(
            AuditEvent.__table__.insert().values(
                actor_type="cli", action="chart.render", outcome="success"
            )
        )
    result = _verify(runner)
    assert result.exit_code == 1
    assert "audit events outside the chain, added after it began" in result.output


def test_an_anchor_proves_nothing_before_it_changed_even_when_the_chain_is_rewritten(
    app, runner, tmp_path
):
    with app.app_context():
        _record(3)
    result = runner.invoke(args=["intake", "audit-anchor"])
    assert result.exit_code == 0, result.output
    anchor = json.loads(result.output)
    assert anchor["format"] == "intake.audit_anchor"
    assert anchor["length"] == 4  # the three, and audit.anchor itself
    anchor_file = tmp_path / "anchor.json"
    anchor_file.write_text(result.output)

    with app.app_context():
        _record(2)
    result = _verify(runner, "--anchor", str(anchor_file))
    assert result.exit_code == 0, result.output
    assert "reaches the anchor of" in result.output

    with app.app_context():
        # An intruder changes the first event and rewrites every hash after it, and the head.
        _rewrite_chain_from(1, detail={"n": "forged"})
        assert audit_chain.verify_chain()[1] == []  # whole without the anchor
    result = _verify(runner, "--anchor", str(anchor_file))
    assert result.exit_code == 1
    assert "CHAIN the chain at position 4 has hash" in result.output
    assert "events up to it were changed" in result.output


def _rewrite_chain_from(position: int, **changes) -> None:
    chain = db.session.get(AuditChain, 1)
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)).all()
    prev = rows[position - 2].hash if position > 1 else audit_chain._genesis_hash(chain)
    rewritten = []
    for event in rows[position - 1 :]:
        fields = {
            column.name: getattr(event, column.name) for column in AuditEvent.__table__.columns
        }
        if event.chain_seq == position:
            fields.update(changes)
        digest = audit_chain.event_hash(fields, event.chain_seq, prev)
        rewritten.append((event.id, fields, prev, digest))
        prev = digest
    db.session.rollback()
    statements = [
        update(AuditEvent)
        .where(AuditEvent.id == event_id)
        .values(detail=fields["detail"], prev_hash=previous, hash=digest)
        for event_id, fields, previous, digest in rewritten
    ]
    statements.append(update(AuditChain).where(AuditChain.id == 1).values(head_hash=prev))
    _behind_the_apps_back(*statements)


def test_an_anchor_file_that_is_not_one_is_refused(runner, tmp_path):
    path = tmp_path / "anchor.json"
    path.write_text('{"length": 3}')
    result = _verify(runner, "--anchor", str(path))
    assert result.exit_code == 1
    assert "not an intake.audit_anchor version 1 file" in result.output


def test_concurrent_writers_append_one_unbroken_chain(app):
    """Writers released at once, each appending events: no fork, no gap, no duplicate."""
    workers, rounds = 6, 8

    def work(number):
        for round_number in range(rounds):
            begin_write()
            audit.record(
                AuditAction.DASHBOARD_VIEW, detail={"worker": number, "round": round_number}
            )
            if round_number % 2:
                audit.record(AuditAction.SUBMISSION_VIEW, detail={"worker": number})
            db.session.commit()

    assert failures(at_once(workers, work, app)) == []
    with app.app_context():
        expected = workers * (rounds + rounds // 2)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == expected
        assert audit_chain.verify_chain() == (expected, [])


def test_events_from_before_the_chain_are_counted_not_chained(app_context):
    _behind_the_apps_back(
        delete(AuditChain),
        *(
            AuditEvent.__table__.insert().values(actor_type="cli", action="demo.seed")
            for _ in range(2)
        ),
    )
    _record(2)
    chain = db.session.get(AuditChain, 1)
    assert chain.unchained_events == 2
    assert audit_chain.verify_chain() == (2, [])
    first = db.session.scalar(select(func.min(AuditEvent.id)))
    _behind_the_apps_back(delete(AuditEvent).where(AuditEvent.id == first))
    assert "events from before the chain were deleted or added" in str(
        audit_chain.verify_chain()[1]
    )
