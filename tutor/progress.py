"""The student's progress: one SQLite file per user, safe to share between logins.

What is kept, per lesson: the variant's seed, when it was started and finished; per
step: its status ("solved" / "revealed") and hints used; and every attempt ever made,
with its verdict and diagnosis. Statuses and hints are the *current* state and are
cleared by resets and by a new variant; the attempt history is never deleted.

Robustness rules, because this runs on students' machines and shared servers:

* Two logins of the same user may write at once, so every write is one short
  ``BEGIN IMMEDIATE`` transaction and every connection waits (busy timeout) rather
  than failing on a lock.
* WAL is unsafe on network filesystems, so a rollback journal can be requested with
  ``journal="delete"`` or ``CHAIN_TUTOR_JOURNAL=delete``.
* A damaged file is renamed aside, never deleted, and a fresh database started.
* Once a store is open nothing here raises for I/O trouble: problems become
  ``notice`` (for the UI to show) and the tutor keeps going without saving.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from tutor.files import create_private_file, make_private_folder, write_whole
from tutor.rules import RANK, STATUSES, VERDICTS, Event, after, event_for, higher

DB_NAME = "progress.db"
APP_NAME = "chain-tutor"
DATA_ENV = "CHAIN_TUTOR_DATA"
CACHE_ENV = "CHAIN_TUTOR_CACHE"
JOURNAL_ENV = "CHAIN_TUTOR_JOURNAL"
JOURNAL_MODES = ("wal", "delete")
BUSY_TIMEOUT = 10.0  # seconds; another login's write transaction is far shorter

# Files SQLite keeps next to the database. A stale journal or WAL replayed into a
# fresh database would damage it, so they travel with a database that is moved aside.
_SIDECARS = ("-wal", "-shm", "-journal")


class ProgressError(Exception):
    """The database is readable but must not be used (e.g. written by a newer version)."""


def default_data_dir() -> Path:
    """Where progress lives: $CHAIN_TUTOR_DATA, else the platform's user data folder."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP_NAME)


def default_cache_dir(data_dir: Path | None = None) -> Path:
    """Where caches live: $CHAIN_TUTOR_CACHE; else in the data folder if one was chosen
    (``data_dir``, $CHAIN_TUTOR_DATA), which then holds all the tutor writes; else the
    platform's user cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if data_dir is not None or os.environ.get(DATA_ENV):
        return (data_dir or default_data_dir()) / "cache"
    return platformdirs.user_cache_path(APP_NAME)


@dataclass(frozen=True)
class Attempt:
    lesson_id: str
    step_id: str
    seed: int
    answer: str
    verdict: str  # "correct" | "incorrect" | "invalid"
    diagnosis: tuple[str, ...]
    elapsed: float  # seconds the student spent on this answer
    at: float  # unix time


@dataclass(frozen=True)
class StepState:
    status: str | None  # "solved" | "revealed" | None
    attempts: int  # attempts that counted (verdict != "invalid") since the last reset
    hints: int
    last_answer: str | None  # latest answer since the last reset, any verdict


@dataclass(frozen=True)
class LessonState:
    lesson_id: str
    seed: int | None
    steps: dict[str, StepState]
    started: float | None
    finished: float | None

    def status_of(self, step_id: str) -> str | None:
        step = self.steps.get(step_id)
        return step.status if step else None

    def done_count(self) -> int:
        """Steps solved or revealed."""
        return sum(1 for step in self.steps.values() if step.status is not None)

    def first_open(self, step_ids: Sequence[str]) -> str | None:
        """The first of the lesson's steps (in lesson order) not yet solved or revealed."""
        return next((step_id for step_id in step_ids if self.status_of(step_id) is None), None)


# ---------------------------------------------------------------------------
# Schema. _MIGRATIONS[i] takes the database from version i to version i + 1, so a
# later version appends one tuple and never edits the earlier ones.

_V1 = (
    """CREATE TABLE IF NOT EXISTS lessons (
        lesson_id   TEXT PRIMARY KEY,
        seed        INTEGER,
        started     REAL,
        finished    REAL,
        reset_after INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS steps (
        lesson_id   TEXT NOT NULL,
        step_id     TEXT NOT NULL,
        status      TEXT CHECK (status IN ('solved', 'revealed')),
        hints       INTEGER NOT NULL DEFAULT 0,
        reset_after INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (lesson_id, step_id)
    )""",
    # AUTOINCREMENT so ids are never reused: the reset_after columns above mark
    # "attempts after this id count", which needs ids that only grow.
    """CREATE TABLE IF NOT EXISTS attempts (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        lesson_id TEXT NOT NULL,
        step_id   TEXT NOT NULL,
        seed      INTEGER NOT NULL,
        answer    TEXT NOT NULL,
        verdict   TEXT NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'invalid')),
        diagnosis TEXT NOT NULL DEFAULT '[]',
        elapsed   REAL NOT NULL,
        at        REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS attempts_by_step ON attempts (lesson_id, step_id, id)",
)

# Reading a lesson counts each step's attempts by verdict and finds its latest correct
# one; with the verdict in the index both are index range reads, so a lesson with a
# history of 100,000 attempts opens as fast as a new one.
_V2 = (
    "CREATE INDEX IF NOT EXISTS attempts_by_verdict ON attempts (lesson_id, step_id, verdict, id)",
)

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
SCHEMA_VERSION = len(_MIGRATIONS)


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _refuse_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise ProgressError(
            f"{DB_NAME} was written by a newer chain-tutor "
            f"(schema {version}; this version knows {SCHEMA_VERSION})"
        )


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one version at a time, in one transaction.

    The version is read under the write lock so two processes opening a new
    database at once cannot both run the same migration.
    """
    if _user_version(conn) == SCHEMA_VERSION:
        return  # the common case: no write lock needed
    with _transaction(conn, write=True):
        version = _user_version(conn)
        _refuse_newer(version)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[target - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")


# ---------------------------------------------------------------------------
# Connections, journal mode, corruption.


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


class _Corrupt(Exception):
    pass


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


def _connect(path: Path, journal: str) -> tuple[sqlite3.Connection, str]:
    """Open, check, and migrate. Raises _Corrupt when the file itself is damaged."""
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are
    # exactly as short as the code says. check_same_thread=False: the UI may call
    # from worker threads; the store serialises calls with its own lock.
    create_private_file(path)  # SQLite would make it, and its side files, 0644
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None,
                           check_same_thread=False)
    try:
        _check_integrity(conn)
        # Before touching the journal mode: that rewrites the header of a file that
        # a newer version owns.
        _refuse_newer(_user_version(conn))
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


# ---------------------------------------------------------------------------


class ProgressStore:
    """Progress for one user, backed by one SQLite file.

    ``ProgressStore(path)`` opens (creating and migrating as needed) and raises if the
    file cannot be used; ``ProgressStore.open(data_dir)`` never raises and returns a
    disabled store instead. Once open, methods never raise for database trouble:
    they set ``notice`` and carry on.
    """

    enabled: bool
    notice: str | None
    path: Path | None
    # Called with each new notice after opening (a write or read failed mid-session),
    # for a UI to show at once; set by the app. Must not raise.
    listener: Callable[[str], None] | None = None
    journal: str | None  # journal mode actually in use ("wal", "delete", ...)

    def __init__(self, path: Path, journal: str = "wal", *,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.notice = None
        self.enabled = False
        self.journal = None
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        mode = _requested_journal(journal)
        seen = _stat_or_none(self.path)
        try:
            self._conn, self.journal = _connect(self.path, mode)
        except _Corrupt as exc:
            moved = _move_aside(self.path, seen)
            self._conn, self.journal = _connect(self.path, mode)  # fails loudly if still bad
            if moved is not None:
                self.notice = (f"Your progress file could not be read ({exc}). It was moved "
                               f"to {moved} and a new one was started.")
        self.enabled = True

    @classmethod
    def open(cls, data_dir: Path | None = None, journal: str | None = None) -> ProgressStore:
        """Open the store in `data_dir` (default: default_data_dir()); never raises for I/O."""
        try:
            directory = Path(data_dir) if data_dir is not None else default_data_dir()
            make_private_folder(directory)
            return cls(directory / DB_NAME, journal or "wal")
        except (OSError, sqlite3.Error, ProgressError) as exc:
            return cls.disabled(str(exc))

    @classmethod
    def disabled(cls, reason: str) -> ProgressStore:
        """A store that saves nothing, answers with empty state, and says why."""
        store = cls.__new__(cls)
        store.path = None
        store.notice = f"progress is off: {reason}"
        store.enabled = False
        store.journal = None
        store._clock = time.time
        store._lock = threading.RLock()
        store._conn = None
        return store

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self.enabled = False

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------

    def _write(self, what: str, work: Callable[[sqlite3.Connection, float], None]) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                with _transaction(self._conn, write=True) as conn:
                    work(conn, self._clock())
                return
            except sqlite3.Error as exc:
                message = self.notice = f"progress could not be saved ({what}): {exc}"
        self._tell(message)

    def _read(self, what: str, work: Callable[[sqlite3.Connection], Any], empty: Any) -> Any:
        with self._lock:
            if self._conn is None:
                return empty
            try:
                # One read transaction so multi-query answers are a consistent snapshot.
                with _transaction(self._conn, write=False) as conn:
                    return work(conn)
            except sqlite3.Error as exc:
                message = self.notice = f"progress could not be read ({what}): {exc}"
        self._tell(message)
        return empty

    def _tell(self, message: str) -> None:
        """Outside the lock: a listener that waits on another thread cannot deadlock."""
        if self.listener is not None:
            self.listener(message)

    # -- reading ---------------------------------------------------------------

    def lesson(self, lesson_id: str) -> LessonState:
        empty = LessonState(lesson_id, None, {}, None, None)
        return self._read("lesson", lambda conn: _lesson_state(conn, lesson_id), empty)

    def attempts(self, lesson_id: str | None = None) -> list[Attempt]:
        return self._read("attempts", lambda conn: _attempts(conn, lesson_id), [])

    def solving_attempts(self, lesson_id: str, seed: int) -> list[Attempt]:
        """Each step's latest correct attempt with this variant (the answer a solved step
        shows), whatever the length of the history."""
        return self._read("attempts",
                          lambda conn: _solving_attempts(conn, lesson_id, int(seed)), [])

    def recent_answers(self, lesson_id: str, step_id: str, limit: int = 50,
                       scan: int = 1000) -> list[str]:
        """The step's distinct answers, newest first: at most ``limit`` of them, found
        among its latest ``scan`` attempts (any seed, any verdict, resets included), so a
        long history costs no more than a short one."""
        return self._read("attempts", lambda conn: _recent_answers(
            conn, lesson_id, step_id, int(limit), int(scan)), [])

    def time_spent(self, lesson_id: str, seed: int) -> dict[str, float]:
        """Seconds recorded per step, over every attempt with this variant."""
        return self._read("attempts", lambda conn: _time_spent(conn, lesson_id, int(seed)), {})

    def summary(self) -> list[dict]:
        """One dict per lesson with any record, in the order they were started.

        Keys: lesson_id, seed, solved, revealed, attempts (counted, since the last
        reset), hints, started, finished, all_attempts (the whole history, any verdict).
        """
        return self._read("summary", _summary, [])

    # -- writing ---------------------------------------------------------------

    def set_seed(self, lesson_id: str, seed: int) -> None:
        """Start the lesson with this variant, or switch to a new one.

        The same seed again is a no-op, so calling this on every open is safe. A
        different seed is a new variant: step statuses, hints and the finished time
        are cleared; the attempt history is kept.
        """
        seed = int(seed)

        def work(conn: sqlite3.Connection, now: float) -> None:
            row = conn.execute("SELECT seed FROM lessons WHERE lesson_id = ?",
                               (lesson_id,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO lessons (lesson_id, seed, started) VALUES (?, ?, ?)",
                             (lesson_id, seed, now))
            elif row[0] is None:
                conn.execute("UPDATE lessons SET seed = ? WHERE lesson_id = ?", (seed, lesson_id))
            elif row[0] != seed:
                _clear_lesson(conn, lesson_id)
                conn.execute("UPDATE lessons SET seed = ? WHERE lesson_id = ?", (seed, lesson_id))

        self._write("new variant", work)

    def record_attempt(self, lesson_id: str, step_id: str, seed: int, answer: str,
                       verdict: str, diagnosis: Iterable[str], elapsed: float, *,
                       solves: bool = False) -> None:
        """Save one attempt. ``solves``: in the same transaction, a correct answer marks
        its step solved, unless it was revealed (typing in the shown answer is not solving
        it), so a verdict is saved whole even when no screen is left to save the rest."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
        codes = json.dumps([str(code) for code in diagnosis][:MAX_DIAGNOSIS_CODES])
        seed = int(seed)  # numpy integers from the variant generator do not bind
        # Within the limits an import holds the record to, so that an export imports:
        # an answer too long to check keeps its beginning, and a clock set back counts 0.
        answer = answer[:max_answer_length()]
        elapsed = min(max(float(elapsed), 0.0), MAX_ELAPSED)

        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_lesson(conn, lesson_id, now, seed)
            conn.execute(
                "INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, diagnosis,"
                " elapsed, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (lesson_id, step_id, seed, answer, verdict, codes, elapsed, now),
            )
            if solves and verdict == "correct":
                _apply(conn, lesson_id, step_id, Event.CORRECT, now)

        self._write("attempt", work)

    def mark(self, lesson_id: str, step_id: str, status: str) -> None:
        """Set a step's status; a solved step stays solved if later revealed."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")

        event = event_for(status)

        def work(conn: sqlite3.Connection, now: float) -> None:
            _apply(conn, lesson_id, step_id, event, now)

        self._write(status, work)

    def record_hint(self, lesson_id: str, step_id: str) -> None:
        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_step(conn, lesson_id, step_id, now)
            conn.execute("UPDATE steps SET hints = MIN(hints + 1, ?)"
                         " WHERE lesson_id = ? AND step_id = ?", (MAX_HINTS, lesson_id, step_id))

        self._write("hint", work)

    def reset_step(self, lesson_id: str, step_id: str) -> None:
        """Clear the step's status, hints and attempt count; the history is kept."""
        def work(conn: sqlite3.Connection, now: float) -> None:
            if not _lesson_exists(conn, lesson_id):
                return  # nothing recorded, nothing to reset
            _ensure_step(conn, lesson_id, step_id, now)
            conn.execute(
                "UPDATE steps SET status = NULL, hints = 0, reset_after = ?"
                " WHERE lesson_id = ? AND step_id = ?",
                (_last_attempt_id(conn), lesson_id, step_id),
            )

        self._write("reset step", work)

    def reset_lesson(self, lesson_id: str) -> None:
        """Clear every step's status, hints and attempt count, and the finished time.

        The seed (so the same variant), started time and history are kept.
        """
        def work(conn: sqlite3.Connection, now: float) -> None:
            if _lesson_exists(conn, lesson_id):
                _clear_lesson(conn, lesson_id)

        self._write("reset lesson", work)

    def finish(self, lesson_id: str) -> None:
        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_lesson(conn, lesson_id, now)
            conn.execute("UPDATE lessons SET finished = ? WHERE lesson_id = ?", (now, lesson_id))

        self._write("finish", work)

    # -- the whole record at once (export, import) ------------------------------
    # Unlike the methods above these raise ProgressError: they run as one explicit
    # command, whose user must learn that it failed.

    def snapshot(self, student: str | None = None) -> Snapshot:
        """Everything recorded, as plain values (for an export), in one consistent read."""
        return self._strict("read", lambda conn: _snapshot(conn, student), write=False)

    def merge(self, snapshot: Snapshot) -> MergeResult:
        """Add another record of this student's (an import) to this database, idempotently.

        All in one transaction: either everything is merged or nothing is. Attempts
        already present, compared on (lesson, step, seed, answer, verdict, time), are
        not added again, so merging the same record twice adds nothing. Statuses only
        go up (solved > revealed > none) and hints take the larger count. A lesson's
        seed and finished time come from the import only where this database has none,
        so the variant in progress here is kept; its start is the earlier of the two.
        """
        return self._strict("saved", lambda conn: _merge(conn, snapshot, self._clock()),
                            write=True)

    def _strict(self, what: str, work: Callable[[sqlite3.Connection], Any], *,
                write: bool) -> Any:
        with self._lock:
            if self._conn is None:
                raise ProgressError(self.notice or "progress is off")
            try:
                with _transaction(self._conn, write=write) as conn:
                    return work(conn)
            except sqlite3.Error as exc:
                raise ProgressError(f"progress could not be {what}: {exc}") from exc


# ---------------------------------------------------------------------------
# Queries, kept outside the class so each runs inside the caller's transaction.


def _apply(conn: sqlite3.Connection, lesson_id: str, step_id: str, event: Event,
           now: float) -> None:
    """The step's status after ``event``, by the one table of tutor.rules."""
    _ensure_step(conn, lesson_id, step_id, now)
    (status,) = conn.execute("SELECT status FROM steps WHERE lesson_id = ? AND step_id = ?",
                             (lesson_id, step_id)).fetchone()
    conn.execute("UPDATE steps SET status = ? WHERE lesson_id = ? AND step_id = ?",
                 (after(status, event), lesson_id, step_id))


def _lesson_exists(conn: sqlite3.Connection, lesson_id: str) -> bool:
    return conn.execute("SELECT 1 FROM lessons WHERE lesson_id = ?",
                        (lesson_id,)).fetchone() is not None


def _last_attempt_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM attempts").fetchone()[0])


def _ensure_lesson(conn: sqlite3.Connection, lesson_id: str, now: float,
                   seed: int | None = None) -> None:
    """Any record starts the lesson; a first attempt also fixes its variant."""
    conn.execute("INSERT OR IGNORE INTO lessons (lesson_id, seed, started) VALUES (?, ?, ?)",
                 (lesson_id, seed, now))
    if seed is not None:
        conn.execute("UPDATE lessons SET seed = ? WHERE lesson_id = ? AND seed IS NULL",
                     (seed, lesson_id))


def _ensure_step(conn: sqlite3.Connection, lesson_id: str, step_id: str, now: float) -> None:
    _ensure_lesson(conn, lesson_id, now)
    conn.execute("INSERT OR IGNORE INTO steps (lesson_id, step_id) VALUES (?, ?)",
                 (lesson_id, step_id))


def _clear_lesson(conn: sqlite3.Connection, lesson_id: str) -> None:
    conn.execute("DELETE FROM steps WHERE lesson_id = ?", (lesson_id,))
    conn.execute("UPDATE lessons SET finished = NULL, reset_after = ? WHERE lesson_id = ?",
                 (_last_attempt_id(conn), lesson_id))


def _lesson_state(conn: sqlite3.Connection, lesson_id: str) -> LessonState:
    lesson = conn.execute(
        "SELECT seed, started, finished, reset_after FROM lessons WHERE lesson_id = ?",
        (lesson_id,),
    ).fetchone()
    seed, started, finished, lesson_reset = lesson if lesson else (None, None, None, 0)
    rows = conn.execute(
        "SELECT step_id, status, hints, reset_after FROM steps WHERE lesson_id = ?",
        (lesson_id,),
    ).fetchall()
    kept = {step_id: (status, hints, reset) for step_id, status, hints, reset in rows}
    steps: dict[str, StepState] = {}
    for step_id in sorted(kept.keys() | set(_attempted_steps(conn, lesson_id))):
        status, hints, step_reset = kept.get(step_id, (None, 0, 0))
        since = max(lesson_reset, step_reset)  # attempts before a reset no longer count
        counted = conn.execute(
            "SELECT COUNT(*) FROM attempts WHERE lesson_id = ? AND step_id = ?"
            " AND verdict IN ('correct', 'incorrect') AND id > ?",
            (lesson_id, step_id, since),
        ).fetchone()[0]
        last = conn.execute(
            "SELECT answer FROM attempts WHERE lesson_id = ? AND step_id = ? AND id > ?"
            " ORDER BY id DESC LIMIT 1",
            (lesson_id, step_id, since),
        ).fetchone()
        state = StepState(status, int(counted), hints, last[0] if last else None)
        if state != StepState(None, 0, 0, None):  # a reset step with nothing since
            steps[step_id] = state
    return LessonState(lesson_id, seed, steps, started, finished)


def _attempted_steps(conn: sqlite3.Connection, lesson_id: str) -> list[str]:
    """The steps of the lesson with any attempt, one index seek per step: DISTINCT
    would read the index entry of every attempt."""
    return [row[0] for row in conn.execute(
        """WITH RECURSIVE found(step_id) AS (
               SELECT MIN(step_id) FROM attempts WHERE lesson_id = ?1
               UNION ALL
               SELECT (SELECT MIN(step_id) FROM attempts
                       WHERE lesson_id = ?1 AND step_id > found.step_id)
               FROM found WHERE found.step_id IS NOT NULL
           )
           SELECT step_id FROM found WHERE step_id IS NOT NULL""",
        (lesson_id,),
    )]


def _solving_attempts(conn: sqlite3.Connection, lesson_id: str, seed: int) -> list[Attempt]:
    latest = []
    for step_id in _attempted_steps(conn, lesson_id):
        row = conn.execute(
            "SELECT id FROM attempts WHERE lesson_id = ? AND step_id = ? AND verdict = 'correct'"
            " AND seed = ? ORDER BY id DESC LIMIT 1",
            (lesson_id, step_id, seed),
        ).fetchone()
        if row is not None:
            latest.append(row[0])
    return _attempts_where(conn, f"id IN ({', '.join('?' * len(latest))})", tuple(latest))


def _recent_answers(conn: sqlite3.Connection, lesson_id: str, step_id: str, limit: int,
                    scan: int) -> list[str]:
    answers: dict[str, None] = {}
    for (answer,) in conn.execute(
        "SELECT answer FROM attempts WHERE lesson_id = ? AND step_id = ?"
        " ORDER BY id DESC LIMIT ?", (lesson_id, step_id, scan)):
        answers.setdefault(answer, None)
        if len(answers) >= limit:
            break
    return list(answers)


def _attempts(conn: sqlite3.Connection, lesson_id: str | None) -> list[Attempt]:
    if lesson_id is None:
        return _attempts_where(conn, "1", ())
    return _attempts_where(conn, "lesson_id = ?", (lesson_id,))


def _attempts_where(conn: sqlite3.Connection, where: str, params: tuple) -> list[Attempt]:
    return [
        Attempt(lesson, step, seed, answer, verdict, tuple(json.loads(codes)), elapsed, at)
        for lesson, step, seed, answer, verdict, codes, elapsed, at in conn.execute(
            "SELECT lesson_id, step_id, seed, answer, verdict, diagnosis, elapsed, at"
            f" FROM attempts WHERE {where} ORDER BY id", params)
    ]


def _time_spent(conn: sqlite3.Connection, lesson_id: str, seed: int) -> dict[str, float]:
    return {step_id: float(total) for step_id, total in conn.execute(
        "SELECT step_id, SUM(elapsed) FROM attempts WHERE lesson_id = ? AND seed = ?"
        " GROUP BY step_id", (lesson_id, seed))}


def _summary(conn: sqlite3.Connection) -> list[dict]:
    lesson_ids = [row[0] for row in conn.execute(
        "SELECT lesson_id FROM lessons UNION SELECT lesson_id FROM attempts"
    )]
    totals = dict(conn.execute("SELECT lesson_id, COUNT(*) FROM attempts GROUP BY lesson_id"))
    rows = []
    for lesson_id in lesson_ids:
        state = _lesson_state(conn, lesson_id)
        steps = state.steps.values()
        rows.append({
            "lesson_id": lesson_id,
            "seed": state.seed,
            "solved": sum(1 for step in steps if step.status == "solved"),
            "revealed": sum(1 for step in steps if step.status == "revealed"),
            "attempts": sum(step.attempts for step in steps),
            "hints": sum(step.hints for step in steps),
            "started": state.started,
            "finished": state.finished,
            "all_attempts": totals.get(lesson_id, 0),
        })
    rows.sort(key=lambda row: (row["started"] is None, row["started"] or 0.0, row["lesson_id"]))
    return rows


# ---------------------------------------------------------------------------
# Snapshots: one student's whole record as plain values. They cross three borders:
# an export file (for work done offline, or handed in), an import (merged into a
# database), and the instructor's report (read from many databases and exports).

EXPORT_FORMAT = "chain-tutor-progress"
EXPORT_VERSION = 1
EXPORT_MAX_BYTES = 64 * 1024 * 1024  # years of attempts are a few MB; more is not ours
_SQLITE_MAGIC = b"SQLite format 3\x00"
_INT64 = 2**63


# What one import may hold: no more than the tutor itself writes (record_attempt keeps
# to the same limits), so that nothing imported can make a screen or a report slow,
# huge or wrong. An answer's limit is the parser's (max_answer_length).
MAX_IMPORT_ATTEMPTS = 100_000  # a lesson with this many opens quickly (test_tui_history.py)
MAX_IMPORT_LESSONS = 1_000
MAX_STEPS = 200  # per lesson
MAX_ID_LENGTH = 200  # lesson and step ids, diagnosis codes
MAX_STUDENT_LENGTH = 256  # a login name
MAX_DIAGNOSIS_CODES = 32  # per attempt
MAX_HINTS = 100  # per step; a lesson offers a handful
MAX_ELAPSED = 7 * 86400.0  # seconds on one answer: a step left open for a week
MAX_TIME = float(2**32)  # unix time, in 2106; times before 1970 are refused too


def max_answer_length() -> int:
    """The parser's limit: a longer answer cannot be checked, so it is never worth keeping.
    Imported when needed, so that the first screen does not wait for the engine."""
    from tutor.engine.parser import MAX_LENGTH

    return MAX_LENGTH


class ExportError(ProgressError):
    """A file that is not a usable progress export; the message says what is wrong."""


@dataclass(frozen=True)
class StepRecord:
    step_id: str
    status: str | None  # "solved" | "revealed" | None
    hints: int


@dataclass(frozen=True)
class LessonRecord:
    lesson_id: str
    seed: int | None
    started: float | None
    finished: float | None
    steps: tuple[StepRecord, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """A student's lessons with their current step statuses, and every attempt ever made."""

    lessons: tuple[LessonRecord, ...]
    attempts: tuple[Attempt, ...]
    student: str | None = None

    def statuses(self) -> dict[tuple[str, str], str]:
        """(lesson_id, step_id) → "solved" / "revealed", for the steps that have one."""
        return {
            (lesson.lesson_id, step.step_id): step.status
            for lesson in self.lessons
            for step in lesson.steps
            if step.status is not None
        }


@dataclass(frozen=True)
class MergeResult:
    added: int  # attempts inserted
    present: int  # attempts that were already there
    raised: int  # steps whose status went up


def _snapshot(conn: sqlite3.Connection, student: str | None) -> Snapshot:
    steps: dict[str, list[StepRecord]] = {}
    for lesson_id, step_id, status, hints in conn.execute(
        "SELECT lesson_id, step_id, status, hints FROM steps"
        " WHERE status IS NOT NULL OR hints > 0 ORDER BY lesson_id, step_id"
    ):
        steps.setdefault(lesson_id, []).append(StepRecord(step_id, status, int(hints)))
    lessons = tuple(
        LessonRecord(lesson_id, seed, started, finished, tuple(steps.get(lesson_id, ())))
        for lesson_id, seed, started, finished in conn.execute(
            "SELECT lesson_id, seed, started, finished FROM lessons"
            " ORDER BY started IS NULL, started, lesson_id"
        )
    )
    return Snapshot(lessons, tuple(_attempts(conn, None)), student)


def _attempt_key(attempt: Attempt) -> tuple:
    return (attempt.lesson_id, attempt.step_id, attempt.seed, attempt.answer, attempt.verdict,
            attempt.at)


def _merge(conn: sqlite3.Connection, snapshot: Snapshot, now: float) -> MergeResult:
    raised = 0
    for lesson in snapshot.lessons:
        row = conn.execute("SELECT seed, started, finished FROM lessons WHERE lesson_id = ?",
                           (lesson.lesson_id,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO lessons (lesson_id, seed, started, finished) VALUES (?, ?, ?, ?)",
                (lesson.lesson_id, lesson.seed, lesson.started, lesson.finished),
            )
        else:
            seed, started, finished = row
            starts = [t for t in (started, lesson.started) if t is not None]
            conn.execute(
                "UPDATE lessons SET seed = ?, started = ?, finished = ? WHERE lesson_id = ?",
                (seed if seed is not None else lesson.seed, min(starts) if starts else None,
                 finished if finished is not None else lesson.finished, lesson.lesson_id),
            )
        for step in lesson.steps:
            _ensure_step(conn, lesson.lesson_id, step.step_id, now)
            status, hints = conn.execute(
                "SELECT status, hints FROM steps WHERE lesson_id = ? AND step_id = ?",
                (lesson.lesson_id, step.step_id),
            ).fetchone()
            if higher(status, step.status) != status:
                status = higher(status, step.status)
                raised += 1
            conn.execute(
                "UPDATE steps SET status = ?, hints = ? WHERE lesson_id = ? AND step_id = ?",
                (status, max(hints, step.hints), lesson.lesson_id, step.step_id),
            )
    # A multiset: an attempt made twice (same answer, same second) stays twice, and a
    # second import of the same file finds every one of its attempts already counted.
    present = Counter(_attempt_key(a) for a in _attempts(conn, None))
    added = already = 0
    for attempt in sorted(snapshot.attempts, key=lambda a: a.at):
        key = _attempt_key(attempt)
        if present[key] > 0:
            present[key] -= 1
            already += 1
            continue
        _ensure_lesson(conn, attempt.lesson_id, attempt.at, attempt.seed)
        conn.execute(
            "INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, diagnosis,"
            " elapsed, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (attempt.lesson_id, attempt.step_id, attempt.seed, attempt.answer, attempt.verdict,
             json.dumps(list(attempt.diagnosis)), attempt.elapsed, attempt.at),
        )
        added += 1
    return MergeResult(added, already, raised)


# -- reading another user's database, read-only ----------------------------------


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


# -- the export file --------------------------------------------------------------
# JSON rather than a copy of the SQLite file (which the backup API could make): a
# person can read it before handing it in, it diffs and mails well, it has no
# journal mode or page size to go wrong on another file system, and it states only
# what it means, not this version's tables, so a later schema still reads version 1.


def export_json(snapshot: Snapshot, exported_at: float) -> dict:
    """The export file's content (format "chain-tutor-progress", version 1)."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "student": snapshot.student,
        "exported_at": datetime.fromtimestamp(exported_at, UTC).isoformat(timespec="seconds"),
        "lessons": [
            {
                "lesson_id": lesson.lesson_id,
                "seed": lesson.seed,
                "started": lesson.started,
                "finished": lesson.finished,
                "steps": [{"step_id": s.step_id, "status": s.status, "hints": s.hints}
                          for s in lesson.steps],
            }
            for lesson in snapshot.lessons
        ],
        "attempts": [
            {
                "lesson_id": a.lesson_id,
                "step_id": a.step_id,
                "seed": a.seed,
                "answer": a.answer,
                "verdict": a.verdict,
                "diagnosis": list(a.diagnosis),
                "elapsed": a.elapsed,
                "at": a.at,
            }
            for a in snapshot.attempts
        ],
    }


def write_export(path: Path | str, content: dict) -> None:
    """Write an export file whole or not at all (a temporary file, then a rename)."""
    write_whole(Path(path), json.dumps(content, ensure_ascii=False, indent=2) + "\n")


def read_export(path: Path | str) -> Snapshot:
    """An export file, validated in full; ExportError (with the reason) if unusable."""
    try:
        with open(path, "rb") as file:
            raw = file.read(EXPORT_MAX_BYTES + 1)
    except OSError as exc:
        raise ExportError(f"cannot read the file: {exc.strerror or exc}") from exc
    return loads_export(raw)


def loads_export(raw: bytes) -> Snapshot:
    if len(raw) > EXPORT_MAX_BYTES:
        raise ExportError(f"larger than {EXPORT_MAX_BYTES // 2**20} MiB, so not an export")
    if raw.startswith(_SQLITE_MAGIC):
        raise ExportError("a progress database, not an export; make one with "
                          "`chain-tutor progress --export FILE`")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ExportError(f"not a JSON file ({str(exc)[:80]})") from exc
    return snapshot_from_json(data)


def snapshot_from_json(data: object) -> Snapshot:
    """Validate an export's content, all of it, before anything uses it."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ExportError(f"not a chain-tutor progress export (no \"format\": "
                          f"\"{EXPORT_FORMAT}\")")
    version = _value(data, "version", "", int)
    if version > EXPORT_VERSION:
        raise ExportError(f"written by a newer chain-tutor (export version {version}; "
                          f"this version reads {EXPORT_VERSION})")
    if version < 1:
        raise ExportError(f"unknown export version {version}")
    student = _value(data, "student", "", str, optional=True)
    if student is not None:
        _name(student, "student", MAX_STUDENT_LENGTH)
    listed = _at_most(_value(data, "lessons", "", list), "lessons", MAX_IMPORT_LESSONS)
    lessons = tuple(_lesson_record(item, f"lessons[{i}]") for i, item in enumerate(listed))
    ids = Counter(lesson.lesson_id for lesson in lessons)
    twice = sorted(lesson_id for lesson_id, count in ids.items() if count > 1)
    if twice:
        raise ExportError(f"lesson {twice[0]!r} is listed twice")
    listed = _at_most(_value(data, "attempts", "", list), "attempts", MAX_IMPORT_ATTEMPTS)
    longest = max_answer_length()
    attempts = tuple(_attempt_record(item, f"attempts[{i}]", longest)
                     for i, item in enumerate(listed))
    return Snapshot(lessons, attempts, student)


def _lesson_record(item: object, where: str) -> LessonRecord:
    record = _object(item, where)
    lesson_id = _id(record, "lesson_id", where)
    listed = _value(record, "steps", where, list, optional=True) or []
    steps = tuple(
        _step_record(step, f"{where}.steps[{i}]")
        for i, step in enumerate(_at_most(listed, f"{where}.steps", MAX_STEPS))
    )
    if len({step.step_id for step in steps}) != len(steps):
        raise ExportError(f"{where} lists a step twice")
    return LessonRecord(
        lesson_id,
        _integer(record, "seed", where, optional=True),
        _time(record, "started", where, optional=True),
        _time(record, "finished", where, optional=True),
        steps,
    )


def _step_record(item: object, where: str) -> StepRecord:
    record = _object(item, where)
    status = _value(record, "status", where, str, optional=True)
    if status not in RANK:
        raise ExportError(f"{where}.status must be one of {STATUSES} or null, not {status!r}")
    hints = _integer(record, "hints", where, optional=True) or 0
    if not 0 <= hints <= MAX_HINTS:
        raise ExportError(f"{where}.hints must be between 0 and {MAX_HINTS}")
    return StepRecord(_id(record, "step_id", where), status, hints)


def _attempt_record(item: object, where: str, longest: int) -> Attempt:
    record = _object(item, where)
    verdict = _text(record, "verdict", where)
    if verdict not in VERDICTS:
        raise ExportError(f"{where}.verdict must be one of {VERDICTS}, not {verdict!r}")
    diagnosis = _value(record, "diagnosis", where, list, optional=True) or []
    if not all(isinstance(code, str) for code in diagnosis):
        raise ExportError(f"{where}.diagnosis must be a list of codes (strings)")
    _at_most(diagnosis, f"{where}.diagnosis", MAX_DIAGNOSIS_CODES)
    answer = _text(record, "answer", where, empty=True)
    if len(answer) > longest:
        raise ExportError(f"{where}.answer is {len(answer):,} characters long; the tutor "
                          f"takes answers of at most {longest:,}")
    elapsed = _number(record, "elapsed", where)
    if not 0 <= elapsed <= MAX_ELAPSED:
        raise ExportError(f"{where}.elapsed must be between 0 and {MAX_ELAPSED:,.0f} seconds")
    return Attempt(
        _id(record, "lesson_id", where),
        _id(record, "step_id", where),
        _integer(record, "seed", where),
        answer,
        verdict,
        tuple(_name(code, f"{where}.diagnosis", MAX_ID_LENGTH) for code in diagnosis),
        elapsed,
        _time(record, "at", where),
    )


_KINDS = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}


def _object(item: object, where: str) -> dict:
    if not isinstance(item, dict):
        raise ExportError(f"{where} must be an object")
    return item


def _value(record: dict, key: str, where: str, kind: type, *, optional: bool = False) -> Any:
    value = record.get(key)
    if value is None:
        if optional:
            return None
        raise ExportError(f"{where or 'the file'} has no {key!r}")
    kinds = (int, float) if kind is float else kind
    if isinstance(value, bool) or not isinstance(value, kinds):  # JSON true is no number
        raise ExportError(f"{where + '.' if where else ''}{key} must be {_KINDS[kind]}")
    return value


def _encodable(text: str, where: str) -> str:
    try:
        text.encode("utf-8")  # a lone surrogate ("\ud800") parses but cannot be stored
    except UnicodeEncodeError as exc:
        raise ExportError(f"{where} holds text that is not valid Unicode") from exc
    return text


def _text(record: dict, key: str, where: str, *, empty: bool = False) -> str:
    value = _value(record, key, where, str)
    if not value and not empty:
        raise ExportError(f"{where}.{key} must not be empty")
    return _encodable(value, f"{where}.{key}")


def _at_most(items: list, where: str, limit: int) -> list:
    if len(items) > limit:
        raise ExportError(f"{where} holds {len(items):,} entries; one import takes at most "
                          f"{limit:,}")
    return items


def _name(text: str, where: str, limit: int) -> str:
    """An id, code or login: short, and without control characters a terminal would obey."""
    if len(text) > limit:
        raise ExportError(f"{where} is {len(text):,} characters long; at most {limit} are "
                          "allowed")
    if not text.isprintable():
        raise ExportError(f"{where} holds a control character")
    return _encodable(text, where)


def _id(record: dict, key: str, where: str) -> str:
    return _name(_text(record, key, where), f"{where}.{key}", MAX_ID_LENGTH)


def _time(record: dict, key: str, where: str, *, optional: bool = False) -> Any:
    value = _number(record, key, where, optional=optional)
    if value is not None and not 0 <= value <= MAX_TIME:
        raise ExportError(f"{where}.{key} must be a time between 1970 and 2106 "
                          "(seconds since 1970)")
    return value


def _integer(record: dict, key: str, where: str, *, optional: bool = False) -> Any:
    value = _value(record, key, where, int, optional=optional)
    if value is not None and not -_INT64 <= value < _INT64:
        raise ExportError(f"{where}.{key} is out of range")
    return value


def _number(record: dict, key: str, where: str, *, optional: bool = False) -> Any:
    value = _value(record, key, where, float, optional=optional)
    if value is None:
        return None
    try:
        number = float(value)  # an integer too large for a float raises
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ExportError(f"{where}.{key} must be a finite number")
    return number
