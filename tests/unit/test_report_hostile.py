"""The report over a class where some files were made to hurt it: a named pipe where an
export should be, a database with JSON nested a million deep, escape sequences in ids,
titles, labels and answers, a 50 MB answer. Each bad file is named and skipped, or
shown harmlessly; the report over the rest goes on.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from tutor.cli.command import main
from tutor.markup import SHOWN
from tutor.progress import ProgressStore

SCRIPT = Path(sys.executable).parent / "chain-tutor"
LESSON = "two-layer-sigmoid"
ESC = "\x1b]0;pwned\x07\x1b[2J"  # retitle the terminal, clear the screen


def _student(root: Path, name: str, answer: str = "W3.T") -> Path:
    (root / name).mkdir(parents=True)
    ticks = itertools.count(1_700_000_000)
    with mock.patch("getpass.getuser", return_value=name), \
            ProgressStore(root / name / "progress.db", clock=lambda: float(next(ticks))) as s:
        s.record_attempt(LESSON, "df_dh2", 7, answer, "incorrect", ["transpose"], 10)
        s.record_attempt(LESSON, "df_dh2", 7, "W3", "correct", [], 5)
        s.mark(LESSON, "df_dh2", "solved")
    return root / name / "progress.db"


def _sql(db: Path, statement: str, *params) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement, params)
    conn.close()


def _report(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- files that are not files -----------------------------------------------------------
# The real command, with a timeout as the guard: a report that waits on a pipe for a
# writer fails these tests by timing out, instead of hanging the test run.
def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CHAIN_TUTOR_DATA=str(tmp_path / "instructor"))
    return subprocess.run([str(SCRIPT), "report", *args], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=120)


needs_script = pytest.mark.skipif(not SCRIPT.exists(),
                                  reason="the chain-tutor script is not installed here")


@needs_script
def test_a_named_pipe_in_the_hand_in_folder_is_named_and_skipped(tmp_path):
    root = tmp_path / "class"
    _student(root, "bob")
    os.mkfifo(root / "alice.json")
    os.mkfifo(root / "carol.db")
    (root / "dave").mkdir()
    os.mkfifo(root / "dave" / "progress.db")
    result = _run(tmp_path, str(root), str(root / "carol.db"))
    assert result.returncode == 0, result.stderr
    assert "1 student, 1 lesson with records; 3 files skipped." in result.stdout
    for pipe in ("alice.json", "carol.db", "dave/progress.db"):
        assert f"skipped {root / pipe}: a named pipe, not a file" in result.stderr
    assert "Traceback" not in result.stderr


@needs_script
def test_a_named_pipe_beside_a_database_is_refused_before_sqlite_opens_it(tmp_path):
    root = tmp_path / "class"
    _student(root, "bob")
    db = _student(root, "alice")
    os.mkfifo(db.with_name("progress.db-wal"))
    result = _run(tmp_path, str(root))
    assert result.returncode == 0, result.stderr
    assert f"skipped {db}: progress.db-wal beside it: a named pipe, not a file" in result.stderr


def test_a_device_or_a_link_to_one_is_skipped(tmp_path, capsys):
    root = tmp_path / "class"
    _student(root, "bob")
    (root / "zero.json").symlink_to("/dev/zero")
    (root / "eve").mkdir()
    (root / "eve" / "progress.db").symlink_to("/dev/urandom")
    code, out, err = _report(capsys, str(root), "/dev/null")
    assert code == 0
    assert "1 student, 1 lesson with records; 3 files skipped." in out
    assert f"skipped {root / 'zero.json'}: a device, not a file" in err
    assert f"skipped {root / 'eve' / 'progress.db'}: a device, not a file" in err
    assert "skipped /dev/null: a device, not a file" in err


# -- a database that cannot be read: that file alone is skipped -------------------------
def test_deeply_nested_json_in_one_database_costs_only_its_codes(tmp_path, capsys):
    root = tmp_path / "class"
    _student(root, "alice")
    _student(root, "bob")
    bad = _student(root, "mallory")
    _sql(bad, "UPDATE attempts SET diagnosis = ?", "[" * 1_000_000 + "]" * 1_000_000)
    code, out, err = _report(capsys, str(root))
    assert code == 0
    assert "3 students, 1 lesson with records." in out
    assert "skipped" not in err


def test_deeply_nested_network_steps_do_not_stop_the_report(tmp_path, capsys):
    root = tmp_path / "class"
    _student(root, "alice")
    odd = _student(root, "bob")
    with ProgressStore(odd) as store:
        store.save_network("net-x", "x : 1x1\nL = sum(x)\ngoal: dL/dx\n", "x", [("s1", "∂L/∂x")])
        store.record_attempt("net-x", "s1", 1, "1", "incorrect", [], 1)
    _sql(odd, "UPDATE networks SET steps = ?", "[" * 1_000_000)
    code, out, err = _report(capsys, str(root))
    assert code == 0, err
    assert "2 students, 2 lessons with records." in out


@pytest.mark.parametrize("column, value", [
    ("answer", b"\x00blob"), ("diagnosis", '[["nested"]]'), ("diagnosis", 7),
    ("diagnosis", '{"a": 1}'), ("at", "yesterday"), ("elapsed", float("inf")),
])
def test_a_value_of_the_wrong_type_costs_only_its_row(tmp_path, capsys, column, value):
    """SQLite keeps whatever a crafted file's maker put in a column: an answer stored as
    bytes is read with replacement, a diagnosis that is no list of codes has none, and a
    row whose time is no number is left out and said; the rest of the file is read."""
    root = tmp_path / "class"
    _student(root, "alice")
    bad = _student(root, "mallory")
    _sql(bad, f"UPDATE attempts SET {column} = ?", value)
    code, out, err = _report(capsys, str(root))
    assert code == 0, err
    assert "skipped" not in err
    if column in ("at", "elapsed"):
        assert f"left out of {bad}: attempt 1 of the database: a damaged row" in err
    else:
        assert "2 students, 1 lesson with records." in out


# -- what a record says is shown, never obeyed ------------------------------------------
def _crafted(root: Path) -> Path:
    db = _student(root, "mallory", answer="W3" + ESC)
    lesson = "net-" + ESC
    with ProgressStore(db) as store:
        store.save_network(lesson, "x : 1x1\nL = sum(x)\ngoal: dL/dx\n", "title" + ESC,
                           [("s1" + ESC, "∂L/∂x" + ESC)])
        store.record_attempt(lesson, "s1" + ESC, 1, "x" + ESC, "incorrect", ["code" + ESC], 1)
    # The store keeps a title clean (tutor.progress.limits.clean_text); a crafted file need not.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE networks SET title = ?", ("title" + ESC,))
    conn.close()
    return db


def test_escape_sequences_in_a_database_reach_neither_text_nor_csv(tmp_path, capsys):
    root = tmp_path / "class"
    _crafted(root)
    code, text, err = _report(capsys, str(root))
    assert code == 0, err
    code, table, err = _report(capsys, "--csv", str(root))
    assert code == 0, err
    for output in (text, table):
        assert not any(ch in output for ch in "\x1b\x07"), output
        assert "title\\x1b]0;pwned\\x07" in output  # the network's title
        assert "∂L/∂x\\x1b]0;pwned" in output  # its factor label
        assert "s1\\x1b]0;pwned" in output  # a step id
        assert "net-\\x1b]0;pwned" in output  # a lesson id
        assert "code\\x1b]0;pwned" in output  # a diagnosis code
        assert "W3\\x1b]0;pwned" in output  # an answer
    rows = list(csv.reader(io.StringIO(table)))
    assert all(len(row) == len(rows[0]) for row in rows)


def test_escape_sequences_in_file_names_are_not_printed(tmp_path, capsys):
    root = tmp_path / "class"
    _student(root, "alice")
    (root / f"x{ESC}.json").write_text("not an export", encoding="utf-8")
    code, out, err = _report(capsys, str(root))
    assert code == 0
    assert "\x1b" not in err and "\x07" not in err
    assert "x\\x1b]0;pwned" in err


def test_a_50_mb_answer_is_shown_cut_with_its_length(tmp_path, capsys):
    root = tmp_path / "class"
    db = _student(root, "mallory")
    _sql(db, "UPDATE attempts SET answer = ? WHERE verdict = 'incorrect'", "W" * 50_000_000)
    code, text, err = _report(capsys, str(root))
    assert code == 0, err
    code, table, err = _report(capsys, "--csv", str(root))
    assert code == 0, err
    for output in (text, table):
        assert f"`{'W' * SHOWN}…(50,000,000 characters)`" in output
        assert len(output) < 5_000
