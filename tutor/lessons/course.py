"""The course file: a class's assignments (lessons, due time, points, whether Reveal is
allowed), declared once as typed structures like the lesson format, its errors at file:line.

An instructor writes one TOML file for a course; `chain-tutor course FILE` checks it,
`report --gradebook` grades by it (tutor.report.grades), and the tutor started with it
(--course or CHAIN_TUTOR_COURSE) shows its assignments. Everything the file holds is
checked here, once: its types and bounds by msgspec (through tutor.lessons.schema's
located errors), what no type says (a due time's zone, titles that repeat, a lesson
named twice) by `decode`, and lessons not in the catalog by `unknown_lessons`, which
needs the lesson index and so is a step of its own. Nothing here imports the engine
or Textual.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta, Struct

from tutor.files import FileRefused, FileTooLarge, read_bounded
from tutor.lessons.index import LessonError, LessonInfo, parse_toml
from tutor.lessons.schema import (
    Ident,
    Place,
    Text,
    headers,
    lesson_place,
    line_at,
    locate,
    split_error,
)
from tutor.progress.limits import unprintable

COURSE_ENV = "CHAIN_TUTOR_COURSE"
COURSE_FORMAT = 1
COURSE_MAX_BYTES = 1_000_000
MAX_POINTS = 1_000_000

Due = Annotated[datetime, Meta(tz=True, description="a date and time with a time zone, "
                                                    "like 2026-12-10T23:59:00Z or "
                                                    "2026-12-10T23:59:00+01:00")]
# int or float: `points = 10` stays 10 in a gradebook, `2.5` stays 2.5
Points = Annotated[int, Meta(gt=0, le=MAX_POINTS)] | Annotated[float, Meta(gt=0,
                                                                           le=MAX_POINTS)]
PointsField = Annotated[Points, Meta(description=f"a number above 0 and at most {MAX_POINTS}")]
LessonIds = Annotated[list[Ident], Meta(min_length=1, description="a list of one or more "
                                                                  "lesson ids (strings)")]
Reveal = Annotated[bool, Meta(description="true or false")]
Format = Annotated[int, Meta(ge=1, le=COURSE_FORMAT, description=f"{COURSE_FORMAT}, the "
                                                                 "course format this "
                                                                 "chain-tutor reads")]


class Assignment(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """An [[assignment]] table: lessons graded together by one due time."""

    TABLE: ClassVar[str] = "an [[assignment]] table"
    title: Text  # the gradebook's column; unique in the course
    lessons: LessonIds  # every step of these lessons counts
    due: Due  # answers after it earn nothing
    points: PointsField  # what the whole assignment is worth
    reveal: Reveal = True  # false: Reveal (F3) is off in these lessons while the course is on
    # false: no step of these lessons opens as a worked example (graded work); reveal =
    # false turns them off too, since a worked example shows the solution
    examples: Annotated[bool, Meta(description="true or false")] = True


class Course(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A whole course file."""

    TABLE: ClassVar[str] = "a course"
    format: Format = COURSE_FORMAT
    title: Text
    assignment: Annotated[list[Assignment], Meta(
        min_length=1, description="one or more [[assignment]] tables")]

    def no_reveal(self) -> frozenset[str]:
        """The lessons in which Reveal is off: in any assignment that says reveal = false."""
        return frozenset(lesson for item in self.assignment if not item.reveal
                         for lesson in item.lessons)

    def examples_off(self, lesson_id: str) -> bool:
        """Whether no step of this lesson may open as a worked example."""
        return any(lesson_id in item.lessons and not (item.examples and item.reveal)
                   for item in self.assignment)

    def reveal_off(self, lesson_id: str) -> str | None:
        """Why Reveal is off in this lesson, for the student; None where it is allowed."""
        closing = [item.title for item in self.assignment
                   if not item.reveal and lesson_id in item.lessons]
        if not closing:
            return None
        named = ", ".join(f"“{title}”" for title in closing)
        return (f"Reveal is off in this lesson: the course “{self.title}” grades it "
                f"({named}) and does not allow revealing solutions. A hint (F2) may help.")


def check_course(path: Path | str, index: Sequence[LessonInfo]
                 ) -> tuple[Course | None, list[LessonError]]:
    """The course file at ``path`` checked in itself and against the lessons of ``index``:
    the course, or None and the first error in it; or the course and an error for each
    lesson it names that ``index`` lacks (a course is not used while it has any)."""
    path = Path(path)
    try:
        text = _read_text(path)
        course = decode(parse_toml(text, path), text, path)
    except LessonError as error:
        return None, [error]
    return course, unknown_lessons(course, index, text, path)


