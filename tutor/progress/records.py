"""The values the progress store hands out and takes in as a student works, and its error.

Plain values with no SQL behind them, so that the screens, the report and the export
file format can hold a student's record without opening a database. A lesson's first
screen reads a LessonState on its way, so these are NamedTuples, not frozen dataclasses:
as immutable, hashable and comparable, printed alike, but defined in a fifth of the time
(Python 3.11 compiles six methods for each frozen dataclass, about a millisecond). The
records of a whole snapshot (export, import, the report), which that screen does not
need, live apart in snapshot_records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class ProgressError(Exception):
    """The database is readable but must not be used (e.g. written by a newer version)."""


class Attempt(NamedTuple):
    lesson_id: str
    step_id: str
    seed: int
    answer: str
    verdict: str  # "correct" | "incorrect" | "invalid"
    diagnosis: tuple[str, ...]
    elapsed: float  # seconds the student spent on this answer
    at: float  # unix time


class Reveal(NamedTuple):
    """A step's solution shown to the student (Reveal), and when."""

    lesson_id: str
    step_id: str
    seed: int | None  # the variant shown; None if the lesson had none yet
    at: float  # unix time
    studied: bool = False  # shown as a worked example, not asked for (tutor.standing)


class StepState(NamedTuple):
    status: str | None  # "solved" | "revealed" | None
    attempts: int  # since the last reset: tutor.rules.attempts_until_solved, in SQL
    hints: int
    last_answer: str | None  # latest answer since the last reset, any verdict


class LessonState(NamedTuple):
    lesson_id: str
    seed: int | None
    steps: dict[str, StepState]
    started: float | None
    finished: float | None  # when it was first finished; kept by resets and new variants
    studied: frozenset[str] = frozenset()  # steps of this variant shown as worked examples

    def status_of(self, step_id: str) -> str | None:
        step = self.steps.get(step_id)
        return step.status if step else None

    def done_count(self) -> int:
        """Steps solved or revealed."""
        return sum(1 for step in self.steps.values() if step.status is not None)

    def first_open(self, step_ids: Sequence[str]) -> str | None:
        """The first of the lesson's steps (in lesson order) not yet solved or revealed."""
        return next((step_id for step_id in step_ids if self.status_of(step_id) is None), None)


class SavedNetwork(NamedTuple):
    """A network the student typed (or drew), kept so that its lesson can be resumed."""

    lesson_id: str
    text: str
    title: str
    steps: tuple[tuple[str, str], ...]  # (id, label) of its lesson's steps, in order
    checked_by: str | None  # the chain-tutor version that validated its lesson
    added: float
    used: float  # when it was last opened
