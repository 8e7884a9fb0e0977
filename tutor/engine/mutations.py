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
wrong answer, so none is reported. The words are in tutor.engine.mutation_words.
"""

from __future__ import annotations

import itertools
from collections import ChainMap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.chains import POINT_CACHE, _fingerprint, chain_of
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape
from tutor.engine.nodes import (
    BinOp,
    Call,
    Matrix,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    children,
    names_in,
    substitute,
    with_children,
)
from tutor.engine.numbers import EXACT, Tolerance
from tutor.engine.numeric import _binop, evaluate
from tutor.engine.parser import parse
from tutor.engine.shapes import constant_value, infer_shape

if TYPE_CHECKING:
    from tutor.engine.chains import Chain, Variant
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem, Values

CODES = ("wrong-quantity", "not-differentiated", "product-kind", "not-elementwise",
         "wrong-point", "missing-path", "missing-batch-sum")
MAX_SINGLES = 3000  # edits of one step's key (a depth-8 network's longest key has ~1,000)
MAX_PAIRS = 1200  # two slips at once: a chain slip with an edit, then two edits (half each)


@dataclass(frozen=True)
class Edit:
    """One slip: the sub-tree ``target`` of the key written as ``replacement``."""

    code: str
    target: Node
    replacement: Node
    # What the words need: the quantity typed and the one it stands for (wrong-quantity),
    # the function and its argument (not-differentiated, not-elementwise, wrong-point), the
    # path or the batch sum left out (missing-path, missing-batch-sum).
    typed: str = ""
    meant: str = ""
    function: str = ""
    argument: Node | None = None
    output: str = ""
    keeps_shape: bool = True  # the replacement has the target's shape (edits then combine)
    within: Node | None = None  # the factor of the key (an operand of its @-product) it is in
    transposed: bool = False  # wrong-quantity: the other quantity written transposed (hᵀ)


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
        key = _fingerprint(point)
        memo = self._values.get(key)
        if memo is None:
            if len(self._values) >= POINT_CACHE:
                self._values.pop(next(iter(self._values)))
            memo = self._values[key] = {}
        return memo

    def value(self, node: Node, point: Values) -> np.ndarray:
        with np.errstate(all="ignore"):
            return _value(node, point, self._memo(point))

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
                        _value(mutant.node, points[0], memos[0]), key_value, near):
                    continue
                usable = 0
                for answer, point, memo in zip(answers, points, memos, strict=True):
                    value = _value(mutant.node, point, memo)
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
        key = (id(candidates), shape, _fingerprint(point))
        stacked = self._stacks.get(key)
        if stacked is None:
            memo = self._memo(point)
            stacked = np.stack([_value(m.node, point, memo) for m in group])
            if len(self._stacks) >= POINT_CACHE:
                self._stacks.pop(next(iter(self._stacks)))
            self._stacks[key] = stacked
        reach = tolerance.rtol + tolerance.kappa
        gap = np.max(np.abs(stacked - answer), axis=(1, 2))
        bound = reach * np.max(np.abs(stacked), axis=(1, 2)) + numbers.ZERO_FLOOR
        # A value that is not a number there is judged at the other points, one by one.
        keep = (gap <= bound) | ~np.all(np.isfinite(stacked), axis=(1, 2))
        return [group[i] for i in np.flatnonzero(keep)]


def _value(node: Node, point: Values, memo: dict[int, np.ndarray]) -> np.ndarray:
    """``evaluate`` with every sub-tree's value kept by identity: variants share sub-trees."""
    cached = memo.get(id(node))
    if cached is not None:
        return cached
    if isinstance(node, (Num, Name, Matrix)) or (
            isinstance(node, Call) and FUNCTIONS[node.func].constant_args):
        result = evaluate(node, point)
    elif isinstance(node, Neg):
        result = -_value(node.operand, point, memo)
    elif isinstance(node, Transpose):
        result = _value(node.operand, point, memo).T
    elif isinstance(node, Call):
        result = np.atleast_2d(FUNCTIONS[node.func].numeric(
            *(_value(arg, point, memo) for arg in node.args)))
    elif isinstance(node, BinOp) and node.op == "^":
        result = np.power(_value(node.left, point, memo), constant_value(node.right))
    elif isinstance(node, BinOp):
        result = np.atleast_2d(_binop(node.op, _value(node.left, point, memo),
                                      _value(node.right, point, memo), False))
    else:
        raise TypeError(f"not an expression node: {node!r}")
    result = np.asarray(result, dtype=float)
    memo[id(node)] = result
    return result


