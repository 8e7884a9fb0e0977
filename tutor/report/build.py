"""The instructor's report: how a class did on each step, from its progress records.

`build_report` is a pure function of the students' records (tutor.progress
Snapshots) and the lesson index, so a screen can build the same report from records
it already holds. Reading the files is tutor.report.sources's job; writing the report
out, tutor.report.formats's.

Per student and step, over the whole attempt history (resets and new variants
included, since the report is about what happened):

* solved: the step is marked solved, or it is marked nothing (it was reset, or a
  new variant started) and an answer was correct — unless revealed first;
* revealed: the step is marked revealed, or its solution was shown (a recorded
  reveal, in any variant) before its first correct answer, whatever reset it since
  (typing in the shown solution does not solve it, as in the tutor);
* working: neither solved nor revealed, and the step of the student's latest answer
  (over all their records in the report, any verdict; of answers at the same moment,
  the last by lesson and step id) — they are at it now, or were when they stopped;
* gave up: answered (any verdict), neither solved nor revealed, and not the step of
  the student's latest answer — they answered another step later, leaving it unsolved;
* attempts: answers that counted (correct or incorrect; invalid input is free, as in
  the tutor), up to and including the first correct one;
* time: the seconds recorded with the answers (each answer's time since the previous
  one, or since the step was opened), summed up to and including the first correct
  one.

Each student with an answer or a status on a step is counted in exactly one of solved,
revealed, working and gave up. Medians are over the students who answered the step at
all. Wrong answers are the incorrect ones with the whitespace that says nothing removed
(`normalise`; and numbers rounded short, which cost no attempt: `precision`), ranked by
how many students gave them, then by how many times.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.lessons.index import LessonInfo
from tutor.progress import (
    Attempt,
    Snapshot,
)
from tutor.rules import Status, attempts_until_solved, higher

TOP_WRONG = 3


@dataclass(frozen=True)
class Source:
    """One student's record and where it came from."""

    student: str
    path: Path
    snapshot: Snapshot


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class WrongAnswer:
    answer: str  # normalise()d: the whitespace that says nothing removed
    diagnosis: tuple[str, ...]  # every code it was given, in order of first appearance
    count: int  # attempts with this answer
    students: int  # students who gave it


@dataclass(frozen=True)
class StepReport:
    lesson_id: str
    step_id: str
    label: str | None  # "∂f/∂h2"; None for a step the installed lesson does not have
    students: int  # students with an answer or a status on this step
    solved: int
    revealed: int
    gave_up: int  # answered, unsolved, and a later answer on another step
    working: int  # unsolved, and the step of the student's latest answer
    median_attempts: float | None
    median_time: float | None  # seconds
    common_wrong: tuple[WrongAnswer, ...]


@dataclass(frozen=True)
class LessonReport:
    lesson_id: str
    title: str | None  # None for a lesson that is not installed here
    steps: tuple[StepReport, ...]


@dataclass(frozen=True)
class Report:
    students: tuple[str, ...]
    lessons: tuple[LessonReport, ...]
    skipped: tuple[Skipped, ...] = ()


# -- aggregation (pure) -------------------------------------------------------------


@dataclass(frozen=True)
class StepOutcome:
    """One student on one step."""

    result: str  # "solved" | "revealed" | "working" | "gave_up"
    attempts: int | None  # None: never answered
    time: float | None
    wrong: tuple[tuple[str, tuple[str, ...]], ...]  # (normalised answer, diagnosis)


def normalise(answer: str) -> str:
    """The answer with the whitespace that says nothing taken out, and the rest made one
    space: `h2 * (1 - h2)` is `h2*(1-h2)`, but `[0.24 0; 0 0.25]` keeps the spaces
    that part its entries, and `[1 -2]` (two entries, as in the tutor's parser) is not
    `[1-2]`."""
    parts = answer.split()
    text = parts[0] if parts else ""
    for part in parts[1:]:
        if _parts(text[-1], part):
            text += " "
        text += part
    return text


def _ends_word(char: str) -> bool:
    return char.isalnum() or char in "_."


