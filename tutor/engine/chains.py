"""A step's chain: the links of its key, the variants kept of it, and which one an answer is.

Why this exists: the mistakes students make most in backpropagation are structural, and
they all follow from the key (see tutor.engine.chain_variants). So the key (or the
lesson's ``composes``, which says which sub-products are steps, so that their labels
name the factors) is flattened into its links once per step — the structure does not
depend on the seed — with transposes pushed through ((A@B)ᵀ = BᵀAᵀ), so that a row chain
and its column form are one chain. A product that is one link's formula is not split: a
step of one operation (∂s/∂t = s(1 − s) for s = σ(t), ∂v/∂u = 2u) is one link, and so is
an activation's slope written as a product (H * (1 - H)); otherwise σ alone would read as
σ′ "missing the factor 1 − s". Its variants are generated once (tutor.engine.chain_variants),
kept here only when their shapes are valid (strict, as for an answer) and their values
differ from the key's, and their values at a set of points are computed lazily and cached,
so a wrong answer costs a few small array products per candidate of its shape. The terms
both are made of are in tutor.engine.chain_terms; the words said about a match are in
tutor.engine.chain_words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.chain_terms import (
    PRODUCTS,
    Atom,
    Link,
    Term,
    atoms_of,
    joined,
    named,
    transposed,
)
from tutor.engine.chain_variants import Variant, activations, generate, same_as_key
from tutor.engine.errors import EngineError
from tutor.engine.functions import Shape
from tutor.engine.nodes import (
    SCREEN,
    BinOp,
    Glyphs,
    Name,
    Node,
    Transpose,
    children,
    names_in,
    substitute,
)
from tutor.engine.numbers import Tolerance
from tutor.engine.numeric import evaluate
from tutor.engine.shapes import infer_shape

if TYPE_CHECKING:
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem, Values

POINT_CACHE = 16  # sets of displayed values remembered per step (seeds a session visits)


@dataclass(frozen=True)
class StepFactor:
    """What a lesson says about one of its steps, for naming the links of another's chain."""

    label: str
    expected: Node
    composes: Node | None = None  # over the lesson's names and its step ids
    of: str | None = None  # the step is ∂of/∂wrt (a lesson's steps say; None elsewhere)
    wrt: str | None = None


@dataclass(frozen=True)
class Match:
    variant: Variant
    flipped: bool  # the answer is the variant transposed (a chain read the other way)


@dataclass
class Chain:
    """A step's chain with its variants; values are cached per set of points."""

    term: Term
    links: list[Link]
    shapes: list[Shape]
    variants: list[Variant]
    key_shape: Shape
    glyphs: Glyphs = SCREEN  # how its factors are written for the student (the problem's)
    _values: dict[bytes, list] = field(default_factory=dict, repr=False)

    @property
    def atoms(self) -> list[Atom]:
        return list(atoms_of(self.term))

    def link_values(self, point: Values) -> list[np.ndarray]:
        return self._cached(point)[0]

    def variant_value(self, index: int, point: Values) -> np.ndarray:
        links, values = self._cached(point)
        if values[index] is None:
            values[index] = evaluate(self.variants[index].placeholder, named(links))
        return values[index]

    def _cached(self, point: Values) -> list:
        key = fingerprint(point)
        entry = self._values.get(key)
        if entry is None:
            if len(self._values) >= POINT_CACHE:
                self._values.pop(next(iter(self._values)))
            entry = [[evaluate(link.node, point) for link in self.links],
                     [None] * len(self.variants)]
            self._values[key] = entry
        return entry

    def matches(self, answers: Sequence[np.ndarray], shape: Shape, points: Sequence[Values],
                tolerance: Tolerance, key_value: np.ndarray | None = None) -> list[Match]:
        """The variants the answer equals at every point (the verdict's rule of closeness).

        ``key_value`` (numbers typed by hand, one point): a variant within NEAR_FACTOR times that
        rule of the key there is left out, since a near miss is a matter of precision.
        """
        found = []
        for index, variant in enumerate(self.variants):
            if variant.shape == shape:
                flipped = False
            elif (shape != self.key_shape and variant.shape != self.key_shape
                  and variant.shape == (shape[1], shape[0])
                  and not isinstance(variant.term, Atom)):
                # A product read the other way; one factor transposed is no product left
                # (wᵀ for w·1ᵀ is the wrong derivative, not w·1ᵀ with 1ᵀ dropped).
                flipped = True
            else:
                continue
            if key_value is not None:
                value = self.variant_value(index, points[0])
                if numbers.close(value, key_value, tolerance.widened(numbers.NEAR_FACTOR)):
                    continue
            if _equal_everywhere(lambda p, i=index: self.variant_value(i, p), answers, points,
                                 tolerance, flipped):
                found.append(Match(variant, flipped))
        return found


