"""Admins read the audit log, filtered by person, action and clinic days, newest first."""

import json
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask import render_template, request, url_for
from sqlalchemy import Select, select, tuple_
from wtforms import SelectChoice

from intake import accounts, audit, clock
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import ActorType, AuditEvent
from intake.staff.blueprint import admin_bp
from intake.staff.forms import AuditFilterForm

PAGE_SIZE = 100
# The largest id the column holds (a 32-bit integer on PostgreSQL); a larger cursor is no event.
MAX_EVENT_ID = 2**31 - 1
# The audit log's own words for who acted when no staff member did (the kiosk, the CLI).
ACTOR_TYPES = [actor for actor in ActorType if actor != ActorType.STAFF]


@dataclass(frozen=True)
class AuditLine:
    """One event, ready to print."""

    at: str
    actor: str
    action: str
    target: str
    target_url: str | None
    ip_address: str
    outcome: str
    detail: str


@admin_bp.get("/audit")
def audit_log():
    """The audit log, one page at a time."""
    form = AuditFilterForm(formdata=request.args)
    form.actor.choices = [
        SelectChoice("", "Anyone"),
        *(SelectChoice(str(user.id), user.email) for user in accounts.all_staff()),
        *(SelectChoice(actor.value, actor.label) for actor in ACTOR_TYPES),
    ]
    lines, older_url = [], None
    if form.validate():
        begin_write()
        events = _events(form, _older_than())
        lines = [_line(event) for event in events[:PAGE_SIZE]]
        if len(events) > PAGE_SIZE:
            older_url = url_for(
                "staff.admin.audit_log", **_filters(), older=events[PAGE_SIZE - 1].id
            )
        audit.record(AuditAction.AUDIT_VIEW, detail={"filters": _filters()})
        db.session.commit()
    return render_template(
        "staff/audit_log.html",
        form=form,
        lines=lines,
        older_url=older_url,
        newest_url=url_for("staff.admin.audit_log", **_filters()),
        paged="older" in request.args,
        known_actions=list(AuditAction),
    )


FILTERS = ("actor", "action", "from_date", "to_date")


def _filters() -> dict[str, str]:
    """The filters in the query string, without the page cursor or anything else (a name
    such as `_external` would be read by url_for as an instruction)."""
    return {k: v for k, v in request.args.items() if k in FILTERS}


def _older_than() -> tuple[datetime, int] | None:
    """The (time, id) of the event the previous page ended on."""
    raw = request.args.get("older", "")
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_EVENT_ID:
        return None  # no event has that id: the newest page
    at = db.session.scalar(select(AuditEvent.at).where(AuditEvent.id == int(raw)))
    return None if at is None else (at, int(raw))


def _events(form: AuditFilterForm, older_than: tuple[datetime, int] | None) -> list[AuditEvent]:
    """Up to one page and one event of the matching events, newest first."""
    actor = form.actor.data or ""
    start, end = clock.day_range(form.from_date.data, form.to_date.data)
    stmt = events_query(
        actor_id=int(actor) if actor.isdigit() else None,
        actor_type=actor if actor and not actor.isdigit() else None,
        action=_printable(form.action.data or "").strip().lower() or None,
        start=start,
        end=end,
        older_than=older_than,
    )
    return list(db.session.scalars(stmt))


def _printable(text: str) -> str:
    """`text` without control characters (no action has one; PostgreSQL refuses a NUL)."""
    return "".join(c for c in text if unicodedata.category(c) != "Cc")


def events_query(
    *,
    actor_id: int | None = None,
    actor_type: str | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    older_than: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE + 1,
) -> Select:
    """Matching events newest first; each filter has an index that leads with it."""
    stmt = select(AuditEvent)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if actor_type is not None:
        stmt = stmt.where(AuditEvent.actor_type == actor_type)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if start is not None:
        stmt = stmt.where(AuditEvent.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.at < end)
    if older_than is not None:
        position = tuple_(AuditEvent.at, AuditEvent.id)
        stmt = stmt.where(AuditEvent.at <= older_than[0], position < older_than)
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)


def _line(event: AuditEvent) -> AuditLine:
    target = " ".join(part for part in (event.target_type, event.target_id) if part)
    target_url = None
    if event.target_type == "submission" and event.target_id:
        target_url = url_for("staff.submission", public_id=event.target_id)
    return AuditLine(
        at=clock.format_datetime(event.at),
        actor=event.actor_label or ActorType(event.actor_type).label,
        action=event.action,
        target=target,
        target_url=target_url,
        ip_address=event.ip_address or "",
        outcome=event.outcome,
        detail=json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
    )
