"""Each reveal is recorded with its time (schema 5, export version 4), so a course's grade
leaves out a step whose solution was shown before it was first solved, whatever reset
or new variant cleared its status since (tutor.report.grades). Before, a step revealed,
reset and typed in counted as solved.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tutor.lessons.course import Assignment
from tutor.lessons.index import read_index
from tutor.progress import ProgressStore, Reveal
from tutor.progress.export import export_json, snapshot_from_json
from tutor.report.grades import grade, lesson_steps

LESSON = "two-layer-sigmoid"
T = 1_900_000_000.0
DUE_AT = datetime.fromtimestamp(T + 10_000, UTC)
WHOLE = Assignment(title="Sigmoid", lessons=[LESSON], due=DUE_AT, points=6)


class Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def steps():
    return lesson_steps(read_index())


@pytest.fixture
def store(tmp_path):
    clock = Clock()
    with ProgressStore(tmp_path / "progress.db", clock=clock) as opened:
        opened.clock_for_test = clock
        yield opened


def _at(store, seconds: float) -> None:
    store.clock_for_test.now = T + seconds


def _solve(store, step: str, seed: int = 7) -> None:
    store.record_attempt(LESSON, step, seed, "x", "correct", [], 5, solves=True)


def _reveal_reset_and_type_in(store, step: str = "df_dh2") -> None:
    """The solution shown at T+10, the step reset, and the answer just read typed in at
    T+30: the loophole a status alone left open."""
    store.set_seed(LESSON, 7)
    _at(store, 10)
    store.mark(LESSON, step, "revealed")
    store.reset_step(LESSON, step)
    _at(store, 30)
    _solve(store, step)


def test_a_reveal_is_recorded_with_its_time_and_variant_and_outlives_a_reset(store):
    store.set_seed(LESSON, 7)
    _at(store, 10)
    store.mark(LESSON, "df_dh2", "revealed")
    _at(store, 20)
    store.reset_step(LESSON, "df_dh2")
    store.set_seed(LESSON, 8)  # a new variant clears every status too
    snapshot = store.snapshot()
    assert snapshot.statuses() == {}
    assert snapshot.reveals == (Reveal(LESSON, "df_dh2", 7, T + 10),)


def test_a_step_revealed_reset_and_typed_in_earns_nothing(store, steps):
    _reveal_reset_and_type_in(store)
    _at(store, 40)
    _solve(store, "dh2_dz2")
    result = grade(WHOLE, steps, [store.snapshot()])
    assert (result.on_time, result.revealed, result.earned) == (1, 1, Decimal("1.00"))


def test_a_reveal_in_one_variant_counts_against_the_step_in_the_next(store, steps):
    store.set_seed(LESSON, 7)
    _at(store, 10)
    store.mark(LESSON, "df_dh2", "revealed")
    store.set_seed(LESSON, 8)
    _at(store, 30)
    _solve(store, "df_dh2", seed=8)
    assert grade(WHOLE, steps, [store.snapshot()]).revealed == 1


def test_a_step_solved_and_then_revealed_keeps_its_credit(store, steps):
    store.set_seed(LESSON, 7)
    _at(store, 10)
    _solve(store, "df_dh2")
    _at(store, 20)
    store.mark(LESSON, "df_dh2", "revealed")  # to compare: it stays solved
    result = grade(WHOLE, steps, [store.snapshot()])
    assert (result.on_time, result.revealed) == (1, 0)


def test_reveals_go_through_an_export_and_an_import_once(tmp_path, store, steps):
    _reveal_reset_and_type_in(store)
    content = json.loads(json.dumps(export_json(store.snapshot("alice"), T + 100)))
    assert content["version"] == 5
    assert content["reveals"] == [{"lesson_id": LESSON, "step_id": "df_dh2", "seed": 7,
                                   "at": T + 10}]
    read = snapshot_from_json(content)
    assert read.reveals == store.snapshot().reveals
    assert grade(WHOLE, steps, [read]).revealed == 1  # a handed-in file grades the same
    with ProgressStore(tmp_path / "server.db") as server:
        assert server.merge(read).reveals == 1
        assert server.merge(read).reveals == 0  # imported again: nothing added
        assert server.snapshot().reveals == read.reveals
        assert grade(WHOLE, steps, [server.snapshot()]).revealed == 1


def test_an_older_export_without_reveals_still_reads():
    old = {"format": "chain-tutor-progress", "version": 3, "login": "bob",
           "lessons": [{"lesson_id": LESSON, "seed": 1, "steps": []}], "attempts": []}
    assert snapshot_from_json(old).reveals == ()


def test_a_damaged_reveal_is_left_out_with_its_reason_and_the_rest_read():
    content = {"format": "chain-tutor-progress", "version": 4, "lessons": [],
               "attempts": [], "reveals": [
                   {"lesson_id": LESSON, "step_id": "df\x1bdh2", "at": T},
                   {"lesson_id": LESSON, "step_id": "df_dh2", "at": -5},
                   {"lesson_id": LESSON, "step_id": "df_dh2", "at": T, "seed": None}]}
    read = snapshot_from_json(content)
    assert read.reveals == (Reveal(LESSON, "df_dh2", None, T),)
    assert [reason.split(" ", 1)[0] for reason in read.skipped] == ["reveals[0].step_id",
                                                                   "reveals[1].at"]


def test_a_database_of_schema_4_is_upgraded_with_a_table_for_reveals(tmp_path):
    path = tmp_path / "progress.db"
    with ProgressStore(path) as store:
        store.set_seed(LESSON, 7)
        store.mark(LESSON, "df_dh2", "revealed")
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE reveals")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with ProgressStore(path) as store:  # upgraded: the old reveal is known by its status
        assert store.snapshot().statuses() == {(LESSON, "df_dh2"): "revealed"}
        assert store.snapshot().reveals == ()
        store.mark(LESSON, "dh2_dz2", "revealed")
        assert [r.step_id for r in store.snapshot().reveals] == ["dh2_dz2"]


def test_the_report_and_the_students_table_say_revealed_as_the_grade_does(store, tmp_path):
    from tutor.report.build import Source, build_report
    from tutor.report.students import student_rows

    _reveal_reset_and_type_in(store)
    snapshot = store.snapshot("alice")
    sources = [Source("alice", tmp_path / "progress.db", snapshot)]
    report = build_report(sources, read_index(), [])
    step = next(s for s in report.lessons[0].steps if s.step_id == "df_dh2")
    assert (step.solved, step.revealed) == (0, 1)
    [row] = student_rows(sources, report, None)
    assert (row.steps_solved, row.steps_revealed) == (0, 1)