def _equal_everywhere(value_at, answers, points, tolerance, flipped) -> bool:
    usable = 0
    for answer, point in zip(answers, points, strict=True):
        value = value_at(point)
        if not np.all(np.isfinite(value)):
            continue
        if not numbers.close(answer, value.T if flipped else value, tolerance):
            return False
        usable += 1
    return usable > 0


def fingerprint(point: Values) -> bytes:
    return b"".join(np.ascontiguousarray(value).tobytes() for value in point.values())


# -- deriving the chain ---------------------------------------------------------------------
def chain_of(factor: Factor, problem: Problem) -> Chain:
    """The factor's chain, derived on first use and kept on the factor (shared by variants)."""
    return kept(factor, "chain", problem, derive)


def kept(factor: Factor, what: str, problem: Problem, make):
    """``make(factor, problem)``, made once per factor and problem and kept on the factor:
    what depends on the step's key and not on the seed is shared by every variant."""
    cached = factor.memo.get(what)
    if cached is None or cached[0] is not problem:
        cached = (problem, make(factor, problem))
        factor.memo[what] = cached
    return cached[1]


def derive(factor: Factor, problem: Problem) -> Chain:
    steps = dict(factor.steps or {})
    own = steps.pop(factor.step, None) if factor.step else None
    builder = Builder(steps, problem)
    if own is not None and own.composes is not None:
        term = builder.flatten(own.composes, composes=True)
    elif own is not None and one_operation(problem, own.of, own.wrt):
        # ∂s/∂t for s = σ(t), ∂v/∂u for v = u²: one link, whose key is a product only as a
        # formula (s(1 − s), 2u); no factor of it can be "missing" from a chain.
        term = builder.atom(Link(factor.expected))
    else:
        term = builder.flatten(factor.expected, composes=False)
    builder.close()
    samples = problem.samples
    key_values = [evaluate(factor.expected, point) for point in samples]
    chain = Chain(term, builder.links, builder.shapes, [], factor.shape, problem.glyphs)
    generated = generate(chain, builder, steps, problem)
    seen: set[bytes] = set()
    kept: list[Variant] = []
    sample_values = [chain.link_values(point) for point in samples]
    for variant in generated:
        values = [evaluate(variant.placeholder, named(v)) for v in sample_values]
        if same_as_key(values, key_values):
            continue
        signature = repr(variant.shape).encode() + b"".join(
            np.round(v, 9).tobytes() for v in values[:2])
        if signature in seen:
            continue
        seen.add(signature)
        kept.append(variant)
    chain.variants = kept
    chain._values.clear()  # the link table grew while generating: recompute on demand
    return chain


def one_operation(problem: Problem, of: str | None, wrt: str | None) -> bool:
    """``of`` is defined as one operation applied to ``wrt`` (σ(t), u², W @ x): every
    occurrence of ``wrt`` in its definition sits right under the top operation."""
    definition = dict(problem.definitions).get(of) if of else None
    if definition is None or not wrt:
        return False
    operands = children(definition)
    if not operands or not any(isinstance(n, Name) and n.name == wrt for n in operands):
        return False
    return all(wrt not in names_in(n) for n in operands if not isinstance(n, Name))


