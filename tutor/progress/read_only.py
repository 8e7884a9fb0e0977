"""Reading another user's progress database without writing anything, for the report.

An instructor reads students' files in their folders: no store, no migration, no
journal change, no side files; a file that is not usable is a ProgressError.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tutor.files import FileRefused, read_head
from tutor.progress.connection import (
    BUSY_TIMEOUT,
    _read_only_uri,
    _refuse_foreign_journal,
    _transaction,
)
from tutor.progress.records import ProgressError
from tutor.progress.schema import LeftAlone, _check_identity, _Corrupt, file_owner
from tutor.progress.snapshot_records import Snapshot
from tutor.progress.snapshots import _snapshot


def read_database(path: Path | str) -> Snapshot:
    """The record in a progress database, opened read-only; ProgressError if unusable."""
    path = Path(path).resolve()
    # SQLite would open a named pipe and wait for ever, or read a device to its end: the
    # database, and the side files SQLite opens beside it if they are there.
    try:
        read_head(path, 0)
    except FileRefused as error:
        raise ProgressError(error.reason) from None
    for side in (path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal")):
        try:
            if side.exists():
                read_head(side, 0)
        except FileRefused as error:
            raise ProgressError(f"{side.name} beside it: {error.reason}") from None
    try:
        _refuse_foreign_journal(path.resolve())
    except LeftAlone as exc:
        raise ProgressError(str(exc)) from None
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
            # A database from before schema 4 is not upgraded here: its owner is
            # taken as the upgrade would take it, from the file.
            return _snapshot(conn, None, file_owner(path))
    except _Corrupt as exc:
        raise ProgressError(f"damaged: {exc}") from exc
    except sqlite3.Error as exc:
        raise ProgressError(f"cannot be read: {exc}") from exc
    except (ValueError, TypeError) as exc:  # a diagnosis column that is not JSON
        raise ProgressError(f"holds damaged records: {exc}") from exc
    finally:
        conn.close()
