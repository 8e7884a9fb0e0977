"""Validation of lesson files: every key checked against the forward pass, independently.

What `chain-tutor validate` runs for a lesson author. For each step the key must
match central finite differences of the forward pass at the validation seeds'
values and at random draws, within the differences' own error estimate
(tutor.engine.differences: where they cannot decide, sympy's proof is the verdict); a lesson
`new` stamped as validated, unchanged, is trusted (tutor.lessons.stamps). sympy then tries to
prove it equal to the symbolic derivative (within a hard time budget: sympy.diff of a
deep network can run for minutes); a declared mistake must not be accepted as correct
(and one the chain diagnoses find by themselves is noted, so that authors write only
what the engine cannot); a `composes` must equal the product it names; and a lesson's
id must not collide with a shipped one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.engine import (
    EngineError,
    Values,
    differences,
    evaluate,
    infer_shape,
    parse,
    shape_text,
)
from tutor.engine.check import accepted
from tutor.engine.differences import AGREES, RECHECK, UNDECIDED, WRONG, Estimate
from tutor.engine.explain import automatic
from tutor.engine.nodes import Node, children
from tutor.engine.problem import Problem
from tutor.lessons.index import (
    LessonError,
    lesson_files,
    located,
    read_info,
    read_lesson_text,
    shipped_lessons_dir,
)
from tutor.lessons.load import load_lesson, unforeseen
from tutor.lessons.model import Lesson, Step
from tutor.lessons.schema import lesson_place
from tutor.lessons.stamps import stamp_holds

VALIDATION_SEEDS = (1, 2, 3)
# Up to this many entries in the quantity a step differentiates by, finite differences
# build the whole Jacobian (four forward passes per entry: steps h and h/2 both ways);
# past it they check it along DIRECTIONS random directions per point (four passes each),
# as PyTorch's gradcheck(fast_mode=True) does with one: a wrong Jacobian J' gives
# J'v ≠ Jv for almost every v, so the verdict is the same, for a cost that does not grow
# with W's 400 entries (and each of the 7 points draws its own direction).
FULL_JACOBIAN_ENTRIES = 4
DIRECTIONS = 1
PASSES = 4  # forward passes per entry or direction (tutor.engine.differences)
# After this many steps in a row whose proofs ran out of budget, the lesson's remaining
# steps rest on finite differences alone (each said in a note), unless the differences
# cannot decide one: sympy is cut on the larger factors that follow just the same, and
# each cut costs its budget and a new proof worker (README, Performance).
CUT_STREAK = 3
DIRECTION_SEED = 20261206
# The most work (expression nodes evaluated, validation_work) a lesson made from a network
# may need: calibrated so that the worst network the limits admit validates in about
# 10 s on a 2-core machine (2–5 µs a node; README, Your own network), sympy aside. (It
# was 2,000,000 when a wide step took 6 passes a point, not 4: the same networks pass.)
MAX_WORK = 1_330_000


class OutOfTime(Exception):
    """Validation ran past its deadline: ``done`` of ``total`` steps were checked."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"{done} of {total} factors checked")
        self.done = done
        self.total = total


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
                    progress: Callable[[int, int], None] | None = None, *,
                    notes: bool = True, deadline: float | None = None,
                    symbolic_total: float | None = None) -> list[Finding]:
    """Check every key against the forward pass, independently of the key itself.

    sympy differentiates and proves in the proof worker (tutor.engine.prover), which
    keeps each lesson's symbols between steps and is killed at a step's budget; so sympy
    never runs in the caller's own process (the tutor's, when it validates a student's
    network). ``progress(done, total)`` is told after each step, and may raise to stop.
    ``notes=False`` leaves out the one note that costs more than the checks (which declared
    mistakes the chain diagnoses find by themselves: deriving a deep step's chain takes
    a second), for a caller that keeps only the errors. ``deadline`` (a time.monotonic()
    instant) raises OutOfTime when it passes, and cuts a proof short at it; after
    ``symbolic_total`` seconds of validation the remaining steps get finite differences
    only, so that a lesson of many steps is not a step count times the budget; so do the
    steps after CUT_STREAK proofs in a row cut at their budget. A step the differences
    cannot decide gets its proof whatever was spent (up to the deadline).
    """
    findings: list[Finding] = []
    if "numerator layout" not in lesson.intro.lower():
        findings.append(Finding(lesson.path, 1, None,
                                "the intro must state the convention (numerator layout)"))
    points = validation_points(lesson)  # each variant's forward pass, once per lesson
    displayed = lesson.variant().values
    started = time.monotonic()
    cuts = 0  # proofs cut at their budget in a row
    for done, step in enumerate(lesson.steps):
        budget, why_not = symbolic_budget, ""
        if symbolic_total is not None:
            left_total = max(0.0, started + symbolic_total - time.monotonic())
            if left_total < budget:
                budget = left_total
                why_not = f"sympy's {symbolic_total:g} s for the lesson are spent"
        if cuts >= CUT_STREAK:
            budget, why_not = 0.0, (f"sympy ran out of time on the {cuts} factors before "
                                    "this one, so the rest rest on finite differences")
        undecided_budget = symbolic_budget
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OutOfTime(done, len(lesson.steps))
            budget, undecided_budget = min(budget, left), min(undecided_budget, left)
        found, proof = _validate_step(lesson, step, budget, points, displayed, notes,
                                      undecided_budget=undecided_budget, why_not=why_not)
        findings.extend(found)
        cuts = cuts + 1 if proof == "timeout" else 0 if proof != "not run" else cuts
        if progress is not None:
            progress(done + 1, len(lesson.steps))
    if deadline is not None and time.monotonic() > deadline:
        raise OutOfTime(len(lesson.steps), len(lesson.steps))
    findings.extend(_validate_compositions(lesson, points))
    if notes and lesson.path is not None:  # a file's author may declare what it proposes
        findings += [Finding(lesson.path, step.line, step.id,
                             "declares no skills; read off the step: skills = ["
                             + ", ".join(f'"{skill}"' for skill in step.skills) + "]",
                             error=False)
                     for step in lesson.steps if step.id in lesson.proposed_skills]
    return findings


