"""The instructor's report: exact counts, medians and wrong answers over a small class.

Three students' databases are written with ProgressStore, as the tutor writes them:

alice  df_dh2   W3.T ✗ transpose (10 s), -W3 ✗ sign (5 s), W3 ✓ (5 s)      solved
       dh2_dz2  h2*(1-h2) ✗ (30 s), diag(h2*(1-h2)) ✓ (30 s)             solved
       dz2_dh1  W2.T ✗ transpose (40 s), then the solution revealed       revealed
bob    df_dh2   "W3 .T" ✗ transpose (8 s), "bad +" invalid (2 s), W3 ✓ (10 s)
       dh2_dz2  "h2 * (1-h2)" ✗ (50 s)                                    gave up
       dz2_dh1  W2.T ✗ transpose (20 s), then revealed                    revealed
carol  df_dh2   W3 ✓ (4 s), then the step reset: still solved by its history
       dh2_dz2  h2*(1-h2) ✗ ×2 (20 s each), W2 ✗, h2 ✗ (5 s, 1 s), z2 ✗ (1 s)  gave up
       scratch/s1 (a lesson not installed)  x ✗ (3 s), her latest answer    working
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.lessons.index import read_index
from tutor.progress import ProgressStore, export_json, read_database, write_export
from tutor.report.build import WrongAnswer, build_report
from tutor.report.formats import format_text
from tutor.report.sources import load_sources

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "chain-tutor"
LESSON = "two-layer-sigmoid"
SHAPE = ["vector-vs-diag", "shape"]


def _store(folder: Path) -> ProgressStore:
    folder.mkdir(parents=True)
    ticks = itertools.count(1_700_000_000)
    with mock.patch("getpass.getuser", return_value=folder.name):  # the student's login
        return ProgressStore(folder / "progress.db", clock=lambda: float(next(ticks)))


def _class(root: Path) -> dict[str, Path]:
    with _store(root / "alice") as s:
        s.record_attempt(LESSON, "df_dh2", 7, "W3.T", "incorrect", ["transpose"], 10)
        s.record_attempt(LESSON, "df_dh2", 7, "-W3", "incorrect", ["sign"], 5)
        s.record_attempt(LESSON, "df_dh2", 7, "W3", "correct", [], 5)
        s.mark(LESSON, "df_dh2", "solved")
        s.record_attempt(LESSON, "dh2_dz2", 7, "h2*(1-h2)", "incorrect", SHAPE, 30)
        s.record_attempt(LESSON, "dh2_dz2", 7, "diag(h2*(1-h2))", "correct", [], 30)
        s.mark(LESSON, "dh2_dz2", "solved")
        s.record_attempt(LESSON, "dz2_dh1", 7, "W2.T", "incorrect", ["transpose"], 40)
        s.mark(LESSON, "dz2_dh1", "revealed")
    with _store(root / "bob") as s:
        s.record_attempt(LESSON, "df_dh2", 8, "W3 .T", "incorrect", ["transpose"], 8)
        s.record_attempt(LESSON, "df_dh2", 8, "bad +", "invalid", [], 2)
        s.record_attempt(LESSON, "df_dh2", 8, "W3", "correct", [], 10)
        s.mark(LESSON, "df_dh2", "solved")
        s.record_attempt(LESSON, "dh2_dz2", 8, "h2 * (1-h2)", "incorrect", SHAPE, 50)
        s.record_attempt(LESSON, "dz2_dh1", 8, "W2.T", "incorrect", ["transpose"], 20)
        s.mark(LESSON, "dz2_dh1", "revealed")
    with _store(root / "carol") as s:
        s.record_attempt(LESSON, "df_dh2", 9, "W3", "correct", [], 4)
        s.mark(LESSON, "df_dh2", "solved")
        s.reset_step(LESSON, "df_dh2")
        s.record_attempt(LESSON, "dh2_dz2", 9, "h2*(1-h2)", "incorrect", SHAPE, 20)
        s.record_attempt(LESSON, "dh2_dz2", 9, "h2*(1-h2)", "incorrect", SHAPE, 20)
        s.record_attempt(LESSON, "dh2_dz2", 9, "W2", "incorrect", ["shape"], 5)
        s.record_attempt(LESSON, "dh2_dz2", 9, "h2", "incorrect", ["shape"], 1)
        s.record_attempt(LESSON, "dh2_dz2", 9, "z2", "incorrect", [], 1)
        s.record_attempt("scratch", "s1", 1, "x", "incorrect", [], 3)
    return {name: root / name / "progress.db" for name in ("alice", "bob", "carol")}


@pytest.fixture
def klass(tmp_path) -> Path:
    root = tmp_path / "class"
    _class(root)
    return root


def _steps(report) -> dict[tuple[str, str], object]:
    return {(s.lesson_id, s.step_id): s for lesson in report.lessons for s in lesson.steps}


def test_counts_medians_and_wrong_answers_per_step(klass):
    sources, skipped = load_sources([klass])
    assert skipped == []
    report = build_report(sources, read_index())
    assert len(report.students) == 3
    steps = _steps(report)

    first = steps[LESSON, "df_dh2"]
    assert (first.label, first.students, first.solved, first.revealed, first.gave_up) == (
        "∂f/∂h2", 3, 3, 0, 0)
    assert first.median_attempts == 2  # 3, 2 (the invalid one is free), 1
    assert first.median_time == 20  # 20, 20 (the invalid answer's 2 s count), 4
    assert first.common_wrong == (WrongAnswer("W3.T", ("transpose",), 2, 2),
                                  WrongAnswer("-W3", ("sign",), 1, 1))

    second = steps[LESSON, "dh2_dz2"]
    assert (second.students, second.solved, second.revealed, second.working,
            second.gave_up) == (3, 1, 0, 0, 2)  # bob and carol answered later steps
    assert second.median_attempts == 2  # 2, 1, 5
    assert second.median_time == 50  # 60, 50, 47
    assert second.common_wrong == (  # top 3: by students, then attempts, then answer
        WrongAnswer("h2*(1-h2)", ("vector-vs-diag", "shape"), 4, 3),
        WrongAnswer("W2", ("shape",), 1, 1),
        WrongAnswer("h2", ("shape",), 1, 1),
    )

    third = steps[LESSON, "dz2_dh1"]
    assert (third.students, third.solved, third.revealed, third.gave_up) == (2, 0, 2, 0)
    assert third.median_attempts == 1
    assert third.median_time == 30  # an even count: the mean of 40 and 20
    assert third.common_wrong == (WrongAnswer("W2.T", ("transpose",), 2, 2),)

    untouched = steps[LESSON, "df_dW1"]
    assert (untouched.students, untouched.median_attempts, untouched.common_wrong) == (
        0, None, ())


def test_lessons_and_steps_in_curriculum_order_unknown_ones_last(klass):
    sources, _ = load_sources([klass])
    report = build_report(sources, read_index())
    assert [lesson.lesson_id for lesson in report.lessons] == [LESSON, "scratch"]
    assert [s.step_id for s in report.lessons[0].steps] == [
        "df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1"]
    scratch = report.lessons[1]
    assert scratch.title is None
    assert [(s.step_id, s.label, s.working, s.gave_up, s.median_time)
            for s in scratch.steps] == [("s1", None, 1, 0, 3)]
    without_index = build_report(sources)
    assert [lesson.lesson_id for lesson in without_index.lessons] == ["scratch", LESSON]
    assert [s.step_id for s in without_index.lessons[1].steps] == [
        "df_dh2", "dh2_dz2", "dz2_dh1"]


def test_report_json(klass, capsys):
    assert main(["report", str(klass), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "chain-tutor-report"
    assert data["students"] == ["alice", "bob", "carol"]  # the logins their databases hold
    step = data["lessons"][0]["steps"][1]
    assert step == {
        "step_id": "dh2_dz2", "label": "∂h2/∂z2", "students": 3, "solved": 1, "revealed": 0,
        "gave_up": 2, "working": 0, "median_attempts": 2, "median_time": 50,
        "common_wrong": [
            {"answer": "h2*(1-h2)", "diagnosis": SHAPE, "count": 4, "students": 3},
            {"answer": "W2", "diagnosis": ["shape"], "count": 1, "students": 1},
            {"answer": "h2", "diagnosis": ["shape"], "count": 1, "students": 1},
        ],
    }


def test_report_csv_one_row_per_step(klass, capsys):
    assert main(["report", "--csv", str(klass)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["lesson_id"], r["step_id"]) for r in rows] == [
        (LESSON, s) for s in ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1")
    ] + [("scratch", "s1")]
    first = rows[0]
    assert (first["students"], first["solved"], first["revealed"], first["gave_up"]) == (
        "3", "3", "0", "0")
    assert (first["median_attempts"], first["median_time_s"]) == ("2", "20")
    assert first["common_wrong"] == ("`W3.T` [transpose] 2 attempts, 2 students | "
                                     "`-W3` [sign] 1 attempt, 1 student")
    assert rows[3]["median_attempts"] == "" and rows[3]["common_wrong"] == ""
    # working came last, after the columns older sheets read by position
    assert list(rows[0]) == ["lesson_id", "lesson_title", "step_id", "factor", "students",
                             "solved", "revealed", "gave_up", "median_attempts",
                             "median_time_s", "common_wrong", "working"]
    assert (rows[-1]["step_id"], rows[-1]["working"], rows[-1]["gave_up"]) == ("s1", "1", "0")


def test_report_text(klass, capsys):
    assert main(["report", str(klass)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("3 students, 2 lessons with records.")
    row = next(line for line in text.splitlines() if line.strip().startswith("dh2_dz2"))
    assert row.split() == ["dh2_dz2", "∂h2/∂z2", "3", "1", "0", "0", "2", "2", "50s"]
    scratch = next(line for line in text.splitlines() if line.strip().startswith("s1"))
    assert scratch.split() == ["s1", "?", "1", "0", "0", "1", "0", "1", "3s"]
    assert "✗ `h2*(1-h2)` [vector-vs-diag, shape] 4 attempts, 3 students" in text
    assert "scratch — (not installed here)" in text


def test_top_limits_the_wrong_answers(klass, capsys):
    assert main(["report", str(klass), "--json", "--top", "1"]) == 0
    steps = json.loads(capsys.readouterr().out)["lessons"][0]["steps"]
    assert [len(step["common_wrong"]) for step in steps[:3]] == [1, 1, 1]


def test_damaged_database_is_reported_and_skipped(klass, capsys):
    damaged = klass / "dave" / "progress.db"
    damaged.parent.mkdir()
    damaged.write_bytes(b"this is not a database " * 200)
    stranger = klass / "notes.json"
    stranger.write_text('{"hello": 1}')
    assert main(["report", "--json", str(klass), str(klass / "nobody.db")]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert len(data["students"]) == 3
    assert {Path(s["path"]).name for s in data["skipped"]} == {
        "progress.db", "notes.json", "nobody.db"}
    assert f"skipped {damaged}" in captured.err
    assert "not a chain-tutor progress export" in captured.err


def test_nothing_readable_exits_2(tmp_path, capsys):
    # Bad input like any other (exit status 2), whatever each file's reason.
    (tmp_path / "progress.db").write_bytes(b"\0" * 4096)
    os.mkfifo(tmp_path / "alice.json")
    assert main(["report", str(tmp_path)]) == 2
    assert main(["report", str(tmp_path / "alice.json")]) == 2
    assert "no progress database or export could be read" in capsys.readouterr().err


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_sources_are_untouched_byte_for_byte(klass, capsys):
    before = _tree(klass)
    assert main(["report", str(klass)]) == 0
    databases = [str(klass / name / "progress.db") for name in ("alice", "bob")]
    assert main(["report", "--csv", *databases]) == 0
    assert _tree(klass) == before  # not even a -wal or -shm beside a database


def test_a_database_open_in_the_tutor_is_read_with_its_latest_attempts(tmp_path):
    # While the tutor runs, the newest attempts sit in the -wal file.
    with _store(tmp_path / "erin") as store:
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", [], 3)
        assert (tmp_path / "erin" / "progress.db-wal").exists()
        snapshot = read_database(tmp_path / "erin" / "progress.db")
        assert [a.answer for a in snapshot.attempts] == ["W3"]


def test_exports_are_sources_named_by_path_or_by_student(klass, tmp_path, capsys):
    """Exports of version 2, without a login: told apart by path, or by "student"."""
    handed_in = tmp_path / "handed-in"
    handed_in.mkdir()
    for name in ("alice", "bob"):
        with ProgressStore(klass / name / "progress.db") as store:
            content = export_json(store.snapshot(name), 0.0)
        del content["login"]
        write_export(handed_in / f"{name}.json", content | {"version": 2})
    # Alice hands in her export twice under two names: two students by path, one by name.
    (handed_in / "alice-again.json").write_bytes((handed_in / "alice.json").read_bytes())

    sources, skipped = load_sources([handed_in])
    assert skipped == []
    by_path = build_report(sources, read_index())
    assert len(by_path.students) == 3
    assert _steps(by_path)[LESSON, "df_dh2"].solved == 3

    sources, _ = load_sources([handed_in], by_student=True)
    by_name = build_report(sources, read_index())
    assert by_name.students == ("alice", "bob")
    first = _steps(by_name)[LESSON, "df_dh2"]
    assert (first.solved, first.median_attempts) == (2, 2.5)
    assert first.common_wrong[0] == WrongAnswer("W3.T", ("transpose",), 2, 2)


def test_the_same_file_twice_is_one_source(klass):
    alice = klass / "alice" / "progress.db"
    sources, _ = load_sources([alice, klass / "alice" / ".." / "alice" / "progress.db", klass])
    assert len(sources) == 3


def test_escape_sequences_in_answers_do_not_reach_the_terminal(tmp_path):
    with _store(tmp_path / "mallory") as store:
        store.record_attempt(LESSON, "df_dh2", 1, "W3\x1b[2J", "incorrect", ["\x07"], 1)
    sources, _ = load_sources([tmp_path])
    text = format_text(build_report(sources, read_index()))
    assert "\x1b" not in text and "\x07" not in text
    assert "W3\\x1b[2J" in text


def test_report_module_imports_neither_textual_nor_sympy():
    probe = ("import sys, tutor.report, tutor.seeds\n"
             "print(sorted(m for m in ('textual', 'sympy', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not SCRIPT.exists(), reason="the chain-tutor script is not installed here")
def test_real_console_script_report(klass, tmp_path):
    (klass / "zed").mkdir()
    (klass / "zed" / "progress.db").write_bytes(b"garbage" * 100)
    before = _tree(klass)
    env = dict(os.environ, CHAIN_TUTOR_DATA=str(tmp_path / "instructor"))
    result = subprocess.run([str(SCRIPT), "report", str(klass)], capture_output=True,
                            text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 students, 2 lessons with records; 1 file skipped." in result.stdout
    assert "skipped" in result.stderr and "zed" in result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(klass) == before


def test_typing_in_a_revealed_solution_does_not_count_as_solving(tmp_path):
    with _store(tmp_path / "frank") as store:
        store.record_attempt(LESSON, "df_dh2", 1, "-W3", "incorrect", ["sign"], 9)
        store.mark(LESSON, "df_dh2", "revealed")
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", [], 2)
    sources, _ = load_sources([tmp_path])
    step = _steps(build_report(sources, read_index()))[LESSON, "df_dh2"]
    assert (step.solved, step.revealed, step.gave_up) == (0, 1, 0)
    assert (step.median_attempts, step.median_time) == (2, 11)


def test_a_data_folders_own_cache_is_not_reported_as_a_skipped_file(tmp_path, capsys):
    # The tutor writes cache/lesson-index.json beside progress.db: not a student's export.
    with ProgressStore.open(tmp_path) as store:
        store.record_attempt("scalar-chain-rule", "du_dx", 1, "3", "correct", [], 1.0)
    read_index(cache=tmp_path / "cache" / "lesson-index.json")
    assert (tmp_path / "cache" / "lesson-index.json").is_file()
    assert main(["report", "--json", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["skipped"] == [] and captured.err == ""
