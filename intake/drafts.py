"""Intakes in progress, kept on the server under an opaque token.

The tablet's browser holds only a random token in an HttpOnly session cookie; the database
keeps its SHA-256, so neither a copy of the database nor the browser's storage holds a way into
a draft together with what the patient typed.

A draft is closed (deleted) when the patient's page has neither saved it nor kept it alive for
the kiosk's idle time (warning + reset), or DRAFT_MAX_AGE_SECONDS after it was started,
whatever the page does: the server, not the page's script, decides when a tablet left alone
forgets. A draft still live when the tablet went back to the welcome screen is held: its
pages stay shut until the date of birth typed in it is given again.
"""

import hashlib
import json
import secrets
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import Request, Response, current_app
from sqlalchemy import delete, or_, select

from intake import answers, questionnaire
from intake.clock import clinic_today
from intake.database import begin_write
from intake.extensions import db
from intake.models import Draft, utcnow

COOKIE_NAME = "intake_draft"
_TOKEN_BYTES = 32
_TOKEN_LENGTH = 43  # token_urlsafe(32)
# The longest wait between two keep-alives from a page at work.
KEEP_ALIVE_MAX_SECONDS = 45
# Wrong dates of birth before a held draft is closed.
RESUME_TRIES = 3
# What proves a held draft is yours: the answer to this question.
DATE_OF_BIRTH = questionnaire.BY_ID["date_of_birth"]


class DraftTooLarge(ValueError):
    """What was posted would make the draft larger than DRAFT_MAX_BYTES; nothing was saved."""


class Resume(StrEnum):
    """What a date of birth given to reopen a held draft did."""

    OPENED = "opened"
    WRONG = "wrong"
    CLOSED = "closed"  # the last try was wrong: the draft is deleted


def hash_token(token: str) -> str:
    """SHA-256 of a draft token, hex: what Draft.token_hash and Submission.draft_key hold."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_from(request: Request) -> str | None:
    """The draft token the tablet sent, if it looks like one of ours."""
    token = request.cookies.get(COOKIE_NAME, "")
    if len(token) != _TOKEN_LENGTH or not token.isascii():
        return None
    return token


def keep_alive_seconds() -> int:
    """How often at most a page at work tells the server so (kiosk.js reads it)."""
    return max(
        1, min(KEEP_ALIVE_MAX_SECONDS, current_app.config["KIOSK_IDLE_WARNING_SECONDS"] // 2)
    )


def idle_limit() -> timedelta:
    """How long a draft lives without a save or keep-alive: the page's warning + reset time,
    and one keep-alive interval more, so a patient who answers "I'm still here" at the last
    second is never closed out by a keep-alive still on its way."""
    config = current_app.config
    page = config["KIOSK_IDLE_WARNING_SECONDS"] + config["KIOSK_IDLE_RESET_SECONDS"]
    return timedelta(seconds=page + keep_alive_seconds())


def _max_age() -> timedelta:
    return timedelta(seconds=current_app.config["DRAFT_MAX_AGE_SECONDS"])


def is_expired(draft: Draft, now: datetime | None = None) -> bool:
    """Whether the draft is closed: left idle too long, or started too long ago."""
    now = now or utcnow()
    return draft.updated_at < now - idle_limit() or draft.created_at < now - _max_age()


def create(device_label: str | None = None) -> tuple[Draft, str]:
    """Start a new draft (and sweep out closed ones); returns it and its token. Commits."""
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


def _live(draft: Draft | None, held_too: bool) -> Draft | None:
    if draft is None or is_expired(draft) or (draft.resume_locked and not held_too):
        return None
    return draft


def load(token: str | None, *, held_too: bool = False) -> Draft | None:
    """The live draft for this token, to read; one held for its date of birth only if asked."""
    if not token:
        return None
    draft = db.session.scalar(select(Draft).where(Draft.token_hash == hash_token(token)))
    return _live(draft, held_too)


def load_for_update(token: str | None, *, held_too: bool = False) -> Draft | None:
    """The live draft for this token, locked for a write (call before any other query)."""
    begin_write()
    if not token:
        return None
    draft = db.session.scalar(
        select(Draft).where(Draft.token_hash == hash_token(token)).with_for_update()
    )
    return _live(draft, held_too)


def is_held(token: str | None) -> bool:
    """Whether this token's draft is live but held for the patient's date of birth."""
    draft = load(token, held_too=True)
    return draft is not None and draft.resume_locked


def save(
    draft: Draft,
    *,
    typed: dict[str, Any] | None = None,
    signing: dict[str, Any] | None = None,
    step: str | None = None,
) -> None:
    """Merge what a page posted into the draft and commit it.

    `typed` maps question ids to what was typed; `signing` is the consent page's input.
    Raises DraftTooLarge, with the transaction rolled back and the stored draft as it was.
    """
    data = dict(draft.data or {})
    if typed is not None:
        data["input"] = {**data.get("input", {}), **typed}
    if signing is not None:
        data["signing"] = signing
    if size_of(data) > current_app.config["DRAFT_MAX_BYTES"]:
        db.session.rollback()
        raise DraftTooLarge()
    draft.data = data  # a new dict, so the JSON column is seen as changed
    if step is not None:
        draft.step = step
    draft.updated_at = utcnow()
    db.session.commit()


def size_of(data: dict[str, Any]) -> int:
    """Bytes of a draft's data as JSON in UTF-8: what DRAFT_MAX_BYTES limits."""
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def keep_alive(draft: Draft) -> None:
    """The patient is at work on the page: restart the draft's idle clock. Commits."""
    draft.updated_at = utcnow()
    db.session.commit()


