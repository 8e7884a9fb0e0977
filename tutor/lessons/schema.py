"""The lesson file format, declared once as typed structures, and its errors put at file:line.

tomllib hands back whatever a file holds: a number where a string belongs, a list for
a name, rows of strings for a matrix. Each table of a lesson file is one msgspec
Struct below, its fields with their types, constraints and defaults; `decode` turns
tomllib's dict into a `LessonTable` or refuses the file. msgspec words its refusal for
a program ("Expected `str`, got `int` - at `$.steps[2].mistakes[0].feedback`"), so
`decode` maps that path back to the table and line it names and words it for the
author, with the phrase each field's type carries in its `Meta(description=...)`. The
loader in lessons.py, and everything after it (validate, check, the screens), only
ever sees the declared types; what a field means (a range's order, a name's use) is
the loader's to check. Nothing here imports the engine. Nothing on the way to the first
screen imports this module (held by test_the_first_screen_needs_neither_the_engine_nor_
markdown_it): msgspec adds ~9 ms to importing the loader, in the thread that loads the
lessons after the first paint, and decodes the thirteen shipped lessons in ~1 ms.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

import msgspec
from msgspec import Meta, Struct

from tutor.lessons.index import LessonError
from tutor.lessons.skills import SKILLS
from tutor.progress import MAX_ID_LENGTH
from tutor.progress.limits import unprintable

FORMAT = 1  # the lesson format this chain-tutor reads; a file without `format` is format 1
DRAWS = ("int", "decimal", "normal", "positive", "onehot", "fixed")
NUMBER_LIMIT = 1_000_000  # numbers pleasant by hand; far below where a forward pass overflows
MAX_SIZE = 20  # rows or columns of a quantity

# Each type says, in its description, what a field of it must be ("low must be ...").
Text = Annotated[str, Meta(description="a string (in quotes)")]
# Progress is stored, exported and imported under these ids: an import refuses longer.
Ident = Annotated[str, Meta(min_length=1, max_length=MAX_ID_LENGTH,
                            description=f"a string (in quotes) of 1 to {MAX_ID_LENGTH} "
                                        "characters")]
Texts = Annotated[list[str], Meta(description="a list of strings")]
Expression = Annotated[str, Meta(description="expressions (strings)")]
_Bounded = Annotated[int, Meta(ge=-NUMBER_LIMIT, le=NUMBER_LIMIT)] | Annotated[
    float, Meta(ge=-NUMBER_LIMIT, le=NUMBER_LIMIT)]  # int or float: `low = 2` stays 2
Number = Annotated[_Bounded, Meta(
    description=f"a number between -{NUMBER_LIMIT} and {NUMBER_LIMIT}")]
ROWS = "rows of numbers of equal length, like [[1, 0], [0, 1]]"  # equal: lessons.py checks
Rows = Annotated[list[Annotated[list[_Bounded], Meta(min_length=1)]],
                 Meta(min_length=1, description=ROWS)]
_Size = Annotated[int, Meta(ge=1, le=MAX_SIZE)]
Shape = Annotated[tuple[_Size, _Size], Meta(
    description=f"[rows, cols] with sizes 1 to {MAX_SIZE}, like [2, 1]")]
Draw = Annotated[Literal[DRAWS], Meta(description=f"one of {', '.join(DRAWS)}")]
Per = Annotated[Literal["row", "column"], Meta(description='"row" or "column"')]
Tolerance = Annotated[float, Meta(gt=0, lt=1, description="a relative tolerance between 0 "
                                                          "and 1, like 0.01")]
Skills = Annotated[list[Literal[tuple(SKILLS)]], Meta(
    description=f"a list of skills, each one of {', '.join(SKILLS)}")]
Format = Annotated[int, Meta(ge=1, le=FORMAT, description=f"{FORMAT}, the lesson format "
                                                          "this chain-tutor reads")]


class MistakeTable(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A [[steps.mistakes]] table: a predicted wrong answer and what to tell who gives it."""

    TABLE: ClassVar[str] = "a table with answer and feedback"
    answer: Text  # an expression; it may be ill-shaped on purpose (matched as numpy would)
    feedback: Text  # shown when a student's answer matches it