def validation_work(lesson: Lesson) -> list[int]:
    """Per step, about how many expression nodes validate_lesson evaluates for it (without
    sympy): finite differences (a pass through the definitions between the step's wrt and
    its of, per entry of wrt or per direction, at each point), its key and its mistakes,
    and its composition. Counted on the trees, before anything is evaluated, so that a
    network too costly to validate is refused at once, in words."""
    problem = lesson.problem
    points = len(VALIDATION_SEEDS) + problem.sample_count
    work = []
    for step in lesson.steps:
        entries = problem.shapes[step.wrt][0] * problem.shapes[step.wrt][1]
        passes = PASSES * (entries if entries <= FULL_JACOBIAN_ENTRIES else DIRECTIONS)
        downstream = sum(_size(node) for _, node in problem.downstream(step.of, step.wrt))
        factor = lesson.factors[step.id]
        key = _size(factor.expected)
        mistakes = sum(_size(mistake.expression) + key for mistake in factor.mistakes)
        work.append(points * (passes * max(downstream, 1) + 2 * key + mistakes))
    return work


def _size(node: Node) -> int:
    return 1 + sum(_size(child) for child in children(node))


def _prove(lesson: Lesson, step: Step, budget: float) -> bool | str | None:
    """True (proved), None (undecided) or "timeout"; "not run" without a budget."""
    if budget <= 0:
        return "not run"
    from tutor.engine.prover import prove_derivative

    return prove_derivative(lesson.problem, lesson.factors[step.id].expected, step.of,
                            step.wrt, budget)


