"""A long history costs nothing to read: the work of reading a lesson does not grow with it.

Work is counted in SQLite virtual-machine steps (a progress handler), which unlike a
stopwatch does not depend on the machine or on what else it runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tutor.progress import DB_NAME, ProgressStore
from tutor.rules import attempts_until_solved

LESSON = "two-layer-sigmoid"
STEPS = ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1")


VERDICTS = ("correct", "incorrect", "invalid")


def fill(path: Path, attempts: int, verdicts: tuple[str, ...] = VERDICTS) -> None:
    """`attempts` attempts spread over five steps, with a few correct ones and a reset."""
    ProgressStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO lessons (lesson_id, seed, started) VALUES (?, 1, 1.7e9)",
                     (LESSON,))
        conn.executemany(
            "INSERT INTO attempts (lesson_id, step_id, seed, answer, verdict, diagnosis,"
            " elapsed, at) VALUES (?, ?, 1, ?, ?, '[]', 2.0, ?)",
            ((LESSON, STEPS[i % 5], f"answer {i}",
              verdicts[(i // 5) % len(verdicts)], 1.7e9 + i)
             for i in range(attempts)),
        )
        conn.execute("INSERT INTO steps (lesson_id, step_id, status, reset_after)"
                     " VALUES (?, 'df_dh2', 'solved', ?)", (LESSON, attempts // 2))


def work_to_open(path: Path) -> tuple[int, tuple]:
    """VM steps (in thousands) to read what the lesson screen needs, and what it read."""
    with ProgressStore(path) as store:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        store._conn.set_progress_handler(count, 1000)
        read = (store.lesson(LESSON), store.solving_attempts(LESSON, 1))
        store._conn.set_progress_handler(None, 0)
    return steps[0], read


@pytest.mark.parametrize("attempts", [100_000])
def test_reading_a_lesson_does_not_grow_with_its_history(tmp_path: Path, attempts: int):
    path = tmp_path / DB_NAME
    fill(path, attempts)
    work, (state, solving) = work_to_open(path)
    assert work < 1000, work
    # Attempts count until the first correct one (i = 1 for dh2_dz2); after the reset
    # half way, df_dh2 is answered wrong, invalid, then right.
    assert state.steps["dh2_dz2"].attempts == 1
    assert state.steps["df_dh2"].attempts == 2
    assert state.steps["df_dz1"].last_answer == f"answer {attempts - 1}"
    assert {a.step_id for a in solving} == set(STEPS)
    assert all(a.verdict == "correct" for a in solving)


@pytest.mark.parametrize("attempts", [100_000])
def test_a_step_never_solved_counts_its_whole_history_quickly(tmp_path: Path, attempts: int):
    path = tmp_path / DB_NAME
    fill(path, attempts, verdicts=("incorrect", "invalid"))
    work, (state, solving) = work_to_open(path)
    # Counting a step's attempts reads its range of the index (in C, ~1 ms per 20,000
    # attempts): 240 here. Reading every attempt took 4,500, and as many rows decoded
    # in Python.
    assert work < 1000, work
    counted = attempts // 5 // 2  # incorrect ones count; invalid is free
    assert state.steps["dh2_dz2"].attempts == pytest.approx(counted, abs=2)
    assert state.steps["df_dh2"].attempts == pytest.approx(counted / 2, abs=2)  # reset half way
    assert solving == []


def test_the_same_state_as_reading_every_attempt(tmp_path: Path):
    """The aggregates agree with the rule they replace, on a history with resets."""
    path = tmp_path / DB_NAME
    with ProgressStore(path) as store:
        for i in range(60):
            step = STEPS[i % 3]
            store.record_attempt(LESSON, step, 1 + (i >= 50), f"a{i}",
                                 ("correct", "incorrect", "invalid")[i % 4 % 3], [], 1.0)
            if i == 20:
                store.reset_step(LESSON, STEPS[1])
            if i == 40:
                store.reset_lesson(LESSON)
        state = store.lesson(LESSON)
        history = store.attempts(LESSON)
        solving = store.solving_attempts(LESSON, 1)
        spent = store.time_spent(LESSON, 1)
    # Since the lesson reset (after attempt 40), by step:
    for step in STEPS[:3]:
        since = [a for a in history[41:] if a.step_id == step]
        assert state.steps[step].attempts == attempts_until_solved(since)
        assert state.steps[step].last_answer == since[-1].answer
    latest = {a.step_id: a.answer for a in history if a.verdict == "correct" and a.seed == 1}
    assert {a.step_id: a.answer for a in solving} == latest
    assert spent == {step: float(sum(1 for a in history if a.step_id == step and a.seed == 1))
                     for step in STEPS[:3]}
