"""Mutations of a step's key: the wrong answers students write that are not chain slips.

Why this exists: the chain diagnoses (tutor.engine.chains) name a factor left out, one too
many, two swapped or transposed. The most common backpropagation mistakes are inside a
factor: the wrong layer's quantity (h2 for h1, W1 for W2), an activation's value where its
derivative belongs (σ(z) for σ′(z)), ⊙ for @ between square matrices, softmax differentiated
as if it acted entry by entry, a derivative's closed form taken at the layer's input, one
path of a sum left out, a batch's sum forgotten — and two of these at once. No author can
foresee them on every step, and generated lessons have no authored mistakes at all, but
every one follows from the key and the lesson's definitions. So the key is edited once per
step (the edits do not depend on the seed), each edit a replacement of one sub-tree, kept
when its shapes are valid; an edited tree shares every sub-tree off the edited path with
the key, so its value at a point costs only the operations along that path (values are
cached per node and per point). A variant equal in value to the key can never match a
wrong answer, so none is reported. The edits themselves are found in tutor.engine.edits,
the words said about them in tutor.engine.mutation_words.
"""

from __future__ import annotations

import itertools
from collections import ChainMap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.chains import POINT_CACHE, chain_of, fingerprint, kept
from tutor.engine.edits import Edit, chain_operands, edits_of
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape
from tutor.engine.nodes import (
    BinOp,
    Call,
    Matrix,
    Name,
    Node,
    Transpose,
    children,
    with_children,
)
from tutor.engine.numbers import Tolerance
from tutor.engine.numeric import evaluate_shared
from tutor.engine.shapes import infer_shape

if TYPE_CHECKING:
    from tutor.engine.chain_variants import Variant
    from tutor.engine.chains import Chain
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem, Values

MAX_SINGLES = 3000  # edits of one step's key (a depth-8 network's longest key has ~1,000)
MAX_PAIRS = 1200  # two slips at once: a chain slip with an edit, then two edits (half each)


@dataclass(frozen=True)
class Mutant:
    node: Node
    shape: Shape
    edits: tuple[Edit, ...]
    chain: Variant | None = None  # a chain slip this variant also holds


@dataclass
class Mutations:
    key: Node
    singles: list[Mutant]
    pairs: list[Mutant] | None = None  # built on the first answer no single explains
    shapes: dict[int, Shape] = field(default_factory=dict, repr=False)
    places: dict[int, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _stacks: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False)
    _values: dict[bytes, dict[int, np.ndarray]] = field(default_factory=dict, repr=False)

    def _memo(self, point: Values) -> dict[int, np.ndarray]:
        key = fingerprint(point)
        memo = self._values.get(key)
        if memo is None:
            if len(self._values) >= POINT_CACHE:
                self._values.pop(next(iter(self._values)))
            memo = self._values[key] = {}
        return memo

    def value(self, node: Node, point: Values) -> np.ndarray:
        with np.errstate(all="ignore"):
            return evaluate_shared(node, point, self._memo(point))

    def matches(self, candidates: Sequence[Mutant], answers: Sequence[np.ndarray],
                shape: Shape, points: Sequence[Values], tolerance: Tolerance,
                key_value: np.ndarray | None = None) -> list[Mutant]:
        """The candidates the answer equals at every point (the verdict's rule of closeness);
        for numbers typed by hand, none within a near miss of the key (that is precision)."""
        memos = [self._memo(point) for point in points]
        near = tolerance.widened(numbers.NEAR_FACTOR)
        found = []
        with np.errstate(all="ignore"):
            for mutant in self._survivors(candidates, shape, answers[0], points[0], tolerance):
                if key_value is not None and numbers.close(
                        evaluate_shared(mutant.node, points[0], memos[0]), key_value, near):
                    continue
                usable = 0
                for answer, point, memo in zip(answers, points, memos, strict=True):
                    value = evaluate_shared(mutant.node, point, memo)
                    if not np.all(np.isfinite(value)):
                        continue
                    if not numbers.close(answer, value, tolerance):
                        break
                    usable += 1
                else:
                    if usable:
                        found.append(mutant)
        return found

    def _survivors(self, candidates: Sequence[Mutant], shape: Shape, answer: np.ndarray,
                   point: Values, tolerance: Tolerance) -> list[Mutant]:
        """The candidates of the answer's shape not ruled out at the first point by the rule's
        widest bound (|a − e| ≤ (rtol + κ)·max|e| for every entry), all at once: their values
        there are stacked once per point, so a wrong answer costs one array comparison."""
        group = [m for m in candidates if m.shape == shape]
        if len(group) < 32:
            return group
        # Only the step's own lists are kept: a list made for one call (a filtered one) is
        # gone after it, and its id may be another list's next time.
        which = ("singles" if candidates is self.singles
                 else "pairs" if candidates is self.pairs else None)
        key = (which, shape, fingerprint(point))
        stacked = self._stacks.get(key) if which else None
        if stacked is None:
            memo = self._memo(point)
            stacked = np.stack([evaluate_shared(m.node, point, memo) for m in group])
            if which:
                if len(self._stacks) >= POINT_CACHE:
                    self._stacks.pop(next(iter(self._stacks)))
                self._stacks[key] = stacked
        reach = tolerance.rtol + tolerance.kappa
        gap = np.max(np.abs(stacked - answer), axis=(1, 2))
        bound = reach * np.max(np.abs(stacked), axis=(1, 2)) + numbers.ZERO_FLOOR
        # A value that is not a number there is judged at the other points, one by one.
        keep = (gap <= bound) | ~np.all(np.isfinite(stacked), axis=(1, 2))
        return [group[i] for i in np.flatnonzero(keep)]


