"""A step's chain: the links of its key, their structural variants, and which one an answer is.

Why this exists: the mistakes students make most in backpropagation are structural — a
factor of the chain left out (the posted answer this project was born from dropped W2),
one too many, two swapped, one transposed, σ′ taken at a layer's output instead of its
input. An author cannot predict all of them on every step, but they all follow from the
key. So the key (or the lesson's ``composes``, which says which sub-products are steps,
so that their labels name the factors) is flattened into its links once per step —
the structure does not depend on the seed — with transposes pushed through
((A@B)ᵀ = BᵀAᵀ), so that a row chain and its column form are one chain. A product that
is one link's formula is not split: a step of one operation (∂s/∂t = s(1 − s) for
s = σ(t), ∂v/∂u = 2u) is one link, and so is an activation's slope written as a product
(H * (1 - H)); otherwise σ alone would read as σ′ "missing the factor 1 − s". Its variants are
generated once, kept only when their shapes are valid (strict, as for an answer) and
their values differ from the key's, and their values at a set of points are computed
lazily and cached, so a wrong answer costs a few small array products per candidate of
its shape. The words said about a match are in tutor.engine.chain_words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape
from tutor.engine.nodes import (
    SCREEN,
    BinOp,
    Call,
    Glyphs,
    Name,
    Node,
    Transpose,
    children,
    names_in,
    substitute,
    with_children,
)
from tutor.engine.numbers import EXACT, Tolerance
from tutor.engine.numeric import evaluate
from tutor.engine.parser import parse
from tutor.engine.shapes import infer_shape

if TYPE_CHECKING:
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem, Values

PRODUCTS = ("@", "*")
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
class Link:
    """One factor of a chain, as the key writes it (before a transpose pushed onto it)."""

    node: Node
    label: str | None = None  # the step's label when it is a step of the lesson
    step: bool = False  # the factor is an earlier step's key, which the student has seen
    # a σ′ taken at a layer's output: (function, the layer's input, its output name)
    point: tuple[str, Node, str] | None = None


@dataclass(frozen=True)
class Atom:
    link: int  # index into Chain.links
    transposed: bool = False


@dataclass(frozen=True)
class Group:
    op: str  # "@" or "*"
    items: tuple[Term, ...]


Term = Atom | Group


@dataclass(frozen=True)
class Variant:
    """A structural variant of the key: what the answer would be after one slip."""

    code: str  # missing-factor, extra-factor, order, factor-transposed, wrong-point
    about: tuple[Atom, ...]  # the factors it names: one, or the two swapped
    term: Term
    shape: Shape
    placeholder: Node  # the term over names "_0", "_1", … (one per link) for evaluation
    repeated: bool = False  # extra-factor: a link of the chain written twice
    # missing-factor: the factors before and after the missing one in its product, and
    # that product's operation (where a factor sits matters in a matrix product only)
    near: tuple[Atom | None, Atom | None] = (None, None)
    within: str = "@"
    place: str = ""  # "left" / "right" end of the whole product, or "" (inside it)


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
        return list(_atoms(self.term))

    def link_values(self, point: Values) -> list[np.ndarray]:
        return self._cached(point)[0]

    def variant_value(self, index: int, point: Values) -> np.ndarray:
        links, values = self._cached(point)
        if values[index] is None:
            values[index] = evaluate(self.variants[index].placeholder, _named(links))
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


def _named(values: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    return {f"_{i}": value for i, value in enumerate(values)}


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
    generated = _generate(chain, builder, steps, problem)
    seen: set[bytes] = set()
    kept: list[Variant] = []
    sample_values = [chain.link_values(point) for point in samples]
    for variant in generated:
        values = [evaluate(variant.placeholder, _named(v)) for v in sample_values]
        if _same_as_key(values, key_values):
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


def _same_as_key(values: Sequence[np.ndarray], key_values: Sequence[np.ndarray]) -> bool:
    pairs = [(v, k) for v, k in zip(values, key_values, strict=True)
             if np.all(np.isfinite(k)) and np.all(np.isfinite(v))]
    return bool(pairs) and all(numbers.close(v, k, EXACT) for v, k in pairs)


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
            return _transposed(self.flatten(node.operand, composes))
        if isinstance(node, BinOp) and node.op == "*":
            parts = [self._leaf(part, composes) if one else self.flatten(part, composes)
                     for part, one in self._slopes(_operands(node), composes)]
            term = parts[0]
            for part in parts[1:]:
                term = _join("*", term, part)
            return term
        if isinstance(node, BinOp) and node.op in PRODUCTS:
            return _join(node.op, self.flatten(node.left, composes),
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
                return _transposed(self.atom(Link(step.expected, step.label, step=True)))
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
        return any(_same_as_key(values, truth) and values[0].shape == truth[0].shape
                   for truth in slopes)

    def _slope_values(self) -> list[list[np.ndarray]]:
        """σ′ at each activation layer's input, at the sample points (computed once)."""
        if self._slope_cache is None:
            self._slope_cache = [[evaluate(at_input, point) for point in self.problem.samples]
                                 for _f, _a, _o, at_input, _ in _activations(self.problem)]
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


