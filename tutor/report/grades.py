"""The grade rule, in one place: what an assignment of a course file is worth to a student.

An assignment's grade is

    points × (steps first solved at or before the due time, revealed steps excluded)
           ÷ (all steps of its lessons)

rounded to two decimals (half up: 0.625 is 0.63). Exactly:

* the steps are those of the assignment's lessons as the catalog has them now (the
  shipped lessons and any --lessons folders); a step the records name that the lesson no
  longer has counts for nothing, and a lesson the catalog lacks is refused (GradeError),
  since without its steps no grade can be honest;
* a step is *first solved* at the time of its earliest correct answer, in any variant
  (a new variant's numbers are as good as the first's): the `at` of the first attempt
  with verdict "correct" for that lesson and step, whatever its seed, in any of the
  student's files (a database and an export holding the same attempt count it once);
* a step is *revealed* if the student's record marks it revealed now (over several
  files, the higher status wins, solved > revealed: tutor.rules), or if its solution
  was shown (Reveal, in any variant) before its first correct answer: a reset or a new
  variant clears the status, not the moment, so a step revealed, then reset, then
  typed in earns nothing either. A revealed step earns nothing (typing in the shown
  solution is not solving it, as in the tutor); one solved first and shown after
  keeps its credit. The moments are recorded from schema 5 and export version 4 on:
  a reveal made by an older tutor is known by its status alone;
* a step marked solved with no correct answer recorded (an author's tool) has no time,
  and earns nothing.

`grade` is a pure function of the records; the report's gradebook and the student's
picker both call it, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tutor.lessons.course import Assignment, Course
from tutor.lessons.index import LessonInfo
from tutor.progress import Snapshot
from tutor.report.build import (  # one student's records merged, as the report does
    combined_record,
    first_correct_at,
)
from tutor.rules import Status

CENT = Decimal("0.01")


class GradeError(Exception):
    """An assignment that cannot be graded: a lesson of it is not in the catalog."""


@dataclass(frozen=True)
class Grade:
    """One student's standing on one assignment."""

    title: str
    points: Decimal  # what the assignment is worth
    earned: Decimal  # the grade, to two decimals
    on_time: int  # steps that count: solved by the due time, not revealed
    late: int  # solved, not revealed, but only after the due time
    revealed: int  # steps revealed (earn nothing)
    steps: int  # all steps of the assignment's lessons


def lesson_steps(index: Sequence[LessonInfo]) -> dict[str, tuple[str, ...]]:
    """Each usable lesson's step ids, in order: what an assignment's steps are."""
    return {info.id: tuple(step.id for step in info.steps)
            for info in index if info.error is None}


def grade(assignment: Assignment, steps: Mapping[str, Sequence[str]],
          snapshots: Sequence[Snapshot]) -> Grade:
    """``assignment``'s grade for the student whose records are ``snapshots`` (any number,
    none for a student who never started), by the rule in this module's docstring."""
    missing = [lesson for lesson in assignment.lessons if lesson not in steps]
    if missing:
        raise GradeError(f"assignment {assignment.title!r}: no lesson {', '.join(missing)} "
                         "among the lessons, so its steps are unknown; add its folder with "
                         "--lessons DIR")
    statuses, attempts = combined_record(snapshots)  # a step shown before solved: revealed
    first_solved = first_correct_at(attempts)
    due = assignment.due.timestamp()
    on_time = late = revealed = total = 0
    for lesson in assignment.lessons:
        for step in steps[lesson]:
            total += 1
            key = (lesson, step)
            if statuses.get(key) == Status.REVEALED:
                revealed += 1
            elif key in first_solved and first_solved[key] <= due:
                on_time += 1
            elif key in first_solved:
                late += 1
    points = Decimal(str(assignment.points))
    earned = (points * on_time / total).quantize(CENT, ROUND_HALF_UP) if total else Decimal(0)
    return Grade(assignment.title, points, earned, on_time, late, revealed, total)


def course_grades(course: Course, steps: Mapping[str, Sequence[str]],
                  snapshots: Sequence[Snapshot]) -> tuple[Grade, ...]:
    """Every assignment's grade for one student, in the course file's order."""
    return tuple(grade(item, steps, snapshots) for item in course.assignment)


def number(value: Decimal) -> str:
    """A grade as a gradebook cell: 10, 6.36, 2.5, 0 (no exponent, no trailing zeros)."""
    text = format(value.quantize(CENT), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
