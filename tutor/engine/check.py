"""Decide whether an answer is one chain-rule factor, and when it is not, say why.

Order of questions: does it parse, is it well-shaped, is it made only of numbers
(then compare with this variant's numbers to hand precision), has it the factor's
shape, is it numerically equal at the displayed values and at random draws of the
inputs, and only then can sympy prove it. Wrong answers are compared with the
lesson's declared mistakes and with the usual slips (transpose, sign, scale, a
vector where a diagonal matrix belongs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tutor.engine.errors import EngineError
from tutor.engine.functions import Shape, shape_text
from tutor.engine.nodes import Node, names_in, to_text
from tutor.engine.numeric import evaluate
from tutor.engine.parser import parse
from tutor.engine.problem import Problem, Values
from tutor.engine.shapes import infer_shape

EXACT_RTOL = 1e-7
EXACT_ATOL = 1e-9
HAND_RTOL = 5e-3  # three significant figures
HAND_ATOL = 5e-4


@dataclass(frozen=True)
class Mistake:
    """A wrong answer a lesson predicts, with the feedback that explains it."""

    expression: Node
    feedback: str
    text: str = ""


@dataclass(frozen=True)
class Factor:
    """What one step asks for: the expected expression, its shape, and predicted mistakes."""

    expected: Node
    shape: Shape
    label: str = "the factor"  # e.g. "∂f/∂h2", used in feedback
    mistakes: tuple[Mistake, ...] = ()
    rtol: float = HAND_RTOL
    atol: float = HAND_ATOL


@dataclass(frozen=True)
class Verdict:
    verdict: str  # "correct" | "incorrect" | "invalid"
    feedback: str
    diagnosis: tuple[str, ...] = ()
    numeric: bool | None = None
    symbolic: bool | str | None = None
    shape: Shape | None = None
    canonical: str = ""
    error: EngineError | None = field(default=None, compare=False)

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    @property
    def counts_as_attempt(self) -> bool:
        """An invalid answer (it does not parse, or its shapes clash) costs no attempt."""
        return self.verdict != "invalid"

    def to_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "feedback": self.feedback,
            "diagnosis": list(self.diagnosis),
            "checks": {"numeric": self.numeric, "symbolic": self.symbolic},
            "shape": list(self.shape) if self.shape else None,
            "canonical": self.canonical,
        }


@dataclass(frozen=True)
class Parsed:
    node: Node
    shape: Shape


def read_answer(text: str, problem: Problem) -> Parsed:
    """Parse and shape-check an answer; raises EngineError (the answer is invalid)."""
    node = parse(text, problem.names)
    return Parsed(node, infer_shape(node, problem.shapes))


def check_answer(
    text: str,
    factor: Factor,
    problem: Problem,
    displayed: Values,
    symbolic_budget: float = 1.0,
) -> Verdict:
    """The verdict on ``text`` as an answer for ``factor``.

    ``displayed`` holds the values the student sees (every input and intermediate).
    """
    try:
        node = parse(text, problem.names)
    except EngineError as problem_:
        return _invalid(problem_, text)
    try:
        shape = infer_shape(node, problem.shapes)
    except EngineError as shape_error:
        mistake = None
        if shape_error.kind == "shape":
            mistake = _ill_shaped_mistake(node, factor, problem, displayed)
        if mistake is not None:
            return Verdict(
                "incorrect",
                f"{mistake.feedback}\n\n{shape_error.describe(text)}",
                ("known-mistake", "shape"),
                numeric=False,
                canonical=to_text(node),
            )
        return _invalid(shape_error, text)
    canonical = to_text(node)
    if not names_in(node):
        return _check_numbers(node, shape, factor, problem, displayed, canonical)
    points = [displayed, *problem.samples]
    answers = [evaluate(node, values) for values in points]
    expected = [evaluate(factor.expected, values) for values in points]
    if shape != factor.shape:
        return _wrong(factor, shape, canonical, answers, expected, node, points, exact=True)
    usable = [i for i, e in enumerate(expected) if np.all(np.isfinite(e))]
    # all() of nothing is True: with no finite expected value, nothing was verified.
    if usable and all(_close(answers[i], expected[i], exact=True) for i in usable):
        return _prove(node, factor, problem, shape, canonical, symbolic_budget, len(usable))
    if _close(answers[0], expected[0], exact=True):
        return Verdict(
            "incorrect",
            "Your answer matches this variant's numbers but not other values of the inputs, "
            "so it is not the general factor. Numbers typed into an expression stay fixed "
            "when the inputs change; write the factor in terms of the lesson's names.",
            ("specific-values",),
            numeric=False,
            shape=shape,
            canonical=canonical,
        )
    return _wrong(factor, shape, canonical, answers, expected, node, points, exact=True)


def _invalid(error: EngineError, text: str) -> Verdict:
    return Verdict("invalid", error.describe(text), (), canonical="", error=error)


def _close(answer: np.ndarray, expected: np.ndarray, exact: bool, factor: Factor | None = None):
    if answer.shape != expected.shape or not np.all(np.isfinite(answer)):
        return False
    if exact:
        scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
        return bool(np.allclose(answer, expected, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale))
    assert factor is not None
    return bool(np.allclose(answer, expected, rtol=factor.rtol, atol=factor.atol))


def _prove(node, factor, problem, shape, canonical, budget, points) -> Verdict:
    from tutor.engine.problem import MAX_SYMBOLIC_SIZE

    size = problem.symbolic_size(node) + problem.symbolic_size(factor.expected)
    proof: bool | str | None
    if node == factor.expected:  # the same tree: nothing to prove
        proof = True
    elif size > MAX_SYMBOLIC_SIZE:
        proof = "timeout"
    else:
        from tutor.engine.symbolic import prove_equal, to_sympy

        env = problem.symbols
        proof = prove_equal(to_sympy(node, env), to_sympy(factor.expected, env), budget)
    if proof is True:
        how = "proved equal symbolically"
    elif proof == "timeout":
        how = f"verified numerically at {points} points; the symbolic proof timed out"
    else:
        how = f"verified numerically at {points} points; sympy could not decide it symbolically"
    shown = canonical if len(canonical) <= 60 else "your answer"
    return Verdict(
        "correct",
        f"✓ Correct: {shown} is {factor.label} ({how}).",
        (),
        numeric=True,
        symbolic=proof if proof is not None else None,
        shape=shape,
        canonical=canonical,
    )


def _check_numbers(node, shape, factor, problem, displayed, canonical) -> Verdict:
    answer = evaluate(node, displayed)
    expected = evaluate(factor.expected, displayed)
    if shape == factor.shape and _close(answer, expected, exact=False, factor=factor):
        return Verdict(
            "correct",
            f"✓ Correct: these numbers are {factor.label} at this variant's values "
            f"(to about three significant figures).",
            (),
            numeric=True,
            symbolic=None,
            shape=shape,
            canonical=canonical,
        )
    return _wrong(factor, shape, canonical, [answer], [expected], node, [displayed], exact=False)


def _wrong(factor, shape, canonical, answers, expected, node, points, exact) -> Verdict:
    codes, sentences = _diagnose(factor, shape, answers, expected, exact)
    mistake = _matching_mistake(factor, answers, points, exact)
    if mistake is not None:
        # The author's explanation is the most specific one; the generic ones would only
        # repeat it less well, so only their codes are kept.
        codes.insert(0, "known-mistake")
        sentences = [mistake.feedback]
    if not sentences:
        sentences.append(
            f"Not {factor.label}: the shape ({shape_text(shape)}) is right, but the values "
            "are not. Check each factor of the chain, and which products are matrix "
            "products (@) and which are elementwise (*)."
        )
    return Verdict(
        "incorrect",
        "\n".join(sentences),
        tuple(dict.fromkeys(codes)),
        numeric=False,
        symbolic=None,
        shape=shape,
        canonical=canonical,
    )


def _all(test, answers, expected) -> bool:
    pairs = [(a, e) for a, e in zip(answers, expected, strict=True) if np.all(np.isfinite(e))]
    return bool(pairs) and all(test(a, e) for a, e in pairs)


def _diagnose(factor, shape, answers, expected, exact) -> tuple[list[str], list[str]]:
    def close(a, e):
        return _close(a, e, exact, factor)

    want = factor.shape
    codes: list[str] = []
    sentences: list[str] = []
    if shape != want:
        codes.append("shape")
        if _all(lambda a, e: close(np.diag(a.reshape(-1)), e), answers, expected) and (
            min(shape) == 1 and want[0] == want[1] and want[0] > 1
        ):
            codes.append("vector-vs-diag")
            sentences.append(
                f"You gave a vector ({shape_text(shape)}) where {factor.label} is the "
                f"{shape_text(want)} diagonal matrix with those entries on its diagonal. When "
                "each output depends only on the matching input (an elementwise function, "
                "such as σ'(z) for σ), the Jacobian is diagonal: wrap your vector in diag(...)."
            )
        elif min(want) == 1 and shape[0] == shape[1] and _all(
            lambda a, e: close(a, np.diag(e.reshape(-1))), answers, expected
        ):
            codes.append("vector-vs-diag")
            sentences.append(
                f"You gave a diagonal matrix ({shape_text(shape)}) where {factor.label} is a "
                f"{shape_text(want)} {'row' if want[0] == 1 else 'column'}: give the "
                f"{'row' if want[0] == 1 else 'column'} of those diagonal entries instead."
            )
        elif shape == (want[1], want[0]):
            if _all(lambda a, e: close(a.T, e), answers, expected):
                codes.append("transpose")
                sentences.append(
                    f"Your answer is the transpose of {factor.label}: it should be "
                    f"{shape_text(want)}, you gave {shape_text(shape)}. In numerator layout "
                    "∂y/∂x has dim(y) rows and dim(x) columns."
                )
            else:
                sentences.append(
                    f"Expected a {shape_text(want)} matrix, got {shape_text(shape)}: the "
                    "transposed shape. In numerator layout ∂y/∂x has dim(y) rows and dim(x) "
                    "columns."
                )
        else:
            sentences.append(f"Expected a {shape_text(want)} matrix, got {shape_text(shape)}.")
        return codes, sentences
    if want[0] == want[1] and want[0] > 1 and _all(lambda a, e: close(a.T, e), answers, expected):
        codes.append("transpose")
        sentences.append(
            f"Your answer is the transpose of {factor.label}. Square matrices pass every "
            "shape check, so this slip hides easily: in numerator layout row i belongs to "
            "output i and column j to input j."
        )
    elif _all(lambda a, e: close(a, -e), answers, expected):
        codes.append("sign")
        sentences.append(f"Your answer has the wrong sign: it is −1 times {factor.label}.")
    else:
        factor_ = _common_scale(answers, expected)
        if factor_ is not None and _all(lambda a, e: close(a, factor_ * e), answers, expected):
            codes.append("scale")
            sentences.append(
                f"Your answer is {factor_:.4g} times {factor.label}: a constant factor is off "
                "(a stray 2, ½ or a missing term of the chain that is a constant here)."
            )
    return codes, sentences


def _common_scale(answers, expected) -> float | None:
    a, e = answers[0].reshape(-1), expected[0].reshape(-1)
    norm = float(e @ e)
    if norm == 0 or not np.all(np.isfinite(a)):
        return None
    scale = float(a @ e) / norm
    if abs(scale) < 1e-9 or np.isclose(abs(scale), 1.0):
        return None
    return scale


def _matching_mistake(factor: Factor, answers, points, exact) -> Mistake | None:
    for mistake in factor.mistakes:
        values = [_broadcast_value(mistake.expression, p) for p in points]
        if _all(lambda a, m: _close(a, m, exact, factor), answers, values):
            return mistake
    return None


def _broadcast_value(node: Node, values: Mapping[str, np.ndarray]) -> np.ndarray | None:
    return evaluate(node, values, broadcast=True)


def _ill_shaped_mistake(node, factor, problem, displayed) -> Mistake | None:
    """An answer whose shapes clash may still be a declared mistake, compared as numpy would."""
    if not factor.mistakes:
        return None
    try:
        infer_shape(node, problem.shapes, broadcast=True)
    except EngineError:
        return None
    points = [displayed, *problem.samples]
    answers = [_broadcast_value(node, p) for p in points]
    return _matching_mistake(factor, answers, points, exact=True)
