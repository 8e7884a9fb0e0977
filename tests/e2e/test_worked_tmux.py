"""Faded worked examples in a real terminal (tmux, 80×24), the real command: a new
student's first steps open worked and count as studied; the lesson's later half is
asked; --no-examples asks every step."""

from __future__ import annotations

from pathlib import Path

import pytest
from tmux_terminal import TMUX, tutor_in_tmux

from tutor.progress import ProgressStore

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def test_a_new_students_first_steps_are_worked_then_asked(tmp_path: Path):
    data = tmp_path / "data"
    with tutor_in_tmux("scalar-chain-rule", data) as terminal:
        terminal.wait_for("Start the steps", timeout=60)
        terminal.keys("Enter")
        screen = terminal.wait_for("Worked example: ∂u/∂x = 3")
        assert "◇ studied" in screen
        terminal.type("3")
        terminal.keys("Enter")
        terminal.wait_for("Correct")
        terminal.keys("Enter")  # on to the next factor
        screen = terminal.wait_for("Worked example: ∂v/∂u")
        terminal.keys("Enter")  # nothing typed: on, as from a revealed step
        screen = terminal.wait_for("∂y/∂v  is 1×1")
        assert "Worked example" not in screen  # the lesson's later half is asked
        terminal.type("exp(-v) * (-1)")  # (tmux takes a leading - for an option)
        terminal.keys("Enter")
        terminal.wait_for("Correct")
    with ProgressStore(data / "progress.db") as store:
        state = store.lesson("scalar-chain-rule")
        assert state.studied == {"du_dx", "dv_du"}
        assert {step: s.status for step, s in state.steps.items()} == {
            "du_dx": "revealed", "dv_du": "revealed", "dy_dv": "solved"}


def test_no_examples_asks_every_step(tmp_path: Path):
    data = tmp_path / "data"
    with tutor_in_tmux("scalar-chain-rule --no-examples", data) as terminal:
        terminal.wait_for("Start the steps", timeout=60)
        terminal.keys("Enter")
        screen = terminal.wait_for("∂u/∂x  is 1×1")
        assert "Worked example" not in screen and "studied" not in screen
        terminal.type("3")
        terminal.keys("Enter")
        terminal.wait_for("Correct")
    with ProgressStore(data / "progress.db") as store:
        assert store.lesson("scalar-chain-rule").status_of("du_dx") == "solved"
        assert store.reveals() == []


def test_a_worked_step_is_asked_once_the_answers_show_its_skill(tmp_path: Path):
    """The same first step, for a student whose earlier answers (two variants of it, right
    first time) put scalar-derivative past the first step's bar: asked, not worked."""
    data = tmp_path / "data"
    data.mkdir()
    with ProgressStore(data / "progress.db") as store:
        for seed in (7, 8):
            store.set_seed("scalar-chain-rule", seed)
            store.record_attempt("scalar-chain-rule", "du_dx", seed, "3", "correct", [], 1.0)
        store.reset_lesson("scalar-chain-rule")
    with tutor_in_tmux("scalar-chain-rule --seed 1", data) as terminal:
        terminal.wait_for("Start the steps", timeout=60)
        terminal.keys("Enter")
        screen = terminal.wait_for("∂u/∂x  is 1×1")
        assert "Worked example" not in screen and "studied" not in screen
