"""Reading another user's progress database without writing anything, for the report.

An instructor reads students' files in their folders: no store, no migration, no
journal change, no side files; a file that is not usable is a ProgressError.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tutor.progress.connection import _SQLITE_MAGIC, BUSY_TIMEOUT, _transaction
from tutor.progress.records import ProgressError, Snapshot
from tutor.progress.schema import _refuse_newer, _user_version
from tutor.progress.snapshots import _snapshot


def _read_only_uri(path: Path) -> str:
    """A URI that opens `path` without writing anything, not even beside it.

    ``mode=ro`` alone still creates the -wal and -shm files next to a WAL database
    that was closed cleanly (and leaves them there): files in a student's folder, and
    a failure where the reader may not create files. Such a database has no -wal, so
    its main file holds everything, and ``immutable=1`` reads it with no locks and no
    side files. While a -wal exists (the student's tutor is open, or crashed), the
    recent attempts are in it, so plain ``mode=ro`` reads through the existing files.
    """
    uri = path.as_uri() + "?mode=ro"
    try:
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return uri  # let SQLite say what is wrong
    in_wal = header.startswith(_SQLITE_MAGIC) and header[18:20] == b"\x02\x02"
    if in_wal and not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    return uri


def read_database(path: Path | str) -> Snapshot:
    """The record in a progress database, opened read-only; ProgressError if unusable."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ProgressError("no such file" if not path.exists() else "not a file")
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT,
                               isolation_level=None)
    except sqlite3.Error as exc:
        raise ProgressError(f"cannot be opened: {exc}") from exc
    try:
        _refuse_newer(_user_version(conn))
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"lessons", "steps", "attempts"} <= tables:
            raise ProgressError("not a chain-tutor progress database")
        with _transaction(conn, write=False):
            return _snapshot(conn, None)
    except sqlite3.Error as exc:
        raise ProgressError(f"cannot be read: {exc}") from exc
    except (ValueError, TypeError) as exc:  # a diagnosis column that is not JSON
        raise ProgressError(f"holds damaged records: {exc}") from exc
    finally:
        conn.close()
