"""A lesson as the engine and the screens use it: its quantities and how their numbers are
drawn, its steps (each asks for one factor ∂of/∂wrt), a variant's numbers, and checking an
answer to one step. Nothing here imports Textual; nothing here imports sympy until a key is
validated. Reading a lesson file into a Lesson is tutor.lessons.load's job.
"""

from __future__ import annotations

import difflib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from tutor.engine import (
    EngineError,
    Factor,
    Mistake,
    Node,
    Problem,
    Shape,
    Values,
    Verdict,
    check_answer,
    onehot,
    parse,
)
from tutor.engine.chains import StepFactor
from tutor.engine.nodes import Name
from tutor.engine.numbers import Tolerance
from tutor.lessons.index import (
    DEFAULT_SEED,
    LessonError,
    StepLabel,
    numbered,
)

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

RANGED = ("int", "decimal", "positive")  # the draws that take low and high
DEFAULT_RANGES = {"int": (-3, 3), "decimal": (-1.0, 1.0), "positive": (0.1, 2.0)}


@dataclass(frozen=True)
class Quantity:
    name: str
    shape: Shape
    draw: str = "decimal"
    low: float | None = None
    high: float | None = None
    values: tuple[tuple[float, ...], ...] | None = None
    about: str = ""
    per: str | None = None  # a one-hot matrix's 1s: one per "row" or per "column" (None)

    def variant_value(self, rng: random.Random) -> np.ndarray:
        """Numbers pleasant by hand, the same for a seed on every machine (stdlib random)."""
        rows, cols = self.shape
        if self.draw == "fixed":
            return np.array(self.values, dtype=float)
        if self.draw == "onehot":
            return onehot.variant_draw(self.shape, self.per, rng)
        low, high = self.range()
        if self.draw == "int":
            pick = lambda: float(rng.randint(int(low), int(high)))  # noqa: E731
        elif self.draw == "normal":
            pick = lambda: _nonzero(lambda: round(rng.gauss(0.0, 1.0), 2))  # noqa: E731
        else:  # decimal, positive: one decimal place, kept inside a range not in tenths
            pick = lambda: min(max(round(rng.uniform(low, high), 1), low), high)  # noqa: E731
        # + 0.0 turns a rounded -0.0 into 0.0, which students would find odd to see.
        return np.array([[pick() + 0.0 for _ in range(cols)] for _ in range(rows)], dtype=float)

    def sample_value(self, rng: np.random.Generator) -> np.ndarray:
        """A generic draw for numeric checking: continuous, so coincidences are unlikely.

        Within the range the author declared, where the lesson's functions are defined
        (log, sqrt); without one, the quantity is taken to be valid everywhere, and a
        wide draw tests more of it.
        """
        if self.draw == "fixed":
            return np.array(self.values, dtype=float)
        if self.draw == "onehot":
            return onehot.sample_draw(self.shape, self.per, rng)
        if self.draw == "positive" or self.low is not None or self.high is not None:
            low, high = self.range()
            return rng.uniform(low, high, size=self.shape)
        return rng.normal(0.0, 1.0, size=self.shape)

    def range(self) -> tuple[float, float]:
        """The declared low and high, each defaulting to its draw's own."""
        low, high = DEFAULT_RANGES.get(self.draw, (-1.0, 1.0))
        return (self.low if self.low is not None else low,
                self.high if self.high is not None else high)


