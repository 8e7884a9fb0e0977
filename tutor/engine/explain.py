"""Which slip explains a wrong answer: the chain's, the key's mutations, or factors missing.

Why one door: the chain diagnoses (tutor.engine.chains) and the key's mutations
(tutor.engine.mutations) both derive wrong answers from the key, and several can equal one
answer; the most specific is said. The order: a slip of the chain (a factor left out, extra,
swapped, transposed, σ′ at the output); else one mutation of the key (the wrong quantity, σ
for σ′, ⊙ for @, softmax as if elementwise, a closed form at the input, a path or a batch's
sum left out); else two slips at once (a chain slip with a mutation, or two mutations); and
for an expression, factors of the chain its written factors lack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.edits import Edit
from tutor.engine.errors import EngineError
from tutor.engine.mutation_words import words
from tutor.engine.mutations import Mutant, mutations_of, pairs_of
from tutor.engine.nodes import Node, names_in
from tutor.engine.numbers import EXACT, Tolerance
from tutor.engine.numeric import evaluate
from tutor.engine.shapes import infer_shape
from tutor.engine.structural import NOTHING, Finding, Structural, missing_by_presence, structural

# Of slips that give the same numbers, the one said: the most specific first.
SPECIFIC = ("missing-batch-sum", "missing-path", "not-elementwise", "wrong-point",
            "not-differentiated", "product-kind", "wrong-quantity")

# Slips that leave a whole factor out, said instead of "a factor is missing" when they fit.
WHOLE = frozenset({"missing-batch-sum", "missing-path"})

if TYPE_CHECKING:
    from tutor.engine.check import Factor
    from tutor.engine.functions import Shape
    from tutor.engine.problem import Problem, Values


def explain(node: Node, factor: Factor, problem: Problem, answers: Sequence[np.ndarray],
            shape: Shape, points: Sequence[Values], tolerance: Tolerance,
            typed: bool) -> Structural:
    """What explains a wrong, well-shaped answer (``typed``: numbers only, one point)."""
    found = structural(node, factor, problem, answers, shape, points, tolerance, typed,
                       presence=False)
    if found.findings and set(found.codes) != {"missing-factor"}:
        return found
    # A factor left out may be a batch's sum (ones(1, 4) @ Hᵀ) or a whole path of a sum:
    # then that is what is said, not "a 1×4 factor is missing".
    chained = found
    found = mutated(factor, problem, answers, shape, points, tolerance, typed, node,
                    only=WHOLE if chained.findings else None)
    if chained.findings and not found.findings:
        return chained
    if found.findings or typed:
        return found
    return missing_by_presence(node, factor, problem, points)


def mutated(factor: Factor, problem: Problem, answers: Sequence[np.ndarray], shape: Shape,
            points: Sequence[Values], tolerance: Tolerance, typed: bool,
            node: Node | None = None, only: frozenset[str] | None = None) -> Structural:
    """The mutations of the key the answer equals. A slip that names a quantity is said only
    when the answer writes it: eye(2) for a relu's slope that is all on is not "x put for z"
    because step(x) happens to be 1 everywhere too."""
    mutations = mutations_of(factor, problem)
    key_value = evaluate(factor.expected, points[0]) if typed else None
    if _whole_slip(mutations, answers, points, tolerance):
        return NOTHING  # the key transposed or negated: said as that, not as two swaps
    singles = mutations.singles
    if only is not None:
        singles = [m for m in singles if m.edits[0].code in only]
    found = mutations.matches(singles, answers, shape, points, tolerance, key_value)
    if not found and not typed and only is None:  # two slips at one point fit too much
        found = mutations.matches(pairs_of(mutations, factor, problem), answers, shape,
                                  points, tolerance)
    if node is not None and not typed:
        written = names_in(node)
        found = [m for m in found if all(_writes(edit, written) for edit in m.edits)]
    if not found:
        return NOTHING
    return words(_simplest(found), mutations, factor, problem, typed)


def _whole_slip(mutations, answers: Sequence[np.ndarray], points: Sequence[Values],
                tolerance: Tolerance) -> bool:
    """The answer is the key transposed or negated at every point (diagnose says so)."""
    keys = [mutations.value(mutations.key, point) for point in points]
    pairs = [(a, k) for a, k in zip(answers, keys, strict=True) if np.all(np.isfinite(k))]
    if not pairs:
        return False
    return (all(a.shape == k.T.shape and numbers.close(a, k.T, tolerance) for a, k in pairs)
            or all(a.shape == k.shape and numbers.close(a, -k, tolerance) for a, k in pairs))


def _simplest(found: list[Mutant]) -> list[Mutant]:
    """The most specific of the slips that fit: one before two, and of slips that give the
    same numbers, the one that says most (z2 ⊙ (1 − z2) is σ′ taken at the input before it is
    z2 put for h2)."""
    def rank(mutant: Mutant) -> tuple[int, int]:
        return (len(mutant.edits) + (mutant.chain is not None),
                max(SPECIFIC.index(edit.code) for edit in mutant.edits))

    best = min(rank(m) for m in found)
    return [m for m in found if rank(m) == best]


def automatic(node: Node, factor: Factor, problem: Problem, displayed: Values
              ) -> tuple[Finding, ...]:
    """The slips an expression is, found without an authored mistake: what `validate` tells
    an author the engine says by itself. An ill-shaped one is never a variant."""
    try:
        shape = infer_shape(node, problem.shapes)
    except EngineError:
        return ()
    points = [displayed, *problem.samples]
    answers = [evaluate(node, point) for point in points]
    found = structural(node, factor, problem, answers, shape, points, EXACT, False,
                       presence=False)
    if not found.findings:
        found = mutated(factor, problem, answers, shape, points, EXACT, False, node)
    return found.findings


def _writes(edit: Edit, written: set[str]) -> bool:
    """The answer writes what the slip names: the quantity put in, or the function's value
    or argument."""
    if edit.code == "wrong-quantity":
        return edit.typed in written
    if edit.code in ("not-differentiated", "not-elementwise"):
        return bool(edit.output in written or names_in(edit.argument) & written)
    if edit.code == "wrong-point":
        return bool(names_in(edit.argument) & written)
    return True
