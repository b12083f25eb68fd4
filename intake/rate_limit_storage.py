"""Rate-limit counters in the app's own database, so every worker and host counts together.

Flask-Limiter counts in each process's memory by default: under gunicorn's several workers a
limit of 10 let 10 through per worker. Redis is one shared store; this is the other, needing
nothing a clinic does not already run. INTAKE_RATELIMIT_STORAGE_URL=database (the default
outside tests) names it; intake.config turns that into `intake-db+<database URL>`, the scheme
registered here.

Each count is one atomic upsert (SQLite's and PostgreSQL's INSERT … ON CONFLICT DO UPDATE …
RETURNING), so simultaneous requests are each counted and none is lost. A window that has
run out starts again at the first request after it.
"""

import random
import time

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from intake.database import tune_engine
from intake.models import RateLimitCounter

SCHEME_PREFIX = "intake-db+"
_table = RateLimitCounter.__table__
# One request in this many also deletes counters whose window ran out long ago.
SWEEP_ONE_IN = 200


def storage_uri(database_url: str) -> str:
    """The Flask-Limiter storage URI for counters in this database."""
    return SCHEME_PREFIX + database_url


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limit_counter` table (Flask-Limiter's default
    strategy needs nothing more)."""

    STORAGE_SCHEME = [SCHEME_PREFIX + "sqlite", SCHEME_PREFIX + "postgresql+psycopg"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **_options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        url = uri.removeprefix(SCHEME_PREFIX)
        self._engine = sa.create_engine(url, pool_pre_ping=True)
        tune_engine(self._engine)
        dialect = postgresql if url.startswith("postgresql") else sqlite
        self._insert = dialect.insert

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _write(self):
        # BEGIN IMMEDIATE on SQLite (intake.database): the writer takes the lock up front.
        return self._engine.connect().execution_options(intake_write=True)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` more in the key's window, opening a new window if it ran out."""
        now = time.time()
        fresh = _table.c.expires_at <= now
        stmt = self._insert(_table).values(key=key, count=amount, expires_at=now + expiry)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "count": sa.case((fresh, amount), else_=_table.c.count + amount),
                "expires_at": sa.case((fresh, now + expiry), else_=_table.c.expires_at),
            },
        ).returning(_table.c.count)
        with self._write() as connection, connection.begin():
            count = connection.execute(stmt).scalar_one()
            if random.randrange(SWEEP_ONE_IN) == 0:
                connection.execute(sa.delete(_table).where(_table.c.expires_at < now - 3600))
        return count

    def get(self, key: str) -> int:
        """The count in the key's current window (0 when none is open)."""
        with self._engine.connect() as connection:
            count = connection.execute(
                sa.select(_table.c.count).where(
                    _table.c.key == key, _table.c.expires_at > time.time()
                )
            ).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now, when none is open)."""
        now = time.time()
        with self._engine.connect() as connection:
            expires = connection.execute(
                sa.select(_table.c.expires_at).where(_table.c.key == key)
            ).scalar()
        return max(expires or now, now)

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self._engine.connect() as connection:
                connection.execute(sa.select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        with self._write() as connection, connection.begin():
            return connection.execute(sa.delete(_table)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self._write() as connection, connection.begin():
            connection.execute(sa.delete(_table).where(_table.c.key == key))