def read_course(path: Path | str) -> Course:
    """The course file at ``path``, checked in itself; LessonError at its line if not."""
    path = Path(path)
    text = _read_text(path)
    return decode(parse_toml(text, path), text, path)


def _read_text(path: Path) -> str:
    try:
        raw = read_bounded(path, COURSE_MAX_BYTES, "the file is larger than 1 MB; a course "
                                                   "file is a few lines per assignment")
        text = raw.decode("utf-8")
    except FileTooLarge as error:
        raise LessonError(error.reason, path) from None
    except FileRefused as error:
        raise LessonError(f"cannot read the file: {error.reason}", path) from None
    except UnicodeDecodeError as error:
        raise LessonError(f"cannot read the file: not UTF-8 text ({error})", path) from None
    return text


def decode(data: dict, text: str, path: Path | None) -> Course:
    """tomllib's dict of a course file as a Course, or LessonError at its line."""
    place = _course_place(text, path)
    try:
        course = msgspec.convert(data, Course)
    except msgspec.ValidationError as error:
        message, segments = split_error(error)
        try:
            raise locate(Course, data, segments, message, place, _child) from None
        except LessonError:
            raise
        except Exception:  # noqa: BLE001 - a file the walk misreads still gets msgspec's words
            raise place.error(f"{message} (at {'.'.join(map(str, segments)) or 'the top'})"
                              ) from None
    places = assignment_places(text, path, len(course.assignment))
    found = unprintable(course.title)
    if found is not None:
        raise place.error(f"the title holds {found}; a title is one line of printable text",
                          "title")
    seen: dict[str, int] = {}
    for number, item in enumerate(course.assignment):
        where = places[number]
        found = unprintable(item.title)
        if found is not None or not item.title.strip():
            raise where.error("the title must be one line of printable text, not "
                              + (found or "empty"), "title")
        if item.title in seen:
            raise where.error(f"the title {item.title!r} is already that of assignment "
                              f"{seen[item.title] + 1}; each assignment is a gradebook "
                              "column, named by its title", "title")
        seen[item.title] = number
        twice = sorted({lesson for lesson in item.lessons if item.lessons.count(lesson) > 1})
        if twice:
            raise where.error(f"lessons names {', '.join(twice)} twice", "lessons")
    return course


def unknown_lessons(course: Course, index: Sequence[LessonInfo], text: str,
                    path: Path | None) -> list[LessonError]:
    """An error for each lesson the course names that the catalog has no usable lesson
    for, at the line of its assignment's `lessons`, with the nearest id if there is one."""
    usable = {info.id for info in index if info.error is None}
    broken = {info.id: info for info in index if info.error is not None}
    places = assignment_places(text, path, len(course.assignment))
    errors = []
    for place, item in zip(places, course.assignment, strict=True):
        for lesson in item.lessons:
            if lesson in usable:
                continue
            if lesson in broken:
                why = f"is broken: {broken[lesson].path}: {broken[lesson].error}"
            else:
                near = difflib.get_close_matches(lesson, sorted(usable), n=1)
                why = "is not among the lessons" + (f"; did you mean {near[0]}?" if near
                                                    else "")
                why += " (`chain-tutor lessons` lists them; --lessons DIR adds a folder)"
            errors.append(place.error(f"lesson {lesson!r} {why}", "lessons"))
    return errors


def course_from_env(given: Path | str | None = None) -> Path | None:
    """The course file in force: ``given`` (--course), else $CHAIN_TUTOR_COURSE, else none."""
    if given:
        return Path(given)
    named = os.environ.get(COURSE_ENV, "")
    return Path(named) if named else None


# -- where each table is -------------------------------------------------------------
def _course_place(text: str, path: Path | None) -> Place:
    place = lesson_place(text, path)
    return Place("the course", path, text, place.span, None)


def assignment_places(text: str, path: Path | None, count: int) -> list[Place]:
    """Each [[assignment]] table's place, by order; the title's line is the table's."""
    tables = [(start, end) for name, start, end in headers(text) if name == "assignment"]
    places = []
    for number in range(count):
        what = f"assignment {number + 1}"
        if len(tables) != count:  # written as an inline array: no lines of its own
            places.append(Place(what, path, text, None, None, prefix=f"{what}: "))
            continue
        start, end = tables[number]
        places.append(Place(what, path, text, (start, end), line_at(text, start),
                            prefix=f"{what}: "))
    return places


def _child(table: type[Struct], field: str, key: Any, value: Any, place: Place) -> Place:
    if table is Course and field == "assignment" and isinstance(key, int):
        return assignment_places(place.text, place.path, len(value))[key]
    return place
