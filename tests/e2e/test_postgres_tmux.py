"""The real tutor in a real terminal, its progress in PostgreSQL: a step answered on one
machine (one data folder) is solved on another (a fresh, empty one), as a student who
logs in to a second SSH host of the class finds it."""

from __future__ import annotations

import time

import pytest
from tmux_terminal import TMUX, tutor_in_tmux

from tutor.progress.postgres.store import PostgresStore

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


def test_a_step_solved_on_one_host_is_solved_on_the_next(pg_student, tmp_path) -> None:
    arguments = f"--database '{pg_student}' two-layer-sigmoid --seed 1 --no-examples"
    with tutor_in_tmux(arguments, tmp_path / "first-host") as terminal:
        terminal.wait_for("Start the steps", timeout=60)
        terminal.keys("Enter")
        terminal.wait_for("∂f/∂h2  is 1×2")
        terminal.type("W3")
        terminal.wait_for("the factor's shape")
        terminal.keys("Enter")
        terminal.wait_for("✓ Correct")
        terminal.keys("C-q")
        deadline = time.monotonic() + 30
        while "✓ Correct" in terminal.screen() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not (tmp_path / "first-host" / "progress.db").exists()  # nothing in the folder

    with PostgresStore(pg_student) as store:
        assert store.lesson("two-layer-sigmoid").status_of("df_dh2") == "solved"

    with tutor_in_tmux(arguments, tmp_path / "second-host") as terminal:
        # The lesson resumes at the first open step, the solved factor in the chain.
        screen = terminal.wait_for("∂h2/∂z2  is 2×2", timeout=60)
        assert "(W3     · ?" in screen
        assert "Progress" not in screen  # no notice: the database was there
