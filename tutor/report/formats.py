"""The report written out: as text for a terminal, as JSON (the format named
`chain-tutor-report`) and as CSV, one row per lesson and step; and the per-student table
(tutor.report.students) in the same three forms."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from tutor.markup import SHOWN, printable
from tutor.report.build import Report, WrongAnswer
from tutor.report.sources import display_path
from tutor.report.students import STUCK_WRONG, TIME_GAP_CAP, StudentRow

REPORT_FORMAT = "chain-tutor-report"


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
                     "  revealed  working  gave up  attempts    time")
        for step_id, label, step in rows:
            attempts = rounded(step.median_attempts)
            lines.append(
                f"  {step_id:<{id_width}}  {label:<{label_width}}"
                f"  {step.students:>8}  {step.solved:>6}  {step.revealed:>8}"
                f"  {step.working:>7}  {step.gave_up:>7}"
                f"  {'–' if attempts is None else attempts:>8}  {duration(step.median_time):>6}"
            )
            lines += [f"      ✗ {_wrong_text(wrong)}" for wrong in step.common_wrong]
    lines += [
        "",
        "working: not solved nor revealed, and the step of the student's latest answer;",
        "gave up: answered, not solved nor revealed, and a later answer on another step.",
        "attempts, time: medians over the students who answered, up to their first correct "
        "answer;",
        "invalid input costs no attempt. ✗: the most common wrong answers (spaces that "
        "say nothing removed).",
    ]
    return "\n".join(lines)


def report_json(report: Report) -> dict:
    return {
        "format": REPORT_FORMAT,
        "version": 1,
        "students": list(report.students),
        "skipped": [{"path": display_path(s.path), "reason": s.reason} for s in report.skipped],
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
                        "working": step.working,
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
               "revealed", "gave_up", "median_attempts", "median_time_s", "common_wrong",
               "working")


def format_csv(report: Report) -> str:
    """One row per lesson and step; the top wrong answers joined with " | " in one cell.

    `working` is the last column, added after the others, so that a sheet reading the
    columns by position reads them as before.

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
                step.working,
            ])
    return out.getvalue()


# -- the per-student table (tutor.report.students) ---------------------------------------

STUDENT_COLUMNS = ("login", "name", "steps_solved", "steps_revealed", "attempts",
                   "time_on_task_s", "last_active", "where", "status")


def iso_time(at: float | None) -> str | None:
    """Unix seconds as ISO 8601 in UTC, to the second: "2026-12-07T08:19:36Z"."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def student_values(row: StudentRow) -> dict:
    """A row's values as --json and --csv give them (times as ISO 8601, "where" as
    lesson/step)."""
    return {
        "login": row.login,
        "name": row.name,
        "steps_solved": row.steps_solved,
        "steps_revealed": row.steps_revealed,
        "attempts": row.attempts,
        "time_on_task_s": round(row.time_on_task_s),
        "last_active": iso_time(row.last_active),
        "where": None if row.where is None else "/".join(row.where),
        "status": row.status,
    }


def students_json(rows: Sequence[StudentRow]) -> dict:
    return {"students": [student_values(row) for row in rows]}


def students_csv(rows: Sequence[StudentRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STUDENT_COLUMNS)
    for row in rows:
        values = student_values(row)
        writer.writerow(["" if values[column] is None else
                         printable(values[column], SHOWN) if isinstance(values[column], str)
                         else values[column] for column in STUDENT_COLUMNS])
    return out.getvalue()


def students_text(rows: Sequence[StudentRow]) -> str:
    """The table, aligned, with a header; numbers right-aligned, time as "2m05s"."""
    header = ("login", "name", "solved", "revealed", "attempts", "time", "last active",
              "where", "status")
    table = [header]
    for row in rows:
        values = student_values(row)
        table.append((
            printable(row.login, SHOWN), printable(row.name or "", SHOWN),
            str(row.steps_solved), str(row.steps_revealed), str(row.attempts),
            duration(row.time_on_task_s) if row.last_active is not None else "–",
            values["last_active"] or "–", printable(values["where"] or "–", SHOWN), row.status,
        ))
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    numeric = {2, 3, 4, 5}
    lines = ["  ".join(cell.rjust(width) if i in numeric else cell.ljust(width)
                       for i, (cell, width) in enumerate(zip(line, widths, strict=True))).rstrip()
             for line in table]
    lines += ["", f"{plural(len(rows), 'student')}. time: the gaps between a student's "
              f"consecutive answers, each at most {TIME_GAP_CAP / 60:g} minutes, summed;",
              f"stuck: {STUCK_WRONG} or more wrong answers on the step of the latest answer, "
              "not solved; done: every step", "of the report's lessons solved."]
    return "\n".join(lines)
