"""`chain-tutor course FILE`: a course file checked against the lessons, and its
assignments printed, so an instructor sees what students and the gradebook will see."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal

from tutor.exits import EXIT_INVALID
from tutor.markup import printable


def checked_course(path, lessons):
    """(the course at ``path``, the lesson index it was checked against), or None after
    printing each of its mistakes (file:line) on stderr."""
    from tutor.lessons.course import check_course
    from tutor.lessons.index import read_index

    index = read_index(lessons)
    course, errors = check_course(path, index)
    for error in errors:
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
    if course is None or errors:
        return None
    return course, index


def checked_roster(path):
    """The roster at ``path`` (tutor.report.roster), or None after printing its mistake
    (file:line) on stderr."""
    from tutor.report.roster import RosterError, read_roster

    try:
        return read_roster(path)
    except RosterError as error:
        print(f"chain-tutor: {printable(str(error))}", file=sys.stderr)
        return None


def cmd_course(args) -> int:
    from tutor.report.grades import number as cell

    checked = checked_course(args.file, args.lessons)
    if checked is None:
        return EXIT_INVALID
    course, index = checked
    steps = {info.id: len(info.steps) for info in index if info.error is None}
    count = len(course.assignment)
    print(f"{printable(course.title)}: {count} assignment{'s' * (count != 1)}")
    for number, item in enumerate(course.assignment, 1):
        lessons = ", ".join(f"{lesson} ({steps[lesson]} steps)" for lesson in item.lessons)
        print(f"\n{number}. {printable(item.title)}")
        print(f"   due      {due_text(item.due)}")
        print(f"   points   {cell(Decimal(str(item.points)))}")
        print(f"   lessons  {lessons}")
        print(f"   reveal   {'allowed' if item.reveal else 'off (F3 refused in its lessons)'}")
    return 0


def due_text(due: datetime) -> str:
    """A due time in UTC and in this machine's time zone: students and the instructor
    may not share one, and the file's own offset is neither."""
    utc = due.astimezone(UTC)
    local = due.astimezone()
    zone = local.tzname() or local.strftime("%z")
    return f"{utc:%Y-%m-%d %H:%M} UTC ({local:%a %d %b %Y %H:%M} {zone}, here)"
