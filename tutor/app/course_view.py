"""The course in force, as a student's tutor sees it: read at start (--course FILE or
CHAIN_TUTOR_COURSE, as a lab's ForceCommand sets it), then each assignment's due time
and standing for the picker. No Textual here; the course's modules are imported only
when a course is given, so a tutor without one starts as fast as before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.lessons.index import LessonError, LessonInfo

if TYPE_CHECKING:
    from tutor.app.shelf import LessonEntry
    from tutor.lessons.course import Course
    from tutor.progress.store import ProgressStore
    from tutor.report.grades import Grade


def course_in_force(given: Path | str | None, index: Sequence[LessonInfo]) -> Course | None:
    """The course file named by ``given`` or $CHAIN_TUTOR_COURSE, checked against the
    lessons; None without one; LessonError (the first mistake, at file:line) if it has any:
    a course that cannot be read cannot say where Reveal is off, so the tutor does not
    start without it."""
    if not (given or os.environ.get("CHAIN_TUTOR_COURSE")):  # course.COURSE_ENV
        return None  # and the course's modules (msgspec's TOML among them) stay unloaded
    from tutor.lessons.course import check_course, course_from_env

    path = course_from_env(given)
    if path is None:
        return None
    course, errors = check_course(path, index)
    if errors:
        raise LessonError(f"{errors[0]}{_more(len(errors) - 1)} (`chain-tutor course "
                          f"{path}` lists every mistake)")
    return course


def _more(count: int) -> str:
    return f", and {count} more mistake{'s' * (count != 1)}" if count else ""


def standings(course: Course, entries: Sequence[LessonEntry],
              store: ProgressStore) -> list[Grade | str]:
    """Each assignment's grade so far from the student's own records, by the gradebook's
    rule (tutor.report.grades); in its place, why it cannot be told."""
    from tutor.progress.snapshot_records import LessonRecord, Snapshot, StepRecord
    from tutor.report.grades import GradeError, grade

    steps = {entry.id: [step.id for step in entry.steps] for entry in entries}
    wanted = {lesson for item in course.assignment for lesson in item.lessons}
    records, attempts = [], []
    for lesson_id in sorted(wanted):
        state = store.lesson(lesson_id)
        records.append(LessonRecord(lesson_id, state.seed, state.started, state.finished,
                                    tuple(StepRecord(step_id, step.status, step.hints)
                                          for step_id, step in state.steps.items())))
        attempts.extend(store.attempts(lesson_id))
    mine = Snapshot(tuple(records), tuple(attempts))
    found: list[Grade | str] = []
    for item in course.assignment:
        try:
            found.append(grade(item, steps, [mine]))
        except GradeError as error:
            found.append(str(error))
    return found


def assignment_line(number: int, title: str, due: datetime, standing: Grade | str,
                    reveal: bool, now: float) -> str:
    """One assignment for the picker: its due time here, its standing, Reveal if off."""
    from tutor.report.grades import number as cell

    local = due.astimezone()
    when = f"due {local:%a %d %b %H:%M}" + (" (closed)" if due.timestamp() < now else "")
    if isinstance(standing, str):
        points = standing
    else:
        so_far = "" if due.timestamp() < now else " so far"
        points = (f"{cell(standing.earned)} of {cell(standing.points)}{so_far} "
                  f"({standing.on_time}/{standing.steps} steps)")
    off = " · Reveal off" if not reveal else ""
    return f"{number}. {title} · {when} · {points}{off}"