def _validate_step(lesson: Lesson, step: Step, budget: float, points: list[Values],
                   displayed: Values, notes: bool = True, *, undecided_budget: float | None = None,
                   why_not: str = "") -> tuple[list[Finding], bool | str | None]:
    """The step's findings, and what became of its proof. ``budget`` is sympy's time for
    a step the differences decide (0: not tried, and ``why_not`` says why);
    ``undecided_budget`` (default: budget) for one they cannot decide, where sympy's is
    the only verdict."""
    def finding(message: str, error: bool = True) -> Finding:
        return Finding(lesson.path, step.line, step.id, message, error)

    problem = lesson.problem
    if not problem.depends_on(step.of, step.wrt):
        return [finding(f"{step.of} does not depend on {step.wrt}; the factor would be zero")], None
    factor = lesson.factors[step.id]
    findings = []
    directions = np.random.default_rng(DIRECTION_SEED)
    undecided = 0
    for values in points:
        key = evaluate(factor.expected, values)
        if not np.all(np.isfinite(key)):  # allclose takes inf for inf: say it first
            findings.append(finding(
                f"the key {step.answer!r} is not a number at drawn values of the inputs (it "
                f"gives {np.round(key, 4).tolist()}), so no answer could be checked there: "
                "draw the inputs where it is defined (draw = \"positive\", or low and high)"))
            return findings, None
        outcome, truth = _compare(problem, step.of, step.wrt, key, values, directions)
        if outcome == WRONG:
            assert truth is not None
            findings.append(finding(
                f"the answer {step.answer!r} is not {step.label}: finite differences give "
                f"{_shown(truth.value)} (each within {float(np.max(truth.error)):.2g}) where "
                f"the key gives {_shown(key)}"))
            return findings, None
        undecided += outcome == UNDECIDED
    # sympy.diff of a deep, wide network can run for many minutes: differentiating and
    # proving both run in the proof worker, killed at the budget. Where the differences
    # cannot decide, the proof is the verdict, so it gets its budget whatever was spent.
    if undecided and undecided_budget is not None:
        budget = max(budget, undecided_budget)
    proof = _prove(lesson, step, budget)
    decided = len(points) - undecided
    agreed = (f"the key agrees with finite differences, within their estimated error, at "
              f"{decided} points")
    if undecided:
        cannot = (f"finite differences cannot decide at {undecided} of the {len(points)} "
                  "drawn points (their error estimate is too large there: a kink within "
                  "the step, an overflow, or values past float precision)")
        if proof is True:
            findings.append(finding(f"{cannot}; sympy proved the key equal to {step.label}",
                                    error=False))
        elif decided == 0:
            findings.append(finding(
                f"the key {step.answer!r} {FD_UNDECIDED}: {cannot}, and sympy could not "
                f"prove it ({_unproved(proof, budget)})"))
            return findings, proof
        else:
            findings.append(finding(f"{cannot}; {agreed}, and sympy could not prove it "
                                    f"({_unproved(proof, budget)})", error=False))
    elif proof == "not run":
        findings.append(finding(f"symbolic check not run ({why_not or 'a budget of 0 s'}); "
                                f"{agreed}", error=False))
    elif proof == "timeout":
        findings.append(finding(
            f"symbolic check skipped: differentiating and proving took longer than {budget:g} s; "
            f"{agreed} (give more time with --budget)", error=False))
    elif proof is not True:
        findings.append(finding(
            f"{agreed}, but sympy could not prove it equal to {step.label} (undecided)",
            error=False))
    for mistake in factor.mistakes:
        if accepted(mistake.text, factor, problem, displayed):
            findings.append(finding(
                f"the mistake {mistake.text!r} is accepted as correct, so its feedback could "
                "never show and it would reject nothing"))
            continue
        if not notes:
            continue
        found = automatic(mistake.expression, factor, problem, displayed)
        if found:
            said = ", ".join(f"{f.code} {f.label or f.factor}" for f in found)
            findings.append(finding(
                f"the mistake {mistake.text!r} is one the engine finds by itself ({said}); "
                "its feedback is still shown, but it is needed only where it explains more",
                error=False))
    return findings, proof


STAMP_NOTE = ("validated by `chain-tutor new`, unchanged since (its stamp holds), so not "
              "checked again; --again checks it")
FD_UNDECIDED = "cannot be confirmed"  # how a key neither check confirms is worded


def _unproved(proof: bool | str | None, budget: float) -> str:
    if proof == "not run":
        return "not run, with no time left for it"
    if proof == "timeout":
        return f"out of time after {budget:g} s"
    return "undecided"


def _shown(array: np.ndarray) -> list:
    return np.round(np.asarray(array, dtype=float), 4).tolist()


def _compare(problem: Problem, of: str, wrt: str, key: np.ndarray, values: Values,
             directions: np.random.Generator) -> tuple[str, Estimate | None]:
    """The key against finite differences at ``values`` (tutor.engine.differences): AGREES, WRONG
    or UNDECIDED, and for WRONG the whole Jacobian by differences, for the message."""
    base = values[wrt]
    if base.size > FULL_JACOBIAN_ENTRIES:
        jacobian = key.reshape(-1, base.size)  # numerator layout and gradients alike
        outcomes = []
        for _ in range(DIRECTIONS):
            direction = directions.standard_normal(base.shape)
            gaps: list[float] = []
            for relative in STEPS:
                estimate, move = differences.along(problem, of, wrt, values, direction,
                                                   relative)
                projected = jacobian @ move.reshape(-1)
                seen = differences.verdict(projected, estimate)
                outcome = _at_step(seen, gaps, estimate)
                if outcome != WRONG or seen != WRONG:
                    break
                gaps.append(differences.gap(projected, estimate))
            outcomes.append(UNDECIDED if outcome == WRONG and _noise(gaps) else outcome)
        if WRONG not in outcomes:
            return (UNDECIDED if UNDECIDED in outcomes else AGREES), None
        return WRONG, differences.jacobian(problem, of, wrt, values)
    gaps: list[float] = []
    wrong_at: Estimate | None = None
    for relative in STEPS:
        estimate = differences.jacobian(problem, of, wrt, values, relative)
        seen = differences.verdict(key, estimate)
        outcome = _at_step(seen, gaps, estimate)
        if outcome != WRONG:
            return outcome, None
        if seen != WRONG:  # too coarse to see the gap: the smaller steps' verdict stands
            break
        gaps.append(differences.gap(key, estimate))
        wrong_at = estimate
    return (UNDECIDED, None) if _noise(gaps) else (WRONG, wrong_at)


