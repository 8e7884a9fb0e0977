"""Driving the app as a student does (type, Enter, wait, read the screen), and test lessons.

Named tui_helpers, not conftest or helpers, so it cannot collide with a module of the
same name in another test folder (test folders are not packages here).
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from tutor.lessons.index import LessonError
from tutor.lessons.load import load_lesson
from tutor.lessons.model import BrokenLesson, Catalog

SNAPSHOT_LESSONS = Path(__file__).parent / "snapshot_lessons"
FLAGSHIP = "two-layer-sigmoid"


class TickingClock:
    """Each reading is `step` seconds after the last: elapsed times are the same every run."""

    def __init__(self, step: float = 5.0) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def snapshot_catalog() -> Catalog:
    lessons = [
        load_lesson(SNAPSHOT_LESSONS / "scalar-chain-rule.toml"),
        load_lesson(SNAPSHOT_LESSONS / "two-layer-sigmoid.toml"),
    ]
    broken_path = SNAPSHOT_LESSONS / "half-written.toml"
    try:
        load_lesson(broken_path)
    except LessonError as error:
        broken = [BrokenLesson(broken_path, error)]
    else:  # pragma: no cover - the fixture is broken on purpose
        raise AssertionError("half-written.toml should not load")
    return Catalog(lessons, broken)


# A right answer for every step of the flagship lesson, in order.
FLAGSHIP_ANSWERS = {
    "df_dh2": "W3",
    "dh2_dz2": "diag(h2*(1-h2))",
    "dz2_dh1": "W2",
    "dh1_dz1": "diag(h1*(1-h1))",
    "df_dz1": "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))",
    "df_dW1": "(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T @ x.T",
}


def text_of(pilot: Pilot, selector: str) -> str:
    """The plain text a Static on the current screen shows."""
    return str(pilot.app.screen.query_one(selector, Static).content)


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message they caused be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def type_text(pilot: Pilot, text: str) -> None:
    """Clear the answer box and type `text` key by key."""
    pilot.app.screen.query_one("#answer", Input).value = ""
    await pilot.press(*("space" if char == " " else char for char in text))


async def submit(pilot: Pilot, text: str) -> str:
    """Type an answer, press Enter, wait for the verdict; returns the feedback text."""
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)
    return text_of(pilot, "#feedback")
