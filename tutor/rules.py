"""The rules of progress, in one place: what a step's status becomes, and what counts.

The store (tutor.progress), the lesson session (tutor.session) and the instructor's
report (tutor.report) all apply these, so a rule changed here changes everywhere:

* a correct answer solves an open step; a revealed step stays revealed (typing in the
  shown solution is not solving it), and a solved one stays solved;
* a reveal marks an open step revealed, and leaves a solved one solved;
* marking a step solved outright (an author's tool, a test) solves it, whatever it was;
* a reset opens the step again;
* merging two records of one student keeps the higher status: solved > revealed > open;
* a step's attempts are the ones that counted (an invalid answer is free), up to and
  including its first correct one: retyping a solved step costs nothing, and the
  summary, the picker, `chain-tutor progress` and the instructor's report all say the
  same number (the store counts it in SQL, tests/unit/test_rules.py holds the two
  together). The tutor counts since the step's last reset; the report, which is about
  what happened, over the whole history;
* a lesson once finished stays finished: a new variant or a reset of the lesson starts
  its steps again, and keeps the time it was first finished (see tutor.standing.Standing).

Statuses and verdicts are StrEnums whose values are what the database and the export
files store ("solved", "revealed"; "correct", "incorrect", "invalid"); an open step
is stored as NULL, here ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol


class Status(StrEnum):
    SOLVED = "solved"
    REVEALED = "revealed"


class VerdictKind(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    INVALID = "invalid"  # did not parse or its shapes clash: costs no attempt


class Event(StrEnum):
    """What the student did to a step."""

    CORRECT = "correct"  # gave a correct answer
    SOLVE = "solve"  # marked solved outright (ProgressStore.mark): whatever it was
    REVEAL = "reveal"
    RESET = "reset"


StepStatus = Status | None
STATUSES = tuple(Status)
VERDICTS = tuple(VerdictKind)

# (status now, event) → status after. Every pair is listed: nothing is implied.
TRANSITIONS: dict[tuple[StepStatus, Event], StepStatus] = {
    (None, Event.CORRECT): Status.SOLVED,
    (Status.REVEALED, Event.CORRECT): Status.REVEALED,
    (Status.SOLVED, Event.CORRECT): Status.SOLVED,
    (None, Event.SOLVE): Status.SOLVED,
    (Status.REVEALED, Event.SOLVE): Status.SOLVED,
    (Status.SOLVED, Event.SOLVE): Status.SOLVED,
    (None, Event.REVEAL): Status.REVEALED,
    (Status.REVEALED, Event.REVEAL): Status.REVEALED,
    (Status.SOLVED, Event.REVEAL): Status.SOLVED,
    (None, Event.RESET): None,
    (Status.REVEALED, Event.RESET): None,
    (Status.SOLVED, Event.RESET): None,
}
RANK: dict[StepStatus, int] = {None: 0, Status.REVEALED: 1, Status.SOLVED: 2}


def status_of(stored: str | None) -> StepStatus:
    """A stored value (or an export's) as a status; ValueError for anything else."""
    return None if stored is None else Status(stored)


def after(status: str | None, event: Event) -> StepStatus:
    """The step's status once ``event`` has happened to it."""
    return TRANSITIONS[status_of(status), event]


def higher(one: str | None, other: str | None) -> StepStatus:
    """The status a merge keeps: solved > revealed > open."""
    a, b = status_of(one), status_of(other)
    return a if RANK[a] >= RANK[b] else b


def event_for(status: str) -> Event:
    """The event that marks a step with ``status`` (ProgressStore.mark's argument)."""
    return {Status.SOLVED: Event.SOLVE, Status.REVEALED: Event.REVEAL}[Status(status)]


class _Answer(Protocol):
    verdict: str


def counts(verdict: str) -> bool:
    """An invalid answer costs no attempt; a correct or incorrect one does."""
    return VerdictKind(verdict) is not VerdictKind.INVALID


def attempts_until_solved(answers: Iterable[_Answer]) -> int:
    """Attempts that counted, in order, up to and including the first correct one."""
    total = 0
    for answer in answers:
        if counts(answer.verdict):
            total += 1
        if answer.verdict == VerdictKind.CORRECT:
            break
    return total
