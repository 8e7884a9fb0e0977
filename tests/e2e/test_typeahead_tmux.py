"""Keys sent back to back into a real terminal, the moment a resumed lesson appears.

Two tutors of one account, or a student typing the moment the lesson shows: every
answer sent is checked and saved, in order, none lost to a screen still loading, a
check still running, or an Enter acted on after the keys behind it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from tmux_terminal import SCRIPT, TMUX, Terminal, start_tutor

from tutor.progress import ProgressStore

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
LESSON = "two-layer-sigmoid"
TITLE = "Two sigmoid layers"
# Resumed at dh2_dz2: a wrong answer, the box cleared, a right one. (A step key in the
# burst would act on the screen as it is then: "next" is greyed out until the verdict.)
BURST = ["W3", "Enter", "C-u", "diag(h2*(1-h2))", "Enter"]
SAVED = [("dh2_dz2", "W3", "incorrect"), ("dh2_dz2", "diag(h2*(1-h2))", "correct")]


def start(data: Path) -> Terminal:
    # Every step asked: the burst answers steps in order, none shown worked.
    return start_tutor(f"{LESSON} --no-examples", data, size=(100, 30),
                       name="chain-tutor-typeahead")


def saved(data: Path, count: int) -> list[tuple[str, str, str]]:
    deadline = time.monotonic() + 30
    while True:
        with ProgressStore.open(data) as store:
            found = [(a.step_id, a.answer, a.verdict) for a in store.attempts(LESSON)][1:]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.parametrize("tutors", [1, 2], ids=["one tutor", "two tutors of one account"])
def test_a_burst_sent_as_the_resumed_lesson_appears_is_all_checked(tmp_path, tutors):
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    data = tmp_path / "data"
    with ProgressStore.open(data) as store:
        store.set_seed(LESSON, 1)
        store.record_attempt(LESSON, "df_dh2", 1, "W3", "correct", (), 4.0)
        store.mark(LESSON, "df_dh2", "solved")
    terminals = [start(data) for _ in range(tutors)]
    try:
        if tutors > 1:
            # Both must have opened the lesson before either answers: the one opened after
            # the other's answers are saved rightly resumes at the next open step.
            for terminal in terminals:
                terminal.wait_for("∂h2/∂z2  is 2×2", timeout=60)
        for terminal in terminals:
            terminal.wait_for(TITLE, timeout=60)  # the lesson (or its loading screen)
            terminal.keys(*BURST)  # at once, in one tmux command
        for terminal in terminals:
            terminal.wait_for("✓ Correct", timeout=60)
        found = saved(data, len(SAVED) * tutors)
        # Each tutor's answers are saved whole and in order; two tutors interleave.
        for expected in SAVED:
            assert found.count(expected) == tutors, found
        assert len(found) == len(SAVED) * tutors, found
        mine = [entry for entry in found if entry in SAVED]
        if tutors == 1:
            assert mine == SAVED
        for terminal in terminals:
            terminal.keys("C-q")
    finally:
        for terminal in terminals:
            terminal.close()