# -- deriving them ----------------------------------------------------------------------------
def mutations_of(factor: Factor, problem: Problem) -> Mutations:
    """The step's mutations, derived on first use and kept on the factor (shared by seeds)."""
    return kept(factor, "mutations", problem, derive)


def derive(factor: Factor, problem: Problem) -> Mutations:
    # A long chain of matrix products written left to right is a path as deep as the chain;
    # balanced, an edit re-evaluates only log₂ of its factors (the values are the same).
    key = balanced(factor.expected)
    places = _places(key)
    shapes: dict[int, Shape] = {}
    whole = _shape(key, problem, shapes)
    singles = []
    for edit in itertools.islice(edits_of(key, factor, problem), MAX_SINGLES):
        place = places.get(id(edit.target))
        if place is None:
            continue
        node = put(key, place, edit.replacement)
        try:
            # An edit that keeps its target's shape keeps the key's (most of them).
            shape = whole if edit.keeps_shape else _shape(node, problem, shapes)
        except EngineError:
            continue
        singles.append(Mutant(node, shape, (edit,)))
    return Mutations(key, singles, shapes=shapes, places=places)


def _places(tree: Node, at: tuple[int, ...] = (), found: dict | None = None
            ) -> dict[int, tuple[int, ...]]:
    """Where each sub-tree of ``tree`` is, by identity: the child indices down to it."""
    found = {} if found is None else found
    found.setdefault(id(tree), at)
    for index, child in enumerate(children(tree)):
        _places(child, (*at, index), found)
    return found


def put(tree: Node, place: Sequence[int], replacement: Node) -> Node:
    """``tree`` with the sub-tree at ``place`` replaced; every other sub-tree shared."""
    if not place:
        return replacement
    parts = children(tree)
    index = place[0]
    new = put(parts[index], place[1:], replacement)
    return with_children(tree, (*parts[:index], new, *parts[index + 1:]))


def balanced(node: Node) -> Node:
    """``node`` with each chain of matrix products regrouped as a balanced tree."""
    if isinstance(node, BinOp) and node.op == "@":
        operands = [balanced(part) for part in chain_operands(node)]
        return _halves(operands)
    parts = children(node)
    if not parts:
        return node
    new = tuple(balanced(part) for part in parts)
    if all(a is b for a, b in zip(new, parts, strict=True)):
        return node
    return with_children(node, new)


def _halves(operands: Sequence[Node]) -> Node:
    if len(operands) == 1:
        return operands[0]
    middle = len(operands) // 2
    return BinOp(0, 0, "@", _halves(operands[:middle]), _halves(operands[middle:]))


_STAND_INS = tuple(Name(0, 0, f"_{i}") for i in range(8))


