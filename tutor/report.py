"""The instructor's report: how a class did on each step, from its progress records.

`build_report` is a pure function of the students' records (tutor.progress
Snapshots) and the lesson index, so a screen can build the same report from records
it already holds. `load_sources` is the only part that touches files: it finds
progress databases and export files, reads them read-only, and sets aside the ones
it cannot use with the reason.

Per student and step, over the whole attempt history (resets and new variants
included, since the report is about what happened):

* solved: the step is marked solved, or it is marked nothing (it was reset, or a
  new variant started) and an answer was correct;
* revealed: the step is marked revealed (typing in the shown solution does not
  solve it, as in the tutor);
* gave up: answered (any verdict) but neither solved nor revealed — which includes a
  student still at work on it;
* attempts: answers that counted (correct or incorrect; invalid input is free, as in
  the tutor), up to and including the first correct one;
* time: the seconds recorded with the answers (each answer's time since the previous
  one, or since the step was opened), summed up to and including the first correct
  one.

Medians are over the students who answered the step at all. Wrong answers are the
incorrect ones with whitespace removed (and numbers rounded short, which cost no
attempt: `precision`), ranked by how many students gave them, then by how many times.
"""

from __future__ import annotations

import csv
import io
import math
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.files import FileRefused, read_head
from tutor.lesson_index import CACHE_NAME, LessonInfo
from tutor.markup import SHOWN, printable
from tutor.progress import (
    DB_NAME,
    Attempt,
    ProgressError,
    Snapshot,
    read_database,
    read_export,
)
from tutor.rules import STATUSES, VERDICTS, Status, attempts_until_solved, higher

TOP_WRONG = 3
REPORT_FORMAT = "chain-tutor-report"
_SQLITE_MAGIC = b"SQLite format 3\x00"


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
    answer: str  # whitespace removed
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
    gave_up: int
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
class _Outcome:
    """One student on one step."""

    result: str  # "solved" | "revealed" | "gave_up"
    attempts: int | None  # None: never answered
    time: float | None
    wrong: tuple[tuple[str, tuple[str, ...]], ...]  # (normalised answer, diagnosis)


def normalise(answer: str) -> str:
    return "".join(answer.split())


# Free answers that are still worth an instructor's eye: numbers rounded short (the
# working right, the figures not), which cost no attempt but are not accepted either.
SAID_THOUGH_FREE = frozenset({"precision"})


def _not_accepted(attempt: Attempt) -> bool:
    return attempt.verdict == "incorrect" or (
        attempt.verdict == "invalid" and not SAID_THOUGH_FREE.isdisjoint(attempt.diagnosis))


def _outcome(status: str | None, attempts: Sequence[Attempt]) -> _Outcome:
    ordered = sorted(attempts, key=lambda a: a.at)
    first_correct = next((i for i, a in enumerate(ordered) if a.verdict == "correct"), None)
    until = ordered if first_correct is None else ordered[: first_correct + 1]
    if status == Status.SOLVED or (status is None and first_correct is not None):
        result = "solved"  # a step reset since counts as solved if an answer was correct
    elif status == Status.REVEALED:
        result = "revealed"
    else:
        result = "gave_up"
    wrong = tuple((normalise(a.answer), a.diagnosis) for a in ordered if _not_accepted(a))
    if not ordered:
        return _Outcome(result, None, None, wrong)
    return _Outcome(result, attempts_until_solved(ordered),
                    sum(a.elapsed for a in until), wrong)


