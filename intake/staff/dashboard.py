"""Today's intakes (or any clinic days), searchable by name or date of birth, flags as badges."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, render_template, request, url_for

from intake import audit, chart, clock, consent_status, consents, questionnaire
from intake.audit import AuditAction
from intake.database import begin_write
from intake.extensions import db
from intake.models import SubmissionStatus
from intake.questionnaire import Flag, Severity
from intake.staff.blueprint import bp
from intake.staff.forms import DashboardFilterForm
from intake.staff.search import (
    COUNT_CAP,
    STATUS_FILTERS,
    Criteria,
    SearchError,
    SubmissionRow,
    batch_times,
    count_submissions,
    find_submissions,
    parse_search,
)

FILTERS = ("q", "status", "flags", "from_date", "to_date")


@dataclass(frozen=True)
class DashboardLine:
    """One row of the table, ready to print."""

    public_id: uuid.UUID
    submitted: str
    name: str
    date_of_birth: str
    flags: list[Flag]
    status: str
    status_label: str
    exported: str | None  # the clinic day its export batch was made; None if not exported yet
    pdf_status: str
    consent_state: str
    consent_lapsed: str | None  # why the consent is no longer in force


@bp.get("/")
def dashboard():
    """Submissions of the chosen clinic days (today by default), newest first."""
    form = DashboardFilterForm(formdata=request.args)
    today = clock.clinic_today()
    criteria, days = _criteria(form, today)
    lines, page, total, pdfs_waiting = [], None, 0, None
    if criteria is not None:
        begin_write()
        page = find_submissions(criteria, older_than=_cursor("older"), newer_than=_cursor("newer"))
        if page.newer_cursor is None and page.older_cursor is None:
            total = len(page.rows)  # everything is on this one page: nothing left to count
        else:
            total = count_submissions(criteria)
        audit.record(
            AuditAction.DASHBOARD_VIEW,
            detail={
                "filters": {k: v for k, v in request.args.items() if k in FILTERS},
                "submissions": [str(row.public_id) for row in page.rows],
            },
        )
        exported = batch_times(row.export_batch_id for row in page.rows)
        pdfs_waiting = chart.waiting()
        db.session.commit()
        # The version in effect, read once per consent document rather than once per row.
        in_effect = {
            document: consents.current(document, today).version
            for document in {row.consent_document for row in page.rows}
        }
        lines = [
            _line(row, exported.get(row.export_batch_id), today, in_effect[row.consent_document])
            for row in page.rows
        ]
    return render_template(
        "staff/dashboard.html",
        form=form,
        lines=lines,
        total=total,
        total_capped=total > COUNT_CAP,
        count_cap=COUNT_CAP,
        heading=_heading(days, today),
        newer_url=_page_url("newer", page.newer_cursor) if page else None,
        older_url=_page_url("older", page.older_cursor) if page else None,
        quick_ranges=_quick_ranges(today),
        pdfs_waiting=pdfs_waiting,
        pdf_warn_seconds=current_app.config["PDF_PENDING_WARN_SECONDS"],
    )


def _criteria(
    form: DashboardFilterForm, today: date
) -> tuple[Criteria | None, tuple[date | None, date | None] | None]:
    """What to look for and the clinic days it covers; (None, None) when the form needs fixing."""
    if not form.validate():
        return None, None
    try:
        words, birth_date = parse_search(form.q.data or "")
    except SearchError as error:
        form.q.errors.append(str(error))
        return None, None
    first, last = form.from_date.data, form.to_date.data
    if not (first or last or words or birth_date):
        first = last = today  # the default view: today at the clinic
    start, end = clock.day_range(first, last)
    status = STATUS_FILTERS.get(form.status.data or "", {})
    red_flags = form.flags.data == Severity.RED_FLAG
    criteria = Criteria(
        start, end, name_words=words, birth_date=birth_date, red_flags=red_flags, **status
    )
    return criteria, (first, last)


def _cursor(name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.args.get(name, ""))
    except ValueError:
        return None


def _page_url(direction: str, cursor: uuid.UUID | None) -> str | None:
    if cursor is None:
        return None
    # The filters only: another name (`_external`) would be read by url_for as an instruction.
    args = {k: v for k, v in request.args.items() if k in FILTERS}
    return url_for("staff.dashboard", **args, **{direction: str(cursor)})


def _heading(days: tuple[date | None, date | None] | None, today: date) -> str:
    """The clinic days shown, in words."""
    if days is None:
        return "Intakes"
    first, last = days
    if first is None and last is None:
        return "All dates"
    if first == last:
        prefix = "Today, " if first == today else ""
        return prefix + clock.format_date(first)
    if last is None:
        return f"Since {clock.format_date(first)}"
    if first is None:
        return f"Up to {clock.format_date(last)}"
    return f"{clock.format_date(first)} to {clock.format_date(last)}"


def _quick_ranges(today: date) -> list[tuple[str, str]]:
    """Links for the ranges asked for most."""
    yesterday = today - timedelta(days=1)
    week_start = today - timedelta(days=6)
    return [
        ("Today", url_for("staff.dashboard")),
        ("Yesterday", url_for("staff.dashboard", from_date=yesterday, to_date=yesterday)),
        ("Last 7 days", url_for("staff.dashboard", from_date=week_start, to_date=today)),
    ]


def _line(
    row: SubmissionRow, exported_at: datetime | None, today: date, in_effect: str
) -> DashboardLine:
    exported = None
    if exported_at is not None:
        day = clock.local(exported_at).date()
        # "Nov 25" this year: the marker stays one short line in a narrow column.
        exported = clock.format_date(day)
        if day.year == today.year:
            exported = exported.rpartition(",")[0]
    return DashboardLine(
        public_id=row.public_id,
        submitted=clock.format_datetime(row.submitted_at),
        name=f"{row.last_name}, {row.first_name}",
        date_of_birth=clock.format_date(row.date_of_birth),
        flags=questionnaire.flag_details(row.flags or []),
        status=row.status,
        status_label=SubmissionStatus(row.status).label,
        exported=exported,
        pdf_status=row.pdf_status,
        consent_state=row.consent_state,
        consent_lapsed=consent_status.lapse_reason(row, today, in_effect=in_effect),
    )
