"""A student's whole record as plain values: what an export holds, what an import merges
and what the instructor's report reads.

Apart from tutor.progress.records (what a student's session reads and writes) so that
the tutor's first screen, which reads a LessonState, does not define these as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from tutor.progress.records import Attempt, Reveal, SavedNetwork

# A snapshot: one student's whole record as plain values. It crosses three borders:
# an export file (for work done offline, or handed in), an import (merged into a
# database), and the instructor's report (read from many databases and exports).


@dataclass(frozen=True)
class StepRecord:
    step_id: str
    status: str | None  # "solved" | "revealed" | None
    hints: int


@dataclass(frozen=True)
class LessonRecord:
    lesson_id: str
    seed: int | None
    started: float | None
    finished: float | None
    steps: tuple[StepRecord, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """A student's lessons with their current step statuses, and every attempt ever made."""

    lessons: tuple[LessonRecord, ...]
    attempts: tuple[Attempt, ...]
    student: str | None = None
    networks: tuple[SavedNetwork, ...] = ()  # the student's own, whose lessons these are
    # Read from an export: what the file held that is not here, each with its reason
    # ("attempts[3].step_id holds a tab (U+0009)"); from a database, its damaged rows.
    skipped: tuple[str, ...] = ()
    # Whose record it is: the login the database recorded when it was made (schema 4;
    # an older one's file owner), which an export carries (version 3). ``student`` is
    # the login that made the export. None: not known (an export of version 1 or 2).
    login: str | None = None
    # Each time a step's solution was shown (schema 5, export version 4; none before).
    reveals: tuple[Reveal, ...] = ()

    def statuses(self) -> dict[tuple[str, str], str]:
        """(lesson_id, step_id) → "solved" / "revealed", for the steps that have one."""
        return {
            (lesson.lesson_id, step.step_id): step.status
            for lesson in self.lessons
            for step in lesson.steps
            if step.status is not None
        }


@dataclass(frozen=True)
class MergeResult:
    added: int  # attempts inserted
    present: int  # attempts that were already there
    raised: int  # steps whose status went up
    networks: int = 0  # networks this database did not have
    reveals: int = 0  # reveals this database did not have