# -- deriving them ----------------------------------------------------------------------------
def mutations_of(factor: Factor, problem: Problem) -> Mutations:
    """The step's mutations, derived on first use and kept on the factor (shared by seeds)."""
    memo = factor.memo
    cached = memo.get("mutations")
    if cached is None or cached[0] is not problem:
        cached = (problem, derive(factor, problem))
        memo["mutations"] = cached
    return cached[1]


def derive(factor: Factor, problem: Problem) -> Mutations:
    # A long chain of matrix products written left to right is a path as deep as the chain;
    # balanced, an edit re-evaluates only log₂ of its factors (the values are the same).
    key = balanced(factor.expected)
    places = _places(key)
    shapes: dict[int, Shape] = {}
    whole = _shape(key, problem, shapes)
    singles = []
    for edit in itertools.islice(_edits(key, factor, problem), MAX_SINGLES):
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
        operands = [balanced(part) for part in _chain_operands(node)]
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


def _inside(small: Node, big: Node) -> bool:
    return any(child is small or _inside(small, child) for child in children(big))


def _edits(key: Node, factor: Factor, problem: Problem) -> Iterator[Edit]:
    factors = _product_factors(key)
    derivatives = list(_derivative_spots(key, factor, problem))
    inside_rules = {id(n) for spot in derivatives for n in _subtrees(spot[0].target)}
    yield from _missing_batch_sums(key, problem)
    yield from _missing_paths(key, factor, problem, inside_rules)
    for spot, function, argument, output in derivatives:
        yield from _derivative_edits(spot, function, argument, output, problem,
                                     _factor_of(spot.target, factors))
    yield from _product_kinds(key, problem, factors)
    yield from _wrong_quantities(key, factor, problem, factors)


def _subtrees(node: Node) -> Iterator[Node]:
    yield node
    for child in children(node):
        yield from _subtrees(child)


def _product_factors(key: Node) -> list[Node]:
    """The operands of the key's matrix product (transposes looked through): its factors."""
    if isinstance(key, Transpose):
        return _product_factors(key.operand)
    if isinstance(key, BinOp) and key.op == "@":
        return _product_factors(key.left) + _product_factors(key.right)
    return [key]


def _factor_of(node: Node, factors: Sequence[Node]) -> Node | None:
    for candidate in factors:
        if candidate is node or _inside(node, candidate):
            return candidate
    return None