def _join(op: str, left: Term, right: Term) -> Group:
    def items(term: Term) -> tuple[Term, ...]:
        return term.items if isinstance(term, Group) and term.op == op else (term,)

    return Group(op, items(left) + items(right))


def _transposed(term: Term) -> Term:
    if isinstance(term, Atom):
        return Atom(term.link, not term.transposed)
    items = tuple(_transposed(item) for item in term.items)
    return Group(term.op, items[::-1] if term.op == "@" else items)


def _atoms(term: Term):
    if isinstance(term, Atom):
        yield term
    else:
        for item in term.items:
            yield from _atoms(item)


def _groups(term: Term, path: tuple[int, ...] = ()):
    if isinstance(term, Group):
        yield path, term
        for index, item in enumerate(term.items):
            yield from _groups(item, (*path, index))


def _replaced(term: Term, path: tuple[int, ...], items: tuple[Term, ...]) -> Term:
    """``term`` with the group at ``path`` holding ``items`` (one item stands alone)."""
    if not path:
        return items[0] if len(items) == 1 else Group(term.op, items)
    assert isinstance(term, Group)
    inner = _replaced(term.items[path[0]], path[1:], items)
    return Group(term.op, (*term.items[:path[0]], inner, *term.items[path[0] + 1:]))


def placeholder(term: Term) -> Node:
    if isinstance(term, Atom):
        name = Name(0, 0, f"_{term.link}")
        return Transpose(0, 0, name) if term.transposed else name
    node = placeholder(term.items[0])
    for item in term.items[1:]:
        node = BinOp(0, 0, term.op, node, placeholder(item))
    return node


def expression(term: Term, links: Sequence[Link]) -> Node:
    """The term as an expression of the lesson's names (a variant as a student would type it)."""
    if isinstance(term, Atom):
        return shown(links[term.link].node, term.transposed)
    node = expression(term.items[0], links)
    for item in term.items[1:]:
        node = BinOp(0, 0, term.op, node, expression(item, links))
    return node


def shown(node: Node, transposed: bool) -> Node:
    if not transposed:
        return node
    return node.operand if isinstance(node, Transpose) else Transpose(0, 0, node)


# -- the variants ---------------------------------------------------------------------------
def _generate(chain: Chain, builder: Builder, steps: Mapping[str, StepFactor],
              problem: Problem) -> list[Variant]:
    shapes = builder.shapes
    term = chain.term
    out: list[Variant] = []

    def add(code: str, about: tuple[Atom, ...], new: Term, **extra) -> None:
        node = placeholder(new)
        try:
            shape = infer_shape(node, {f"_{i}": s for i, s in enumerate(shapes)})
        except EngineError:
            return
        out.append(Variant(code, about, new, shape, node, **extra))

    groups = [(path, group) for path, group in _groups(term)]
    for path, group in groups:  # each factor left out
        for i, item in enumerate(group.items):
            if isinstance(item, Atom):
                before = group.items[i - 1] if i else None
                after = group.items[i + 1] if i + 1 < len(group.items) else None
                near = tuple(x if isinstance(x, Atom) else None for x in (before, after))
                ends = {0: "left", len(group.items) - 1: "right"} if not path else {}
                add("missing-factor", (item,),
                    _replaced(term, path, group.items[:i] + group.items[i + 1:]), near=near,
                    within=group.op, place=ends.get(i, ""))
    for path, group in groups:  # each factor repeated
        for i, item in enumerate(group.items):
            if isinstance(item, Atom):
                add("extra-factor", (item,),
                    _replaced(term, path, group.items[:i + 1] + group.items[i:]), repeated=True)
    if groups:  # a factor from elsewhere in the lesson inserted
        for atom in _candidates(builder, steps, problem):
            for path, group in groups:
                for i in range(len(group.items) + 1):
                    add("extra-factor", (atom,),
                        _replaced(term, path, group.items[:i] + (atom,) + group.items[i:]))
    for path, group in groups:  # adjacent factors swapped
        if group.op != "@":
            continue  # elementwise products commute
        for i in range(len(group.items) - 1):
            first, second = group.items[i], group.items[i + 1]
            if isinstance(first, Atom) and isinstance(second, Atom):
                swapped = (*group.items[:i], second, first, *group.items[i + 2:])
                add("order", (first, second), _replaced(term, path, swapped))
    if groups:  # each factor transposed (a lone factor transposed is the transpose slip)
        for path, group in groups:
            for i, item in enumerate(group.items):
                if isinstance(item, Atom):
                    flipped = Atom(item.link, not item.transposed)
                    add("factor-transposed", (flipped,), _replaced(
                        term, path, (*group.items[:i], flipped, *group.items[i + 1:])))
    for original, new in _wrong_points(chain, builder, problem):
        add("wrong-point", (new,), new_term(term, original, new))
    return out


