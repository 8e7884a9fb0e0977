"""A student's whole record taken from a database, and another record merged into one.

The snapshot is what an export writes and the report reads; the merge is an import.
Both run inside the caller's transaction (ProgressStore.snapshot and .merge).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from tutor.progress.queries import (
    _attempts,
    _ensure_lesson,
    _ensure_step,
    _is_number,
    _is_seed,
    _networks,
    _reveals,
)
from tutor.progress.records import Attempt
from tutor.progress.schema import has_table, read_owner
from tutor.progress.snapshot_records import LessonRecord, MergeResult, Snapshot, StepRecord
from tutor.rules import higher


def _snapshot(conn: sqlite3.Connection, student: str | None,
              login: str | None = None) -> Snapshot:
    """The record; a damaged row (a value of the wrong type) is left out and said in
    ``skipped``, so the rest is still exported, imported or reported. ``login``: whose
    record it is, when the database does not say (one from before schema 4)."""
    damaged: list[str] = []
    steps: dict[str, list[StepRecord]] = {}
    for lesson_id, step_id, status, hints in conn.execute(
        "SELECT lesson_id, step_id, status, hints FROM steps"
        " WHERE status IS NOT NULL OR hints > 0 ORDER BY lesson_id, step_id"
    ):
        if not (isinstance(lesson_id, str) and isinstance(step_id, str)
                and (status is None or isinstance(status, str)) and _is_seed(hints, none=False)):
            damaged.append("a step of the database: a damaged row")
            continue
        steps.setdefault(lesson_id, []).append(StepRecord(step_id, status, int(hints)))
    lessons = []
    for lesson_id, seed, started, finished in conn.execute(
        "SELECT lesson_id, seed, started, finished FROM lessons"
        " ORDER BY started IS NULL, started, lesson_id"
    ):
        if not (isinstance(lesson_id, str) and _is_seed(seed)
                and (started is None or _is_number(started))
                and (finished is None or _is_number(finished))):
            damaged.append("a lesson of the database: a damaged row")
            continue
        lessons.append(LessonRecord(lesson_id, seed, started, finished,
                                    tuple(steps.get(lesson_id, ()))))
    # A database of schema 2 (read by the report, never migrated) has no networks table.
    networks = tuple(_networks(conn)) if has_table(conn, "networks") else ()
    attempts = tuple(_attempts(conn, None, damaged))
    reveals = tuple(_reveals(conn, damaged))
    return Snapshot(tuple(lessons), attempts, student, networks, tuple(damaged),
                    read_owner(conn) or login, reveals)


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
    # A network this database has keeps its own record (when it was added and used here).
    networks = 0
    for network in snapshot.networks:
        networks += conn.execute(
            "INSERT INTO networks (lesson_id, text, title, steps, checked_by, added, used)"
            " VALUES (?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (lesson_id) DO NOTHING",
            (network.lesson_id, network.text, network.title,
             json.dumps([list(step) for step in network.steps]), network.added, network.used),
        ).rowcount
    # A reveal is a moment: one this database holds already (an export of it imported
    # back) is not added again.
    known = {tuple(reveal) for reveal in _reveals(conn)}
    reveals = 0
    for reveal in sorted(snapshot.reveals, key=lambda r: r.at):
        if tuple(reveal) in known:
            continue
        known.add(tuple(reveal))
        _ensure_lesson(conn, reveal.lesson_id, reveal.at, reveal.seed)
        conn.execute("INSERT INTO reveals (lesson_id, step_id, seed, at, studied)"
                     " VALUES (?, ?, ?, ?, ?)", (*reveal[:4], int(reveal.studied)))
        reveals += 1
    return MergeResult(added, already, raised, networks, reveals)