# -- the wrong quantity -----------------------------------------------------------------------
def _wrong_quantities(key: Node, factor: Factor, problem: Problem, factors: Sequence[Node]
                      ) -> Iterator[Edit]:
    """Each quantity of the key as another of the same shape: everywhere in a factor of the
    chain (h2 * (1 - h2) for h1 * (1 - h1)), then at one place (W1 for W2)."""
    steps = set(factor.steps or ())
    quantities = [n for n in problem.shapes if n not in steps]
    by_shape: dict[Shape, list[str]] = {}
    for name in quantities:
        by_shape.setdefault(problem.shapes[name], []).append(name)
    single: list[tuple[Name, Node | None]] = []
    for part in factors:
        names = [n for n in _subtrees(part) if isinstance(n, Name) and n.name in problem.shapes
                 and n.name not in steps]
        seen: set[str] = set()
        for leaf in names:
            single.append((leaf, part))
            if leaf.name in seen or sum(1 for n in names if n.name == leaf.name) < 2:
                continue
            seen.add(leaf.name)
            for other in by_shape.get(problem.shapes[leaf.name], ()):
                if other != leaf.name:
                    yield Edit("wrong-quantity", part, substitute(part, leaf.name,
                                                                  Name(0, 0, other)),
                               typed=other, meant=leaf.name, within=part)
    for leaf, part in single:
        rows, columns = problem.shapes[leaf.name]
        for other in by_shape.get((rows, columns), ()):
            if other != leaf.name:
                yield Edit("wrong-quantity", leaf, Name(0, 0, other), typed=other,
                           meant=leaf.name, within=part)
        if rows != columns:  # hᵀ where the row of weights W3 belongs
            for other in by_shape.get((columns, rows), ()):
                yield Edit("wrong-quantity", leaf, Transpose(0, 0, Name(0, 0, other)),
                           typed=other, meant=leaf.name, within=part, transposed=True)


# -- ⊙ for @ ------------------------------------------------------------------------------------
def _product_kinds(key: Node, problem: Problem, factors: Sequence[Node]) -> Iterator[Edit]:
    """Each product as the other kind, where that fits; and in a chain of matrix products,
    two adjacent square factors multiplied entry by entry (A @ B * C @ D read as meant)."""
    inner: set[int] = set()
    for node in _subtrees(key):
        if not (isinstance(node, BinOp) and node.op == "@") or id(node) in inner:
            continue
        operands = _chain_operands(node, inner)
        if len(operands) < 3:
            continue
        for i in range(len(operands) - 1):
            pair = BinOp(0, 0, "*", operands[i], operands[i + 1])
            try:
                infer_shape(pair, problem.shapes)
            except EngineError:
                continue
            grouped = [*operands[:i], pair, *operands[i + 2:]]
            new = grouped[0]
            for part in grouped[1:]:
                new = BinOp(0, 0, "@", new, part)
            yield Edit("product-kind", node, new, typed="*", meant="@",
                       within=_factor_of(operands[i], factors))
    for node in _subtrees(key):
        if isinstance(node, BinOp) and node.op in ("@", "*"):
            other = "*" if node.op == "@" else "@"
            new = BinOp(0, 0, other, node.left, node.right)
            try:
                fits = infer_shape(new, problem.shapes)
            except EngineError:
                continue
            if fits == (1, 1) and node.op == "@":
                continue  # a dot product and its elementwise cousin: a sum, not a kind of product
            yield Edit("product-kind", node, new, typed=other, meant=node.op,
                       keeps_shape=fits == infer_shape(node, problem.shapes),
                       within=_factor_of(node, factors))


def _chain_operands(node: Node, inner: set[int] | None = None) -> list[Node]:
    if isinstance(node, BinOp) and node.op == "@":
        if inner is not None:
            inner.add(id(node))
        return _chain_operands(node.left, inner) + _chain_operands(node.right, inner)
    return [node]


# -- derivatives: not taken, not elementwise, at the wrong point --------------------------------
def _activations(problem: Problem) -> list[tuple[str, Node, Node, str]]:
    """(function, argument, its value as the lesson writes it, the name holding it) for each
    call of a function with a derivative rule in the lesson's definitions."""
    found = []
    for name, node in problem.definitions:
        for call in _subtrees(node):
            if isinstance(call, Call) and FUNCTIONS[call.func].derivative and call.args:
                holder = name if call is node else ""
                found.append((call.func, call.args[0], Name(0, 0, name) if holder else call,
                              holder))
    return found


def _rule(function: str, argument: Node, out: Node) -> Node:
    text = FUNCTIONS[function].derivative.format(arg="_arg", out="_out")
    rule = parse(text, ["_arg", "_out"])
    return substitute(substitute(rule, "_arg", argument), "_out", out)


