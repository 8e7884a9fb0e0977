"""Reading another user's progress database without writing anything, for the report.

An instructor reads students' files in their folders: no store, no migration, no
journal change, no side files; a file that is not usable is a ProgressError.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tutor.progress.connection import BUSY_TIMEOUT, _read_only_uri, _transaction
from tutor.progress.records import ProgressError, Snapshot
from tutor.progress.schema import _check_identity, _Corrupt
from tutor.progress.snapshots import _snapshot


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
        with _transaction(conn, write=False):
            _check_identity(conn)  # another program's file, or a newer tutor's
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"lessons", "steps", "attempts"} <= tables:
                raise ProgressError("not a chain-tutor progress database (it is empty)")
            return _snapshot(conn, None)
    except _Corrupt as exc:
        raise ProgressError(f"damaged: {exc}") from exc
    except sqlite3.Error as exc:
        raise ProgressError(f"cannot be read: {exc}") from exc
    except (ValueError, TypeError) as exc:  # a diagnosis column that is not JSON
        raise ProgressError(f"holds damaged records: {exc}") from exc
    finally:
        conn.close()
