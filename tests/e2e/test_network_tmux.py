"""A network typed into the TUI's editor in a real terminal (tmux, 80×24), started, and its
first step answered: the whole path of "Your own network…" as a student takes it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tmux_terminal import TMUX, Terminal, tutor_in_tmux

from tutor.networks.reader import network_lesson_id
from tutor.progress import ProgressStore

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")

NETWORK = [  # typed line by line; line 4 with a slip first
    "x : 2x1",
    "W : 2x2",
    "w : 1x2",
    "z = W @ q",
    "h = tanh(z)",
    "f = w @ h",
    "goal: df/dW",
]


@pytest.fixture
def picker(tmp_path: Path) -> Iterator[Terminal]:
    with tutor_in_tmux("--no-examples", tmp_path / "data", name="chain-tutor-net") as terminal:
        yield terminal


def gone(terminal: Terminal, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while text in terminal.screen():
        assert time.monotonic() < deadline, f"{text!r} stayed on the screen"
        time.sleep(0.1)


def test_a_network_typed_in_the_editor_is_started_and_its_first_step_answered(picker,
                                                                             tmp_path):
    picker.wait_for("Choose a lesson", timeout=60)
    picker.keys("End", "Up")  # the last entries: "Your own network…", then your weakest skill
    picker.wait_for("walks you through")
    picker.keys("Enter")
    screen = picker.wait_for("a residual block with a squared loss —", timeout=30)
    assert "F5 Start" in screen and "Esc Lessons" in screen

    picker.keys("F7", "BSpace")  # select all and delete: the example goes
    gone(picker, "# a residual block")
    for number, line in enumerate(NETWORK):
        picker.type(line)
        picker.wait_for(line)
        if number < len(NETWORK) - 1:
            picker.keys("Enter")
    screen = picker.wait_for("✗ line 4, column 9:")
    assert "Unknown name 'q'" in screen
    assert "  4 │ z = W @ q" in screen

    picker.keys("Up", "Up", "Up", "End", "BSpace")
    # Textual handles characters of one burst before the key bindings in it (Up, End, …):
    # the x is typed once the q is gone.
    gone(picker, "z = W @ q")
    picker.type("x")
    screen = picker.wait_for("factors to find:")
    assert "✓ " in screen and "∂f/∂W" in screen
    picker.keys("F5")

    picker.wait_for("Start the steps", timeout=60)  # the intro, once it is validated
    picker.keys("Enter")
    picker.wait_for("∂f/∂h  is 1×2")
    picker.type("w")
    picker.wait_for("the factor's shape")
    picker.keys("Enter")
    picker.wait_for("✓ Correct")
    picker.keys("C-q")

    gone(picker, "✓ Correct")  # the tutor has quit: what it showed is what was saved
    typed = "\n".join(NETWORK).replace("@ q", "@ x") + "\n"
    store = ProgressStore.open(tmp_path / "data")
    try:
        [saved] = store.networks()
        assert saved.text == typed and saved.lesson_id == network_lesson_id(typed)
        assert store.lesson(saved.lesson_id).status_of("df_dh") == "solved"
    finally:
        store.close()
