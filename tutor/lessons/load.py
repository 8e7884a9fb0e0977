"""Lesson files read into Lessons: the catalog of every lesson that loads, each file's
table checked against the schema (tutor.lessons.schema) and its expressions against the
answer language, every error put at its file:line. Broken files are kept aside, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tutor.engine import (
    EngineError,
    Problem,
    infer_shape,
    onehot,
    parse,
    shape_text,
)
from tutor.engine.parser import BUILTIN_FUNCTIONS
from tutor.lessons.index import (
    LessonError,
    lesson_dirs,
    lesson_files,
    parse_toml,
    read_lesson_text,
)
from tutor.lessons.model import (
    NAME,
    RANGED,
    BrokenLesson,
    Catalog,
    Lesson,
    Quantity,
    Step,
    StepMistake,
)
from tutor.lessons.schema import (
    ROWS,
    Place,
    QuantityTable,
    StepTable,
    decode,
    lesson_place,
    quantity_place,
    section_place,
    step_places,
)
from tutor.progress.limits import MAX_STEPS, id_problem


def load_catalog(extra: Sequence[Path | str] = ()) -> Catalog:
    """Every lesson that loads, in curriculum order; broken files are kept aside, never fatal."""
    lessons: list[Lesson] = []
    broken: list[BrokenLesson] = []
    seen: dict[str, Path] = {}
    for path in lesson_files(lesson_dirs(extra)):
        try:
            lesson = load_lesson(path)
        except LessonError as error:
            broken.append(BrokenLesson(path, error))
            continue
        except Exception as error:  # noqa: BLE001 - one file, whatever it holds, is one entry
            broken.append(BrokenLesson(path, unforeseen(error, path)))
            continue
        if lesson.id in seen:
            broken.append(BrokenLesson(path, LessonError(
                f"lesson id {lesson.id!r} is already used by {seen[lesson.id]}", path)))
            continue
        seen[lesson.id] = path
        lessons.append(lesson)
    return Catalog(lessons, broken)


def load_lesson(path: Path | str) -> Lesson:
    path = Path(path)
    return parse_lesson(read_lesson_text(path), path)


def parse_lesson(text: str, path: Path | None = None) -> Lesson:
    return _build(parse_toml(text, path), text, path)


def _build(data: dict, text: str, path: Path | None) -> Lesson:
    table = decode(data, text, path)
    place = lesson_place(text, path)
    quantities = _quantities(table.quantities, text, path)
    definitions = _definitions(table.definitions, text, path)
    if not table.steps:
        raise LessonError("a lesson needs at least one [[steps]]", path)
    if len(table.steps) > MAX_STEPS:  # the most steps an import takes of one lesson
        raise LessonError(f"{len(table.steps):,} [[steps]] is past the limit of {MAX_STEPS:,} "
                          "for a lesson", path)
    try:
        inputs = {name: q.shape for name, q in quantities.items()}
        problem = Problem.from_text(inputs, definitions)
    except EngineError as error:
        name = error.message.split(":")[0].replace("definition of ", "")
        # Search the [definitions] table: an intro often shows the same "z1 = ..." lines.
        where = section_place(text, path, "definitions", "[definitions]")
        raise LessonError(error.message, path, where.line_of(name)) from None
    steps = [_step(raw, step_place, problem, text)
             for raw, step_place in zip(table.steps, step_places(text, path, data["steps"]),
                                        strict=True)]
    ids = [s.id for s in steps]
    for step in steps:
        if ids.count(step.id) > 1:
            raise LessonError(f"two steps have the id {step.id!r}", path, step.line)
    if table.goal is not None and table.goal not in ids:
        raise place.error(f"goal {table.goal!r} is not one of the steps ({', '.join(ids)})",
                          "goal")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", table.id):
        raise place.error(f"lesson id {table.id!r} must be lowercase letters, digits and -",
                          "id")
    return Lesson(id=table.id, title=table.title, intro=table.intro, quantities=quantities,
                  definitions=definitions, steps=steps, goal=table.goal, path=path)


def _usable_name(name: str, place: Place) -> None:
    if not NAME.fullmatch(name):
        raise place.error(f"{name!r} is not a usable name: letters, digits and _, not "
                          "starting with a digit")
    if name in BUILTIN_FUNCTIONS:
        raise place.error(f"{name!r} is the name of a function of the answer language; "
                          "call it something else")


def _definitions(raw: dict[str, str], text: str, path) -> dict[str, str]:
    section = section_place(text, path, "definitions", "[definitions]")
    for name in raw:
        _usable_name(name, replace(section, line=section.line_of(name)))
    return dict(raw)


def _quantities(raw: dict[str, QuantityTable], text: str, path) -> dict[str, Quantity]:
    if not raw:
        raise LessonError("[quantities] must name at least one input", path,
                          section_place(text, path, "quantities", "[quantities]").line)
    return {name: _quantity(name, spec, quantity_place(text, path, name))
            for name, spec in raw.items()}


def _quantity(name: str, spec: QuantityTable, place: Place) -> Quantity:
    _usable_name(name, place)
    shape = spec.shape
    values = spec.values
    if values is not None and any(len(row) != len(values[0]) for row in values):
        raise place.error(f"values must be {ROWS}", "values")
    if spec.draw == "fixed":
        if values is None or (len(values), len(values[0])) != shape:
            raise place.error(f"draw = \"fixed\" needs values of shape {shape_text(shape)}",
                              "values")
        values = tuple(tuple(float(entry) for entry in row) for row in values)
    elif values is not None:
        raise place.error("values apply only to draw = \"fixed\"", "values")
    quantity = Quantity(name, shape, spec.draw, spec.low, spec.high, values, spec.about, spec.per)
    _check_range(quantity, place)
    wrong = onehot.per_problem(spec.draw, shape, spec.per)
    if wrong is not None:
        raise place.error(wrong, "per")
    return quantity


def _check_range(quantity: Quantity, place: Place) -> None:
    """A range its draws can come from: in order, whole for int, above 0 for positive."""
    spec = {key: value for key, value in (("low", quantity.low), ("high", quantity.high))
            if value is not None}
    declared = list(spec)
    if quantity.draw not in RANGED:
        if declared:
            raise place.error(f"low and high apply only to draw = {', '.join(RANGED)}, not "
                              f"{quantity.draw!r}", declared[0])
        return
    if quantity.draw == "int":
        for key in declared:
            if spec[key] != int(spec[key]):
                raise place.error(f"the range of draw = \"int\" must be whole numbers, not "
                                  f"{key} = {spec[key]}", key)
    low, high = quantity.range()
    if quantity.draw == "positive" and low <= 0:
        raise place.error(f"low = {low} must be above 0 for draw = \"positive\"", "low")
    if low >= high:
        def side(key: str, value: float) -> str:
            default = "" if key in spec else f" (the default for draw = \"{quantity.draw}\")"
            return f"{key} = {value}{default}"

        raise place.error(f"{side('low', low)} must be below {side('high', high)}",
                          declared[0] if declared else None)


def _step(raw: StepTable, place: Place, problem: Problem, text: str) -> Step:
    wrong = id_problem(raw.id)  # progress is stored, exported and imported under it
    if wrong is not None:
        raise place.error(f"the step id {raw.id!r} {wrong}", "id")
    for key in ("of", "wrt"):
        name = getattr(raw, key)
        if name not in problem.shapes:
            raise place.error(f"{key} = {name!r} is not a quantity or definition "
                              f"(known: {', '.join(problem.names)})", key)
    try:
        shape = problem.derivative_shape(raw.of, raw.wrt)
    except EngineError as error:
        raise place.error(error.message) from None
    step = Step(
        id=raw.id, of=raw.of, wrt=raw.wrt, prompt=raw.prompt, answer=raw.answer, shape=shape,
        hints=tuple(raw.hints),
        mistakes=tuple(StepMistake(m.answer, m.feedback) for m in raw.mistakes),
        tolerance=raw.tolerance, note=raw.note, composes=raw.composes, line=place.line,
        skills=tuple(dict.fromkeys(raw.skills)),
    )
    _parse_expression(step.answer, problem, place, "answer", shape)
    for mistake in step.mistakes:
        _parse_expression(mistake.answer, problem, place, "mistake", None)
    return step


def _parse_expression(text: str, problem: Problem, place: Place, what: str, shape) -> None:
    try:
        node = parse(text, problem.names)
        # A mistake may be ill-shaped on purpose: it is matched the way numpy would.
        actual = infer_shape(node, problem.shapes, broadcast=shape is None)
    except EngineError as error:
        raise place.error(f"{what} {text!r}: {error.message}") from None
    if shape is not None and actual != shape:
        raise place.error(
            f"{what} {text!r} is {shape_text(actual)}, but the factor of step {place.step} is "
            f"{shape_text(shape)} (numerator layout)")


def unforeseen(error: Exception, path: Path) -> LessonError:
    """A file the loader's checks let through and something after them tripped on."""
    return LessonError(f"cannot be used ({type(error).__name__}: {error}); the loader "
                       "should have refused it with a clear message: please report this "
                       "file", path)