def _derivative_spots(key: Node, factor: Factor, problem: Problem
                      ) -> Iterator[tuple[Node, str, Node, str]]:
    """Sub-trees of the key equal to a function's derivative at its argument (σ′(z2) as
    h2 * (1 - h2), softmax's Jacobian), with the function: where it can go undifferentiated.
    A run of an elementwise product ((w @ ones) * H * (1 - H)) is joined into one sub-tree."""
    layers = _activations(problem)
    if not layers:
        return
    samples = problem.samples
    truths = []
    for function, argument, out, holder in layers:
        try:
            rule = _rule(function, argument, out)
            shape = infer_shape(rule, problem.shapes)
        except EngineError:
            continue
        truths.append((function, argument, holder or "", shape,
                       [evaluate(rule, point) for point in samples]))
    if not truths:
        return
    memos: list[dict[int, np.ndarray]] = [{} for _ in samples]
    alive = []  # the runs built here stay alive while their values are kept by identity
    for node, target, rebuild in _joined(key):
        alive.append(node)
        if not names_in(node):
            continue
        try:
            shape = infer_shape(node, problem.shapes)
        except EngineError:
            continue
        values = None
        for function, argument, holder, want, truth in truths:
            if shape != want:
                continue
            if values is None:
                with np.errstate(all="ignore"):
                    values = [_value(node, point, memo)
                              for point, memo in zip(samples, memos, strict=True)]
            if _same(values, truth):
                yield Spot(target, rebuild), function, argument, holder
                break


@dataclass(frozen=True)
class Spot:
    """Where a derivative stands in the key: a sub-tree, or a run of an elementwise product
    (then ``target`` is the whole product and ``rebuild`` puts a replacement for the run)."""

    target: Node
    rebuild: object = None  # Callable[[Node], Node] | None

    def put(self, replacement: Node) -> Node:
        return replacement if self.rebuild is None else self.rebuild(replacement)


def _joined(key: Node) -> Iterator[tuple[Node, Node, object]]:
    """Every sub-tree, largest first, as (itself, itself, None); and each run of two or more
    operands of an elementwise product as (the run, the product, how to put a replacement
    for the run): H * (1 - H) inside (w @ ones) * H * (1 - H)."""
    yield key, key, None
    if isinstance(key, BinOp) and key.op == "*":
        operands = _operands(key)
        for length in range(len(operands) - 1, 1, -1):
            for start in range(len(operands) - length + 1):
                def rebuild(new: Node, start=start, length=length) -> Node:
                    return _chained([*operands[:start], new, *operands[start + length:]])

                yield _chained(operands[start:start + length]), key, rebuild
    for child in children(key):
        if isinstance(key, BinOp) and key.op == "*" and isinstance(child, BinOp) \
                and child.op == "*":
            yield from (n for n in _joined(child) if n[0] is not child)
        else:
            yield from _joined(child)


def _operands(node: Node) -> list[Node]:
    if isinstance(node, BinOp) and node.op == "*":
        return _operands(node.left) + _operands(node.right)
    return [node]


def _chained(operands: Sequence[Node]) -> Node:
    node = operands[0]
    for part in operands[1:]:
        node = BinOp(0, 0, "*", node, part)
    return node


def _same(values: Sequence[np.ndarray], truth: Sequence[np.ndarray]) -> bool:
    pairs = [(v, t) for v, t in zip(values, truth, strict=True)
             if np.all(np.isfinite(t)) and np.all(np.isfinite(v))]
    return bool(pairs) and all(v.shape == t.shape and numbers.close(v, t, EXACT)
                               for v, t in pairs)


