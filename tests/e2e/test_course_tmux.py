"""Under a course file, in a real terminal (tmux, 80×24): the lab's ForceCommand sets
CHAIN_TUTOR_COURSE, the picker shows the assignments, and F3 is refused in a lesson the
course grades with reveal = false, the footer and a notice saying why."""

from __future__ import annotations

from pathlib import Path

import pytest
from tmux_terminal import TMUX, tutor_in_tmux

from tutor.progress import ProgressStore

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

COURSE = """\
title = "Deep learning, autumn"

[[assignment]]
title = "Backprop by hand"
lessons = ["two-layer-sigmoid"]
due = 2099-12-10T23:59:00Z
points = 12
reveal = false
"""


def test_reveal_is_refused_under_a_course_file_in_a_terminal(tmp_path: Path, monkeypatch):
    course = tmp_path / "course.toml"
    course.write_text(COURSE, encoding="utf-8")
    data = tmp_path / "data"
    # As a ForceCommand would: the course named by the environment, not by an option
    # (the test's tmux server, and the tutor in it, start with the test's environment).
    monkeypatch.setenv("CHAIN_TUTOR_COURSE", str(course))
    with tutor_in_tmux("", data) as terminal:
        screen = terminal.wait_for("Course: Deep learning, autumn", timeout=60)
        assert "1. Backprop by hand" in screen and "0 of 12 so far (0/6 steps)" in screen
        assert "Reveal off" in screen
        terminal.type("8")  # the flagship is lesson 8
        terminal.keys("Enter")
        terminal.wait_for("Start the steps")
        terminal.keys("Enter")
        screen = terminal.wait_for("∂f/∂h2  is 1×2")
        assert "Reveal off" in screen
        terminal.keys("F3")
        screen = terminal.wait_for("Reveal is off in this lesson")
        assert "Reveal the solution" not in screen
    with ProgressStore(data / "progress.db") as store:
        assert store.lesson("two-layer-sigmoid").status_of("df_dh2") is None


def test_a_course_file_with_a_mistake_stops_the_tutor_at_its_line(tmp_path: Path):
    course = tmp_path / "course.toml"
    course.write_text(COURSE.replace("points = 12", "points = 0"), encoding="utf-8")
    with tutor_in_tmux(f"--course {course}", tmp_path / "data") as terminal:
        screen = terminal.wait_for("points must be", timeout=60)
        assert f"{course}:7: assignment 1: points must be a number above 0" in "".join(
            screen.splitlines())
        assert "Traceback" not in screen
