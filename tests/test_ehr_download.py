"""Serving an export over HTTP the way the staff side's "Export CSV" page does."""

import hashlib

from flask_login import login_user
from sqlalchemy import select

from intake import ehr
from intake.ehr.downloads import csv_response
from intake.extensions import csrf, db
from intake.models import AuditEvent, ExportBatch, StaffUser
from testkit.factories import make_staff, make_submission
from tests.csv_reading import HOSTILE, TRICKY_ANSWERS, parse


def _mount_export_views(app) -> None:
    """A view shaped like the staff blueprint's, without its login page and form."""

    @app.post("/test/export-new")
    @csrf.exempt  # no form here to carry a token; the staff page's form has one
    def export_new_view():
        user = db.session.scalar(select(StaffUser))
        login_user(user)
        batch = ehr.export_new(user.email, staff_user_id=user.id, excel=True)
        return csv_response(ehr.stream_batch(batch, user.email), ehr.batch_filename(batch))


def test_new_export_download_streams_a_spreadsheet_ready_file(app, client):
    _mount_export_views(app)
    with app.app_context():
        staff = make_staff()
        staff_id = staff.id
        for _ in range(3):
            make_submission(answers=TRICKY_ANSWERS)

    response = client.post("/test/export-new")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    with app.app_context():
        batch = db.session.scalar(select(ExportBatch))
        assert batch.created_by_id == staff_id
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename={ehr.batch_filename(batch)}"
        )
        assert hashlib.sha256(data).hexdigest() == batch.sha256
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor_type, e.actor_id) for e in events] == [
            ("export.new", "staff", staff_id),
            ("export.download", "staff", staff_id),
        ]
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    _header, rows = parse(data)
    assert len(rows) == 3
    assert {row["visit_reason"] for row in rows} == {"'" + HOSTILE}