class StepTable(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A [[steps]] table: one factor ∂of/∂wrt of the chain, asked for and checked."""

    TABLE: ClassVar[str] = "a [[steps]] table"
    id: Ident  # unique in the lesson; progress is stored under it
    of: Text  # a quantity or definition: the numerator
    wrt: Text  # a quantity or definition: the denominator
    prompt: Text  # should state the factor's shape, as "(2×1)"
    answer: Text  # the key, also shown as the solution
    hints: Texts = []  # shown one at a time, on request
    mistakes: Annotated[list[MistakeTable], Meta(
        description="a list of tables ([[steps.mistakes]])")] = []
    tolerance: Tolerance | None = None  # for numbers-only answers; None: the checker's own
    note: Text = ""  # shown once the step is solved
    composes: Text | None = None  # earlier step ids multiplied; must equal the answer
    # What the step exercises (tutor.lessons.skills); none: proposed from the step
    skills: Skills = []


class QuantityTable(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """An input under [quantities]: its shape and how a variant draws its numbers."""

    TABLE: ClassVar[str] = "a table like { shape = [2, 1] }"
    shape: Shape
    draw: Draw = "decimal"
    low: Number | None = None  # for int, decimal and positive draws; None: the draw's own
    high: Number | None = None
    values: Rows | None = None  # for draw = "fixed" only, of the quantity's shape
    about: Text = ""  # what the quantity is, shown beside its value
    per: Per | None = None  # a one-hot matrix: one 1 per row or per column (None: column)


class LessonTable(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A whole lesson file."""

    TABLE: ClassVar[str] = "a lesson"
    format: Format = FORMAT  # raised only when a change would misread older files
    # `chain-tutor new`'s stamp, trusted by `validate` (tutor.lessons.stamps)
    validated: Text | None = None
    id: Ident  # lowercase letters, digits and -; unique across every lesson folder
    title: Text
    intro: Text  # Markdown; must state the convention (numerator layout)
    goal: Text | None = None  # the step whose factor is the whole chain
    quantities: Annotated[dict[str, QuantityTable], Meta(
        description="a table of quantities, like [quantities] x = { shape = [2, 1] }")]
    definitions: Annotated[dict[str, Expression], Meta(
        description="a table of names and their expressions (strings)")] = {}
    steps: Annotated[list[StepTable], Meta(description="a list of tables ([[steps]])")]


def decode(data: dict, text: str, path: Path | None) -> LessonTable:
    """tomllib's dict of a lesson file as its declared types, or LessonError at its line."""
    _refuse_newer(data, text, path)
    try:
        table = msgspec.convert(data, LessonTable)
    except msgspec.ValidationError as error:
        raise _located(error, data, text, path) from None
    # The title is one line in every list (picker, `lessons`, reports): a control
    # character would be obeyed by a terminal, a tab or line break would break the row.
    found = unprintable(table.title)
    if found is not None:
        raise lesson_place(text, path).error(
            f"the title holds {found}; a title is one line of printable text", "title")
    return table


def _refuse_newer(data: dict, text: str, path: Path | None) -> None:
    """Before the fields: a newer format may have fields this one would call unknown."""
    version = data.get("format")
    if type(version) is int and version > FORMAT:
        raise lesson_place(text, path).error(
            f"this lesson is written for a newer chain-tutor: it has format = {version}, and "
            f"this chain-tutor reads lesson files of format {FORMAT}; upgrade chain-tutor "
            "to use it", "format")


# -- msgspec's path, back to a table and a line ---------------------------------------
_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_SEGMENT = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]|\[(\.\.\.)\]")
Segment = str | int  # a field or a dict's key; an index; "[...]" where msgspec omits a key


def split_error(error: msgspec.ValidationError) -> tuple[str, list[Segment]]:
    match = _PATH.match(str(error))
    assert match is not None  # the pattern matches any text
    segments: list[Segment] = []
    for field, index, _ in _SEGMENT.findall(match.group("path") or ""):
        segments.append(field or (int(index) if index else "[...]"))
    return match.group("message"), segments


def _located(error: msgspec.ValidationError, data: dict, text: str,
             path: Path | None) -> LessonError:
    message, segments = split_error(error)
    place = lesson_place(text, path)
    try:
        return locate(LessonTable, data, segments, message, place)
    except Exception:  # noqa: BLE001 - a file this walk misreads still gets msgspec's words
        return place.error(f"{message} (at {'.'.join(map(str, segments)) or 'the top'})")


