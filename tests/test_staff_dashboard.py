"""The dashboard: today at the clinic by default, ranges, search, status, flags, pages, audit."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from intake import clock
from intake.extensions import db
from intake.models import SubmissionStatus
from tests.staff_support import add_staff, add_submission, audit_events, export_new, log_in
from tests.support import csrf_token


@pytest.fixture
def staff_client(app, client):
    """A client logged in as a (non-admin) staff member."""
    add_staff(app)
    assert log_in(client).status_code == 302
    return client


@pytest.fixture
def today_start(app):
    """The UTC instant today began at the clinic (America/Chicago in tests)."""
    with app.app_context():
        return clock.start_of_day(clock.clinic_today())


def _shown(response) -> list[str]:
    """Patient names in the table, top to bottom."""
    page = response.get_data(as_text=True)
    return re.findall(r'<a href="/staff/submissions/[0-9a-f-]+">([^<]+)</a>', page)


def _row(response, name: str) -> str:
    """The table row of the patient shown as `name`."""
    page = response.get_data(as_text=True)
    return re.search(rf"<tr>(?:(?!</tr>).)*>{re.escape(name)}</a>.*?</tr>", page, re.S).group(0)


def _person(first: str, last: str, born: str = "1980-01-01") -> dict:
    return {"first_name": first, "last_name": last, "date_of_birth": born}


def test_today_means_today_at_the_clinic(app, staff_client, today_start):
    add_submission(
        app, _person("Late", "Yesterday"), submitted_at=today_start - timedelta(minutes=30)
    )
    add_submission(app, _person("Early", "Today"), submitted_at=today_start + timedelta(minutes=1))
    response = staff_client.get("/staff/")
    assert response.status_code == 200
    assert _shown(response) == ["Today, Early"]
    assert "Today, " in response.get_data(as_text=True)
    assert re.search(r">\s*1 intake\s*<", response.get_data(as_text=True))


def test_a_date_range(app, staff_client, today_start):
    add_submission(
        app, _person("Late", "Yesterday"), submitted_at=today_start - timedelta(minutes=30)
    )
    add_submission(app, _person("Long", "Ago"), submitted_at=today_start - timedelta(days=40))
    add_submission(app, _person("Early", "Today"), submitted_at=today_start + timedelta(minutes=1))
    with app.app_context():
        yesterday = (clock.clinic_today() - timedelta(days=1)).isoformat()
        month_ago = (clock.clinic_today() - timedelta(days=41)).isoformat()
    response = staff_client.get(f"/staff/?from_date={yesterday}&to_date={yesterday}")
    assert _shown(response) == ["Yesterday, Late"]
    response = staff_client.get(f"/staff/?from_date={month_ago}")
    assert _shown(response) == ["Today, Early", "Yesterday, Late", "Ago, Long"]


def test_an_impossible_range_is_explained(app, staff_client):
    response = staff_client.get("/staff/?from_date=2026-11-20&to_date=2026-11-01")
    page = response.get_data(as_text=True)
    assert "The To date is before the From date." in page
    assert 'value="2026-11-20"' in page  # what was typed stays
    bad = staff_client.get("/staff/?from_date=tomorrow").get_data(as_text=True)
    assert "Enter a date, for example 2026-11-25." in bad


@pytest.mark.parametrize("query", ["nunez", "NÚÑEZ", "Nuñ", "jose", "José Núñez", "Núñez, José"])
def test_name_search_ignores_case_and_accents_and_dates(app, staff_client, today_start, query):
    add_submission(app, _person("José", "Núñez"), submitted_at=today_start - timedelta(days=700))
    add_submission(app, _person("Nora", "Smith"), submitted_at=today_start + timedelta(minutes=1))
    response = staff_client.get("/staff/", query_string={"q": query})
    assert _shown(response) == ["Núñez, José"]
    assert "All dates" in response.get_data(as_text=True)


def test_name_search_by_first_and_last_name(app, staff_client, today_start):
    add_submission(app, _person("Jane", "Doe"))
    add_submission(app, _person("Jane", "Smith"))
    add_submission(app, _person("John", "Doe"))
    assert sorted(_shown(staff_client.get("/staff/?q=jane"))) == ["Doe, Jane", "Smith, Jane"]
    assert _shown(staff_client.get("/staff/?q=jane+doe")) == ["Doe, Jane"]
    assert _shown(staff_client.get("/staff/?q=doe,+jane")) == ["Doe, Jane"]
    assert _shown(staff_client.get("/staff/?q=zed")) == []


def test_search_by_date_of_birth(app, staff_client):
    add_submission(app, _person("Jane", "Doe", "1970-04-12"))
    add_submission(app, _person("Jim", "Doe", "1971-04-12"))
    for query in ("04/12/1970", "4/12/1970", "1970-04-12", "doe 4/12/1970"):
        assert _shown(staff_client.get("/staff/", query_string={"q": query})) == ["Doe, Jane"]


def test_a_date_of_birth_that_is_not_a_date(app, staff_client):
    response = staff_client.get("/staff/", query_string={"q": "13/45/1970"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“13/45/1970” is not a date. Type a date of birth as MM/DD/YYYY or YYYY-MM-DD." in page
    assert 'value="13/45/1970"' in page
    assert "<table" not in page


def test_status_filter(app, staff_client, today_start):
    add_submission(app, _person("Ed", "Exported"), submitted_at=today_start)
    export_new(app)
    add_submission(app, _person("Nina", "New"))
    add_submission(app, _person("Rita", "Reviewed"), status=SubmissionStatus.REVIEWED)
    # New means not reviewed yet, exported or not.
    assert _shown(staff_client.get("/staff/?status=new")) == ["New, Nina", "Exported, Ed"]
    assert _shown(staff_client.get("/staff/?status=reviewed")) == ["Reviewed, Rita"]
    assert _shown(staff_client.get("/staff/?status=exported")) == ["Exported, Ed"]
    everyone = staff_client.get("/staff/?status=")
    assert len(_shown(everyone)) == 3
    assert "status-exported" in _row(everyone, "Exported, Ed")
    assert "status-exported" not in _row(everyone, "New, Nina")


def test_an_exported_intake_stays_in_the_review_queue_until_reviewed(app, staff_client):
    flagged = add_submission(
        app,
        {**_person("Flo", "Flagged"), "bleeding_disorder": "yes"},
    )
    export_new(app)  # the front desk exports before anyone has reviewed it

    queue = staff_client.get("/staff/?status=new")
    assert _shown(queue) == ["Flagged, Flo"]
    row = _row(queue, "Flagged, Flo")
    assert re.search(r'badge-contraindication">.*Contraindication: .*Bleeding disorder', row)
    with app.app_context():
        today = clock.clinic_today()
    today = f"{today:%b} {today.day}"  # this year's dates without the year
    assert ">New</span>" in row and f">Exported {today}</span>" in row
    assert _shown(staff_client.get("/staff/?status=exported")) == ["Flagged, Flo"]
    assert _shown(staff_client.get("/staff/?status=reviewed")) == []

    token = csrf_token(staff_client, f"/staff/submissions/{flagged}")
    staff_client.post(f"/staff/submissions/{flagged}/review", data={"csrf_token": token})
    assert _shown(staff_client.get("/staff/?status=new")) == []
    reviewed = staff_client.get("/staff/?status=reviewed")
    assert _shown(reviewed) == ["Flagged, Flo"]
    assert _shown(staff_client.get("/staff/?status=exported")) == ["Flagged, Flo"]
    row = _row(reviewed, "Flagged, Flo")
    assert ">Reviewed</span>" in row and f">Exported {today}</span>" in row
    assert "Bleeding disorder" in row


def test_flags_show_as_badges(app, staff_client):
    add_submission(
        app,
        {
            **_person("Flo", "Flagged"),
            "bleeding_disorder": "yes",
            "needle_fainting": "yes",
        },
    )
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert re.search(r'badge-contraindication">.*Contraindication: .*Bleeding disorder', page)
    assert re.search(r'badge-precaution">.*Precaution: .*Faints with needles', page)
    # Contraindications come first.
    assert page.index("Bleeding disorder") < page.index("Faints with needles")


def test_newest_first_in_pages(app, staff_client, today_start):
    for minute in range(55):
        add_submission(
            app,
            _person(f"P{minute:02d}", "Patient"),
            submitted_at=today_start + timedelta(minutes=minute),
        )
    first = staff_client.get("/staff/")
    page = first.get_data(as_text=True)
    assert re.search(r">\s*55 intakes\s*<", page)
    names = _shown(first)
    assert names == [f"Patient, P{minute:02d}" for minute in range(54, 4, -1)]
    older = re.search(r'<a href="([^"]+)" rel="next">Older', page).group(1).replace("&amp;", "&")
    assert 'rel="prev"' not in page
    second = staff_client.get(older)
    assert _shown(second) == [f"Patient, P{minute:02d}" for minute in range(4, -1, -1)]
    second_page = second.get_data(as_text=True)
    assert 'rel="next"' not in second_page
    newer = re.search(r'<a href="([^"]+)" rel="prev">', second_page).group(1).replace("&amp;", "&")
    assert _shown(staff_client.get(newer)) == names


def test_every_dashboard_view_is_audited(app, staff_client):
    first = add_submission(app, _person("Ann", "One"))
    second = add_submission(app, _person("Bob", "Two"))
    staff_client.get("/staff/?q=one")
    staff_client.get("/staff/")
    events = audit_events(app, "dashboard.view")
    assert [e["detail"]["submissions"] for e in events] == [
        [str(first)],
        [str(second), str(first)],
    ]
    assert events[0]["detail"]["filters"] == {"q": "one"}
    assert all(e["actor_type"] == "staff" and e["actor_id"] for e in events)


def test_the_list_reads_no_answers_consent_or_pdf_bytes(app, staff_client):
    add_submission(app, _person("Ann", "One"))
    export_new(app)  # so the batch dates are read too
    statements = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert _shown(staff_client.get("/staff/")) == ["One, Ann"]
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    reads = [s for s in statements if "FROM submission" in s]
    assert reads
    for column in ("answers", "consent_snapshot", "signature_svg", "chart_document"):
        assert not any(column in statement for statement in reads), column


def test_export_csv_control(app, staff_client):
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert '<a class="button" href="/staff/exports">Export CSV</a>' in page
    assert "Export CSV for the EHR" in staff_client.get("/staff/exports").get_data(as_text=True)


def test_red_flags_filter(app, staff_client, today_start):
    add_submission(app, {**_person("Nora", "Nightpain"), "night_pain": "yes"})
    add_submission(
        app,
        {**_person("Cal", "Calf"), "calf_swelling": "yes", "needle_fainting": "yes"},
    )
    # Past cancer; a dry-needling flag alone; answers that merely mention a red flag's code.
    add_submission(
        app,
        {**_person("Pat", "Past"), "cancer_past": "yes", "cancer_past_details": "2019"},
    )
    add_submission(
        app, {**_person("Dee", "Needling"), "lymphedema": "yes", "lymphedema_where": "x"}
    )
    add_submission(app, {**_person("Night", "Pain"), "anything_else": '"night_pain"'})
    shown = _shown(staff_client.get("/staff/?flags=red_flag"))
    assert sorted(shown) == ["Calf, Cal", "Nightpain, Nora", "Past, Pat"]
    assert len(_shown(staff_client.get("/staff/?flags="))) == 5
    # With the other filters, not instead of them.
    assert _shown(staff_client.get("/staff/?flags=red_flag&q=calf")) == ["Calf, Cal"]
    assert _shown(staff_client.get("/staff/?flags=red_flag&status=reviewed")) == []
    page = staff_client.get("/staff/?flags=nonsense")
    assert "Not a valid choice" in page.get_data(as_text=True)


def test_red_flags_show_first_in_their_own_colour(app, staff_client):
    add_submission(
        app,
        {
            **_person("Flo", "Flagged"),
            "bleeding_disorder": "yes",
            "weight_loss": "yes",
            "fever_sweats": "yes",
        },
    )
    page = staff_client.get("/staff/").get_data(as_text=True)
    row = _row(staff_client.get("/staff/"), "Flagged, Flo")
    assert re.search(r'badge-red_flag">.*Red flag: .*Weight loss without trying', row)
    assert re.search(r'badge-red_flag">.*Red flag: .*Fever, chills or night sweats', row)
    assert row.index("Fever, chills") < row.index("Bleeding disorder")
    assert '<option value="red_flag">Red flags</option>' in page
    assert 'class="badge badge-red_flag">Red flag</span>' in page  # the legend