def _combined(snapshots: Sequence[Snapshot]) -> tuple[dict, list[Attempt]]:
    """One student's statuses (the highest) and attempts (no attempt counted twice).

    Several records of one student (a server database and a laptop's export) may
    share attempts, after an import; an attempt present in two of them is one attempt.
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
    return statuses, attempts


def _student_outcomes(snapshots: Sequence[Snapshot]) -> dict[tuple[str, str], _Outcome]:
    statuses, attempts = _combined(snapshots)
    by_step: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_step[attempt.lesson_id, attempt.step_id].append(attempt)
    return {key: _outcome(statuses.get(key), by_step.get(key, ()))
            for key in statuses.keys() | by_step.keys()}


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _step_report(lesson_id: str, step_id: str, label: str | None,
                 outcomes: list[_Outcome], top: int) -> StepReport:
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
    outcomes: dict[tuple[str, str], list[_Outcome]] = defaultdict(list)
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


def read_source(path: Path, by_student: bool = False) -> Source:
    """One progress database or export file; ProgressError (with the reason) if unusable."""
    try:
        header = read_head(path, len(_SQLITE_MAGIC))  # a regular file, or refused here
    except FileRefused as error:
        raise ProgressError(error.reason) from None
    if path.name.endswith(".db") or header == _SQLITE_MAGIC:
        snapshot = read_database(path)
    else:
        snapshot = read_export(path)
    _check_types(snapshot)
    student = snapshot.student if by_student and snapshot.student else _display(path)
    return Source(student, path, snapshot)


def _is_time(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]


def _check_types(snapshot: Snapshot) -> None:
    """ProgressError unless every value the report uses is of its type: a database's
    columns are typed by whoever made the file, not by SQLite (an export is typed on
    reading, so this finds nothing there)."""
    for attempt in snapshot.attempts:
        texts = (attempt.lesson_id, attempt.step_id, attempt.answer, *attempt.diagnosis)
        if (not all(isinstance(text, str) for text in texts) or attempt.verdict not in VERDICTS
                or not _is_time(attempt.elapsed) or not _is_time(attempt.at)):
            raise ProgressError("holds damaged records: an attempt whose fields are not "
                                "the text, verdict and numbers of an attempt")
    for lesson in snapshot.lessons:
        if not isinstance(lesson.lesson_id, str) or not all(
                isinstance(step.step_id, str) and step.status in (None, *STATUSES)
                for step in lesson.steps):
            raise ProgressError("holds damaged records: a lesson or step that is not text "
                                "with a status")
    for network in snapshot.networks:
        if not isinstance(network.lesson_id, str) or not isinstance(network.title, str):
            raise ProgressError("holds damaged records: a network whose id or title is "
                                "not text")


def _unusable(error: BaseException) -> str:
    """Why a file could not be read, for the instructor, whatever went wrong in it."""
    if isinstance(error, ProgressError):
        return str(error)
    if isinstance(error, RecursionError):
        return "holds data nested too deeply to read"
    if isinstance(error, MemoryError):
        return "holds more than there is memory to read"
    return f"cannot be read ({type(error).__name__}: {str(error)[:200]})"


def _search(folder: Path, skipped: list[Skipped]) -> list[Path]:
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        skipped.append(Skipped(Path(error.filename or folder),
                               f"cannot be searched: {error.strerror or error}"))

    for root, dirs, files in os.walk(folder, onerror=unreadable):  # symlinks not followed
        # A data folder's cache/ is the tutor's own (its lesson index is .json too), not
        # a student's work: passed over without a word.
        dirs[:] = sorted(name for name in dirs if not (name == "cache" and DB_NAME in files))
        found.extend(Path(root) / name for name in sorted(files)
                     if name == DB_NAME or name.endswith(".json")
                     and not (name == CACHE_NAME and Path(root).name == "cache"))
    if not found:
        skipped.append(Skipped(folder, f"holds no {DB_NAME} or exported .json file"))
    return found


def load_sources(paths: Iterable[Path | str],
                 by_student: bool = False) -> tuple[list[Source], list[Skipped]]:
    """Read every given file, and every progress.db and .json file under given folders.

    Nothing is written: databases are opened read-only. A file that cannot be used is
    returned in the second list with the reason, never raised. A file reached twice
    is read once.
    """
    sources: list[Source] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = _search(path, skipped)
        elif path.exists():
            files = [path]
        else:
            skipped.append(Skipped(path, "no such file or folder"))
            continue
        for file in files:
            identity = file.resolve()
            if identity in seen:
                continue
            seen.add(identity)
            try:
                sources.append(read_source(file, by_student))
            except Exception as error:  # noqa: BLE001 - one student's bad file is theirs
                # alone: said and skipped (a crafted database can fail in ways no
                # reader lists), and the class's report goes on without it.
                skipped.append(Skipped(file, _unusable(error)))
    return sources, skipped


# -- output ---------------------------------------------------------------------------


def _display(path: Path | str) -> str:
    """A path as text that can always be printed (file names need not be UTF-8)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")




def rounded(value: float | None, digits: int = 1) -> float | int | None:
    """`value` to `digits` places, as an int when whole (3, not 3.0); None stays None."""
    if value is None:
        return None
    value = round(value, digits)
    return int(value) if value == int(value) else value