def locate(table: type[Struct], raw: Any, segments: list[Segment], message: str,
        place: Place, child: Callable[..., Place] | None = None) -> LessonError:
    """The error ``message`` at ``segments`` inside ``raw``, a ``table``, worded for ``place``.

    ``child(table, field, key, value, place)`` finds the place of a table inside another
    (default: a lesson file's quantities, steps and mistakes); other files, such as a
    course file, pass their own."""
    child = child or _child
    if not segments:
        return _table_error(table, message, place)
    field, rest = str(segments[0]), segments[1:]
    kind, element = _container(table, field)
    inner = _bare(element)
    value = raw.get(field) if isinstance(raw, dict) else None
    if rest and rest[0] == "[...]" and isinstance(value, dict):
        name, message, rest = _first_failing(value, element)
        if isinstance(inner, type) and issubclass(inner, Struct):
            return locate(inner, value[name], rest, message,
                       child(table, field, name, value, place), child)
        where = section_place(place.text, place.path, field, f"[{field}]")
        return LessonError(f"[{field}] must map names to {describe(element)}; {name} is not "
                           "a string", place.path, where.line_of(name), place.step)
    if (rest and isinstance(rest[0], int) and isinstance(value, list) and kind is list
            and isinstance(inner, type) and issubclass(inner, Struct)):
        return locate(inner, value[rest[0]], rest[1:], message,
                   child(table, field, rest[0], value, place), child)
    declared = get_type_hints(table, include_extras=True)[field]
    return place.error(f"{field} must be {describe(declared)}", field)


def _table_error(table: type[Struct], message: str, place: Place) -> LessonError:
    """A whole table wrong: an unknown field in it, a missing one, or no table at all."""
    known = sorted(f.name for f in msgspec.structs.fields(table))
    unknown = re.match(r"Object contains unknown field `(.*)`$", message, re.DOTALL)
    if unknown:
        key = unknown.group(1)
        near = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else "."
        return LessonError(f"unknown field {key!r} in {place.what}{hint} Known fields: "
                           f"{', '.join(known)}.", place.path, place.line_of(key), place.step)
    missing = re.match(r"Object missing required field `(.*)`$", message, re.DOTALL)
    if missing:
        return LessonError(f"{place.what} is missing the field {missing.group(1)!r}",
                           place.path, place.line, place.step)
    subject = "" if place.prefix else f"{place.what} "
    return place.error(f"{subject}must be {table.TABLE}")


def _first_failing(entries: dict, element: Any) -> tuple[str, str, list[Segment]]:
    """The first entry of a table of names that is not an ``element``, and msgspec's error."""
    for name, value in entries.items():
        try:
            msgspec.convert(value, element)
        except msgspec.ValidationError as error:
            message, segments = split_error(error)
            return name, message, segments
    raise LookupError("no entry fails")  # msgspec said one did: let _located word it


def _child(table: type[Struct], field: str, key: Segment, value: Any, place: Place) -> Place:
    """The place of a table inside ``place``: a quantity, a step, a mistake of a step."""
    if table is LessonTable and field == "quantities":
        return quantity_place(place.text, place.path, str(key))
    if table is LessonTable and field == "steps":
        return step_places(place.text, place.path, value)[int(key)]
    if table is StepTable and field == "mistakes":
        return mistake_places(place.text, place, len(value))[int(key)]
    return place


def _container(table: type[Struct], field: str) -> tuple[Any, Any]:
    """(list or dict, its elements' declared type) if ``field`` holds one, else (None, None)."""
    hints = get_type_hints(table, include_extras=True)
    if field not in hints:
        return None, None
    kind = _bare(hints[field])
    origin = get_origin(kind)
    if origin in (list, dict):
        return origin, get_args(kind)[-1]
    return None, None


def _bare(kind: Any) -> Any:
    """A type without its Annotated metadata and without `| None`."""
    while True:
        if get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        elif get_origin(kind) is Union and type(None) in get_args(kind):
            rest = [arg for arg in get_args(kind) if arg is not type(None)]
            kind = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007
        else:
            return kind


def describe(kind: Any) -> str:
    """What a value of ``kind`` must be: the first description on it, outermost first."""
    while True:
        if get_origin(kind) is Annotated:
            for meta in get_args(kind)[1:]:
                if isinstance(meta, Meta) and meta.description:
                    return meta.description
            kind = get_args(kind)[0]
        elif get_origin(kind) is Union:
            kind = next(arg for arg in get_args(kind) if arg is not type(None))
        elif isinstance(kind, type) and issubclass(kind, Struct):
            return kind.TABLE
        else:
            return getattr(kind, "__name__", str(kind))


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


def step_places(text: str, path: Path | None, steps: list) -> list[Place]:
    """Each [[steps]] table's place, found by order; its line is that of its `id = …`."""
    tables = [(start, end) for name, start, end in headers(text) if name == "steps"]
    places = []
    for number, raw in enumerate(steps):
        given = raw.get("id") if isinstance(raw, dict) else None
        step_id = given if isinstance(given, str) else None
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