def _at_step(seen: str, gaps: list[float], estimate: Estimate) -> str:
    """What a step's verdict means after ``gaps`` at the smaller steps: the first step's
    stands; at a larger one, a verdict that is not "wrong" leaves the key undecided (the
    steps contradict each other), unless this step is too coarse to see the gap the
    others agreed on (its error bound above it): then they stand, and the key is wrong."""
    if seen == WRONG or not gaps:
        return seen
    if len(gaps) >= 2 and differences.resolution(estimate) >= gaps[-1]:
        return WRONG
    return UNDECIDED


# The steps a key is compared at, each only where it was wrong at those before: a key is
# wrong only if wrong at all of them (or at all but a last one too coarse to tell). The
# larger steps see less of a forward pass's rounding (noise/h) and of the steps' own
# rounding where x ± h joins a much larger sum.
STEPS = tuple(differences.RELATIVE_STEP * RECHECK ** k for k in range(3))


def _noise(gaps: list[float]) -> bool:
    """Off at every step, but by a gap that was still shrinking as noise does when the
    step grew the last time: not the key's (differences.NOISE_SHRINK). A key's own error
    is what the gap settles to, once the larger steps have left the noise below it."""
    return gaps[-1] * differences.NOISE_SHRINK < gaps[-2]


def validation_points(lesson: Lesson) -> list[Values]:
    """Where every key is compared with finite differences: the validation seeds' values
    and the lesson's random draws."""
    return [lesson.variant(seed).values for seed in VALIDATION_SEEDS] + lesson.problem.samples


def _validate_compositions(lesson: Lesson, points: list[Values]) -> list[Finding]:
    findings = []
    extended: list[Values] = []

    def keyed() -> list[Values]:
        """Each point with every step's key at it, computed once for all compositions."""
        if not extended:
            extended.extend(dict(values) | {s.id: evaluate(lesson.factors[s.id].expected, values)
                                            for s in lesson.steps} for values in points)
        return extended

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
        for at in keyed():
            if not np.allclose(evaluate(node, at), at[step.id], rtol=1e-9,
                               atol=1e-12):
                findings.append(Finding(lesson.path, step.line, step.id,
                                        f"the factors in composes {step.composes!r} do not "
                                        f"multiply out to {step.label}"))
                break
    return findings


def validate_paths(paths: Sequence[Path | str], symbolic_budget: float = 10.0, *,
                   again: bool = False) -> list[Finding]:
    """Validate lesson files (or folders of them); loading errors are findings too.

    ``symbolic_budget``: seconds for each step's symbolic check, a hard limit. A lesson
    whose stamp holds (tutor.lessons.stamps: `new` validated this very text) is loaded and its
    id compared, but its keys are not checked again, unless ``again``.
    """
    findings: list[Finding] = []
    files = named_files(paths)
    missing = [Path(p) for p in paths if not Path(p).exists() and not Path(p).is_symlink()]
    for path in missing:
        findings.append(Finding(path, None, None, "no such file or folder"))
    ids = _shipped_ids()
    for path in files:
        try:
            lesson = load_lesson(path)
            findings.extend(_id_clash(lesson, ids))
            if not again and stamp_holds(read_lesson_text(path)):
                findings.append(Finding(path, None, None, STAMP_NOTE, error=False))
                continue
            findings.extend(validate_lesson(lesson, symbolic_budget))
        except LessonError as error:
            findings.append(Finding(error.path or path, error.line, error.step, error.message))
        except Exception as error:  # noqa: BLE001 - the other files are still validated
            findings.append(Finding(path, None, None, unforeseen(error, path).message))
    return findings


def named_files(paths: Sequence[Path | str]) -> list[Path]:
    """The files `validate` reads: each folder's lesson files, and every other path given
    as it is, so a named pipe or a device named on the command line is read, and refused
    with its reason, as it is inside a folder, never passed over as zero files."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += lesson_files([path])
        elif path.exists() or path.is_symlink():
            files.append(path)
    return files


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
