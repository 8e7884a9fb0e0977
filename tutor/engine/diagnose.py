"""Why a wrong answer is wrong: the lesson's predicted mistakes, the usual slips, which entries.

A diagnosis is tried against the answer's values at every point the checker used
(only this variant's values for an answer made of numbers), with the same rule of
closeness as the verdict itself, so a slip is named only when it explains the
answer at every point. The slips, in the order they are tried: a vector where a
diagonal matrix belongs (or the reverse), a transpose, the sign, a constant
factor, and for typed numbers a near miss (``precision``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.errors import EngineError
from tutor.engine.functions import Shape, shape_text
from tutor.engine.nodes import Node
from tutor.engine.numbers import EXACT, Tolerance
from tutor.engine.numeric import evaluate
from tutor.engine.shapes import infer_shape

if TYPE_CHECKING:
    from tutor.engine.check import Factor, Mistake
    from tutor.engine.problem import Problem, Values
    from tutor.engine.structural import Structural

Arrays = Sequence[np.ndarray]


@dataclass(frozen=True)
class Diagnosis:
    codes: tuple[str, ...]
    sentences: tuple[str, ...]
    entries: tuple[tuple[int, int], ...] = ()  # 1-based, at this variant's values


def diagnose(factor: Factor, shape: Shape, answers: Arrays, expected: Arrays,
             points: Sequence[Values], tolerance: Tolerance,
             chain: Structural | None = None) -> Diagnosis:
    """``answers[0]``/``expected[0]`` are at this variant's values, the rest at samples.

    ``chain``: what the step's chain found (tutor.engine.structural), said after the slips.
    """
    codes, sentences = _slips(factor, shape, answers, expected, tolerance)
    if chain is not None:
        codes.extend(chain.codes)
        sentences.extend(chain.sentences)
    entries = ()
    if shape == factor.shape and np.all(np.isfinite(expected[0])):
        entries = numbers.off_entries(answers[0], expected[0], tolerance)
    mistake = matching_mistake(factor, answers, points, tolerance)
    if mistake is not None:
        # The author's explanation is the most specific one; the generic ones would only
        # repeat it less well, so only their codes are kept.
        codes.insert(0, "known-mistake")
        sentences = [mistake.feedback]
    if not sentences:
        sentences.append(_values_sentence(factor, shape, entries, tolerance))
    return Diagnosis(tuple(dict.fromkeys(codes)), tuple(sentences), entries)


def _values_sentence(factor: Factor, shape: Shape, entries, tolerance: Tolerance) -> str:
    text = f"Not {factor.label}: the shape ({shape_text(shape)}) is right, but the values are not"
    right = shape[0] * shape[1] - len(entries)
    typed = tolerance != EXACT
    if entries and shape != (1, 1) and (typed or right):
        text += f": {numbers.entries_off(entries, shape)}"
        if not typed:
            text += " at this variant's values"
        if right:
            text += ", the other is right" if right == 1 else ", the others are right"
    if factor.shape == (1, 1):
        return f"{text}. Check each factor of the chain."
    return (f"{text}. Check each factor of the chain, and which products are matrix "
            "products (@) and which are elementwise (*).")


def _all(test: Callable[[np.ndarray, np.ndarray], bool], answers: Arrays, expected: Arrays
         ) -> bool:
    pairs = [(a, e) for a, e in zip(answers, expected, strict=True) if np.all(np.isfinite(e))]
    return bool(pairs) and all(test(a, e) for a, e in pairs)


def _slips(factor: Factor, shape: Shape, answers: Arrays, expected: Arrays,
           tolerance: Tolerance) -> tuple[list[str], list[str]]:
    def close(a, e):
        return numbers.close(a, e, tolerance)

    want = factor.shape
    if shape != want:
        return _shape_slips(factor, shape, answers, expected, close)
    if want[0] == want[1] and want[0] > 1 and _all(lambda a, e: close(a.T, e), answers, expected):
        return ["transpose"], [
            f"Your answer is the transpose of {factor.label}. Square matrices pass every "
            "shape check, so this slip hides easily: in numerator layout row i belongs to "
            "output i and column j to input j."
        ]
    if _all(lambda a, e: close(a, -e), answers, expected):
        return ["sign"], [f"Your answer has the wrong sign: it is −1 times {factor.label}."]
    scale = _constant_factor(answers, expected, tolerance)
    if scale is not None:
        return ["scale"], [_scale_sentence(scale, factor.label, factor.shape == (1, 1))]
    if tolerance != EXACT and numbers.near_miss(answers[0], expected[0], tolerance):
        return ["precision"], [_precision_sentence(factor, answers[0], expected[0], tolerance)]
    return [], []


def _shape_slips(factor: Factor, shape: Shape, answers: Arrays, expected: Arrays, close
                 ) -> tuple[list[str], list[str]]:
    want = factor.shape
    if _all(lambda a, e: close(np.diag(a.reshape(-1)), e), answers, expected) and (
        min(shape) == 1 and want[0] == want[1] and want[0] > 1
    ):
        return ["shape", "vector-vs-diag"], [
            f"You gave a vector ({shape_text(shape)}) where {factor.label} is the "
            f"{shape_text(want)} diagonal matrix with those entries on its diagonal. When "
            "each output depends only on the matching input (an elementwise function, "
            "such as σ'(z) for σ), the Jacobian is diagonal: wrap your vector in diag(...)."
        ]
    if min(want) == 1 and shape[0] == shape[1] and _all(
        lambda a, e: close(a, np.diag(e.reshape(-1))), answers, expected
    ):
        kind = "row" if want[0] == 1 else "column"
        return ["shape", "vector-vs-diag"], [
            f"You gave a diagonal matrix ({shape_text(shape)}) where {factor.label} is a "
            f"{shape_text(want)} {kind}: give the {kind} of those diagonal entries instead."
        ]
    if shape == (want[1], want[0]):
        if _all(lambda a, e: close(a.T, e), answers, expected):
            return ["shape", "transpose"], [
                f"Your answer is the transpose of {factor.label}: it should be "
                f"{shape_text(want)}, you gave {shape_text(shape)}. In numerator layout "
                "∂y/∂x has dim(y) rows and dim(x) columns."
            ]
        return ["shape"], [
            f"Expected a {shape_text(want)} matrix, got {shape_text(shape)}: the "
            "transposed shape. In numerator layout ∂y/∂x has dim(y) rows and dim(x) columns."
        ]
    return ["shape"], [f"Expected a {shape_text(want)} matrix, got {shape_text(shape)}."]


def _constant_factor(answers: Arrays, expected: Arrays, tolerance: Tolerance) -> float | None:
    """The constant c with answer = c·factor at every point, if there is one.

    From an expression (exact, several points) any c that holds everywhere is a real
    constant. From typed numbers (one point) only a constant a hand slip produces
    counts: a ratio of 1.014 is a matter of precision, not a stray factor.
    """
    scale = numbers.fitted_scale(answers[0], expected[0])
    if scale is None or abs(scale) < 1e-9 or np.isclose(abs(scale), 1.0):
        return None
    if tolerance != EXACT:
        scale = numbers.nice_scale(scale, tolerance)
        if scale is None:
            return None
    if _all(lambda a, e: numbers.close(a, scale * e, tolerance), answers, expected):
        return scale
    return None


def _scale_sentence(scale: float, label: str, scalar: bool = False) -> str:
    if scalar:  # for a 1×1 factor the multiple would be the answer itself
        return (f"Your answer is a constant multiple of {label}: a constant factor is off (a "
                "stray 2, ½, a slipped decimal point or a missing term of the chain).")
    shown = numbers.scale_text(scale)
    if abs(np.log10(abs(scale)) - round(np.log10(abs(scale)))) < 1e-9:
        return (f"Your answer is {shown} times {label}: the digits are right, but the decimal "
                "point has slipped.")
    return (f"Your answer is {shown} times {label}: a constant factor is off (a stray 2, "
            "½ or a missing term of the chain that is a constant here).")


def _precision_sentence(factor: Factor, answer: np.ndarray, expected: np.ndarray,
                        tolerance: Tolerance) -> str:
    entries = numbers.off_entries(answer, expected, tolerance)
    largest = float(np.max(np.abs(expected)))
    with np.errstate(all="ignore"):
        relative = np.abs(answer - expected) / np.maximum(np.abs(expected), 1e-300)
    worst = max(float(relative[i - 1, j - 1]) for i, j in entries)
    by = ""
    if worst < 1 and largest > 0:
        by = f" by {worst:.1%}" if len(entries) == 1 else f" by up to {worst:.1%}"
    return (
        f"Close to {factor.label}, but not close enough: "
        f"{numbers.entries_off(entries, factor.shape)}{by}. Give each "
        f"entry to {numbers.figures_text(tolerance.figures)}, working from the values as shown."
    )


def rounding_sentence(factor: Factor, figures: int, tolerance: Tolerance) -> str:
    """For an answer that is the factor rounded to ``figures`` (numbers.figures_given)."""
    wanted = numbers.figures_text(tolerance.figures)
    agree = "Your number agrees" if factor.shape == (1, 1) else "Your numbers agree"
    each = "" if factor.shape == (1, 1) else f": each entry to {wanted}"
    return (f"{agree} with {factor.label} to {numbers.figures_text(figures)}; give "
            f"{wanted.split()[0]}{each}, working from the values as shown.")


def matching_mistake(factor: Factor, answers: Arrays, points: Sequence[Values],
                     tolerance: Tolerance) -> Mistake | None:
    for mistake in factor.mistakes:
        values = [_broadcast_value(mistake.expression, p) for p in points]
        if _all(lambda a, m: numbers.close(a, m, tolerance), answers, values):
            return mistake
    return None


def _broadcast_value(node: Node, values: Mapping[str, np.ndarray]) -> np.ndarray:
    return evaluate(node, values, broadcast=True)


def ill_shaped_mistake(node: Node, factor: Factor, problem: Problem, displayed: Values
                       ) -> Mistake | None:
    """An answer whose shapes clash may still be a declared mistake, compared as numpy would."""
    if not factor.mistakes:
        return None
    try:
        infer_shape(node, problem.shapes, broadcast=True)
    except EngineError:
        return None
    points = [displayed, *problem.samples]
    answers = [_broadcast_value(node, p) for p in points]
    return matching_mistake(factor, answers, points, EXACT)
