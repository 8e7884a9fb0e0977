"""Which store the tutor writes to: the student's SQLite file (the default), or a class's
PostgreSQL database when $CHAIN_TUTOR_DATABASE or --database names one.

Apart from both stores so that neither imports the other's engine: a SQLite user never
loads psycopg, and tutor.progress.postgres only extends tutor.progress.store.
"""

from __future__ import annotations

import os
from pathlib import Path

from tutor.progress.store import ProgressStore

DATABASE_ENV = "CHAIN_TUTOR_DATABASE"


def chosen_database(database: str | None = None) -> str | None:
    """The connection string asked for (the flag first, then the environment), or None."""
    for value in (database, os.environ.get(DATABASE_ENV)):
        if value is not None and value.strip():
            return value.strip()
    return None


def open_store(data_dir: Path | None = None, database: str | None = None, *,
               create_later: bool = False) -> ProgressStore:
    """The store to use; never raises (a store that cannot be used is off, and says why)."""
    conninfo = chosen_database(database)
    if conninfo is None:
        return ProgressStore.open(data_dir, create_later=create_later)
    from tutor.progress.postgres.store import PostgresStore

    return PostgresStore.open(conninfo, create_later=create_later)
