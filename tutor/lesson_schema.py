"""The lesson file's tables and the type of each field, checked in one place, at its line.

tomllib hands back whatever a file holds: a number where a string belongs, a list for
a name, rows of strings for a matrix. Each table of a lesson file is declared here
once, as its fields and their kinds, and `checked` refuses anything else with the
file, line and step of the field; the loader in lessons.py, and everything after it
(validate, check, the screens), only ever sees the declared types. What a field means
(a range's order, a name's use) is the loader's to check. Nothing here imports the
engine.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tutor.lesson_index import LessonError

DRAWS = ("int", "decimal", "normal", "positive", "onehot", "fixed")
NUMBER_LIMIT = 1_000_000  # numbers pleasant by hand; far below where a forward pass overflows
MAX_SIZE = 20  # rows or columns of a quantity


@dataclass(frozen=True)
class Kind:
    """What a field may hold; ``what`` is worded to follow "must be"."""

    what: str
    holds: Callable[[object], bool]


def _is_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) <= NUMBER_LIMIT)


def _is_rows(value: object) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(row, list) and row and len(row) == len(value[0])
                    and all(_is_number(entry) for entry in row) for row in value))


TEXT = Kind("a string (in quotes)", lambda v: isinstance(v, str))
TEXTS = Kind("a list of strings", lambda v: isinstance(v, list)
             and all(isinstance(item, str) for item in v))
NUMBER = Kind(f"a number between -{NUMBER_LIMIT} and {NUMBER_LIMIT}", _is_number)
ROWS = Kind("rows of numbers of equal length, like [[1, 0], [0, 1]]", _is_rows)
SHAPE = Kind(f"[rows, cols] with sizes 1 to {MAX_SIZE}, like [2, 1]",
             lambda v: isinstance(v, list) and len(v) == 2
             and all(type(n) is int and 1 <= n <= MAX_SIZE for n in v))
DRAW = Kind(f"one of {', '.join(DRAWS)}", lambda v: isinstance(v, str) and v in DRAWS)
TOLERANCE = Kind("a relative tolerance between 0 and 1, like 0.01",
                 lambda v: _is_number(v) and 0 < v < 1)
TABLE = Kind("a table", lambda v: isinstance(v, dict))
TABLES = Kind("a list of tables", lambda v: isinstance(v, list)
              and all(isinstance(item, dict) for item in v))


@dataclass(frozen=True)
class Field:
    kind: Kind
    required: bool = False


LESSON = {
    "id": Field(TEXT, True), "title": Field(TEXT, True), "intro": Field(TEXT, True),
    "goal": Field(TEXT), "quantities": Field(TABLE, True), "definitions": Field(TABLE),
    "steps": Field(TABLES, True),
}
QUANTITY = {
    "shape": Field(SHAPE, True), "draw": Field(DRAW), "low": Field(NUMBER),
    "high": Field(NUMBER), "values": Field(ROWS), "about": Field(TEXT),
}
STEP = {
    "id": Field(TEXT, True), "of": Field(TEXT, True), "wrt": Field(TEXT, True),
    "prompt": Field(TEXT, True), "answer": Field(TEXT, True), "hints": Field(TEXTS),
    "mistakes": Field(TABLES), "tolerance": Field(TOLERANCE), "note": Field(TEXT),
    "composes": Field(TEXT),
}
MISTAKE = {"answer": Field(TEXT, True), "feedback": Field(TEXT, True)}

# A table's header line: [quantities], [[steps]], [[steps.mistakes]], [quantities.x].
_HEADER = re.compile(r"^[ \t]*\[\[?[ \t]*([A-Za-z0-9_.\-\"' ]+?)[ \t]*\]\]?[ \t]*(#.*)?$",
                     re.MULTILINE)


@dataclass(frozen=True)
class Place:
    """One table of a lesson file and where its own lines are, to word errors at a line.

    ``span`` is None when the table's text could not be told apart (say, steps written
    as an inline array); then every error about it is put at ``line``.
    """

    what: str  # "the lesson", "quantity x", "step s1", "a mistake of step s1"
    path: Path | None
    text: str
    span: tuple[int, int] | None
    line: int | None
    step: str | None = None
    prefix: str = ""  # said before a field's message: the step is in the location already

    def line_of(self, key: str) -> int | None:
        """The line of ``key = …`` in this table, else the table's own line."""
        if self.span is None:
            return self.line
        pattern = re.compile(rf"(?:^|[{{,])[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=",
                             re.MULTILINE)
        match = pattern.search(self.text, *self.span)
        return line_at(self.text, match.start()) if match else self.line

    def error(self, message: str, key: str | None = None) -> LessonError:
        line = self.line_of(key) if key is not None else self.line
        return LessonError(f"{self.prefix}{message}", self.path, line, self.step)