def duration(seconds: float | None) -> str:
    """Seconds as "45s", "2m05s" or "1h03m"; "–" for none."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def plural(count: int, noun: str) -> str:
    """`count` and `noun`, plural unless one: "1 student", "2 students"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _wrong_text(wrong: WrongAnswer) -> str:
    codes = f" [{', '.join(wrong.diagnosis)}]" if wrong.diagnosis else ""
    return (f"`{printable(wrong.answer, SHOWN)}`{printable(codes, SHOWN)} "
            f"{plural(wrong.count, 'attempt')}, {plural(wrong.students, 'student')}")


def format_text(report: Report) -> str:
    skipped = f"; {plural(len(report.skipped), 'file')} skipped" if report.skipped else ""
    lines = [f"{plural(len(report.students), 'student')}, "
             f"{plural(len(report.lessons), 'lesson')} with records{skipped}."]
    if not report.lessons:
        lines.append("No attempts recorded yet.")
    for lesson in report.lessons:
        title = lesson.title if lesson.title is not None else "(not installed here)"
        lines += ["", f"{printable(lesson.lesson_id, SHOWN)} — {printable(title, SHOWN)}"]
        rows = [(printable(step.step_id, SHOWN), printable(step.label or "?", SHOWN), step)
                for step in lesson.steps]
        id_width = max([4, *(len(step_id) for step_id, _, _ in rows)])
        label_width = max([6, *(len(label) for _, label, _ in rows)])
        lines.append(f"  {'step':<{id_width}}  {'factor':<{label_width}}  students  solved"
                     "  revealed  gave up  attempts    time")
        for step_id, label, step in rows:
            attempts = rounded(step.median_attempts)
            lines.append(
                f"  {step_id:<{id_width}}  {label:<{label_width}}"
                f"  {step.students:>8}  {step.solved:>6}  {step.revealed:>8}  {step.gave_up:>7}"
                f"  {'–' if attempts is None else attempts:>8}  {duration(step.median_time):>6}"
            )
            lines += [f"      ✗ {_wrong_text(wrong)}" for wrong in step.common_wrong]
    lines += [
        "",
        "attempts, time: medians over the students who answered, up to their first correct "
        "answer;",
        "invalid input costs no attempt. ✗: the most common wrong answers (whitespace "
        "removed).",
    ]
    return "\n".join(lines)


def report_json(report: Report) -> dict:
    return {
        "format": REPORT_FORMAT,
        "version": 1,
        "students": list(report.students),
        "skipped": [{"path": _display(s.path), "reason": s.reason} for s in report.skipped],
        "lessons": [
            {
                "lesson_id": lesson.lesson_id,
                "title": lesson.title,
                "steps": [
                    {
                        "step_id": step.step_id,
                        "label": step.label,
                        "students": step.students,
                        "solved": step.solved,
                        "revealed": step.revealed,
                        "gave_up": step.gave_up,
                        "median_attempts": rounded(step.median_attempts),
                        "median_time": rounded(step.median_time),
                        "common_wrong": [
                            {"answer": w.answer, "diagnosis": list(w.diagnosis),
                             "count": w.count, "students": w.students}
                            for w in step.common_wrong
                        ],
                    }
                    for step in lesson.steps
                ],
            }
            for lesson in report.lessons
        ],
    }


CSV_COLUMNS = ("lesson_id", "lesson_title", "step_id", "factor", "students", "solved",
               "revealed", "gave_up", "median_attempts", "median_time_s", "common_wrong")


def format_csv(report: Report) -> str:
    """One row per lesson and step; the top wrong answers joined with " | " in one cell.

    Each answer is in backquotes, which also keeps a spreadsheet from reading `-W3`
    as a formula.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for lesson in report.lessons:
        for step in lesson.steps:
            medians = (rounded(step.median_attempts), rounded(step.median_time))
            writer.writerow([
                *(printable(text, SHOWN) for text in (lesson.lesson_id, lesson.title or "",
                                               step.step_id, step.label or "")),
                step.students, step.solved, step.revealed, step.gave_up,
                *("" if value is None else value for value in medians),
                " | ".join(_wrong_text(wrong) for wrong in step.common_wrong),
            ])
    return out.getvalue()
