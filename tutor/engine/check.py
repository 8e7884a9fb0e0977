"""Decide whether an answer is one chain-rule factor, and when it is not, say why.

Order of questions: does it parse, is it well-shaped, is it made only of numbers
(then compare with this variant's numbers to hand precision), has it the factor's
shape, is it numerically equal at the displayed values and at random draws of the
inputs, and only then can sympy prove it. Wrong answers are compared with the
lesson's declared mistakes and with the usual slips (transpose, sign, scale, a
vector where a diagonal matrix belongs), and with the structural variants of the
step's chain (a factor missing, extra, swapped, transposed, or σ′ at the wrong point).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tutor.engine import numbers
from tutor.engine.chains import StepFactor
from tutor.engine.diagnose import diagnose, ill_shaped_mistake, rounding_sentence
from tutor.engine.errors import EngineError, Suggestion
from tutor.engine.explain import explain
from tutor.engine.functions import FUNCTIONS, Shape
from tutor.engine.nodes import BinOp, Call, Node, Num, children, names_in, to_text
from tutor.engine.numbers import EXACT, HAND, Tolerance
from tutor.engine.numeric import evaluate
from tutor.engine.parser import parse
from tutor.engine.precedence import regrouping
from tutor.engine.problem import Problem, Values
from tutor.engine.shapes import infer_shape, shapes_alone
from tutor.engine.structural import NOTHING, Finding, missing_by_presence


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
    tolerance: Tolerance = HAND  # for answers made only of numbers
    # The lesson's steps by id and this step's id, so that its chain (tutor.engine.chains)
    # names its links by their labels and expands the steps its `composes` names.
    step: str | None = None
    steps: Mapping[str, StepFactor] | None = field(default=None, compare=False, repr=False)
    # The chain, derived on the first wrong answer and shared by every seed.
    memo: dict = field(default_factory=dict, compare=False, repr=False)


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
    entries: tuple[tuple[int, int], ...] = ()  # wrong entries at this variant's values, 1-based
    value: np.ndarray | None = field(default=None, compare=False, repr=False)  # at those values
    suggestions: tuple[Suggestion, ...] = ()
    findings: tuple[Finding, ...] = ()  # structural: which factor of the chain, and how

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    @property
    def counts_as_attempt(self) -> bool:
        """An invalid answer (it does not parse, its shapes clash, or its numbers are the
        factor rounded to too few figures) costs no attempt."""
        return self.verdict != "invalid"

    def to_json(self) -> dict:
        return {
            "verdict": self.verdict,
            "feedback": self.feedback,
            "diagnosis": list(self.diagnosis),
            "checks": {"numeric": self.numeric, "symbolic": self.symbolic},
            "shape": list(self.shape) if self.shape else None,
            "canonical": self.canonical,
            "entries": [list(entry) for entry in self.entries],
            "suggestions": [suggestion.to_json() for suggestion in self.suggestions],
            "findings": [finding.to_json() for finding in self.findings],
        }


@dataclass(frozen=True)
class Parsed:
    node: Node
    shape: Shape


def read_answer(text: str, problem: Problem) -> Parsed:
    """Parse and shape-check an answer; raises EngineError (the answer is invalid)."""
    node = parse(text, problem.names, wording=problem.wording)
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
        node = parse(text, problem.names, wording=problem.wording)
    except EngineError as problem_:
        return _invalid(problem_, text)
    try:
        shape = infer_shape(node, problem.shapes)
    except EngineError as shape_error:
        mistake = None
        if shape_error.kind == "shape":
            mistake = ill_shaped_mistake(node, factor, problem, displayed)
        shown = redacted(shape_error, factor, problem, displayed)
        if mistake is not None:
            # Its numbers are numpy's broadcasting, so only the factors it writes can be
            # compared with the chain's (the posted closed form lacks W2 and xᵀ).
            found = missing_by_presence(node, factor, problem, [displayed, *problem.samples],
                                        broadcast=True)
            return Verdict(
                "incorrect",
                f"{mistake.feedback}\n\n{shown.describe(text)}",
                ("known-mistake", "shape", *found.codes),
                numeric=False,
                canonical=to_text(node),
                suggestions=shown.suggestions,
                findings=found.findings,
            )
        points = [displayed, *problem.samples]
        if shape_error.kind == "shape" and (meant := regrouping(
                text, node, factor.shape, problem, points,
                [evaluate(factor.expected, values) for values in points])):
            # Right as it was meant: saying where the parentheses go would be the factor for
            # free if a clash cost nothing, so, as a predicted mistake that clashes, it counts.
            return Verdict("incorrect", f"{meant.sentence}\n\n{shown.message}",
                           ("precedence", "shape"), numeric=False, canonical=to_text(node),
                           findings=tuple(Finding("precedence", s) for s in meant.spots))
        return _invalid(shown, text)
    canonical = to_text(node)
    key = evaluate(factor.expected, displayed)
    if not np.all(np.isfinite(key)):
        return _key_not_a_number(factor, key, canonical)
    if typed_numbers(node):
        return _check_numbers(node, shape, factor, problem, displayed, canonical)
    points = [displayed, *problem.samples]
    answers = [evaluate(node, values) for values in points]
    expected = [evaluate(factor.expected, values) for values in points]
    if shape == factor.shape and (verified := _verified(answers, expected)):
        return _prove(node, factor, problem, shape, canonical, symbolic_budget, verified)
    if meant := regrouping(text, node, factor.shape, problem, points, expected):
        return Verdict("incorrect", meant.sentence, ("precedence",), numeric=False,
                       shape=shape, canonical=canonical,
                       findings=tuple(Finding("precedence", s) for s in meant.spots))
    if shape != factor.shape:
        return _wrong(node, factor, problem, shape, canonical, answers, expected, points, EXACT)
    if numbers.close(answers[0], expected[0], EXACT):
        # A slip this variant happens to hide (a factor left out that is the identity
        # here: a relu whose inputs are all positive) shows at the other points.
        chain = explain(node, factor, problem, answers, shape, points, EXACT, typed=False)
        if chain.findings:
            return _wrong(node, factor, problem, shape, canonical, answers, expected, points,
                          EXACT)
        why = ("Numbers typed into an expression stay fixed when the inputs change; write "
               "the factor in terms of the lesson's names." if _has_decimals(node) else
               "It agrees here only because of this variant's values; write the factor as "
               "it holds for any values of the inputs.")
        return Verdict(
            "incorrect",
            "Your answer matches this variant's numbers but not other values of the inputs, "
            f"so it is not the general factor. {why}",
            ("specific-values",),
            numeric=False,
            shape=shape,
            canonical=canonical,
        )
    return _wrong(node, factor, problem, shape, canonical, answers, expected, points, EXACT)


def _verified(answers: list[np.ndarray], expected: list[np.ndarray]) -> int:
    """At how many points an expression's answer is verified correct: equal to the key
    wherever the key is a number (0: it is not, or the key is a number nowhere)."""
    usable = [i for i, e in enumerate(expected) if np.all(np.isfinite(e))]
    if all(numbers.close(answers[i], expected[i], EXACT) for i in usable):
        return len(usable)
    return 0


def accepted(text: str, factor: Factor, problem: Problem, displayed: Values) -> bool:
    """Whether check_answer would call ``text`` correct, without working out what is wrong
    with it otherwise: validation asks this of each declared mistake, and the chain
    diagnoses of a wrong answer take a second on a deep network's step."""
    try:
        node = parse(text, problem.names, wording=problem.wording)
        shape = infer_shape(node, problem.shapes)
    except EngineError:
        return False
    if shape != factor.shape:
        return False
    if typed_numbers(node):
        return numbers.close(evaluate(node, displayed), evaluate(factor.expected, displayed),
                             factor.tolerance)
    points = [displayed, *problem.samples]
    return _verified([evaluate(node, values) for values in points],
                     [evaluate(factor.expected, values) for values in points]) > 0


