"""With the database unreachable, pages answer a calm 503 and nothing half-written remains."""

import pytest
from sqlalchemy import text

from intake import create_app
from intake.extensions import db
from tests.conftest import TEST_SECRET_KEY

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/intake.sqlite3",
    "postgresql": "postgresql://postgres@127.0.0.1:1/intake?connect_timeout=2",
}


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_unreachable_database_answers_503(monkeypatch, backend):
    monkeypatch.setenv("INTAKE_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("INTAKE_DATABASE_URL", UNREACHABLE[backend])
    monkeypatch.setenv("INTAKE_CLINIC_NAME", "Riverside Physical Therapy")
    app = create_app({"TESTING": True})

    @app.get("/_needs_database")
    def needs_database():
        db.session.execute(text("SELECT 1"))
        return "ok"

    response = app.test_client().get("/_needs_database")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "tell the front desk" in html
    assert response.headers["Retry-After"] == "30"
    assert "Traceback" not in html and "psycopg" not in html and "sqlite3" not in html
    with app.app_context():
        db.engine.dispose()