class Builder:
    """Flattens a key or a ``composes`` into links; adds links for inserted factors."""

    def __init__(self, steps: Mapping[str, StepFactor], problem: Problem,
                 broadcast: bool = False) -> None:
        self.steps = steps
        self.problem = problem
        self.broadcast = broadcast  # an ill-shaped answer's factors, as numpy would take them
        self.own = 0
        self.links: list[Link] = []
        self.shapes: list[Shape] = []
        self._index: dict[Node, int] = {}
        self._expanding: set[str] = set()
        self._slope_cache: list[list[np.ndarray]] | None = None

    def flatten(self, node: Node, composes: bool) -> Term:
        if isinstance(node, Transpose):
            return transposed(self.flatten(node.operand, composes))
        if isinstance(node, BinOp) and node.op == "*":
            parts = [self._leaf(part, composes) if one else self.flatten(part, composes)
                     for part, one in self._slopes(_operands(node), composes)]
            term = parts[0]
            for part in parts[1:]:
                term = joined("*", term, part)
            return term
        if isinstance(node, BinOp) and node.op in PRODUCTS:
            return joined(node.op, self.flatten(node.left, composes),
                        self.flatten(node.right, composes))
        return self._leaf(node, composes)

    def _leaf(self, node: Node, composes: bool) -> Term:
        if composes and isinstance(node, Name) and node.name in self.steps:
            step = self.steps[node.name]
            if step.composes is not None and node.name not in self._expanding:
                self._expanding.add(node.name)
                try:
                    return self.flatten(step.composes, composes=True)
                finally:
                    self._expanding.discard(node.name)
            return self.atom(Link(step.expected, step.label, step=True))
        if composes:  # a sum of steps (two paths' contributions): one factor, written out
            node = self._written_out(node)
        for step in self.steps.values():  # a sub-product the lesson asked for as a step
            if step.expected == node:
                return self.atom(Link(node, step.label, step=True))
            if isinstance(step.expected, Transpose) and step.expected.operand == node:
                return transposed(self.atom(Link(step.expected, step.label, step=True)))
        return self.atom(Link(node))

    def _slopes(self, operands: list[Node], composes: bool) -> list[tuple[Node, bool]]:
        """The operands of an elementwise product, each run of them that is an activation's
        slope (h * (1 - h) for σ′(z), H * (1 - H)) joined into one: one link of the chain,
        not two factors that could each be missing. (node, True) for a joined run."""
        slopes = self._slope_values()
        out: list[tuple[Node, bool]] = []
        i = 0
        while i < len(operands):
            for j in range(len(operands), i + 1, -1):
                run = operands[i:j]
                if slopes and self._is_slope(run, composes, slopes):
                    product = run[0]
                    for part in run[1:]:
                        product = BinOp(0, 0, "*", product, part)
                    out.append((product, True))
                    i = j
                    break
            else:
                out.append((operands[i], False))
                i += 1
        return out

    def _is_slope(self, run: list[Node], composes: bool, slopes) -> bool:
        if composes and any(names_in(part) & self.steps.keys() for part in run):
            return False
        product = run[0]
        for part in run[1:]:
            product = BinOp(0, 0, "*", product, part)
        try:
            values = [evaluate(product, point, self.broadcast) for point in self.problem.samples]
        except (EngineError, ValueError, KeyError):
            return False
        return any(same_as_key(values, truth) and values[0].shape == truth[0].shape
                   for truth in slopes)

    def _slope_values(self) -> list[list[np.ndarray]]:
        """σ′ at each activation layer's input, at the sample points (computed once)."""
        if self._slope_cache is None:
            self._slope_cache = [[evaluate(at_input, point) for point in self.problem.samples]
                                 for _f, _a, _o, at_input, _ in activations(self.problem)]
        return self._slope_cache

    def _written_out(self, node: Node) -> Node:
        """A composes expression in the lesson's names: each step id by its key."""
        for _ in range(len(self.steps) + 1):  # a step's key may name no step; bounded anyway
            named = [n for n in names_in(node) if n in self.steps]
            if not named:
                return node
            for name in named:
                node = substitute(node, name, self.steps[name].expected)
        return node

    def atom(self, link: Link) -> Atom:
        index = self._index.get(link.node)
        if index is None or self.links[index].point != link.point:
            index = len(self.links)
            self.links.append(link)
            self.shapes.append(infer_shape(link.node, self.problem.shapes, self.broadcast))
            self._index.setdefault(link.node, index)
        return Atom(index)

    def close(self) -> None:
        """The chain's own links end here; later ones are only in variants."""
        self.own = len(self.links)


def _operands(node: Node) -> list[Node]:
    """The operands of a run of elementwise products, in order: a * b * c → [a, b, c]."""
    if isinstance(node, BinOp) and node.op == "*":
        return _operands(node.left) + _operands(node.right)
    return [node]