def _parts(before: str, after: str) -> bool:
    """Whether a space between ``before`` (a character) and ``after`` (the text that
    follows) separates two things, so that taking it out would change the answer."""
    starts_word = after[0].isalnum() or after[0] == "_" or (
        after[0] == "." and after[1:2].isdigit())  # ".5", not ".T"
    if _ends_word(before) and starts_word:
        return True  # "0.24 0", "W 2"
    # "1 -2": a signed entry of a matrix, as the parser reads it (its _starts_new_entry)
    return (_ends_word(before) or before in ")]'") and after[0] in "+-" and len(after) > 1


# Free answers that are still worth an instructor's eye: numbers rounded short (the
# working right, the figures not), which cost no attempt but are not accepted either.
SAID_THOUGH_FREE = frozenset({"precision"})


def _not_accepted(attempt: Attempt) -> bool:
    return attempt.verdict == "incorrect" or (
        attempt.verdict == "invalid" and not SAID_THOUGH_FREE.isdisjoint(attempt.diagnosis))


def latest_attempt(attempts: Sequence[Attempt]) -> Attempt | None:
    """A student's latest answer: the latest in time; of answers at the same moment, the
    last by lesson and step id (so the choice does not depend on the records' order)."""
    return max(attempts, key=lambda a: (a.at, a.lesson_id, a.step_id), default=None)


def step_outcome(status: str | None, attempts: Sequence[Attempt],
                 latest: bool = False) -> StepOutcome:
    """One student's outcome on one step; ``latest``: the step of their latest answer."""
    ordered = sorted(attempts, key=lambda a: a.at)
    first_correct = next((i for i, a in enumerate(ordered) if a.verdict == "correct"), None)
    until = ordered if first_correct is None else ordered[: first_correct + 1]
    if status == Status.SOLVED or (status is None and first_correct is not None):
        result = "solved"  # a step reset since counts as solved if an answer was correct
    elif status == Status.REVEALED:
        result = "revealed"
    elif latest:
        result = "working"
    else:
        result = "gave_up"
    wrong = tuple((normalise(a.answer), a.diagnosis) for a in ordered if _not_accepted(a))
    if not ordered:
        return StepOutcome(result, None, None, wrong)
    return StepOutcome(result, attempts_until_solved(ordered),
                    sum(a.elapsed for a in until), wrong)


def combined_record(snapshots: Sequence[Snapshot]) -> tuple[dict, list[Attempt]]:
    """One student's statuses (the highest) and attempts (no attempt counted twice).

    Several records of one student (a server database and a laptop's export) may
    share attempts, after an import; an attempt present in two of them is one attempt.
    A step whose solution was shown (a recorded reveal, in any variant) before its
    first correct answer is revealed, whatever reset or new variant cleared its status
    since: typing in the shown solution is not solving it.
    """
    statuses: dict[tuple[str, str], str] = {}
    for snapshot in snapshots:
        for key, status in snapshot.statuses().items():
            statuses[key] = higher(statuses.get(key), status)
    most: Counter = Counter()
    examples: dict[tuple, Attempt] = {}
    for snapshot in snapshots:
        here = Counter()
        for attempt in snapshot.attempts:
            key = (attempt.lesson_id, attempt.step_id, attempt.seed, attempt.answer,
                   attempt.verdict, attempt.at)
            here[key] += 1
            examples.setdefault(key, attempt)
        most |= here  # the larger count of each
    attempts = [examples[key] for key, count in most.items() for _ in range(count)]
    first_correct = first_correct_at(attempts)
    for snapshot in snapshots:
        for reveal in snapshot.reveals:
            key = (reveal.lesson_id, reveal.step_id)
            if reveal.at < first_correct.get(key, math.inf):
                statuses[key] = Status.REVEALED
    return statuses, attempts


def first_correct_at(attempts: Sequence[Attempt]) -> dict[tuple[str, str], float]:
    """(lesson_id, step_id) → the time of its earliest correct answer, in any variant."""
    first: dict[tuple[str, str], float] = {}
    for attempt in attempts:
        if attempt.verdict == "correct":
            key = (attempt.lesson_id, attempt.step_id)
            first[key] = min(attempt.at, first.get(key, attempt.at))
    return first


