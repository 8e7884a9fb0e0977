"""The course file: read as declared types, its errors at file:line, and `chain-tutor course`."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tutor.cli.command import main
from tutor.lessons.course import check_course, read_course
from tutor.lessons.index import LessonError, read_index

SCRIPT = Path(sys.executable).parent / "chain-tutor"
COURSE = """\
title = "Deep learning, autumn"

[[assignment]]
title = "Backprop by hand"
lessons = ["two-layer-sigmoid", "squared-loss"]
due = 2026-12-10T23:59:00Z
points = 10
reveal = false

[[assignment]]
title = "Softmax"
lessons = ["softmax-cross-entropy"]
due = 2026-12-17T23:59:00+01:00
points = 2.5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def paris(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_course_file_reads_as_its_assignments(tmp_path):
    course = read_course(_write(tmp_path, COURSE))
    assert course.title == "Deep learning, autumn"
    first, second = course.assignment
    assert first.lessons == ["two-layer-sigmoid", "squared-loss"]
    assert first.due == datetime(2026, 12, 10, 23, 59, tzinfo=UTC)
    assert (first.points, first.reveal) == (10, False)
    assert second.due.astimezone(UTC) == datetime(2026, 12, 17, 22, 59, tzinfo=UTC)
    assert (second.points, second.reveal) == (2.5, True)  # reveal allowed unless said
    assert course.no_reveal() == {"two-layer-sigmoid", "squared-loss"}


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("due = 2026-12-10T23:59:00Z", "due = 2026-12-10T23:59:00", 6,
     "assignment 1: due must be a date and time with a time zone"),
    ("due = 2026-12-10T23:59:00Z", "due = 2026-12-10", 6,
     "assignment 1: due must be a date and time with a time zone"),
    ("points = 2.5", "points = 0", 14, "assignment 2: points must be a number above 0"),
    ("points = 2.5", "points = -3", 14, "assignment 2: points must be a number above 0"),
    ("points = 10", "points = true", 7, "assignment 1: points must be a number above 0"),
    ("reveal = false", 'reveal = "no"', 8, "assignment 1: reveal must be true or false"),
    ('title = "Softmax"', 'title = "Softmax"\ncolour = 1', 12,
     "unknown field 'colour' in assignment 2. Known fields: due, examples, lessons, points, "
     "reveal"),
    ('title = "Softmax"', 'title = "Backprop by hand"', 11,
     "assignment 2: the title 'Backprop by hand' is already that of assignment 1"),
    ('"squared-loss"]', '"squared-loss", "two-layer-sigmoid"]', 5,
     "assignment 1: lessons names two-layer-sigmoid twice"),
    ("lessons = [\"softmax-cross-entropy\"]", "lessons = []", 12,
     "assignment 2: lessons must be a list of one or more lesson ids"),
    ("points = 10\n", "", 3, "assignment 1 is missing the field 'points'"),
])
def test_a_wrong_field_is_put_at_its_file_and_line(tmp_path, old, new, line, words):
    assert old in COURSE
    path = _write(tmp_path, COURSE.replace(old, new, 1))
    with pytest.raises(LessonError) as caught:
        read_course(path)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_a_course_without_assignments_or_title_is_refused(tmp_path):
    with pytest.raises(LessonError, match="missing the field 'assignment'"):
        read_course(_write(tmp_path, 'title = "x"\n'))
    with pytest.raises(LessonError, match="missing the field 'title'"):
        read_course(_write(tmp_path, COURSE.replace('title = "Deep learning, autumn"', "")))


def test_unknown_lessons_are_each_named_at_their_assignments_line(tmp_path):
    text = COURSE.replace('"squared-loss"', '"squared-los"').replace(
        '"softmax-cross-entropy"', '"no-such-thing"')
    course, errors = check_course(_write(tmp_path, text), read_index())
    assert course is not None
    assert [error.line for error in errors] == [5, 12]
    assert "lesson 'squared-los' is not among the lessons; did you mean squared-loss?" in str(
        errors[0])
    assert "'no-such-thing'" in str(errors[1])


def test_course_command_prints_each_assignment_in_utc_and_local_time(tmp_path, capsys, paris):
    assert main(["course", str(_write(tmp_path, COURSE))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Deep learning, autumn: 2 assignments\n")
    assert "1. Backprop by hand\n" in out
    assert "due      2026-12-10 23:59 UTC (Fri 11 Dec 2026 00:59 CET, here)" in out
    assert "points   10\n" in out and "points   2.5\n" in out
    assert "lessons  two-layer-sigmoid (6 steps), squared-loss (5 steps)" in out
    assert "reveal   off" in out and "reveal   allowed" in out
    assert "due      2026-12-17 22:59 UTC (Thu 17 Dec 2026 23:59 CET, here)" in out


def test_course_command_finds_lessons_in_a_lessons_folder(tmp_path, capsys):
    extra = tmp_path / "mine"
    extra.mkdir()
    shipped = Path(__file__).resolve().parents[2] / "lessons" / "01-scalar-chain-rule.toml"
    extra.joinpath("own.toml").write_text(shipped.read_text(encoding="utf-8").replace(
        'id = "scalar-chain-rule"', 'id = "own-lesson"', 1), encoding="utf-8")
    path = _write(tmp_path, COURSE.replace('"softmax-cross-entropy"', '"own-lesson"'))
    assert main(["course", str(path)]) == 2
    assert "'own-lesson' is not among the lessons" in capsys.readouterr().err
    assert main(["course", str(path), "--lessons", str(extra)]) == 0
    assert "own-lesson (4 steps)" in capsys.readouterr().out


@pytest.mark.parametrize("text", [
    "title = [", "\xff", 'title = "a\x1b[2Jb"\n' + COURSE.split("\n", 1)[1],
    COURSE.replace("[[assignment]]", "[assignment]", 1), "format = 2\n" + COURSE,
])
def test_a_bad_course_file_exits_2_with_a_message_and_no_traceback(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff" else b"\xff")
    done = subprocess.run([str(SCRIPT), "course", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"chain-tutor: {path}")
    assert "\x1b" not in done.stderr


def test_a_missing_course_file_exits_2(tmp_path, capsys):
    assert main(["course", str(tmp_path / "none.toml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_course_command_prints_points_as_written_never_in_exponent_form(tmp_path, capsys):
    assert main(["course", str(_write(tmp_path, COURSE.replace("2.5", "1000000")))]) == 0
    assert "points   1000000\n" in capsys.readouterr().out  # not 1e+06
