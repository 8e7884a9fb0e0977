"""Working or gave up: a student at a step now is not one who left it unsolved.

Each class is written with ProgressStore as the tutor writes it, one student per data
folder (getpass.getuser patched per student, as records carry their owner's login), on
a clock that ticks one second per record, so "later" is the order written here.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from unittest import mock

from tutor.cli.command import main
from tutor.lessons.index import read_index
from tutor.progress import ProgressStore
from tutor.report.build import build_report
from tutor.report.sources import load_sources

LESSON, SCALAR = "two-layer-sigmoid", "scalar-chain-rule"


def _store(folder: Path, start: int = 1_700_000_000) -> ProgressStore:
    folder.mkdir(parents=True)
    ticks = itertools.count(start)
    with mock.patch("getpass.getuser", return_value=folder.name):
        return ProgressStore(folder / "progress.db", clock=lambda: float(next(ticks)))


def _step(root: Path, lesson: str, step: str, *options: str):
    sources, skipped = load_sources([root])
    assert skipped == []
    report = build_report(sources, read_index())
    return next(s for lesson_report in report.lessons if lesson_report.lesson_id == lesson
                for s in lesson_report.steps if s.step_id == step)


def _counts(step) -> tuple[int, int, int, int, int]:
    return step.students, step.solved, step.revealed, step.working, step.gave_up


def test_moved_on_gave_up_still_there_working_revealed_revealed(tmp_path):
    with _store(tmp_path / "ann") as s:  # moved on: a later answer on the next step
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 10)
        s.record_attempt(LESSON, "dz2_dh1", 1, "W2.T", "incorrect", ["transpose"], 10)
    with _store(tmp_path / "ben") as s:  # still at it: his latest answer is here
        s.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", [], 5)
        s.mark(LESSON, "df_dh2", "solved")
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 10)
    with _store(tmp_path / "cat") as s:  # revealed, her latest answer or not
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 10)
        s.mark(LESSON, "dh2_dz2", "revealed")
    step = _step(tmp_path, LESSON, "dh2_dz2")
    assert _counts(step) == (3, 0, 1, 1, 1)
    # ann is at the step she moved on to; ben's solved step is not "working"
    assert _counts(_step(tmp_path, LESSON, "dz2_dh1")) == (1, 0, 0, 1, 0)
    assert _counts(_step(tmp_path, LESSON, "df_dh2")) == (1, 1, 0, 0, 0)


def test_an_invalid_answer_is_an_answer_and_coming_back_makes_a_step_current(tmp_path):
    with _store(tmp_path / "dan") as s:
        s.record_attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 5)
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 5)
        s.record_attempt(LESSON, "df_dh2", 1, "W3 +", "invalid", [], 5)  # back to step 1
    assert _counts(_step(tmp_path, LESSON, "df_dh2")) == (1, 0, 0, 1, 0)
    assert _counts(_step(tmp_path, LESSON, "dh2_dz2")) == (1, 0, 0, 0, 1)


def test_a_later_answer_in_another_lesson_is_moving_on(tmp_path):
    with _store(tmp_path / "eve") as s:
        s.record_attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 5)
        s.record_attempt(SCALAR, "du_dx", 1, "2*x", "correct", [], 5)
        s.mark(SCALAR, "du_dx", "solved")
    assert _counts(_step(tmp_path, LESSON, "df_dh2")) == (1, 0, 0, 0, 1)


def test_the_latest_answer_is_taken_over_all_of_a_students_records(tmp_path):
    """Her database says she is at df_dh2; her export, made later elsewhere, that she went
    on: one student, and she gave df_dh2 up."""
    with _store(tmp_path / "lab" / "fay") as s:
        s.record_attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 5)
    with _store(tmp_path / "laptop" / "fay", start=1_800_000_000) as s:
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 5)
    assert _counts(_step(tmp_path, LESSON, "df_dh2")) == (1, 0, 0, 0, 1)
    assert _counts(_step(tmp_path, LESSON, "dh2_dz2")) == (1, 0, 0, 1, 0)


def test_until_makes_the_step_of_the_last_answer_before_it_current(tmp_path, capsys):
    with _store(tmp_path / "gus") as s:  # answers at 2023-11-14T22:13:20Z and +1 s
        s.record_attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 5)
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 5)
    assert main(["report", "--json", str(tmp_path)]) == 0
    steps = json.loads(capsys.readouterr().out)["lessons"][0]["steps"]
    assert [(st["working"], st["gave_up"]) for st in steps[:2]] == [(0, 1), (1, 0)]
    assert main(["report", "--json", "--until", "2023-11-14T22:13:21Z", str(tmp_path)]) == 0
    steps = json.loads(capsys.readouterr().out)["lessons"][0]["steps"]
    assert [(st["working"], st["gave_up"]) for st in steps[:2]] == [(1, 0), (0, 0)]


def test_every_form_says_working_and_gave_up(tmp_path, capsys):
    with _store(tmp_path / "hal") as s:
        s.record_attempt(LESSON, "df_dh2", 1, "W3.T", "incorrect", ["transpose"], 5)
        s.record_attempt(LESSON, "dh2_dz2", 1, "h2", "incorrect", ["shape"], 5)
    assert main(["report", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "students  solved  revealed  working  gave up  attempts" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()
            if line.startswith("  d")}
    assert rows["df_dh2"][2:7] == ["1", "0", "0", "0", "1"]
    assert rows["dh2_dz2"][2:7] == ["1", "0", "0", "1", "0"]
    assert "working: not solved nor revealed, and the step of the student's latest" in text
    assert main(["report", "--csv", str(tmp_path)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["working"], r["gave_up"]) for r in rows[:2]] == [("0", "1"), ("1", "0")]
