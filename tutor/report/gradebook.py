"""The gradebook: each student's grade on each assignment of a course, as the CSV that
Canvas or Moodle imports.

Canvas's gradebook import wants `Student, ID, SIS User ID, SIS Login ID, Section`,
then one column per assignment titled by its title; Moodle's CSV grade import an
identifier column (here `username`, with `idnumber` and `fullname` beside it, any of
which can be chosen to match on) and one column per grade item. Students are named as
the report names them (`Source.login` where a record carries one, else
`Source.student`); with a roster every student on it gets a row, 0 where nothing was
done, in the roster's order, and students not on it are left out (said by the caller);
without one, each student found gets a row. Grades follow tutor.report.grades.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tutor.lessons.course import Course
from tutor.markup import printable
from tutor.progress import Snapshot
from tutor.report.build import Source
from tutor.report.grades import Grade, course_grades, number
from tutor.report.roster import RosterEntry

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("username", "idnumber", "fullname")
GRADEBOOKS = ("canvas", "moodle")
# A spreadsheet opening the file would take a cell starting with these for a formula
# (a student's name in an export is the student's text): such a cell starts with '.
FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class GradebookRow:
    student: RosterEntry  # from the roster; without one, the login alone
    grades: tuple[Grade, ...]  # in the course's order


def identity(source: Source) -> str:
    """Who a record is of, as the report tells students apart: the login it carries if
    it carries one, else the report's name for it."""
    return getattr(source, "login", None) or source.student


def gradebook_rows(course: Course, steps: Mapping[str, Sequence[str]],
                   sources: Sequence[Source], roster: Sequence[RosterEntry] | None = None
                   ) -> tuple[list[GradebookRow], list[str]]:
    """One row per student (the roster's, or each found), and the students found that
    are not on the roster (left out of the rows)."""
    records: dict[str, list[Snapshot]] = defaultdict(list)
    for source in sources:
        records[identity(source)].append(source.snapshot)
    if roster is None:
        students = [RosterEntry(login, "", "", "") for login in sorted(records)]
        absent: list[str] = []
    else:
        students = list(roster)
        listed = {entry.login for entry in roster}
        absent = sorted(login for login in records if login not in listed)
    rows = [GradebookRow(entry, course_grades(course, steps, records.get(entry.login, ())))
            for entry in students]
    return rows, absent


def format_gradebook(kind: str, course: Course, rows: Sequence[GradebookRow]) -> str:
    """The rows as ``kind``'s ("canvas" or "moodle") CSV import file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as both import
    titles = [_cell(item.title) for item in course.assignment]
    if kind == "canvas":
        writer.writerow([*CANVAS_COLUMNS, *titles])
    else:
        writer.writerow([*MOODLE_COLUMNS, *titles])
    for row in rows:
        entry = row.student
        name = _cell(entry.name or entry.login)
        grades = [number(grade.earned) for grade in row.grades]
        if kind == "canvas":
            writer.writerow([name, "", _cell(entry.sis_id), _cell(entry.login),
                             _cell(entry.section), *grades])
        else:
            writer.writerow([_cell(entry.login), _cell(entry.sis_id), name, *grades])
    return out.getvalue()


def _cell(text: str) -> str:
    shown = printable(text)
    return f"'{shown}" if shown.startswith(FORMULA_START) else shown
