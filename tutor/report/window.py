"""`report --since/--until`: the records cut to a span of time, before any view is made.

Applied to each student's snapshot as it is read, so the per-step report, the students'
table, the CSV, the JSON and the heat map all see the same cut. Answers are kept when
``since <= at < until``. A step's status is the tutor's current state and has no time
of its own, so within a span:

* solved: the step has a correct answer in the span (the stored status is set aside, and
  the answers decide, as the report does for a step reset since);
* revealed: a reveal recorded with its time (schema 5 on) counts if it came before
  ``until``, whenever after ``since`` (a solution shown stays shown: a correct answer in
  the span after it does not solve the step); a revealed status with no recorded reveal
  (an older tutor's) is kept unless its lesson was first started at or after ``until``
  (it cannot have been revealed before).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from tutor.rules import Status

if TYPE_CHECKING:  # the parser imports this module's argument types: kept light
    from tutor.progress import Snapshot

EXAMPLES = "2026-12-10 or 2026-12-10T23:59:00Z"


@dataclass(frozen=True)
class Window:
    since: float | None = None  # Unix seconds, included
    until: float | None = None  # Unix seconds, excluded

    def holds(self, at: float) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


def _moment(text: str, *, end_of_day: bool) -> float:
    """ISO 8601 text as Unix seconds: a date is its midnight in UTC (with ``end_of_day``,
    the next midnight, so that --until DATE takes in the whole day); a time without an
    offset is UTC."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        try:
            day += timedelta(days=1) if end_of_day else timedelta()
        except OverflowError:  # --until 9999-12-31: no end
            return math.inf
        return datetime.combine(day, time(), UTC).timestamp()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time ({EXAMPLES})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError):  # an offset that takes it past year 9999
        raise argparse.ArgumentTypeError(f"{text!r} is past the times this can handle") \
            from None


def since_argument(text: str) -> float:
    """--since's type: answers from this moment on (a date: from its start, UTC)."""
    return _moment(text, end_of_day=False)


def until_argument(text: str) -> float:
    """--until's type: answers before this moment (a date: up to its end, UTC)."""
    return _moment(text, end_of_day=True)


def within(snapshot: Snapshot, window: Window) -> Snapshot:
    """The snapshot with only the answers in ``window`` and the statuses they support."""
    if window.since is None and window.until is None:
        return snapshot
    attempts = tuple(a for a in snapshot.attempts if window.holds(a.at))
    reveals = tuple(r for r in snapshot.reveals if window.until is None or r.at < window.until)
    timed = {(r.lesson_id, r.step_id) for r in snapshot.reveals}
    lessons = []
    for lesson in snapshot.lessons:
        started_after = (window.until is not None and lesson.started is not None
                         and lesson.started >= window.until)
        steps = tuple(step if _kept(step, started_after, (lesson.lesson_id, step.step_id) in timed)
                      else replace(step, status=None) for step in lesson.steps)
        lessons.append(replace(lesson, steps=steps))
    return replace(snapshot, attempts=attempts, lessons=tuple(lessons), reveals=reveals)


def _kept(step, started_after: bool, timed: bool) -> bool:
    """Whether a step's stored status holds within the span (the module's docstring)."""
    if step.status == Status.SOLVED:
        return False  # the answers in the span decide
    if step.status == Status.REVEALED and timed:
        return False  # its recorded reveals in the span decide (build.combined_record)
    return not (step.status == Status.REVEALED and started_after)
