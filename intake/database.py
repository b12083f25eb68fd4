"""Database engine tuning and the write-transaction entry point shared by every service."""

from sqlalchemy import Engine, event

from intake.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE = "intake_write"


def tune_engine(engine: Engine) -> None:
    """Make SQLite safe for several gunicorn workers; PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A deferred transaction that later writes cannot wait for the lock (SQLITE_BUSY at
        # once), so writers take it up front and readers stay out of each other's way.
        immediate = connection.get_execution_options().get(_WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start the session's next transaction as a writer (BEGIN IMMEDIATE on SQLite).

    Call it before the first query of a unit of work that will write. A read-only transaction
    already open (say, loading the logged-in user) is ended first, so the writer reads fresh
    data; unsaved changes at that point are a programming error, never silently committed.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() called with unsaved changes in the session")
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={_WRITE: True})