def typed_numbers(node: Node) -> bool:
    """Numbers the student worked out at this variant (checked to the hand rule, here
    only): no names, and no eye or ones (functions whose arguments are sizes), which
    state a formula (relu′ = eye(2)), not numbers, so they must hold for any values, as
    an expression must."""
    if names_in(node):
        return False
    return not _builds_constants(node)


def _builds_constants(node: Node) -> bool:
    if isinstance(node, Call) and node.func in FUNCTIONS and FUNCTIONS[node.func].constant_args:
        return True
    return any(_builds_constants(child) for child in children(node))


def _has_decimals(node: Node) -> bool:
    """Whether a number the student typed is more than a small integer (a size, a 2)."""
    if isinstance(node, Num):
        try:
            value = float(node.text)
        except ValueError:
            return True
        return not (value.is_integer() and abs(value) <= 10)
    return any(_has_decimals(child) for child in children(node))


GIVEN_AWAY = ("The sizes can be made to fit, and doing so would give the factor itself: "
              "work out from the shapes above which factor goes where, and which is "
              "transposed.")


def redacted(error: EngineError, factor: Factor, problem: Problem, displayed: Values
             ) -> EngineError:
    """``error`` with only the rewrites this step may offer: a fix for a shape clash must
    not hand over the answer for free (a clash costs no attempt), nor steer to a wrong
    answer (which then costs one). So a rewrite is offered only when the answer with it
    has the factor's shape and its numbers are not known to be wrong; the rewrites are
    alternatives of one sentence, so one that fails withdraws them all, and the shapes
    are explained alone instead."""
    if not error.suggestions:
        return error
    if any(_is_the_factor(s.node, factor, problem, displayed)
           or _is_the_factor(s.whole, factor, problem, displayed) for s in error.suggestions):
        advice = GIVEN_AWAY
    elif all(_may_offer(s.whole, factor, problem, displayed) for s in error.suggestions):
        return error
    else:
        culprit = error.suggestions[0].replaces
        if not isinstance(culprit, BinOp):
            advice = None
        else:
            whole = error.suggestions[0].whole is error.suggestions[0].node
            advice = shapes_alone(culprit, whole, factor.label, factor.shape, problem.shapes)
    return EngineError(error.message, error.start, error.end, kind=error.kind,
                       suggestion=advice)