def _derivative_edits(spot: Spot, function: str, argument: Node, holder: str,
                      problem: Problem, within: Node | None) -> Iterator[Edit]:
    value = Name(0, 0, holder) if holder else Call(0, 0, function, (argument,))
    details = dict(function=function, argument=argument, output=holder, within=within)
    rule = FUNCTIONS[function]
    if rule.elementwise:
        yield Edit("not-differentiated", spot.target, spot.put(value), **details)
        if "{out}" in rule.derivative and rule.derivative.strip() != "{out}":
            # The closed form in the output (1 − h², h(1 − h)) with the input put for it.
            yield Edit("wrong-point", spot.target,
                       spot.put(_rule(function, argument, argument)), **details)
        return
    side = infer_shape(argument, problem.shapes)[0]
    if side < 2:
        return
    # A function that mixes its inputs (softmax) differentiated entry by entry.
    one = Num(0, 0, "1")
    as_if = Call(0, 0, "diag", (BinOp(0, 0, "*", value, BinOp(0, 0, "-", one, value)),))
    yield Edit("not-elementwise", spot.target, spot.put(as_if), **details)
    yield Edit("not-elementwise", spot.target, spot.put(Call(0, 0, "diag", (value,))),
               **details)


# -- a path or a batch's sum left out -----------------------------------------------------------
def _missing_paths(key: Node, factor: Factor, problem: Problem, inside_rules: set[int]
                   ) -> Iterator[Edit]:
    """One addend of a sum of paths left out. A sum is one only where the step's quantity
    reaches the other along several paths, and not inside a derivative rule (1 − h²)."""
    if not _several_paths(factor, problem):
        return
    for node in _subtrees(key):
        if not (isinstance(node, BinOp) and node.op in "+-") or id(node) in inside_rules:
            continue
        if not (names_in(node.left) or _builds(node.left)) or not (
                names_in(node.right) or _builds(node.right)):
            continue
        try:
            whole = infer_shape(node, problem.shapes)
            if infer_shape(node.left, problem.shapes) != whole or infer_shape(
                    node.right, problem.shapes) != whole:
                continue
        except EngineError:
            continue
        kept_right = node.right if node.op == "+" else Neg(0, 0, node.right)
        yield Edit("missing-path", node, kept_right, argument=node.left)
        yield Edit("missing-path", node, node.left, argument=node.right)


def _builds(node: Node) -> bool:
    return isinstance(node, Call) and FUNCTIONS[node.func].constant_args


def _several_paths(factor: Factor, problem: Problem) -> bool:
    own = (factor.steps or {}).get(factor.step) if factor.step else None
    if own is None or not own.of or not own.wrt:
        return True  # no lesson's word on it: every sum may be one of paths
    uses = {name: names_in(node) for name, node in problem.definitions}
    counts: dict[str, int] = {own.wrt: 1}
    for name, _node in problem.definitions:
        counts[name] = sum(counts.get(used, 0) for used in uses[name])
    return counts.get(own.of, 0) > 1 or _aliased(own.wrt, problem)


def _aliased(wrt: str, problem: Problem) -> bool:
    """``wrt`` split into copies by the generator (x_a = x, x_b = x): each copy is a path."""
    copies = [name for name, node in problem.definitions
              if isinstance(node, Name) and node.name == wrt]
    return len(copies) > 1


def _missing_batch_sums(key: Node, problem: Problem) -> Iterator[Edit]:
    """A product with ones(n, 1) or ones(1, n) (n > 1) sums a batch's columns or rows:
    without it the answer is each example's gradient, unsummed."""
    for node in _subtrees(key):
        if not (isinstance(node, BinOp) and node.op == "@"):
            continue
        for ones, other in ((node.right, node.left), (node.left, node.right)):
            if isinstance(ones, Call) and ones.func == "ones":
                try:
                    rows, columns = infer_shape(ones, problem.shapes)
                except EngineError:
                    continue
                if min(rows, columns) == 1 and max(rows, columns) > 1:
                    yield Edit("missing-batch-sum", node, other, argument=ones,
                               keeps_shape=False)
