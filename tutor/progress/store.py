"""ProgressStore: one user's progress in one SQLite file, for the tutor to use as it runs.

The class holds the connection, its lock and the ``notice`` a screen shows; what
each method reads or writes is a query of tutor.progress.queries, run inside one
short transaction here. The tutor's first screen opens a store, so what only an export,
an import or the report needs (tutor.progress.snapshots) is imported where it is used.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.files import make_private_folder, not_a_folder
from tutor.progress.connection import (
    _connect,
    _Corrupt,
    _move_aside,
    _requested_journal,
    _stat_or_none,
    _transaction,
)
from tutor.progress.limits import (
    MAX_DIAGNOSIS_CODES,
    MAX_ELAPSED,
    MAX_HINTS,
    MAX_TITLE,
    clean_text,
    max_answer_length,
)
from tutor.progress.locations import DATA_ENV, DB_NAME, default_data_dir
from tutor.progress.queries import (
    _apply,
    _attempts,
    _clear_lesson,
    _ensure_lesson,
    _ensure_step,
    _last_attempt_id,
    _lesson_exists,
    _lesson_state,
    _networks,
    _recent_answers,
    _reveals,
    _save_network,
    _solving_attempts,
    _summary,
    _time_spent,
)
from tutor.progress.records import Attempt, LessonState, ProgressError, Reveal, SavedNetwork
from tutor.progress.schema import LeftAlone
from tutor.rules import STATUSES, VERDICTS, Event, event_for

if TYPE_CHECKING:
    from tutor.progress.snapshot_records import MergeResult, Snapshot


class ProgressStore:
    """Progress for one user, backed by one SQLite file.

    ``ProgressStore(path)`` opens (creating and migrating as needed) and raises if the
    file cannot be used (LeftAlone if it is another program's or a newer tutor's);
    ``ProgressStore.open(data_dir)`` never raises and returns a disabled store instead.
    Once open, methods never raise for database trouble: they set ``notice`` and carry on.
    """

    enabled: bool
    notice: str | None
    path: Path | None
    # Called with each new notice after opening (a write or read failed mid-session),
    # for a UI to show at once; set by the app. Must not raise.
    listener: Callable[[str], None] | None = None
    journal: str | None  # journal mode actually in use ("wal", "delete", ...)
    # Off because the file is not the tutor's to open (another program's, a newer
    # tutor's) or the data folder is no folder: the user must act, so a command that
    # needs the store exits 2.
    left_alone: bool = False
    # A database not made yet (open(create_later=True) on a first launch): made by
    # create(), or by the first write, whichever comes first. Until then a read finds
    # nothing, which is what the file would hold.
    _pending: str | None = None  # the journal mode to make it with

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
            if self.path.is_symlink():
                # A link was made on purpose, and what it names may be another program's
                # file: neither it nor the link is moved, and nothing is started in its place.
                raise LeftAlone(f"{self.path} links to a file that is not a usable progress "
                                f"database ({exc}); it was left untouched") from None
            moved = _move_aside(self.path, seen)
            self._conn, self.journal = _connect(self.path, mode)  # fails loudly if still bad
            if moved is not None:
                self.notice = (f"Your progress file could not be read ({exc}). It was moved "
                               f"to {moved} and a new one was started.")
        self.enabled = True

    @classmethod
    def open(cls, data_dir: Path | None = None, journal: str | None = None, *,
             create_later: bool = False) -> ProgressStore:
        """Open the store in `data_dir` (default: default_data_dir()); never raises for I/O.

        ``create_later``: a database that does not exist yet is made by `create()` or by
        the first write, not now (a first launch draws its first screen without it)."""
        try:
            directory = Path(data_dir) if data_dir is not None else default_data_dir()
            refused = not_a_folder(directory)
            if refused:  # the user must name another folder: commands exit 2
                named = "--data-dir" if data_dir is not None else f"${DATA_ENV}"
                raise LeftAlone(f"{refused}: {named} names the folder that holds {DB_NAME}")
            if create_later and not os.path.lexists(directory / DB_NAME):
                store = cls.disabled("")
                store.path, store.notice, store.enabled = directory / DB_NAME, None, True
                store._pending = journal or "wal"
                return store
            make_private_folder(directory)
            return cls(directory / DB_NAME, journal or "wal")
        except LeftAlone as exc:
            store = cls.disabled(str(exc))
            store.left_alone = True
            return store
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

    def create(self) -> None:
        """Make the database now if it is still to be made; a failure turns progress off
        and is told (notice, listener), as a failed write would be."""
        with self._lock:
            journal, self._pending = self._pending, None
            if journal is None or self.path is None:
                return
            try:
                make_private_folder(self.path.parent)
                made = ProgressStore(self.path, journal, clock=self._clock)
            except (OSError, sqlite3.Error, ProgressError) as exc:  # LeftAlone among them
                self.enabled = False
                message = self.notice = f"progress is off: {exc}"
            else:
                self._conn, self.journal, self.notice = made._conn, made.journal, made.notice
                made._conn = None
                if self.notice is None:
                    return
                message = self.notice
        self._tell(message)

    def close(self) -> None:
        with self._lock:
            self._pending = None
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self.enabled = False

    @property
    def where(self) -> str:
        """Where the progress is kept, in words for a message."""
        return str(self.path) if self.path is not None else "nowhere (progress is off)"

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------

    def _write(self, what: str, work: Callable[[sqlite3.Connection, float], None]) -> None:
        if self._pending is not None:
            self.create()
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
        if self._pending is not None and self.path is not None and self.path.exists():
            self.create()  # another login of the same student made it meanwhile
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

    def reveals(self) -> list[Reveal]:
        """Each time a step's solution was shown, oldest first (knowledge tracing)."""
        return self._read("reveals", _reveals, [])

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

    def owner(self) -> str | None:
        """The login recorded as this database's owner when it was made (or upgraded)."""
        from tutor.progress.schema import read_owner

        return self._read("owner", read_owner, None)

    def summary(self) -> list[dict]:
        """One dict per lesson with any record, in the order they were started.

        Keys: lesson_id, seed, solved, revealed, attempts (until solved, since the last
        reset), hints, started, finished (first finished, kept by a new variant),
        all_attempts (the whole history, any verdict).
        """
        return self._read("summary", _summary, [])

    # -- writing ---------------------------------------------------------------

    def set_seed(self, lesson_id: str, seed: int) -> None:
        """Start the lesson with this variant, or switch to a new one.

        The same seed again is a no-op, so calling this on every open is safe. A
        different seed is a new variant: step statuses and hints are cleared; the
        attempt history and the time the lesson was first finished are kept.
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

    def mark(self, lesson_id: str, step_id: str, status: str, *, studied: bool = False
             ) -> None:
        """Set a step's status; a solved step stays solved if later revealed. ``studied``:
        revealed as a worked example (shown before it was asked), not by the student."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")

        event = event_for(status)

        def work(conn: sqlite3.Connection, now: float) -> None:
            _apply(conn, lesson_id, step_id, event, now)
            if event is Event.REVEAL:  # when, too: a reset clears the status, not this
                conn.execute(
                    "INSERT INTO reveals (lesson_id, step_id, seed, at, studied)"
                    " SELECT lesson_id, ?, seed, ?, ? FROM lessons WHERE lesson_id = ?",
                    (step_id, now, int(studied), lesson_id))

        self._write(status, work)

    def record_hint(self, lesson_id: str, step_id: str) -> None:
        def work(conn: sqlite3.Connection, now: float) -> None:
            _ensure_step(conn, lesson_id, step_id, now)
            conn.execute("UPDATE steps SET hints = CASE WHEN hints < ?1 THEN hints + 1 ELSE ?1 END"
                         " WHERE lesson_id = ?2 AND step_id = ?3", (MAX_HINTS, lesson_id, step_id))

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
        """Clear every step's status, hints and attempt count.

        The seed (so the same variant), started and finished times and history are kept.
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

    # -- the student's own networks ---------------------------------------------

    def networks(self) -> list[SavedNetwork]:
        """Every saved network, the one opened last first."""
        return self._read("networks", _networks, [])

    def save_network(self, lesson_id: str, text: str, title: str,
                     steps: Iterable[tuple[str, str]], checked_by: str | None = None) -> None:
        """Keep a network (or mark it used now): its text is what resumes its lesson.
        ``steps``: its lesson's (id, label) pairs; ``checked_by``: the version that has
        just validated its lesson (None: unchanged). The title is kept as an import would
        take it (tutor.progress.limits.clean_text), so that every export imports."""
        title = clean_text(title, MAX_TITLE)

        def work(conn: sqlite3.Connection, now: float) -> None:
            _save_network(conn, SavedNetwork(lesson_id, text, title, tuple(steps), checked_by,
                                             now, now))

        self._write("network", work)

    def forget_network(self, lesson_id: str) -> None:
        """Take a network off the list; its attempts are kept (the history is never
        deleted), so typing it again resumes it."""
        def work(conn: sqlite3.Connection, now: float) -> None:
            conn.execute("DELETE FROM networks WHERE lesson_id = ?", (lesson_id,))

        self._write("network", work)

    def draft(self) -> str | None:
        """What was last in the network editor (None: nothing yet)."""
        row = self._read("draft", lambda conn: conn.execute(
            "SELECT text FROM network_draft WHERE id = 1").fetchone(), None)
        return row[0] if row else None

    def save_draft(self, text: str) -> None:
        def work(conn: sqlite3.Connection, now: float) -> None:
            conn.execute("INSERT INTO network_draft (id, text, saved) VALUES (1, ?, ?)"
                         " ON CONFLICT (id) DO UPDATE SET text = excluded.text,"
                         " saved = excluded.saved", (text, now))

        self._write("draft", work)

    # -- the whole record at once (export, import) ------------------------------
    # Unlike the methods above these raise ProgressError: they run as one explicit
    # command, whose user must learn that it failed.

    def snapshot(self, student: str | None = None) -> Snapshot:
        """Everything recorded, as plain values (for an export), in one consistent read."""
        from tutor.progress.snapshots import _snapshot

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
        from tutor.progress.snapshots import _merge

        return self._strict("saved", lambda conn: _merge(conn, snapshot, self._clock()),
                            write=True)

    def _strict(self, what: str, work: Callable[[sqlite3.Connection], Any], *,
                write: bool) -> Any:
        if self._pending is not None:
            self.create()
        with self._lock:
            if self._conn is None:
                raise ProgressError(self.notice or "progress is off")
            try:
                with _transaction(self._conn, write=write) as conn:
                    return work(conn)
            except sqlite3.Error as exc:
                raise ProgressError(f"progress could not be {what}: {exc}") from exc