def _nonzero(draw) -> float:
    """A rounded normal draw that is not exactly 0 (about 1 in 250 would be): at 0 a relu
    of the quantity, or of a product with it, sits at its kink, where it has no
    derivative, and a valid network would be refused for the numbers its id drew."""
    value = draw()
    while value == 0:
        value = draw()
    return value


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
    skills: tuple[str, ...] = ()  # tutor.lessons.skills: declared, or proposed at load


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
    _step_problems: dict[str, Problem] = field(init=False, repr=False, default_factory=dict)
    # The steps that declared no skills and carry the ones proposed (validate names them).
    proposed_skills: frozenset[str] = field(init=False, repr=False, default=frozenset())

    def __post_init__(self) -> None:
        inputs = {name: q.shape for name, q in self.quantities.items()}
        one_hot = {n: q.per for n, q in self.quantities.items() if q.draw == "onehot"}
        self.problem = Problem.from_text(inputs, self.definitions, sampler=self._sample,
                                         simplex=one_hot)
        self.problem.about = {name: q.about for name, q in self.quantities.items() if q.about}
        bare = [step.id for step in self.steps if not step.skills]
        if bare:  # a file from before skills, or a generated lesson: read off each step
            from tutor.lessons.skill_guess import proposer

            propose = proposer(self.definitions, self.problem.shapes)
            self.steps = [step if step.skills else replace(
                step, skills=propose(step.of, step.wrt, step.answer, step.composes))
                for step in self.steps]
            self.proposed_skills = frozenset(bare)

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
        keys = {step.id: parse(step.answer, self.names) for step in self.steps}
        steps = {step.id: StepFactor(step.label, keys[step.id], self._composes(step),
                                     step.of, step.wrt)
                 for step in self.steps}
        return {step.id: self._factor(step, keys[step.id], steps) for step in self.steps}

    def _composes(self, step: Step) -> Node | None:
        """The product of earlier steps a step declares; `validate` checks it, a chain uses it."""
        if not step.composes:
            return None
        try:
            return parse(step.composes, self.names + [s.id for s in self.steps])
        except EngineError:
            return None  # validate says why; the chain then comes from the key alone

    def _factor(self, step: Step, key: Node, steps: dict[str, StepFactor]) -> Factor:
        names = self.names
        mistakes = tuple(
            Mistake(parse(m.answer, names), m.feedback, m.answer) for m in step.mistakes
        )
        return Factor(
            key,
            step.shape,
            step.label,
            mistakes,
            tolerance=Tolerance.for_step(step.tolerance),
            step=step.id,
            steps=steps,
        )

    def earlier_steps(self, step_id: str) -> list[Step]:
        """The steps before ``step_id``: an answer may use their ids for their factors."""
        index = [step.id for step in self.steps].index(self.step(step_id).id)
        return [step for step in self.steps[:index] if step.id not in self.problem.shapes]

    def problem_for(self, step_id: str) -> Problem:
        """The lesson's problem, with each earlier step's id defined as its factor's key.

        So `df_dz1.T @ x.T` is read as the key of df_dz1 transposed times xᵀ: checked
        exactly like the written-out product, and the step's own answer gives nothing
        away (the id stands for the true factor, whatever the student answered there).
        """
        cached = self._step_problems.get(step_id)
        if cached is None:
            aliases = [(step.id, step.answer) for step in self.earlier_steps(step_id)]
            if not aliases:
                cached = self.problem
            else:
                base = self.problem
                cached = Problem.from_text(base.inputs, [*self.definitions.items(), *aliases],
                                           sampler=base.sampler, simplex=base.simplex)
                cached.about = base.about
            self._step_problems[step_id] = cached
        return cached

    def check(self, step_id: str, text: str, seed: int = DEFAULT_SEED,
              symbolic_budget: float = 1.0) -> Verdict:
        step = self.step(step_id)
        variant = self.variant(seed)
        problem, values = self.problem, variant.values
        earlier = {s.id for s in self.earlier_steps(step.id)}
        if earlier and earlier & set(NAME.findall(text)):  # only then: its own symbols
            problem = self.problem_for(step.id)
            values = problem.forward(variant.inputs)
        verdict = check_answer(text, self.factors[step.id], problem, values, symbolic_budget)
        if verdict.error is not None and verdict.error.kind == "name":
            verdict = self._name_advice(step, text, verdict)
        return verdict

    def _name_advice(self, step: Step, text: str, verdict: Verdict) -> Verdict:
        """An unknown name that is a step's id: say which ids this step may use."""
        ids = [s.id for s in self.steps]
        word = text[verdict.error.start:verdict.error.end]
        usable = [s.id for s in self.earlier_steps(step.id) if reads_as_a_name(s.id)]
        if word not in ids:
            if not usable or f"{usable[0]}," in verdict.error.message:  # listed already
                return verdict
            message = f"{verdict.error.message} This step may also use {_listing(usable)}."
        elif word == step.id:
            message = (f"{word} is this step's own factor, which the answer must write out"
                       + (f"; it may use {_listing(usable)}." if usable else "."))
        else:
            message = (f"{word} is a later step's factor; this step may use only the ones "
                       + (f"before it: {_listing(usable)}." if usable else "before it (none)."))
        error = EngineError(message, verdict.error.start, verdict.error.end, kind="name")
        return replace(verdict, feedback=error.describe(text), error=error)


def _listing(ids: Sequence[str]) -> str:
    return ", ".join(ids[:-1]) + f" and {ids[-1]}" if len(ids) > 1 else ids[0]


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
        """The lesson with this id, or with this number in the picker's list (curriculum
        order, from 1: ``chain-tutor show 1``); LessonError for anything else."""
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        by_number = numbered([lesson.id for lesson in self.lessons], lesson_id)
        if by_number is not None:
            return self.get(by_number)
        for broken in self.broken:
            if broken.id == lesson_id or lesson_id in broken.path.stem:
                raise LessonError(f"lesson {lesson_id!r} is broken: {broken.error}")
        near = difflib.get_close_matches(lesson_id, [lesson.id for lesson in self.lessons], n=1)
        hint = f" Did you mean {near[0]}?" if near else ""
        raise LessonError(f"no lesson {lesson_id!r}.{hint} Run `chain-tutor lessons` to list "
                          "them.")




@lru_cache(maxsize=1024)  # asked on every redraw, for every step of the lesson
def reads_as_a_name(step_id: str) -> bool:
    """Whether an answer can name the step: an id such as `d-h` or `sum` (which a lesson
    file allows) reads as something else, so it is never offered as a name to type."""
    try:
        node = parse(step_id, [step_id])
    except EngineError:
        return False
    return isinstance(node, Name) and node.name == step_id
