"""Opening a progress database: journal mode, integrity, migration, and a damaged file.

Everything that decides whether a file on disk can be used, and what to do when it
cannot, sits here; the store only calls _connect and, on _Corrupt, _move_aside.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tutor.files import FileRefused, create_private_file, not_a_file, read_head
from tutor.progress.schema import (
    _MIGRATIONS,
    APPLICATION_ID,
    OWNER_VERSION,
    SCHEMA_VERSION,
    LeftAlone,
    _application_id,
    _check_identity,
    _Corrupt,
    _record_owner,
    _user_version,
)

JOURNAL_ENV = "CHAIN_TUTOR_JOURNAL"
JOURNAL_MODES = ("wal", "delete")
BUSY_TIMEOUT = 10.0  # seconds; another login's write transaction is far shorter

# Files SQLite keeps next to the database. A stale journal or WAL replayed into a
# fresh database would damage it, so they travel with a database that is moved aside.
_SIDECARS = ("-wal", "-shm", "-journal")

# How every SQLite file begins: export.py refuses a database handed in as an export
# by it, and read_only.py reads the journal mode from the header it starts.
_SQLITE_MAGIC = b"SQLite format 3\x00"


@contextmanager
def _transaction(conn: sqlite3.Connection, *, write: bool) -> Iterator[sqlite3.Connection]:
    # IMMEDIATE takes the write lock up front: a deferred transaction that later
    # upgrades can deadlock with another writer, and the busy timeout cannot help.
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a failed COMMIT can leave the transaction open
            conn.execute("ROLLBACK")
        raise


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one version at a time, in one transaction.

    The version is read under the write lock so two processes opening a new
    database at once cannot both run the same migration.
    """
    if _user_version(conn) == SCHEMA_VERSION and _application_id(conn) == APPLICATION_ID:
        return  # the common case: no write lock needed
    with _transaction(conn, write=True):
        _check_identity(conn)  # again: the file may have changed since it was checked
        version = _user_version(conn)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[target - 1]:
                conn.execute(statement)
            if target == OWNER_VERSION:
                _record_owner(conn, created=version == 0)
            conn.execute(f"PRAGMA user_version = {target}")
        # A file from before the application_id is stamped with it here, once.
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _requested_journal(journal: str) -> str:
    mode = journal.strip().lower()
    if mode not in JOURNAL_MODES:
        raise ValueError(f"journal must be one of {JOURNAL_MODES}, not {journal!r}")
    # Either the caller or the environment can ask for the rollback journal: it is
    # the safe choice, and the environment is how a student on NFS says so.
    if os.environ.get(JOURNAL_ENV, "").strip().lower() == "delete":
        return "delete"
    return mode


def _set_journal(conn: sqlite3.Connection, mode: str) -> str:
    """Switch to `mode`; if WAL cannot be had, use the rollback journal. Returns the mode in use.

    Two logins opening a new file at the same moment both ask for WAL; the one that
    finds the file locked must wait and ask again, not fall back to DELETE, which
    would switch the file away from under the other login.
    """
    if mode == "wal":
        for attempt in range(50):
            try:
                granted = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            except sqlite3.OperationalError:
                time.sleep(0.01 * (attempt + 1))  # locked by the other login: ask again
                continue
            if granted == "wal":
                # NORMAL is corruption-safe in WAL and avoids an fsync per attempt.
                conn.execute("PRAGMA synchronous=NORMAL")
                return "wal"
            break  # the file system cannot do WAL: fall back below
        else:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    try:
        return str(conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0])
    except sqlite3.OperationalError:
        # Another login holds the file in WAL; the file decides the mode, not us.
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def _is_corruption(exc: sqlite3.Error) -> bool:
    # OperationalError ("database is locked", "unable to open") is a DatabaseError
    # too; only these codes mean the *file* is bad and may be moved aside.
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _check_integrity(conn: sqlite3.Connection) -> None:
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if _is_corruption(exc):
            raise _Corrupt(str(exc)) from exc
        raise
    if rows != [("ok",)]:
        raise _Corrupt("; ".join(str(row[0]) for row in rows[:3]))


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
        header = read_head(path, 20)  # a named pipe is not waited on here
    except FileRefused:
        return uri  # let SQLite say what is wrong
    in_wal = header.startswith(_SQLITE_MAGIC) and header[18:20] == b"\x02\x02"
    if in_wal and not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    return uri


