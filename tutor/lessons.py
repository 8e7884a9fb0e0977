"""The lesson format: load TOML lesson scripts, draw their variants, validate their keys.

A lesson is data: named quantities with shapes and a rule for drawing their
numbers, forward definitions in the answer language, and steps that each ask for
one factor ∂of/∂wrt. Nothing here imports Textual; nothing here imports sympy
until a key is validated.
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from tutor.engine import (
    EngineError,
    Factor,
    Mistake,
    Problem,
    Shape,
    Values,
    Verdict,
    check_answer,
    evaluate,
    infer_shape,
    parse,
    shape_text,
)
from tutor.engine.check import HAND_ATOL, HAND_RTOL
from tutor.lesson_index import (  # noqa: F401 - re-exported: the first seed, the error, where lessons live
    DEFAULT_SEED,
    ENV_LESSONS,
    LessonError,
    StepLabel,
    lesson_dirs,
    lesson_files,
    located,
    parse_toml,
    read_lesson_text,
    shipped_lessons_dir,
)

DRAWS = ("int", "decimal", "normal", "positive", "onehot", "fixed")

LESSON_FIELDS = {"id", "title", "intro", "goal", "quantities", "definitions", "steps"}
QUANTITY_FIELDS = {"shape", "draw", "low", "high", "values", "about"}
STEP_FIELDS = {
    "id", "of", "wrt", "prompt", "answer", "hints", "mistakes", "tolerance", "note", "composes",
}
MISTAKE_FIELDS = {"answer", "feedback"}
REQUIRED_LESSON = ("id", "title", "intro", "quantities", "steps")
REQUIRED_STEP = ("id", "of", "wrt", "prompt", "answer")


@dataclass(frozen=True)
class Quantity:
    name: str
    shape: Shape
    draw: str = "decimal"
    low: float | None = None
    high: float | None = None
    values: tuple[tuple[float, ...], ...] | None = None
    about: str = ""

    def variant_value(self, rng: random.Random) -> np.ndarray:
        """Numbers pleasant by hand, the same for a seed on every machine (stdlib random)."""
        rows, cols = self.shape
        if self.draw == "fixed":
            return np.array(self.values, dtype=float)
        if self.draw == "onehot":
            hot = rng.randrange(rows * cols)
            return np.eye(1, rows * cols, hot).reshape(rows, cols)
        low, high = self._range()
        if self.draw == "int":
            pick = lambda: float(rng.randint(int(low), int(high)))  # noqa: E731
        elif self.draw == "normal":
            pick = lambda: round(rng.gauss(0.0, 1.0), 2)  # noqa: E731
        else:  # decimal, positive: one decimal place
            pick = lambda: round(rng.uniform(low, high), 1)  # noqa: E731
        # + 0.0 turns a rounded -0.0 into 0.0, which students would find odd to see.
        return np.array([[pick() + 0.0 for _ in range(cols)] for _ in range(rows)], dtype=float)

    def sample_value(self, rng: np.random.Generator) -> np.ndarray:
        """A generic draw for numeric checking: continuous, so coincidences are unlikely."""
        if self.draw == "fixed":
            return np.array(self.values, dtype=float)
        if self.draw == "onehot":
            hot = rng.integers(self.shape[0] * self.shape[1])
            return np.eye(1, self.shape[0] * self.shape[1], hot).reshape(self.shape)
        if self.draw == "positive":
            low, high = self._range()
            return rng.uniform(low, high, size=self.shape)
        return rng.normal(0.0, 1.0, size=self.shape)

    def _range(self) -> tuple[float, float]:
        defaults = {"int": (-3, 3), "decimal": (-1.0, 1.0), "positive": (0.1, 2.0)}
        low, high = defaults.get(self.draw, (-1.0, 1.0))
        return (self.low if self.low is not None else low,
                self.high if self.high is not None else high)


@dataclass(frozen=True)
class StepMistake:
    answer: str
    feedback: str


@dataclass(frozen=True)
class Step(StepLabel):
    id: str
    of: str
    wrt: str
    prompt: str
    answer: str
    shape: Shape
    hints: tuple[str, ...] = ()
    mistakes: tuple[StepMistake, ...] = ()
    tolerance: float | None = None
    note: str = ""
    composes: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Variant:
    seed: int
    inputs: Values
    values: Values  # inputs and every intermediate


@dataclass
class Lesson:
    id: str
    title: str
    intro: str
    quantities: dict[str, Quantity]
    definitions: dict[str, str]
    steps: list[Step]
    goal: str | None = None
    path: Path | None = None
    problem: Problem = field(init=False, repr=False)

    def __post_init__(self) -> None:
        inputs = {name: q.shape for name, q in self.quantities.items()}
        one_hot = frozenset(n for n, q in self.quantities.items() if q.draw == "onehot")
        self.problem = Problem.from_text(inputs, self.definitions, sampler=self._sample,
                                         simplex=one_hot)

    def _sample(self, rng: np.random.Generator) -> Values:
        return {name: q.sample_value(rng) for name, q in self.quantities.items()}

    @property
    def names(self) -> list[str]:
        return self.problem.names

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        known = ", ".join(s.id for s in self.steps)
        raise LessonError(f"lesson {self.id} has no step {step_id!r}; its steps: {known}",
                          self.path)

    def variant(self, seed: int = DEFAULT_SEED) -> Variant:
        rng = random.Random(f"{self.id}/{seed}")
        inputs = {name: q.variant_value(rng) for name, q in self.quantities.items()}
        return Variant(seed, inputs, self.problem.forward(inputs))

    @cached_property
    def factors(self) -> dict[str, Factor]:
        return {step.id: self._factor(step) for step in self.steps}

    def _factor(self, step: Step) -> Factor:
        names = self.names
        mistakes = tuple(
            Mistake(parse(m.answer, names), m.feedback, m.answer) for m in step.mistakes
        )
        tolerance = step.tolerance if step.tolerance is not None else HAND_RTOL
        return Factor(
            parse(step.answer, names),
            step.shape,
            step.label,
            mistakes,
            rtol=tolerance,
            atol=HAND_ATOL * tolerance / HAND_RTOL,
        )

    def check(self, step_id: str, text: str, seed: int = DEFAULT_SEED,
              symbolic_budget: float = 1.0) -> Verdict:
        step = self.step(step_id)
        return check_answer(text, self.factors[step.id], self.problem,
                            self.variant(seed).values, symbolic_budget)


@dataclass(frozen=True)
class BrokenLesson:
    """A lesson file that failed to load: listed in the picker with its error."""

    path: Path
    error: LessonError

    @property
    def id(self) -> str:
        return self.path.stem


@dataclass
class Catalog:
    lessons: list[Lesson]
    broken: list[BrokenLesson]

    def get(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        for broken in self.broken:
            if broken.id == lesson_id or lesson_id in broken.path.stem:
                raise LessonError(f"lesson {lesson_id!r} is broken: {broken.error}")
        near = difflib.get_close_matches(lesson_id, [lesson.id for lesson in self.lessons], n=1)
        hint = f" Did you mean {near[0]}?" if near else ""
        raise LessonError(f"no lesson {lesson_id!r}.{hint} Run `chain-tutor lessons` to list "
                          "them.")


# -- finding and loading -------------------------------------------------------------
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


def _line_of(text: str, pattern: str, after: int = 0) -> int | None:
    match = re.compile(pattern, re.MULTILINE).search(text, after)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _step_line(text: str, step_id: str) -> int | None:
    return _line_of(text, rf"^\s*id\s*=\s*[\"']{re.escape(step_id)}[\"']")


def _check_fields(table: dict, allowed: set[str], where: str, path, text, step=None) -> None:
    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise LessonError(
                f"unknown field {key!r} in {where}{hint} Known fields: "
                f"{', '.join(sorted(allowed))}.",
                path, _line_of(text, rf"^\s*{re.escape(key)}\s*="), step)


def _require(table: dict, keys: Sequence[str], where: str, path, line=None, step=None) -> None:
    for key in keys:
        if key not in table:
            raise LessonError(f"{where} is missing the field {key!r}", path, line, step)


def _string(value, what: str, path, line=None, step=None) -> str:
    if not isinstance(value, str):
        raise LessonError(f"{what} must be a string", path, line, step)
    return value


def _build(data: dict, text: str, path: Path | None) -> Lesson:
    _check_fields(data, LESSON_FIELDS, "the lesson", path, text)
    _require(data, REQUIRED_LESSON, "the lesson", path)
    quantities = _quantities(data["quantities"], text, path)
    definitions = data.get("definitions", {})
    if not isinstance(definitions, dict) or not all(
        isinstance(v, str) for v in definitions.values()
    ):
        raise LessonError("[definitions] must map names to expressions (strings)", path,
                          _line_of(text, r"^\[definitions\]"))
    for name in definitions:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise LessonError(f"{name!r} is not a usable name", path, _line_of(text, name))
    steps_data = data["steps"]
    if not isinstance(steps_data, list) or not steps_data:
        raise LessonError("a lesson needs at least one [[steps]]", path)
    try:
        inputs = {name: q.shape for name, q in quantities.items()}
        problem = Problem.from_text(inputs, definitions)
    except EngineError as error:
        name = error.message.split(":")[0].replace("definition of ", "")
        # Search from the [definitions] header: an intro often shows the same "z1 = ..." lines.
        header = re.search(r"^\[definitions\]", text, re.MULTILINE)
        after = header.end() if header else 0
        raise LessonError(error.message, path,
                          _line_of(text, rf"^\s*{re.escape(name)}\s*=", after)) from None
    steps = [_step(raw, problem, text, path) for raw in steps_data]
    ids = [s.id for s in steps]
    for step_id in ids:
        if ids.count(step_id) > 1:
            raise LessonError(f"two steps have the id {step_id!r}", path,
                              _step_line(text, step_id))
    goal = data.get("goal")
    if goal is not None and goal not in ids:
        raise LessonError(f"goal {goal!r} is not one of the steps ({', '.join(ids)})", path,
                          _line_of(text, r"^goal\s*="))
    lesson = Lesson(
        id=_string(data["id"], "id", path),
        title=_string(data["title"], "title", path),
        intro=_string(data["intro"], "intro", path),
        quantities=quantities,
        definitions=dict(definitions),
        steps=steps,
        goal=goal,
        path=path,
    )
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", lesson.id):
        raise LessonError(f"lesson id {lesson.id!r} must be lowercase letters, digits and -",
                          path, _line_of(text, r"^id\s*="))
    return lesson


def _quantities(raw, text: str, path) -> dict[str, Quantity]:
    if not isinstance(raw, dict) or not raw:
        raise LessonError("[quantities] must name at least one input", path)
    quantities = {}
    for name, spec in raw.items():
        line = _line_of(text, rf"^\s*{re.escape(name)}\s*=") or _line_of(
            text, rf"^\[quantities\.{re.escape(name)}\]")
        if not isinstance(spec, dict):
            raise LessonError(f"quantity {name} must be a table like {{ shape = [2, 1] }}",
                              path, line)
        _check_fields(spec, QUANTITY_FIELDS, f"quantity {name}", path, text)
        _require(spec, ("shape",), f"quantity {name}", path, line)
        shape = spec["shape"]
        if not (isinstance(shape, list) and len(shape) == 2
                and all(isinstance(n, int) and 1 <= n <= 20 for n in shape)):
            raise LessonError(f"quantity {name}: shape must be [rows, cols] with sizes 1 to 20",
                              path, line)
        draw = spec.get("draw", "decimal")
        if draw not in DRAWS:
            raise LessonError(f"quantity {name}: draw must be one of {', '.join(DRAWS)}",
                              path, line)
        values = spec.get("values")
        if draw == "fixed":
            array = np.array(values, dtype=float) if values is not None else None
            if array is None or array.shape != tuple(shape):
                raise LessonError(f"quantity {name}: draw = \"fixed\" needs values of shape "
                                  f"{shape[0]}×{shape[1]}", path, line)
            values = tuple(tuple(row) for row in array.tolist())
        quantities[name] = Quantity(name, (shape[0], shape[1]), draw, spec.get("low"),
                                    spec.get("high"), values, spec.get("about", ""))
    return quantities


def _step(raw, problem: Problem, text: str, path) -> Step:
    if not isinstance(raw, dict):
        raise LessonError("each [[steps]] entry must be a table", path)
    step_id = str(raw.get("id", "?"))
    line = _step_line(text, step_id)
    _check_fields(raw, STEP_FIELDS, f"step {step_id}", path, text, step_id)
    _require(raw, REQUIRED_STEP, f"step {step_id}", path, line, step_id)
    for key in ("of", "wrt"):
        if raw[key] not in problem.shapes:
            raise LessonError(f"{key} = {raw[key]!r} is not a quantity or definition "
                              f"(known: {', '.join(problem.names)})", path, line, step_id)
    try:
        shape = problem.derivative_shape(raw["of"], raw["wrt"])
    except EngineError as error:
        raise LessonError(error.message, path, line, step_id) from None
    mistakes = []
    for entry in raw.get("mistakes", []):
        if not isinstance(entry, dict):
            raise LessonError("each mistake must be a table with answer and feedback", path,
                              line, step_id)
        _check_fields(entry, MISTAKE_FIELDS, f"a mistake of step {step_id}", path, text,
                      step_id)
        _require(entry, ("answer", "feedback"), f"a mistake of step {step_id}", path, line,
                 step_id)
        mistakes.append(StepMistake(entry["answer"], entry["feedback"]))
    hints = raw.get("hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        raise LessonError("hints must be a list of strings", path, line, step_id)
    tolerance = raw.get("tolerance")
    if tolerance is not None and not (isinstance(tolerance, (int, float)) and 0 < tolerance < 1):
        raise LessonError("tolerance must be a relative tolerance between 0 and 1, like 0.01",
                          path, line, step_id)
    step = Step(
        id=step_id, of=raw["of"], wrt=raw["wrt"], prompt=_string(raw["prompt"], "prompt", path),
        answer=_string(raw["answer"], "answer", path, line, step_id), shape=shape,
        hints=tuple(hints), mistakes=tuple(mistakes), tolerance=tolerance,
        note=raw.get("note", ""), composes=raw.get("composes"), line=line,
    )
    _parse_expression(step.answer, problem, path, line, step_id, "answer", shape)
    for mistake in step.mistakes:
        _parse_expression(mistake.answer, problem, path, line, step_id, "mistake", None)
    return step


def _parse_expression(text, problem: Problem, path, line, step_id, what, shape) -> None:
    try:
        node = parse(text, problem.names)
    except EngineError as error:
        raise LessonError(f"{what} {text!r}: {error.message}", path, line, step_id) from None
    try:
        # A mistake may be ill-shaped on purpose: it is matched the way numpy would.
        actual = infer_shape(node, problem.shapes, broadcast=shape is None)
    except EngineError as error:
        raise LessonError(f"{what} {text!r}: {error.message}", path, line, step_id) from None
    if shape is not None and actual != shape:
        raise LessonError(
            f"{what} {text!r} is {shape_text(actual)}, but the factor of step {step_id} is "
            f"{shape_text(shape)} (numerator layout)", path, line, step_id)


# -- validation ----------------------------------------------------------------------
VALIDATION_SEEDS = (1, 2, 3)
FD_RTOL = 1e-5
FD_ATOL = 1e-6


@dataclass(frozen=True)
class Finding:
    """One result of validation; errors fail `validate`, notes do not."""

    path: Path | None
    line: int | None
    step: str | None
    message: str
    error: bool = True

    def __str__(self) -> str:
        kind = "error" if self.error else "note"
        return f"{located(self.path, self.line, self.step)}: {kind}: {self.message}"


def validate_lesson(lesson: Lesson, symbolic_budget: float = 10.0) -> list[Finding]:
    """Check every key against the forward pass, independently of the key itself."""
    findings: list[Finding] = []
    if "numerator layout" not in lesson.intro.lower():
        findings.append(Finding(lesson.path, 1, None,
                                "the intro must state the convention (numerator layout)"))
    for step in lesson.steps:
        findings.extend(_validate_step(lesson, step, symbolic_budget))
    findings.extend(_validate_compositions(lesson))
    return findings


def _validate_step(lesson: Lesson, step: Step, budget: float) -> list[Finding]:
    from tutor.engine.symbolic import prove_equal, to_sympy

    def finding(message: str, error: bool = True) -> Finding:
        return Finding(lesson.path, step.line, step.id, message, error)

    problem = lesson.problem
    if not problem.depends_on(step.of, step.wrt):
        return [finding(f"{step.of} does not depend on {step.wrt}; the factor would be zero")]
    factor = lesson.factors[step.id]
    findings = []
    for values in _validation_points(lesson):
        truth = problem.numeric_derivative(step.of, step.wrt, values)
        key = evaluate(factor.expected, values)
        if not np.allclose(key, truth, rtol=FD_RTOL, atol=FD_ATOL):
            findings.append(finding(
                f"the answer {step.answer!r} is not {step.label}: finite differences give "
                f"{np.round(truth, 4).tolist()} where the key gives {np.round(key, 4).tolist()}"))
            return findings
    truth = problem.symbolic_derivative(step.of, step.wrt)
    proof = prove_equal(to_sympy(factor.expected, problem.symbols), truth, budget)
    if proof is not True:
        findings.append(finding(
            f"the key agrees with finite differences, but sympy could not prove it equal to "
            f"{step.label} ({'timed out' if proof == 'timeout' else 'undecided'})", error=False))
    for mistake in factor.mistakes:
        verdict = check_answer(mistake.text, factor, problem, lesson.variant().values, 0.0)
        if verdict.verdict == "correct":
            findings.append(finding(
                f"the mistake {mistake.text!r} is accepted as correct, so its feedback could "
                "never show and it would reject nothing"))
    return findings


def _validation_points(lesson: Lesson) -> list[Values]:
    return [lesson.variant(seed).values for seed in VALIDATION_SEEDS] + lesson.problem.samples


def _validate_compositions(lesson: Lesson) -> list[Finding]:
    findings = []
    names = lesson.names + [s.id for s in lesson.steps]
    shapes = dict(lesson.problem.shapes) | {s.id: s.shape for s in lesson.steps}
    for step in lesson.steps:
        if not step.composes:
            continue
        try:
            node = parse(step.composes, names)
            shape = infer_shape(node, shapes)
        except EngineError as error:
            findings.append(Finding(lesson.path, step.line, step.id,
                                    f"composes {step.composes!r}: {error.message}"))
            continue
        if shape != step.shape:
            findings.append(Finding(lesson.path, step.line, step.id,
                                    f"composes {step.composes!r} is {shape_text(shape)}, but "
                                    f"{step.label} is {shape_text(step.shape)}"))
            continue
        for values in _validation_points(lesson):
            extended = dict(values) | {
                s.id: evaluate(lesson.factors[s.id].expected, values) for s in lesson.steps
            }
            if not np.allclose(evaluate(node, extended), extended[step.id], rtol=1e-9,
                               atol=1e-12):
                findings.append(Finding(lesson.path, step.line, step.id,
                                        f"the factors in composes {step.composes!r} do not "
                                        f"multiply out to {step.label}"))
                break
    return findings


def validate_paths(paths: Sequence[Path | str]) -> list[Finding]:
    """Validate lesson files (or folders of them); loading errors are findings too."""
    findings: list[Finding] = []
    files = lesson_files(Path(p) for p in paths)
    missing = [Path(p) for p in paths if not Path(p).exists()]
    for path in missing:
        findings.append(Finding(path, None, None, "no such file or folder"))
    for path in files:
        try:
            lesson = load_lesson(path)
        except LessonError as error:
            findings.append(Finding(error.path or path, error.line, error.step, error.message))
            continue
        findings.extend(validate_lesson(lesson))
    return findings