def checked(table: Mapping, fields: Mapping[str, Field], place: Place) -> None:
    """Refuse an unknown field, a missing one, or one of the wrong kind."""
    for key in table:
        if key not in fields:
            near = difflib.get_close_matches(str(key), sorted(fields), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise LessonError(f"unknown field {key!r} in {place.what}{hint} Known fields: "
                              f"{', '.join(sorted(fields))}.", place.path,
                              place.line_of(key), place.step)
    for key, field in fields.items():
        if field.required and key not in table:
            raise LessonError(f"{place.what} is missing the field {key!r}", place.path,
                              place.line, place.step)
        if key in table and not field.kind.holds(table[key]):
            raise place.error(f"{key} must be {field.kind.what}", key)


# -- where each table is -------------------------------------------------------------
def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def headers(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end of its own lines) of every table header, in order."""
    found = [(re.sub(r"[\s\"']", "", m.group(1)), m.start(), m.end())
             for m in _HEADER.finditer(text)]
    return [(name, start, found[i + 1][1] if i + 1 < len(found) else len(text))
            for i, (name, start, _) in enumerate(found)]


def lesson_place(text: str, path: Path | None) -> Place:
    tables = headers(text)
    return Place("the lesson", path, text, (0, tables[0][1] if tables else len(text)), None)


def section_place(text: str, path: Path | None, name: str, what: str) -> Place:
    """A table such as [definitions]: its header's line; the whole file if it has none."""
    for header, start, end in headers(text):
        if header == name:
            return Place(what, path, text, (start, end), line_at(text, start))
    return Place(what, path, text, None, None)


def quantity_place(text: str, path: Path | None, name: str) -> Place:
    """`x = { … }` under [quantities], or a [quantities.x] table of its own."""
    what = f"quantity {name}"
    section = section_place(text, path, "quantities", what)
    for header, start, end in headers(text):
        if header == f"quantities.{name}":
            return Place(what, path, text, (start, end), line_at(text, start), prefix=f"{what}: ")
    if section.span is not None:
        pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(name)}[\"']?[ \t]*=.*$", re.MULTILINE)
        match = pattern.search(text, *section.span)
        if match:
            return Place(what, path, text, (match.start(), match.end()),
                         line_at(text, match.start()), prefix=f"{what}: ")
    return Place(what, path, text, None, section.line, prefix=f"{what}: ")


def step_places(text: str, path: Path | None, steps: list[dict]) -> list[Place]:
    """Each [[steps]] table's place, found by order; its line is that of its `id = …`."""
    tables = [(start, end) for name, start, end in headers(text) if name == "steps"]
    places = []
    for number, raw in enumerate(steps):
        step_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        what = f"step {step_id or number + 1}"
        if len(tables) != len(steps):
            line = _line_of_id(text, step_id)
            places.append(Place(what, path, text, None, line, step_id))
            continue
        span = tables[number]
        place = Place(what, path, text, span, line_at(text, span[0]), step_id)
        places.append(Place(what, path, text, span, place.line_of("id"), step_id))
    return places


def mistake_places(text: str, step: Place, count: int) -> list[Place]:
    """The step's [[steps.mistakes]] tables, found by order after the step's own lines."""
    what = f"a mistake of step {step.step or '?'}"
    prefix = "a mistake: "
    if step.span is not None:
        after, following = step.span[0], _next_step_start(text, step.span[0])
        tables = [(start, end) for name, start, end in headers(text)
                  if name == "steps.mistakes" and after < start < following]
        if len(tables) == count:
            return [Place(what, step.path, text, span, line_at(text, span[0]), step.step,
                          prefix) for span in tables]
    return [Place(what, step.path, text, None, step.line, step.step, prefix)] * count


def _next_step_start(text: str, after: int) -> int:
    return next((start for name, start, _ in headers(text)
                 if name == "steps" and start > after), len(text))


def _line_of_id(text: str, step_id: str | None) -> int | None:
    if step_id is None:
        return None
    match = re.search(rf"^\s*id\s*=\s*[\"']{re.escape(step_id)}[\"']", text, re.MULTILINE)
    return line_at(text, match.start()) if match else None