def _refuse_foreign_journal(real: Path) -> None:
    """Another program's database with a transaction it left unfinished (a -journal
    beside it) is rolled back by SQLite as soon as anyone reads it, even read-only: so
    its header alone decides, and a file not stamped as the tutor's is left unopened."""
    if not real.with_name(real.name + "-journal").exists():
        return
    try:
        header = read_head(real, 100)
    except FileRefused:
        return  # the read-write open says what is wrong
    if header.startswith(_SQLITE_MAGIC) and int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise LeftAlone("not a chain-tutor progress database, and another program's transaction "
                        f"is unfinished in it ({real.name}-journal beside it), so it was not "
                        "opened at all")


def _refuse_foreign(path: Path) -> None:
    """Raise LeftAlone, before a byte is written, if the file is not one the tutor may open.

    Read-only, so that another program's database (or a newer tutor's) gets no journal
    change, no migration and no -wal or -shm file. Only a refusal is decided here:
    anything else that stops this look (damage, a hot journal only a writer may roll
    back) is left to the read-write open, which decides about damage under SQLite's locks.
    """
    try:
        real = path.resolve(strict=True)  # a link's -wal sits beside the file it names
        refused = not_a_file(real)
        if refused is None and real.stat().st_size == 0:
            return  # new: the tutor's to begin
    except (OSError, RuntimeError):
        return  # missing or unreadable: the read-write open says what is wrong
    if refused is not None:  # SQLite would wait on a named pipe, or write to a device
        raise LeftAlone(refused)
    _refuse_foreign_journal(real)
    try:
        conn = sqlite3.connect(_read_only_uri(real), uri=True, timeout=BUSY_TIMEOUT,
                               isolation_level=None)
    except sqlite3.Error:
        return
    try:
        with _transaction(conn, write=False):
            _check_identity(conn)
    except (sqlite3.Error, _Corrupt):
        pass
    finally:
        conn.close()


def _connect(path: Path, journal: str) -> tuple[sqlite3.Connection, str]:
    """Open, check, and migrate. Raises _Corrupt when the file itself is damaged, and
    LeftAlone, having changed nothing, when it is not the tutor's to open."""
    try:
        _refuse_foreign(path)
        return _open_own(path, journal)
    except LeftAlone as exc:
        raise LeftAlone(f"{path}: {exc}; it was left untouched") from None


def _open_own(path: Path, journal: str) -> tuple[sqlite3.Connection, str]:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are
    # exactly as short as the code says. check_same_thread=False: the UI may call
    # from worker threads; the store serialises calls with its own lock.
    create_private_file(path)  # SQLite would make it, and its side files, 0644
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None,
                           check_same_thread=False)
    try:
        _check_integrity(conn)
        # Before touching the journal mode: that rewrites the header of a file that a
        # newer version, or another program, owns.
        with _transaction(conn, write=False):
            _check_identity(conn)
        mode = _set_journal(conn, journal)
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _is_corruption(exc):
            raise _Corrupt(str(exc)) from exc
        raise
    except BaseException:
        conn.close()
        raise
    return conn, mode


def _aside_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    return candidate


def _move_aside(path: Path, seen: os.stat_result | None) -> Path | None:
    """Rename a damaged database (and its sidecars) out of the way; never delete it.

    Returns the new name, or None if the file is no longer the one found damaged
    (another login already moved it and started a fresh one, which must survive).
    """
    try:
        now = path.stat()
    except FileNotFoundError:
        return None
    if seen is not None and (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
        return None
    target = _aside_name(path)
    path.rename(target)
    for suffix in _SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(target.with_name(target.name + suffix))
    return target


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None