def _is_the_factor(node: Node | None, factor: Factor, problem: Problem, displayed: Values
                   ) -> bool:
    if node is None:
        return False
    try:
        if infer_shape(node, problem.shapes) != factor.shape:
            return False
    except EngineError:
        return False
    points = [displayed, *problem.samples]
    return all(numbers.close(evaluate(node, p), evaluate(factor.expected, p), EXACT)
               for p in points)


def _may_offer(whole: Node | None, factor: Factor, problem: Problem, displayed: Values
               ) -> bool:
    """Whether ``whole``, an answer as a rewrite would make it, has the factor's shape and
    is not known to be wrong: it differs from the key nowhere the key is a number. (One
    that matches the key is the factor itself, given away; so in a step, what remains is
    only an answer the numbers cannot judge.)"""
    if whole is None:  # built by hand, not by infer_shape: cannot be judged, so not offered
        return False
    try:
        if infer_shape(whole, problem.shapes) != factor.shape:
            return False
    except EngineError:
        return False
    for values in [displayed, *problem.samples]:
        key = evaluate(factor.expected, values)
        if np.all(np.isfinite(key)) and not numbers.close(evaluate(whole, values), key, EXACT):
            return False
    return True


def _key_not_a_number(factor: Factor, key: np.ndarray, canonical: str) -> Verdict:
    """The lesson's own key is not a number at this variant (a pole the lesson let
    through): no answer can be judged against it, so none is correct, and the student
    is told it is the lesson's fault; it costs no attempt."""
    return Verdict(
        "invalid",
        f"This variant's key for {factor.label} is not a number ({_entries_text(key)}): an "
        "internal error of the lesson, not of your answer, so it cannot be checked here. "
        "Try another variant, and tell the lesson's author.",
        ("key-not-a-number",),
        canonical=canonical,
    )


def _entries_text(key: np.ndarray) -> str:
    shown = [str(v) for v in key.reshape(-1)[:4]]
    return ", ".join(shown) + (", …" if key.size > 4 else "")


def _invalid(error: EngineError, text: str) -> Verdict:
    return Verdict("invalid", error.describe(text), (), canonical="", error=error,
                   suggestions=error.suggestions)


def _prove(node, factor, problem, shape, canonical, budget, points) -> Verdict:
    from tutor.engine.problem import MAX_SYMBOLIC_SIZE

    size = problem.symbolic_size(node) + problem.symbolic_size(factor.expected)
    proof: bool | str | None
    if node == factor.expected:  # the same tree: nothing to prove
        proof = True
    elif size > MAX_SYMBOLIC_SIZE:
        proof = "timeout"
    else:
        from tutor.engine.prover import prove

        proof = prove(problem, node, factor.expected, budget)
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
    if shape == factor.shape and numbers.close(answer, expected, factor.tolerance):
        return Verdict(
            "correct",
            f"✓ Correct: these numbers are {factor.label} at this variant's values "
            f"(each entry to {numbers.figures_text(factor.tolerance.figures)}).",
            (),
            numeric=True,
            symbolic=None,
            shape=shape,
            canonical=canonical,
        )
    if shape == factor.shape and (given := numbers.figures_given(answer, expected,
                                                                 factor.tolerance)):
        # The mathematics is right and only the rounding is short: like an invalid
        # answer, it costs no attempt (rules.counts), but it is said why.
        return Verdict("invalid", rounding_sentence(factor, given, factor.tolerance),
                       ("precision",), numeric=False, shape=shape, canonical=canonical,
                       entries=numbers.off_entries(answer, expected, factor.tolerance))
    return _wrong(node, factor, problem, shape, canonical, [answer], [expected], [displayed],
                  factor.tolerance)


def _wrong(node, factor, problem, shape, canonical, answers, expected, points, tolerance
           ) -> Verdict:
    """``tolerance`` is the hand rule for number-only answers, EXACT for expressions."""
    chain = NOTHING
    if all(np.all(np.isfinite(answer)) for answer in answers):
        chain = explain(node, factor, problem, answers, shape, points, tolerance,
                           typed=tolerance != EXACT)
    found = diagnose(factor, shape, answers, expected, points, tolerance, chain)
    return Verdict(
        "incorrect",
        "\n".join(found.sentences),
        found.codes,
        numeric=False,
        symbolic=None,
        shape=shape,
        canonical=canonical,
        entries=found.entries,
        value=answers[0] if found.entries else None,
        findings=chain.findings,
    )
