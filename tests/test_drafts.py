"""Drafts live on the server; the database keeps only the SHA-256 of the tablet's token."""

import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from intake import drafts
from intake.extensions import db
from intake.models import Draft, utcnow


def count_drafts() -> int:
    return db.session.scalar(select(func.count()).select_from(Draft))


def test_create_stores_only_the_hash_of_the_token(app_context):
    draft, token = drafts.create(device_label="Front desk 1")
    stored = db.session.scalars(select(Draft)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(stored.__dict__)
    assert len(token) == 43 and draft.device_label == "Front desk 1"


def test_save_merges_what_each_page_posted(app_context):
    draft, token = drafts.create()
    drafts.save(draft, typed={"first_name": "Jane"}, step="about")
    drafts.save(draft, typed={"last_name": "Doe"}, step="visit")
    db.session.expire_all()
    loaded = drafts.load(token)
    assert loaded.data["input"] == {"first_name": "Jane", "last_name": "Doe"}
    assert loaded.step == "visit"


def test_load_refuses_unknown_and_expired_tokens(app, app_context):
    draft, token = drafts.create()
    assert drafts.load(None) is None
    assert drafts.load("x" * 43) is None
    draft.updated_at = utcnow() - timedelta(seconds=app.config["DRAFT_MAX_AGE_SECONDS"] + 1)
    db.session.commit()
    assert drafts.load(token) is None
    assert drafts.load_for_update(token) is None
    db.session.rollback()


def test_discard_deletes_the_draft(app_context):
    _, token = drafts.create()
    _, other = drafts.create()
    assert drafts.discard(token) is True
    assert drafts.load(token) is None
    assert drafts.load(other) is not None
    assert drafts.discard(token) is False


def test_purge_removes_only_expired_drafts(app, app_context):
    old, _ = drafts.create()
    _, fresh_token = drafts.create()
    old.updated_at = utcnow() - timedelta(seconds=app.config["DRAFT_MAX_AGE_SECONDS"] + 60)
    db.session.commit()
    assert drafts.purge_expired() == 1
    db.session.commit()
    assert count_drafts() == 1
    assert drafts.load(fresh_token) is not None


def test_purge_drafts_command(app, runner):
    with app.app_context():
        drafts.create()
        old, _ = drafts.create()
        old.updated_at = utcnow() - timedelta(days=1)
        db.session.commit()
    result = runner.invoke(args=["intake", "purge-drafts"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 expired draft" in result.output
    with app.app_context():
        assert count_drafts() == 1
