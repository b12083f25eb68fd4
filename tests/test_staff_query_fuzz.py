"""No staff query string makes a 500: Hypothesis sends every parameter of every staff GET page.

The parameters are the fields of each page's form (read from the form classes) and the page
cursors, plus names url_for would read as instructions (`_external`, `_scheme`…). Values mix
arbitrary Unicode (NUL and U+10FFFF included) with the edges that once broke a page: the
calendar's last day, a cursor too large for any column, a date of birth in a search.
"""

import os
import sys
import uuid
from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.models import StaffRole
from intake.staff.forms import AuditFilterForm, DashboardFilterForm, ExportRangeForm
from tests.staff_support import ADMIN_EMAIL, add_staff, add_submission, log_in

EXAMPLES = int(os.environ.get("INTAKE_FUZZ_EXAMPLES", "25"))
CURSORS = ("older", "newer")
INSTRUCTIONS = ("_external", "_scheme", "_anchor", "_method", "next")


def _fields(form_class) -> list[str]:
    return [
        name
        for name in dir(form_class)
        if not name.startswith("_") and hasattr(getattr(form_class, name), "field_class")
    ]


PAGES = {
    "/staff/": [*_fields(DashboardFilterForm), *CURSORS],
    "/staff/admin/audit": [*_fields(AuditFilterForm), "older"],
    "/staff/exports": _fields(ExportRangeForm),
    "/staff/exports/range.csv": _fields(ExportRangeForm),
}
EDGES = [
    "9999-12-31",
    "0001-01-01",
    "12/31/9999",
    "01/01/0001",
    "99999-01-01",
    str(2**63),
    str(10**40),
    "-1",
    "²",
    "١٢",
    chr(sys.maxunicode),
    "a" + chr(sys.maxunicode),
    "\ud7ff",
    "\x00",
    "Doe\x00",
    str(uuid.uuid4()),
    "new",
    "red_flag",
    "kiosk",
    "auth.login",
    "y",
]
values = st.one_of(st.sampled_from(EDGES), st.text(max_size=120))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_every_page_lists_its_parameters():
    assert {"q", "status", "flags", "from_date", "to_date"} <= set(PAGES["/staff/"])
    assert {"actor", "action", "from_date", "to_date", "older"} <= set(PAGES["/staff/admin/audit"])
    assert {"from_date", "to_date", "excel"} <= set(PAGES["/staff/exports/range.csv"])


@pytest.fixture
def admin(app):
    """An admin logged in, and one submission so lists and exports have a row."""
    add_staff(app, ADMIN_EMAIL, StaffRole.ADMIN)
    add_submission(app)
    client = app.test_client()
    assert log_in(client, ADMIN_EMAIL).status_code == 302
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/staff/?to_date=9999-12-31",
        "/staff/?from_date=0001-01-01&to_date=9999-12-31",
        "/staff/?q=" + chr(sys.maxunicode),
        "/staff/?q=Doe%00",
        "/staff/?_external=1&older=" + str(uuid.uuid4()),
        "/staff/admin/audit?older=" + "9" * 40,
        "/staff/admin/audit?to_date=9999-12-31",
        "/staff/admin/audit?action=auth.login%00&_scheme=javascript",
        "/staff/exports/range.csv?from_date=2026-01-01&to_date=9999-12-31",
        "/staff/exports/range.csv?from_date=0001-01-01&to_date=0001-01-01",
    ],
)
def test_what_probing_found_is_answered_calmly(admin, url):
    response = admin.get(url)
    assert response.status_code in (200, 400), (url, response.status_code)


def test_the_calendars_last_day_includes_today(admin):
    response = admin.get("/staff/exports/range.csv?from_date=2000-01-01&to_date=9999-12-31")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Doe" in response.get_data(as_text=True)
    page = admin.get(f"/staff/?from_date={date.today().year - 1}-01-01&to_date=9999-12-31")
    assert "Doe, Jane" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_no_query_string_makes_a_server_error(admin, path):
    names = PAGES[path] + list(INSTRUCTIONS)

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), values, max_size=len(names)))
    def check(params):
        response = admin.get(path + "?" + urlencode(params))
        assert response.status_code < 500, (params, response.status_code)

    check()