def _shape(node: Node, problem: Problem, memo: dict[int, Shape]) -> Shape:
    """infer_shape, with each sub-tree's shape kept by identity (variants share sub-trees)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    parts = children(node)
    if not parts or isinstance(node, (Matrix, Call)) and (
            isinstance(node, Matrix) or FUNCTIONS[node.func].constant_args) or (
            isinstance(node, BinOp) and node.op == "^"):
        shape = infer_shape(node, problem.shapes)
    else:
        stand_ins = {f"_{i}": _shape(part, problem, memo) for i, part in enumerate(parts)}
        shallow = with_children(node, _STAND_INS[:len(parts)])
        shape = infer_shape(shallow, ChainMap(stand_ins, problem.shapes))
    memo[id(node)] = shape
    return shape


def pairs_of(mutations: Mutations, factor: Factor, problem: Problem) -> list[Mutant]:
    """Two slips at once, within MAX_PAIRS: a chain slip with an edit of one of its factors
    first (a factor left out and the wrong weight), then two edits of the key at separate
    places. Only edits that keep their target's shape combine, so every pair is as
    well-shaped as its parts."""
    if mutations.pairs is not None:
        return mutations.pairs
    out: list[Mutant] = []
    edits = [m.edits[0] for m in mutations.singles if m.edits[0].keeps_shape]
    chain = chain_of(factor, problem)
    touched = _link_edits(chain, edits)
    shown: dict[tuple[int, bool], Node] = {}
    for variant in chain.variants:
        if len(out) >= MAX_PAIRS // 2:
            break
        if variant.code not in ("missing-factor", "extra-factor", "order"):
            continue
        base = _written(variant.term, chain, shown)
        where = _places(base)
        for index, node, edit in touched:
            for transposed in (False, True):
                atom = shown.get((index, transposed))
                place = where.get(id(atom)) if atom is not None else None
                if place is None or (transposed and not isinstance(atom, Transpose)):
                    continue
                if transposed:
                    if isinstance(chain.links[index].node, Transpose):
                        continue  # written as the operand of the link's own transpose
                    place = (*place, 0)
                if len(out) < MAX_PAIRS // 2:
                    out.append(Mutant(put(base, place, node), variant.shape, (edit,), variant))
    places = mutations.places
    for first, second in itertools.combinations(edits, 2):
        if len(out) >= MAX_PAIRS:
            break
        here, there = places[id(first.target)], places[id(second.target)]
        if here[:len(there)] == there or there[:len(here)] == here:
            continue  # one inside the other: not two slips
        if first.code == second.code == "product-kind":
            continue
        twice = put(put(mutations.key, here, first.replacement), there, second.replacement)
        out.append(Mutant(twice, factor.shape, (first, second)))
    mutations.pairs = out
    return out


def _written(term, chain: Chain, shown: dict[tuple[int, bool], Node]) -> Node:
    """A chain variant as a tree whose factors are shared between variants (so their values
    are computed once), its matrix products balanced like the key's."""
    if not hasattr(term, "items"):
        node = shown.get((term.link, term.transposed))
        if node is None:
            link = chain.links[term.link].node
            node = (link if not term.transposed else link.operand
                    if isinstance(link, Transpose) else Transpose(0, 0, link))
            shown[(term.link, term.transposed)] = node
        return node
    items = [_written(item, chain, shown) for item in term.items]
    if term.op == "@":
        return _halves(items)
    node = items[0]
    for item in items[1:]:
        node = BinOp(0, 0, term.op, node, item)
    return node


def _link_edits(chain: Chain, edits: Sequence[Edit]) -> list[tuple[int, Node, Edit]]:
    """(link, the link's node with the edit, the edit) for each edit inside one factor of
    the chain: the factor as the key writes it, or a quantity in a factor from another
    step's key (a chain from the lesson's ``composes``)."""
    found = []
    for index in range(len(chain.links)):
        node = chain.links[index].node
        inside = _places(node)
        named: dict[str, tuple[int, ...]] = {}
        for name, place in _named_places(node):
            named.setdefault(name, place)
        for edit in edits:
            place = inside.get(id(edit.target))
            if place is None and isinstance(edit.target, Name):
                place = named.get(edit.target.name)
            if place is not None:
                found.append((index, put(node, place, edit.replacement), edit))
    return found


def _named_places(tree: Node, at: tuple[int, ...] = ()):
    if isinstance(tree, Name):
        yield tree.name, at
    for index, child in enumerate(children(tree)):
        yield from _named_places(child, (*at, index))


