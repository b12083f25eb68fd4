"""Alembic environment for Intake, driven by Flask-Migrate (`flask db …`)."""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

import intake.models  # noqa: F401  (registers every table on the metadata)
from intake.models import UTCDateTime

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types so migrations never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure_options() -> dict:
    """Options shared by offline and online runs."""
    return {
        "target_metadata": target_db.metadata,
        "render_as_batch": True,  # SQLite can only alter tables by copying them
        "compare_type": True,
        "render_item": render_item,
    }


def run_migrations_offline() -> None:
    """Emit SQL to standard output instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **configure_options()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations against the app's database."""

    def process_revision_directives(context, revision, directives):
        # An autogenerate that finds nothing writes no empty revision file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with target_db.engine.connect() as connection:
        context.configure(
            connection=connection,
            process_revision_directives=process_revision_directives,
            on_version_apply=SqliteIndexOrder(connection),
            **configure_options(),
        )
        with sqlite_foreign_keys_off(connection):
            with context.begin_transaction():
                context.run_migrations()
                check_sqlite_foreign_keys(connection)  # before the commit: all or nothing


@contextmanager
def sqlite_foreign_keys_off(connection):
    """SQLite alters a table by copying it, dropping the old one and renaming the copy; with
    foreign keys enforced, dropping a table that other rows point at fails (the submission
    table, say). SQLite's own procedure: turn enforcement off outside the transaction, check
    every foreign key before committing (check_sqlite_foreign_keys), then turn it on again."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # On the driver's connection: through SQLAlchemy the pragma would open a transaction
    # first (see intake.database), and inside one SQLite ignores it.
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def check_sqlite_foreign_keys(connection) -> None:
    """Refuse to commit a migration that left a row pointing at nothing (SQLite only)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


class SqliteIndexOrder:
    """After each migration step, a table that SQLite copied gets its indexes back in the order
    they were first made (new ones last).

    Alembic recreates a copied table's indexes in an order that varies from run to run, and
    SQLite's planner breaks ties between equally good indexes by that order: without this,
    which index serves a staff page would depend on the run that migrated the database.
    """

    def __init__(self, connection):
        self.connection = connection
        self.order: dict[str, list[str]] = {}

    def __call__(self, **_step) -> None:
        if self.connection.dialect.name != "sqlite":
            return
        for table, made in self._indexes().items():
            known = [name for name in self.order.get(table, []) if name in made]
            wanted = known + [name for name in made if name not in known]
            if list(made) != wanted:
                for name in made:
                    self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
                for name in wanted:
                    self.connection.exec_driver_sql(made[name])
            self.order[table] = wanted

    def _indexes(self) -> dict[str, dict[str, str]]:
        """Each table's indexes, in the order SQLite keeps them, with their CREATE statements."""
        rows = self.connection.exec_driver_sql(
            "SELECT tbl_name, name, sql FROM sqlite_master "
            "WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid"
        ).all()
        tables: dict[str, dict[str, str]] = {}
        for table, name, sql in rows:
            tables.setdefault(table, {})[name] = sql
        return tables


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
