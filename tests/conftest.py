"""Fixtures: an app per test on SQLite and, when configured, again on PostgreSQL.

The schema is built once per run through the migrations (never `create_all`), then each test
gets its own copy (SQLite: a copy of a migrated file; PostgreSQL: tables emptied afterwards).

INTAKE_TEST_POSTGRES_URL   run every database test a second time against this database
                           (its public schema is dropped and rebuilt at the start of the run)
INTAKE_TEST_REQUIRE_POSTGRES=1   fail, instead of skip, when that database is not reachable
"""

import atexit
import os
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from intake import create_app
from intake.chart.clinic_certificate import create_signing_key
from intake.extensions import db

TEST_SECRET_KEY = "test-secret-key-" + "0" * 32
POSTGRES_URL = os.environ.get("INTAKE_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("INTAKE_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ("sqlite", "postgresql")


def pytest_sessionstart(session) -> None:
    """Compile the translation catalogues, as `make test` does, so the patient pages can be
    drawn in every language when pytest is run on its own."""
    from testkit.catalogues import compile_catalogues

    compile_catalogues()


def _set_env(monkeypatch, database_url: str) -> None:
    monkeypatch.setenv("INTAKE_ENV", "testing")
    monkeypatch.setenv("INTAKE_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("INTAKE_DATABASE_URL", database_url)
    monkeypatch.setenv("INTAKE_CLINIC_NAME", "Riverside Physical Therapy")
    monkeypatch.setenv("INTAKE_TIMEZONE", "America/Chicago")
    key, cert = signing_key_for_tests()
    monkeypatch.setenv("INTAKE_SIGNING_KEY_FILE", str(key))
    monkeypatch.setenv("INTAKE_SIGNING_CERT_FILE", str(cert))


@cache
def signing_key_for_tests() -> tuple[Path, Path]:
    """The clinic key and certificate every test seals with, made once per run."""
    folder = Path(tempfile.mkdtemp(prefix="intake-test-signing-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    key, cert = folder / "signing_key.pem", folder / "signing_cert.pem"
    create_signing_key(key, cert, "Riverside Physical Therapy")
    return key, cert


def _migrate(database_url: str) -> None:
    """Build the schema through the migrations, as a deployment would."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _set_env(monkeypatch, database_url)
        app = create_app({"TESTING": True})
        with app.app_context():
            upgrade()
            db.engine.dispose()


def postgres_available() -> bool:
    """Whether the PostgreSQL test database answers."""
    if not POSTGRES_URL:
        return False
    engine = sa.create_engine(_sqlalchemy_url(POSTGRES_URL))
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgresql://", "postgresql+psycopg://", url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "intake.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> str:
    """The PostgreSQL test database, rebuilt through the migrations once per run."""
    if not postgres_available():
        pytest.fail(f"PostgreSQL test database unreachable: {POSTGRES_URL!r}")
    reset_postgres_schema(POSTGRES_URL)
    _migrate(POSTGRES_URL)
    return POSTGRES_URL


def reset_postgres_schema(url: str) -> None:
    """Drop everything in the public schema (the test database is ours alone)."""
    engine = sa.create_engine(_sqlalchemy_url(url))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def _empty_postgres_tables(url: str) -> None:
    engine = sa.create_engine(_sqlalchemy_url(url))
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


def _postgres_marks() -> list:
    if REQUIRE_POSTGRES:
        return []  # unreachable or unset fails in the fixture instead of skipping
    if not POSTGRES_URL:
        return [pytest.mark.skipif(True, reason="INTAKE_TEST_POSTGRES_URL is not set")]
    if not postgres_available():
        return [pytest.mark.skipif(True, reason="PostgreSQL test database unreachable")]
    return []


_POSTGRES_MARKS: list = []


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): run a database test only on these backends"
    )
    _POSTGRES_MARKS[:] = _postgres_marks()


def pytest_generate_tests(metafunc):
    """Run every test that uses the database once per backend (or the ones it names)."""
    if "database_url" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker else BACKENDS
    marks = {"sqlite": [], "postgresql": _POSTGRES_MARKS}
    params = [pytest.param(name, id=name, marks=marks[name]) for name in names]
    metafunc.parametrize("database_url", params, indirect=True)


@pytest.fixture
def database_url(request, tmp_path) -> str:
    """A migrated, empty database of each backend for one test."""
    if request.param == "sqlite":
        path = tmp_path / "intake.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        yield url
        _empty_postgres_tables(url)


@pytest.fixture
def app(database_url, monkeypatch, tmp_path):
    """The application, configured for tests (CSRF stays on)."""
    _set_env(monkeypatch, database_url)
    app = create_app({"TESTING": True})
    app.instance_path = str(tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client that keeps cookies, like a browser."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Invokes `flask intake …` commands."""
    return app.test_cli_runner()


@pytest.fixture
def app_context(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield
