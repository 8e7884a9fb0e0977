"""The SQL behind the store's methods, each a function of an open connection.

Kept outside the class so each runs inside the caller's transaction: a method
composes several of them and they all see one consistent database.
"""

from __future__ import annotations

import json
import math
import sqlite3

from tutor.progress.records import Attempt, LessonState, Reveal, SavedNetwork, StepState
from tutor.progress.schema import has_column, has_table
from tutor.rules import Event, after


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
    conn.execute("INSERT INTO lessons (lesson_id, seed, started) VALUES (?, ?, ?)"
                 " ON CONFLICT DO NOTHING", (lesson_id, seed, now))
    if seed is not None:
        conn.execute("UPDATE lessons SET seed = ? WHERE lesson_id = ? AND seed IS NULL",
                     (seed, lesson_id))


def _ensure_step(conn: sqlite3.Connection, lesson_id: str, step_id: str, now: float) -> None:
    _ensure_lesson(conn, lesson_id, now)
    conn.execute("INSERT INTO steps (lesson_id, step_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                 (lesson_id, step_id))


def _clear_lesson(conn: sqlite3.Connection, lesson_id: str) -> None:
    """Every step open again; ``finished`` stays (a finished lesson stays finished)."""
    conn.execute("DELETE FROM steps WHERE lesson_id = ?", (lesson_id,))
    conn.execute("UPDATE lessons SET reset_after = ? WHERE lesson_id = ?",
                 (_last_attempt_id(conn), lesson_id))


def _lesson_state(conn: sqlite3.Connection, lesson_id: str) -> LessonState:
    lesson = conn.execute(
        "SELECT seed, started, finished, reset_after FROM lessons WHERE lesson_id = ?",
        (lesson_id,),
    ).fetchone()
    seed, started, finished, lesson_reset = lesson if lesson else (None, None, None, 0)
    if not _is_seed(seed):  # a damaged row: the lesson starts a variant afresh
        seed = None
    rows = conn.execute(
        "SELECT step_id, status, hints, reset_after FROM steps WHERE lesson_id = ?",
        (lesson_id,),
    ).fetchall()
    kept = {step_id: (status if isinstance(status, str) else None,
                      hints if _is_seed(hints, none=False) else 0, reset)
            for step_id, status, hints, reset in rows}
    steps: dict[str, StepState] = {}
    for step_id in sorted(kept.keys() | set(_attempted_steps(conn, lesson_id))):
        status, hints, step_reset = kept.get(step_id, (None, 0, 0))
        since = max(lesson_reset, step_reset)  # attempts before a reset no longer count
        counted = conn.execute(_UNTIL_SOLVED, (lesson_id, step_id, since)).fetchone()[0]
        last = conn.execute(
            "SELECT answer FROM attempts WHERE lesson_id = ? AND step_id = ? AND id > ?"
            " ORDER BY id DESC LIMIT 1",
            (lesson_id, step_id, since),
        ).fetchone()
        answer = last[0] if last else None
        if isinstance(answer, bytes):  # a damaged row: what can be read of it
            answer = answer.decode("utf-8", errors="replace")
        state = StepState(status, int(counted), hints, answer)
        if state != StepState(None, 0, 0, None):  # a reset step with nothing since
            steps[step_id] = state
    studied = frozenset(row[0] for row in conn.execute(
        "SELECT DISTINCT step_id FROM reveals WHERE lesson_id = ? AND seed = ? AND studied = 1",
        (lesson_id, seed))) if seed is not None and has_column(conn, "reveals", "studied") \
        else frozenset()
    return LessonState(lesson_id, seed, steps, started, finished, studied)


# tutor.rules.attempts_until_solved over a step's attempts after id ?3: those that
# counted, up to and including the first correct one. Two index range reads
# (attempts_by_verdict), however long the history.
_UNTIL_SOLVED = """
    SELECT COUNT(*) FROM attempts
    WHERE lesson_id = ?1 AND step_id = ?2 AND verdict IN ('correct', 'incorrect') AND id > ?3
      AND id <= COALESCE((SELECT MIN(id) FROM attempts WHERE lesson_id = ?1 AND step_id = ?2
                          AND verdict = 'correct' AND id > ?3), 9223372036854775807)"""


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
    if not latest:
        return []
    return _attempts_where(conn, f"id IN ({', '.join('?' * len(latest))})", tuple(latest))


def _recent_answers(conn: sqlite3.Connection, lesson_id: str, step_id: str, limit: int,
                    scan: int) -> list[str]:
    answers: dict[str, None] = {}
    for (answer,) in conn.execute(
        "SELECT answer FROM attempts WHERE lesson_id = ? AND step_id = ?"
        " ORDER BY id DESC LIMIT ?", (lesson_id, step_id, scan)):
        if isinstance(answer, bytes):  # a damaged row: what can be read of it
            answer = answer.decode("utf-8", errors="replace")
        if not isinstance(answer, str):
            continue
        answers.setdefault(answer, None)
        if len(answers) >= limit:
            break
    return list(answers)


def _attempts(conn: sqlite3.Connection, lesson_id: str | None,
              damaged: list[str] | None = None) -> list[Attempt]:
    if lesson_id is None:
        return _attempts_where(conn, "1 = 1", (), damaged)
    return _attempts_where(conn, "lesson_id = ?", (lesson_id,), damaged)


def _attempts_where(conn: sqlite3.Connection, where: str, params: tuple,
                    damaged: list[str] | None = None) -> list[Attempt]:
    """The attempts; a damaged row (a value of the wrong type, left by another program
    or a crafted file) is left out, and said in ``damaged`` when given."""
    attempts = []
    for row in conn.execute(
            "SELECT id, lesson_id, step_id, seed, answer, verdict, diagnosis, elapsed, at"
            f" FROM attempts WHERE {where} ORDER BY id", params):
        attempt = _attempt(*row[1:])
        if attempt is not None:
            attempts.append(attempt)
        elif damaged is not None:
            damaged.append(f"attempt {row[0]} of the database: a damaged row")
    return attempts


def _attempt(lesson: object, step: object, seed: object, answer: object, verdict: object,
             codes: object, elapsed: object, at: object) -> Attempt | None:
    """The row as an Attempt, read leniently where that is safe (an answer stored as
    bytes is decoded with replacement, a diagnosis that cannot be read has no codes);
    None when what identifies or times the attempt is not of its type."""
    if isinstance(answer, bytes):
        answer = answer.decode("utf-8", errors="replace")
    if not (isinstance(lesson, str) and isinstance(step, str) and isinstance(answer, str)
            and isinstance(verdict, str) and _is_seed(seed, none=False)
            and _is_number(elapsed) and _is_number(at)):
        return None
    return Attempt(lesson, step, seed, answer, verdict,  # type: ignore[arg-type]
                   _codes_or_none(codes), float(elapsed), float(at))  # type: ignore[arg-type]


def _is_seed(value: object, *, none: bool = True) -> bool:
    return (value is None and none) or (isinstance(value, int) and not isinstance(value, bool))


def _is_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _codes_or_none(raw: object) -> tuple[str, ...]:
    """A diagnosis that cannot be read costs only its codes, not the attempt."""
    try:
        return _codes(raw)
    except (ValueError, UnicodeDecodeError):
        return ()


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


def _save_network(conn: sqlite3.Connection, network: SavedNetwork) -> None:
    """Insert it, or (the same text again) keep its first ``added`` and update the rest."""
    conn.execute(
        "INSERT INTO networks (lesson_id, text, title, steps, checked_by, added, used)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (lesson_id) DO UPDATE SET"
        " text = excluded.text, title = excluded.title, steps = excluded.steps,"
        " checked_by = COALESCE(excluded.checked_by, networks.checked_by),"
        " used = excluded.used",
        (network.lesson_id, network.text, network.title,
         json.dumps([list(step) for step in network.steps]), network.checked_by,
         network.added, network.used))


def _reveals(conn: sqlite3.Connection, damaged: list[str] | None = None) -> list[Reveal]:
    """Each time a step's solution was shown, oldest first; none in a database from
    before schema 5 (read by the report, never migrated), which has no table for them."""
    if not has_table(conn, "reveals"):
        return []
    studied = "studied" if has_column(conn, "reveals", "studied") else "0"
    reveals = []
    for number, lesson, step, seed, at, shown in conn.execute(
            f"SELECT id, lesson_id, step_id, seed, at, {studied} FROM reveals ORDER BY id"):
        if isinstance(lesson, str) and isinstance(step, str) and _is_seed(seed) and (
                _is_number(at)):
            reveals.append(Reveal(lesson, step, seed, float(at), shown == 1))
        elif damaged is not None:
            damaged.append(f"reveal {number} of the database: a damaged row")
    return reveals


def _networks(conn: sqlite3.Connection) -> list[SavedNetwork]:
    return [SavedNetwork(lesson_id, text, title, _step_pairs(steps), checked_by, added, used)
            for lesson_id, text, title, steps, checked_by, added, used in conn.execute(
                "SELECT lesson_id, text, title, steps, checked_by, added, used FROM networks"
                " ORDER BY used DESC, lesson_id")]


def _codes(raw: object) -> tuple[str, ...]:
    """An attempt's diagnosis codes, stored as a JSON list of strings; ValueError for
    anything else (a damaged or crafted database: the reader says which file)."""
    try:
        codes = json.loads(raw)  # type: ignore[arg-type]
    except RecursionError:  # json recurses per level: "[[[[…" a million deep
        raise ValueError("a diagnosis nested too deeply") from None
    except (TypeError, UnicodeDecodeError):
        raise ValueError(f"a diagnosis that is not text: {type(raw).__name__}") from None
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ValueError("a diagnosis that is not a list of codes")
    return tuple(codes)


def _step_pairs(raw: str) -> tuple[tuple[str, str], ...]:
    """The stored steps; a damaged entry lists none (the lesson made again has them)."""
    try:
        steps = json.loads(raw)
        return tuple((str(step_id), str(label)) for step_id, label in steps)
    except (ValueError, TypeError, RecursionError):
        return ()
