"""Who is where: one row per student, from the same records as the per-step report.

The per-step report (tutor.report.build) answers "which step is hard"; this answers
"who is stuck, who has not started", which an instructor walking round a lab needs.
A pure function of the sources, the report (for the lessons in scope) and the roster.

Per student, over the lessons in scope (by default every lesson of the report except
students' own networks, which are practice; a course names its own), counted by the
same rules as the report (tutor.report.build, tutor.rules):

* steps_solved, steps_revealed: steps whose outcome is solved, revealed;
* attempts: answers that counted (invalid input is free), up to each step's first
  correct one;
* time_on_task_s: the gaps between the student's consecutive answers (any step, any
  verdict, in time order), each gap capped at TIME_GAP_CAP seconds, summed: a student
  who leaves for lunch is not counted as working through it, and one answer alone is
  no time at all;
* last_active, where: the time, lesson and step of the student's latest answer;
* status: ``done`` when every step in scope is solved; ``stuck`` when the step of the
  latest answer has STUCK_WRONG or more wrong answers and is not solved;
  ``in-progress`` when anything in scope is recorded; else ``not-started``.

A roster's students all get a row, in the roster's order (with zeros and
``not-started`` if no record of theirs was found); students found but not on it follow,
by login. Without a roster, one row per student found.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tutor.progress import Snapshot
from tutor.report.build import (
    Report,
    Source,
    combined_record,
    latest_attempt,
    step_outcomes,
)
from tutor.report.roster import RosterEntry

TIME_GAP_CAP = 300.0  # seconds: a longer pause between two answers counts as this much
STUCK_WRONG = 5  # wrong answers on the step a student is at, unsolved, to be stuck

NOT_STARTED, IN_PROGRESS, STUCK, DONE = "not-started", "in-progress", "stuck", "done"


@dataclass(frozen=True)
class StudentRow:
    login: str
    name: str | None  # from the roster; None without one
    steps_solved: int
    steps_revealed: int
    attempts: int
    time_on_task_s: float
    last_active: float | None  # Unix seconds of the latest answer
    where: tuple[str, str] | None  # (lesson_id, step_id) of the latest answer
    status: str


def time_on_task(times: Sequence[float], cap: float = TIME_GAP_CAP) -> float:
    """The gaps between consecutive times (sorted here), each at most ``cap``, summed."""
    ordered = sorted(times)
    return sum(min(later - earlier, cap) for earlier, later in itertools.pairwise(ordered))


def report_scope(report: Report, sources: Sequence[Source]) -> dict[str, tuple[str, ...]]:
    """The lessons a student is counted over by default: the report's, each with all its
    steps, less the students' own networks."""
    networks = {network.lesson_id for source in sources for network in source.snapshot.networks}
    return {lesson.lesson_id: tuple(step.step_id for step in lesson.steps)
            for lesson in report.lessons if lesson.lesson_id not in networks}


def _row(login: str, name: str | None, snapshots: Sequence[Snapshot],
         scope: Mapping[str, tuple[str, ...]]) -> StudentRow:
    statuses, attempts = combined_record(snapshots)
    in_scope = {(lesson, step) for lesson, steps in scope.items() for step in steps}
    statuses = {key: status for key, status in statuses.items() if key in in_scope}
    attempts = [a for a in attempts if (a.lesson_id, a.step_id) in in_scope]
    outcomes = step_outcomes(statuses, attempts)
    solved = sum(1 for outcome in outcomes.values() if outcome.result == "solved")
    revealed = sum(1 for outcome in outcomes.values() if outcome.result == "revealed")
    counted = sum(outcome.attempts or 0 for outcome in outcomes.values())
    latest = latest_attempt(attempts)
    where = None if latest is None else (latest.lesson_id, latest.step_id)
    if in_scope and solved == len(in_scope):
        status = DONE
    elif where is not None and outcomes[where].result != "solved" and sum(
            1 for a in attempts
            if (a.lesson_id, a.step_id) == where and a.verdict == "incorrect") >= STUCK_WRONG:
        status = STUCK
    elif outcomes:
        status = IN_PROGRESS
    else:
        status = NOT_STARTED
    return StudentRow(login, name, solved, revealed, counted,
                      time_on_task([a.at for a in attempts]),
                      None if latest is None else latest.at, where, status)


def student_rows(sources: Sequence[Source], report: Report,
                 roster: Sequence[RosterEntry] | None = None,
                 scope: Mapping[str, tuple[str, ...]] | None = None) -> list[StudentRow]:
    """One row per student (see the module's docstring). ``scope``: lesson id → its step
    ids, the steps counted; default report_scope(report, sources)."""
    if scope is None:
        scope = report_scope(report, sources)
    records: dict[str, list[Snapshot]] = defaultdict(list)
    for source in sources:
        records[source.student].append(source.snapshot)
    listed = list(roster or ())
    on_roster = {entry.login for entry in listed}
    rows = [_row(entry.login, entry.name, records.get(entry.login, ()), scope)
            for entry in listed]
    rows += [_row(login, None, records[login], scope)
             for login in sorted(records) if login not in on_roster]
    return rows


def not_on_roster(sources: Sequence[Source], roster: Sequence[RosterEntry]) -> list[str]:
    """The students found in the records that the roster does not list, by login."""
    listed = {entry.login for entry in roster}
    return sorted({source.student for source in sources} - listed)
