"""The edits of a step's key that make the wrong answers students write inside a factor.

Why apart from tutor.engine.mutations (which keeps the edited keys, their values and the
pairs of slips): this module knows the slips themselves, each a replacement of one
sub-tree of the key found from the key and the lesson's definitions — one quantity for
another of the same shape, an activation's value for its derivative, one kind of product
for the other, softmax's Jacobian taken as diagonal, a derivative's closed form at the
layer's input, one addend of a sum of paths or a batch's sum left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tutor.engine import numbers
from tutor.engine.errors import EngineError
from tutor.engine.functions import FUNCTIONS, Shape
from tutor.engine.nodes import (
    BinOp,
    Call,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    children,
    names_in,
    substitute,
)
from tutor.engine.numbers import EXACT
from tutor.engine.numeric import evaluate, evaluate_shared
from tutor.engine.parser import parse
from tutor.engine.shapes import infer_shape

if TYPE_CHECKING:
    from tutor.engine.check import Factor
    from tutor.engine.problem import Problem

CODES = ("wrong-quantity", "not-differentiated", "product-kind", "not-elementwise",
         "wrong-point", "missing-path", "missing-batch-sum")


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


def _inside(small: Node, big: Node) -> bool:
    return any(child is small or _inside(small, child) for child in children(big))


def edits_of(key: Node, factor: Factor, problem: Problem) -> Iterator[Edit]:
    """Every edit of ``key`` (already balanced: see tutor.engine.mutations), most specific first."""
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
        operands = chain_operands(node, inner)
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


def chain_operands(node: Node, inner: set[int] | None = None) -> list[Node]:
    if isinstance(node, BinOp) and node.op == "@":
        if inner is not None:
            inner.add(id(node))
        return chain_operands(node.left, inner) + chain_operands(node.right, inner)
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


def rule(function: str, argument: Node, out: Node) -> Node:
    """The function's derivative rule at ``argument``, its value written ``out``."""
    text = FUNCTIONS[function].derivative.format(arg="_arg", out="_out")
    written = parse(text, ["_arg", "_out"])
    return substitute(substitute(written, "_arg", argument), "_out", out)


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
            derivative = rule(function, argument, out)
            shape = infer_shape(derivative, problem.shapes)
        except EngineError:
            continue
        truths.append((function, argument, holder or "", shape,
                       [evaluate(derivative, point) for point in samples]))
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
                    values = [evaluate_shared(node, point, memo)
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
    spec = FUNCTIONS[function]
    if spec.elementwise:
        yield Edit("not-differentiated", spot.target, spot.put(value), **details)
        if "{out}" in spec.derivative and spec.derivative.strip() != "{out}":
            # The closed form in the output (1 − h², h(1 − h)) with the input put for it.
            yield Edit("wrong-point", spot.target,
                       spot.put(rule(function, argument, argument)), **details)
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
    for name, _node in problem.definitions:  # the paths from wrt to each quantity
        if name != own.wrt:
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
