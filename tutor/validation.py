"""Validation of lesson files: every key checked against the forward pass, independently.

What `chain-tutor validate` runs for a lesson author. For each step the key must
match central finite differences of the forward pass at the validation seeds'
values and at random draws; sympy then tries to prove it equal to the symbolic
derivative (within a hard time budget: sympy.diff of a deep network can run for
minutes); a declared mistake must not be accepted as correct (and one the chain diagnoses find
by themselves is noted, so that authors write only what the engine cannot); a `composes` must
equal the product it names; and a lesson's id must not collide with a shipped one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.engine import (
    EngineError,
    Values,
    check_answer,
    evaluate,
    infer_shape,
    parse,
    shape_text,
)
from tutor.engine.structural import automatic
from tutor.lesson_index import (
    LessonError,
    lesson_files,
    located,
    read_info,
    read_lesson_text,
    shipped_lessons_dir,
)
from tutor.lesson_schema import lesson_place
from tutor.lessons import Lesson, Step, load_lesson, unforeseen

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


def validate_lesson(lesson: Lesson, symbolic_budget: float = 10.0,
                    progress: Callable[[int, int], None] | None = None) -> list[Finding]:
    """Check every key against the forward pass, independently of the key itself.

    sympy differentiates and proves in the proof worker (tutor.engine.prover), which
    keeps each lesson's symbols between steps and is killed at a step's budget; so sympy
    never runs in the caller's own process (the tutor's, when it validates a student's
    network). ``progress(done, total)`` is told after each step, and may raise to stop.
    """
    findings: list[Finding] = []
    if "numerator layout" not in lesson.intro.lower():
        findings.append(Finding(lesson.path, 1, None,
                                "the intro must state the convention (numerator layout)"))
    for done, step in enumerate(lesson.steps, start=1):
        findings.extend(_validate_step(lesson, step, symbolic_budget))
        if progress is not None:
            progress(done, len(lesson.steps))
    findings.extend(_validate_compositions(lesson))
    return findings


def _prove(lesson: Lesson, step: Step, budget: float) -> bool | str | None:
    """True (proved), None (undecided) or "timeout"; "not run" without a budget."""
    if budget <= 0:
        return "not run"
    from tutor.engine.prover import prove_derivative

    return prove_derivative(lesson.problem, lesson.factors[step.id].expected, step.of,
                            step.wrt, budget)


def _validate_step(lesson: Lesson, step: Step, budget: float) -> list[Finding]:
    def finding(message: str, error: bool = True) -> Finding:
        return Finding(lesson.path, step.line, step.id, message, error)

    problem = lesson.problem
    if not problem.depends_on(step.of, step.wrt):
        return [finding(f"{step.of} does not depend on {step.wrt}; the factor would be zero")]
    factor = lesson.factors[step.id]
    findings = []
    points = validation_points(lesson)
    for values in points:
        truth = problem.numeric_derivative(step.of, step.wrt, values)
        key = evaluate(factor.expected, values)
        if not np.all(np.isfinite(key)):  # allclose takes inf for inf: say it first
            findings.append(finding(
                f"the key {step.answer!r} is not a number at drawn values of the inputs (it "
                f"gives {np.round(key, 4).tolist()}), so no answer could be checked there: "
                "draw the inputs where it is defined (draw = \"positive\", or low and high)"))
            return findings
        if not np.allclose(key, truth, rtol=FD_RTOL, atol=FD_ATOL):
            findings.append(finding(
                f"the answer {step.answer!r} is not {step.label}: finite differences give "
                f"{np.round(truth, 4).tolist()} where the key gives {np.round(key, 4).tolist()}"))
            return findings
    # sympy.diff of a deep, wide network can run for many minutes: differentiating and
    # proving both run in the proof worker, killed at the budget; only finite differences
    # are certain.
    proof = _prove(lesson, step, budget)
    if proof == "not run":
        findings.append(finding("symbolic check not run (a budget of 0 s); the key agrees with "
                                f"finite differences at {len(points)} points",
                                error=False))
    elif proof == "timeout":
        findings.append(finding(
            f"symbolic check skipped: differentiating and proving took longer than {budget:g} s; "
            f"the key agrees with finite differences at {len(points)} "
            "points (give more time with --budget)", error=False))
    elif proof is not True:
        findings.append(finding(
            f"the key agrees with finite differences, but sympy could not prove it equal to "
            f"{step.label} (undecided)", error=False))
    displayed = lesson.variant().values
    for mistake in factor.mistakes:
        verdict = check_answer(mistake.text, factor, problem, displayed, 0.0)
        if verdict.verdict == "correct":
            findings.append(finding(
                f"the mistake {mistake.text!r} is accepted as correct, so its feedback could "
                "never show and it would reject nothing"))
            continue
        found = automatic(mistake.expression, factor, problem, displayed)
        if found:
            said = ", ".join(f"{f.code} {f.label or f.factor}" for f in found)
            findings.append(finding(
                f"the mistake {mistake.text!r} is one the engine finds by itself ({said}); "
                "its feedback is still shown, but it is needed only where it explains more",
                error=False))
    return findings


def validation_points(lesson: Lesson) -> list[Values]:
    """Where every key is compared with finite differences: the validation seeds' values
    and the lesson's random draws."""
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
        for values in validation_points(lesson):
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


def validate_paths(paths: Sequence[Path | str], symbolic_budget: float = 10.0) -> list[Finding]:
    """Validate lesson files (or folders of them); loading errors are findings too.

    ``symbolic_budget``: seconds for each step's symbolic check, a hard limit.
    """
    findings: list[Finding] = []
    files = lesson_files(Path(p) for p in paths)
    missing = [Path(p) for p in paths if not Path(p).exists()]
    for path in missing:
        findings.append(Finding(path, None, None, "no such file or folder"))
    ids = _shipped_ids()
    for path in files:
        try:
            lesson = load_lesson(path)
            findings.extend(_id_clash(lesson, ids))
            findings.extend(validate_lesson(lesson, symbolic_budget))
        except LessonError as error:
            findings.append(Finding(error.path or path, error.line, error.step, error.message))
        except Exception as error:  # noqa: BLE001 - the other files are still validated
            findings.append(Finding(path, None, None, unforeseen(error, path).message))
    return findings


def _shipped_ids() -> dict[str, Path]:
    """The shipped lessons' ids, from the quick read of the picker's index."""
    return {info.id: info.path for info in map(read_info, lesson_files([shipped_lessons_dir()]))
            if info.error is None}


def _id_clash(lesson: Lesson, ids: dict[str, Path]) -> list[Finding]:
    """A lesson whose id a shipped lesson, or a file validated before it, already has.

    The catalog would list it as broken, so it is an error here too. ``ids`` holds the
    shipped ids and gains this lesson's.
    """
    assert lesson.path is not None  # validate reads files
    other = ids.setdefault(lesson.id, lesson.path)
    if other.resolve() == lesson.path.resolve():
        return []
    shipped = other.resolve().parent == shipped_lessons_dir().resolve()
    whose = f"the shipped lesson {other}" if shipped else str(other)
    line = lesson_place(read_lesson_text(lesson.path), lesson.path).line_of("id")
    return [Finding(lesson.path, line, None,
                    f"lesson id {lesson.id!r} is already used by {whose}, so the tutor would "
                    "list this file as broken: give it an id of its own")]