def hold_for_resume(token: str | None) -> bool:
    """The tablet is at the welcome screen: hold this token's live draft for its patient's date
    of birth, or close it when it has none to ask for. Whether a draft is held. Commits."""
    if not token:
        return False
    draft = load_for_update(token, held_too=True)
    if draft is not None and date_of_birth_typed(draft) is not None:
        draft.resume_locked = True  # not activity: the idle clock runs on
        db.session.commit()
        return True
    db.session.rollback()
    discard(token)  # closed, or with nothing that could prove whose it is
    return False


def date_of_birth_typed(draft: Draft) -> date | None:
    """The date of birth the patient typed in this draft, if it is a valid one."""
    raw = draft.data.get("input", {}).get(DATE_OF_BIRTH.id)
    try:
        value = answers.parse(DATE_OF_BIRTH, raw, today=clinic_today())
    except answers.AnswerError:
        return None
    return date.fromisoformat(value) if value else None


def try_resume(draft: Draft, typed: str) -> Resume:
    """Reopen a held draft (locked with load_for_update) if `typed` is its date of birth; a
    wrong one counts, and the last allowed wrong one closes the draft. Commits.

    Raises AnswerError, counting nothing, when `typed` is not a date as the question reads it.
    """
    given = answers.parse(DATE_OF_BIRTH, typed, today=clinic_today())
    if given and date.fromisoformat(given) == date_of_birth_typed(draft):
        draft.resume_locked = False
        draft.resume_failures = 0
        draft.updated_at = utcnow()  # the patient is back
        db.session.commit()
        return Resume.OPENED
    draft.resume_failures += 1
    if draft.resume_failures >= RESUME_TRIES:
        db.session.delete(draft)
        db.session.commit()
        return Resume.CLOSED
    db.session.commit()
    return Resume.WRONG


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
    """Delete every closed draft (left idle, or started too long ago); the caller commits."""
    now = now or utcnow()
    closed = or_(Draft.updated_at < now - idle_limit(), Draft.created_at < now - _max_age())
    result = db.session.execute(delete(Draft).where(closed))
    return result.rowcount or 0


def set_cookie(response: Response, token: str) -> None:
    """Hand the tablet its draft token: HttpOnly, SameSite, Secure outside development, and a
    session cookie (no Max-Age), so a restarted kiosk browser has forgotten it."""
    response.set_cookie(
        COOKIE_NAME,
        token,
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