def _student_outcomes(snapshots: Sequence[Snapshot]) -> dict[tuple[str, str], StepOutcome]:
    return step_outcomes(*combined_record(snapshots))


def step_outcomes(statuses: dict[tuple[str, str], str],
                  attempts: Sequence[Attempt]) -> dict[tuple[str, str], StepOutcome]:
    """One student's outcome on each step with a status or an attempt; the step of the
    latest of ``attempts`` is the one they are working on, unless solved or revealed."""
    by_step: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_step[attempt.lesson_id, attempt.step_id].append(attempt)
    last = latest_attempt(attempts)
    at = None if last is None else (last.lesson_id, last.step_id)
    return {key: step_outcome(statuses.get(key), by_step.get(key, ()), latest=key == at)
            for key in statuses.keys() | by_step.keys()}


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _step_report(lesson_id: str, step_id: str, label: str | None,
                 outcomes: list[StepOutcome], top: int) -> StepReport:
    results = Counter(outcome.result for outcome in outcomes)
    answered = [outcome for outcome in outcomes if outcome.attempts is not None]
    counts: Counter = Counter()
    students: Counter = Counter()
    codes: dict[str, dict[str, None]] = defaultdict(dict)  # an ordered set per answer
    for outcome in outcomes:
        for answer, diagnosis in outcome.wrong:
            counts[answer] += 1
            codes[answer].update(dict.fromkeys(diagnosis))
        students.update({answer for answer, _ in outcome.wrong})
    ranked = sorted(counts, key=lambda answer: (-students[answer], -counts[answer], answer))
    return StepReport(
        lesson_id, step_id, label,
        students=len(outcomes),
        solved=results["solved"],
        revealed=results["revealed"],
        gave_up=results["gave_up"],
        working=results["working"],
        median_attempts=_median([o.attempts for o in answered]),
        median_time=_median([o.time for o in answered]),
        common_wrong=tuple(WrongAnswer(answer, tuple(codes[answer]), counts[answer],
                                       students[answer]) for answer in ranked[:top]),
    )


def build_report(sources: Sequence[Source], lessons: Sequence[LessonInfo] = (),
                 skipped: Sequence[Skipped] = (), top: int = TOP_WRONG) -> Report:
    """Aggregate the students' records per lesson and step.

    Sources with the same `student` are one student. Lessons come in the order of
    `lessons` (the curriculum), each with all its steps in order; lessons and steps
    found in the records but not installed here follow, by id.
    """
    by_student: dict[str, list[Snapshot]] = defaultdict(list)
    for source in sources:
        by_student[source.student].append(source.snapshot)
    outcomes: dict[tuple[str, str], list[StepOutcome]] = defaultdict(list)
    for snapshots in by_student.values():
        for key, outcome in _student_outcomes(snapshots).items():
            outcomes[key].append(outcome)

    recorded: dict[str, set[str]] = defaultdict(set)
    for lesson_id, step_id in outcomes:
        recorded[lesson_id].add(step_id)
    known = {info.id: info for info in lessons if info.error is None}
    order = [lesson_id for lesson_id in known if lesson_id in recorded]
    order += sorted(lesson_id for lesson_id in recorded if lesson_id not in known)

    # A student's own network names its lesson and steps, as the student saw them.
    networks = {network.lesson_id: network for source in sources
                for network in source.snapshot.networks}
    reports = []
    for lesson_id in order:
        info = known.get(lesson_id)
        network = networks.get(lesson_id)
        if info is not None:
            title, labels = info.title, {step.id: step.label for step in info.steps}
        elif network is not None:
            title, labels = f"a student's network: {network.title}", dict(network.steps)
        else:
            title, labels = None, {}
        step_ids = list(labels) + sorted(recorded[lesson_id] - labels.keys())
        steps = tuple(_step_report(lesson_id, step_id, labels.get(step_id),
                                   outcomes.get((lesson_id, step_id), []), top)
                      for step_id in step_ids)
        reports.append(LessonReport(lesson_id, title, steps))
    return Report(tuple(sorted(by_student)), tuple(reports), tuple(skipped))


# -- reading the sources (the only I/O) ----------------------------------------------