def new_term(term: Term, original: tuple[Atom, ...] | int, new: Atom) -> Term:
    """``term`` with a link (every atom of it) or a run of atoms replaced by ``new``."""
    if isinstance(original, int):
        def swap(t: Term) -> Term:
            if isinstance(t, Atom):
                return Atom(new.link, t.transposed) if t.link == original else t
            return Group(t.op, tuple(swap(item) for item in t.items))

        return swap(term)
    for path, group in _groups(term):
        items = group.items
        for i in range(len(items) - len(original) + 1):
            if items[i:i + len(original)] == original:
                return _replaced(term, path, (*items[:i], new, *items[i + len(original):]))
    return term


def _candidates(builder: Builder, steps: Mapping[str, StepFactor], problem: Problem):
    """The lesson's inputs and its other steps' single factors, not already in the chain."""
    present = {builder.links[i].node for i in range(builder.own)}
    seen = set(present) | {shown(node, True) for node in present}
    found: list[tuple[Node, str | None, bool]] = []
    for name in problem.inputs:
        found.append((Name(0, 0, name), None, False))
    for step in steps.values():
        if not (isinstance(step.expected, BinOp) and step.expected.op in PRODUCTS):
            found.append((step.expected, step.label, True))
    for node, label, is_step in found:
        if node in seen:
            continue
        seen.add(node)
        yield builder.atom(Link(node, label, step=is_step))


def _activations(problem: Problem) -> list[tuple[str, Node, str, Node, Node]]:
    """(function, input, output, σ′(input), σ′(output)) for each layer h = σ(input)."""
    found = []
    for name, node in problem.definitions:
        function = FUNCTIONS.get(node.func) if isinstance(node, Call) else None
        if function is not None and function.elementwise and function.derivative:
            rule = parse(function.derivative.format(arg="t", out=f"{function.name}(t)"), ["t"])
            found.append((node.func, node.args[0], name, substitute(rule, "t", node.args[0]),
                          substitute(rule, "t", Name(0, 0, name))))
    return found


def _wrong_points(chain: Chain, builder: Builder, problem: Problem):
    """σ′(output) for σ′(input): inside a factor, or for a run of elementwise factors."""
    layers = _activations(problem)
    if not layers:
        return
    samples = problem.samples
    for function, argument, output, at_input, at_output in layers:
        truth = [evaluate(at_input, point) for point in samples]
        want = infer_shape(argument, problem.shapes)
        point = (function, argument, output)
        for index in range(builder.own):
            link = builder.links[index]
            replaced = _replace_equal(link.node, truth, want, at_output, problem)
            if replaced is not None:
                yield index, builder.atom(Link(replaced, link.label, link.step, point))
        for _path, group in _groups(chain.term):
            if group.op != "*":
                continue
            for i in range(len(group.items)):
                for j in range(i + 2, len(group.items) + 1):
                    run = group.items[i:j]
                    if not all(isinstance(a, Atom) for a in run):
                        continue
                    values = [evaluate(placeholder(Group("*", run)), _named(
                        [evaluate(link.node, p) for link in builder.links])) for p in samples]
                    if _same_as_key(values, truth):
                        yield run, builder.atom(Link(at_output, None, False, point))


def _replace_equal(node: Node, truth, shape: Shape, replacement: Node, problem: Problem
                   ) -> Node | None:
    """``node`` with its largest sub-expression equal to σ′(input) put as σ′(output)."""
    if not isinstance(node, Name) and _names(node):
        try:
            fits = infer_shape(node, problem.shapes) == shape
        except EngineError:
            fits = False
        if fits and _same_as_key([evaluate(node, p) for p in problem.samples], truth):
            return replacement
    parts = children(node)
    for index, child in enumerate(parts):
        inner = _replace_equal(child, truth, shape, replacement, problem)
        if inner is not None:
            return with_children(node, (*parts[:index], inner, *parts[index + 1:]))
    return None


def _names(node: Node) -> bool:
    return isinstance(node, Name) or any(_names(child) for child in children(node))
