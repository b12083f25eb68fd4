"""Intakes in progress, kept on the server under an opaque token.

The tablet's browser holds only a random token in an HttpOnly cookie; the database keeps its
SHA-256, so neither a copy of the database nor the browser's storage holds a way into a draft
together with what the patient typed. A draft untouched for DRAFT_MAX_AGE_SECONDS is gone.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Request, Response, current_app
from sqlalchemy import delete, select

from intake.database import begin_write
from intake.extensions import db
from intake.models import Draft, utcnow

COOKIE_NAME = "intake_draft"
_TOKEN_BYTES = 32
_TOKEN_LENGTH = 43  # token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a draft token, hex: what Draft.token_hash and Submission.draft_key hold."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_from(request: Request) -> str | None:
    """The draft token the tablet sent, if it looks like one of ours."""
    token = request.cookies.get(COOKIE_NAME, "")
    if len(token) != _TOKEN_LENGTH or not token.isascii():
        return None
    return token


def _max_age() -> timedelta:
    return timedelta(seconds=current_app.config["DRAFT_MAX_AGE_SECONDS"])


def is_expired(draft: Draft, now: datetime | None = None) -> bool:
    """Whether the draft has been left untouched for too long to resume."""
    return draft.updated_at < (now or utcnow()) - _max_age()


def create(device_label: str | None = None) -> tuple[Draft, str]:
    """Start a new draft (and sweep out expired ones); returns it and its token. Commits."""
    begin_write()
    purge_expired()
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    now = utcnow()
    draft = Draft(
        token_hash=hash_token(token),
        data={"input": {}, "signing": {}},
        step="about",
        device_label=device_label,
        created_at=now,
        updated_at=now,
    )
    db.session.add(draft)
    db.session.commit()
    return draft, token


def load(token: str | None) -> Draft | None:
    """The live draft for this token, to read."""
    if not token:
        return None
    draft = db.session.scalar(select(Draft).where(Draft.token_hash == hash_token(token)))
    return None if draft is None or is_expired(draft) else draft


def load_for_update(token: str | None) -> Draft | None:
    """The live draft for this token, locked for a write (call before any other query)."""
    begin_write()
    if not token:
        return None
    draft = db.session.scalar(
        select(Draft).where(Draft.token_hash == hash_token(token)).with_for_update()
    )
    return None if draft is None or is_expired(draft) else draft


def save(
    draft: Draft,
    *,
    typed: dict[str, Any] | None = None,
    signing: dict[str, Any] | None = None,
    step: str | None = None,
) -> None:
    """Merge what a page posted into the draft and commit it.

    `typed` maps question ids to what was typed; `signing` is the consent page's input.
    """
    data = dict(draft.data or {})
    if typed is not None:
        data["input"] = {**data.get("input", {}), **typed}
    if signing is not None:
        data["signing"] = signing
    draft.data = data  # a new dict, so the JSON column is seen as changed
    if step is not None:
        draft.step = step
    draft.updated_at = utcnow()
    db.session.commit()


def discard(token: str | None) -> bool:
    """Delete the draft for this token, if any. Commits."""
    begin_write()
    deleted = False
    if token:
        result = db.session.execute(delete(Draft).where(Draft.token_hash == hash_token(token)))
        deleted = bool(result.rowcount)
    db.session.commit()
    return deleted


def purge_expired(now: datetime | None = None) -> int:
    """Delete every draft left untouched too long; the caller commits."""
    cutoff = (now or utcnow()) - _max_age()
    result = db.session.execute(delete(Draft).where(Draft.updated_at < cutoff))
    return result.rowcount or 0


def set_cookie(response: Response, token: str) -> None:
    """Hand the tablet its draft token: HttpOnly, SameSite, Secure outside development."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=current_app.config["DRAFT_MAX_AGE_SECONDS"],
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


def clear_cookie(response: Response) -> None:
    """Make the tablet forget its draft token."""
    response.delete_cookie(
        COOKIE_NAME,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )
