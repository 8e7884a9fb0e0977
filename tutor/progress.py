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
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

DB_NAME = "progress.db"
APP_NAME = "chain-tutor"
DATA_ENV = "CHAIN_TUTOR_DATA"
JOURNAL_ENV = "CHAIN_TUTOR_JOURNAL"
JOURNAL_MODES = ("wal", "delete")
BUSY_TIMEOUT = 10.0  # seconds; another login's write transaction is far shorter
VERDICTS = ("correct", "incorrect", "invalid")
STATUSES = ("solved", "revealed")

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

_MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
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
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
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
            except sqlite3.Error as exc:
                self.notice = f"progress could not be saved ({what}): {exc}"

    def _read(self, what: str, work: Callable[[sqlite3.Connection], Any], empty: Any) -> Any:
        with self._lock:
            if self._conn is None:
                return empty
            try:
                # One read transaction so multi-query answers are a consistent snapshot.
                with _transaction(self._conn, write=False) as conn:
                    return work(conn)
            except sqlite3.Error as exc:
                self.notice = f"progress could not be read ({what}): {exc}"
                return empty

    # -- reading ---------------------------------------------------------------

    def lesson(self, lesson_id: str) -> LessonState:
        empty = LessonState(lesson_id, None, {}, None, None)
        return self._read("lesson", lambda conn: _lesson_state(conn, lesson_id), empty)

    def attempts(self, lesson_id: str | None = None) -> list[Attempt]:
        return self._read("attempts", lambda conn: _attempts(conn, lesson_id), [])

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
                       verdict: str, diagnosis: Iterable[str], elapsed: float) -> None:
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {verdict!r}")
        codes = json.dumps([str(code) for code in diagnosis])
        seed = int(seed)  # numpy integers from the variant generator do not bind

        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_lesson(conn, lesson_id, now, seed)
            conn.execute(
                "INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, diagnosis,"
                " elapsed, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (lesson_id, step_id, seed, answer, verdict, codes, float(elapsed), now),
            )

        self._write("attempt", work)

    def mark(self, lesson_id: str, step_id: str, status: str) -> None:
        """Set a step's status; a solved step stays solved if later revealed."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")

        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_step(conn, lesson_id, step_id, now)
            conn.execute(
                "UPDATE steps SET status = ? WHERE lesson_id = ? AND step_id = ?"
                " AND status IS NOT 'solved'",
                (status, lesson_id, step_id),
            )

        self._write(status, work)

    def record_hint(self, lesson_id: str, step_id: str) -> None:
        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_step(conn, lesson_id, step_id, now)
            conn.execute("UPDATE steps SET hints = hints + 1 WHERE lesson_id = ? AND step_id = ?",
                         (lesson_id, step_id))

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


# ---------------------------------------------------------------------------
# Queries, kept outside the class so each runs inside the caller's transaction.


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
    counted: dict[str, int] = {}
    last: dict[str, str] = {}
    for step_id, answer, verdict, attempt_id in conn.execute(
        "SELECT step_id, answer, verdict, id FROM attempts WHERE lesson_id = ? AND id > ?"
        " ORDER BY id",
        (lesson_id, lesson_reset),
    ):
        if attempt_id <= kept.get(step_id, (None, 0, 0))[2]:
            continue  # made before this step was reset
        counted[step_id] = counted.get(step_id, 0) + (verdict != "invalid")
        last[step_id] = answer
    steps: dict[str, StepState] = {}
    for step_id in sorted(kept.keys() | last.keys()):
        status, hints, _ = kept.get(step_id, (None, 0, 0))
        state = StepState(status, counted.get(step_id, 0), hints, last.get(step_id))
        if state != StepState(None, 0, 0, None):  # a reset step with nothing since
            steps[step_id] = state
    return LessonState(lesson_id, seed, steps, started, finished)


def _attempts(conn: sqlite3.Connection, lesson_id: str | None) -> list[Attempt]:
    query = ("SELECT lesson_id, step_id, seed, answer, verdict, diagnosis, elapsed, at"
             " FROM attempts")
    params: tuple[str, ...] = ()
    if lesson_id is not None:
        query += " WHERE lesson_id = ?"
        params = (lesson_id,)
    return [
        Attempt(lesson, step, seed, answer, verdict, tuple(json.loads(codes)), elapsed, at)
        for lesson, step, seed, answer, verdict, codes, elapsed, at
        in conn.execute(query + " ORDER BY id", params)
    ]


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
