"""The real `chain-tutor` in a real terminal (tmux, 80×24): what a student sees and types.

Every wait polls the screen until the expected text shows (or a timeout), so the
test is as fast as the machine allows and does not depend on fixed sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tmux_terminal import TMUX, Terminal, tutor_in_tmux

from tutor.progress import ProgressStore

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
TIMEOUT = 30.0


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    with tutor_in_tmux("two-layer-sigmoid --seed 1 --no-examples", tmp_path / "data") as terminal:
        yield terminal


EMPTY_BOX = "Type the factor; Enter checks it"  # the preview while the box is empty


def answer(terminal: Terminal, text: str, expect: str) -> str:
    # Textual runs a key binding's action (Ctrl+U: clear) after characters that arrive
    # in the same burst, so clear only a box that holds text, and wait until it is empty.
    if EMPTY_BOX not in terminal.screen():
        terminal.keys("C-u")
        terminal.wait_for(EMPTY_BOX)
    terminal.type(text)
    terminal.wait_for(text)
    terminal.keys("Enter")
    return terminal.wait_for(expect)


def test_student_works_through_the_flagship_lesson_in_a_terminal(terminal, tmp_path):
    screen = terminal.wait_for("Start the steps", timeout=60)  # the intro, first
    assert "Two sigmoid layers" in screen
    terminal.keys("Enter")
    screen = terminal.wait_for("∂f/∂h2  is 1×2")
    # xᵀ is part of the last step's answer: "?" until that step is done
    assert "∂f/∂W1 = (∂f/∂h2 · ∂h2/∂z2 · ∂z2/∂h1 · ∂h1/∂z1)ᵀ · ?" in screen
    assert "F2/^g Hint" in screen and "Esc Lessons" in screen  # the keys, in the footer
    assert "^q Quit" in screen and "F1/^l Help" in screen

    # Typing shows what the parser reads, or where it fails.
    terminal.type("W3 *")
    screen = terminal.wait_for("ends too early")
    assert any(line.strip() == "^" for line in screen.splitlines())  # the caret line
    screen = answer(terminal, "W3 * h2", "no attempt counted")
    assert "1×2" in screen and "2×1" in screen

    screen = answer(terminal, "W3", "✓ Correct")
    assert "= (W3 " in screen  # the chain fills in
    terminal.keys("PageDown")
    terminal.wait_for("∂h2/∂z2  is 2×2")

    terminal.keys("F2")
    terminal.wait_for("Hint 1/3")
    answer(terminal, "diag(h2*(1-h2))", "✓ Correct")
    terminal.keys("PageDown")
    terminal.wait_for("∂z2/∂h1  is 2×2")

    screen = answer(terminal, "W2.T", "✗ Not yet")
    assert "transpose" in screen
    answer(terminal, "W2", "✓ Correct")
    terminal.keys("PageDown")
    terminal.wait_for("∂h1/∂z1  is 2×2")

    terminal.keys("F3")
    terminal.wait_for("Reveal the solution of")  # it asks first
    terminal.keys("y")
    screen = terminal.wait_for("Solution:")
    assert "revealed" in screen
    terminal.keys("PageDown")
    terminal.wait_for("∂f/∂z1  is 1×2")
    answer(terminal, "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))", "✓ Correct")
    terminal.keys("PageDown")
    terminal.wait_for("∂f/∂W1  is 2×2")
    answer(terminal, "(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T @ x.T", "✓ Correct")
    terminal.keys("PageDown")

    screen = terminal.wait_for("Lesson complete")
    assert "The whole derivative, from your factors" in screen
    assert "New variant" in screen
    terminal.keys("C-q")

    # Once the tutor has quit, what the terminal showed is what was saved.
    deadline = time.monotonic() + TIMEOUT
    while "Lesson complete" in terminal.screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    store = ProgressStore.open(tmp_path / "data")
    try:
        state = store.lesson("two-layer-sigmoid")
        assert state.seed == 1 and state.finished is not None
        assert state.status_of("dh1_dz1") == "revealed"
        assert [state.status_of(s) for s in ("df_dh2", "dh2_dz2", "dz2_dh1")] == ["solved"] * 3
    finally:
        store.close()


@pytest.fixture
def picker(tmp_path: Path) -> Iterator[Terminal]:
    """The tutor as a student starts it: the lesson picker, at 80×24."""
    with tutor_in_tmux("--seed 1 --no-examples", tmp_path / "data") as terminal:
        yield terminal


FLAGSHIP_BY_ENTER = [  # (what the step asks, the answer)
    ("∂f/∂h2  is 1×2", "W3"),
    ("∂h2/∂z2  is 2×2", "diag(h2*(1-h2))"),
    ("∂z2/∂h1  is 2×2", "W2"),
    ("∂h1/∂z1  is 2×2", "diag(h1*(1-h1))"),
    ("∂f/∂z1  is 1×2", "df_dh2 @ dh2_dz2 @ dz2_dh1 @ dh1_dz1"),
    ("∂f/∂W1  is 2×2", "df_dz1.T @ x.T"),
]


def test_the_flagship_plays_from_the_picker_with_enter_alone(picker, tmp_path):
    """Enter on the picker's lesson (jumped to by its number), Enter on the intro, each
    answer then Enter, and Enter again to go on: no other key is needed, and the
    last two steps take the earlier steps' ids."""
    picker.wait_for("Choose a lesson", timeout=60)
    picker.keys("8", "Enter")  # the flagship is lesson 8; Enter right behind it, one burst
    picker.wait_for("Start the steps")
    picker.keys("Enter")
    for asks, text in FLAGSHIP_BY_ENTER:
        picker.wait_for(asks)
        picker.type(text)
        picker.wait_for("the factor's shape")  # the preview has read it
        picker.keys("Enter")
        screen = picker.wait_for("✓ Correct")
        assert "Enter: the" in screen  # it says how to go on
        picker.keys("Enter")
    screen = picker.wait_for("Lesson complete")
    picker.keys("C-q")
    deadline = time.monotonic() + TIMEOUT
    while "Lesson complete" in picker.screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    store = ProgressStore.open(tmp_path / "data")
    try:
        state = store.lesson("two-layer-sigmoid")
        assert [state.status_of(asks) for asks in (
            "df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1", "df_dW1")] == ["solved"] * 6
        assert state.finished is not None
    finally:
        store.close()
