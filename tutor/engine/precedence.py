"""A wrong answer that is right as its writer grouped it: a precedence slip, and where the
parentheses go.

`diag(h2 * 1-h2)` is read as `diag((h2 * 1) - h2)`, because * binds tighter than -, but
its writer meant `h2 * (1-h2)`, and the mathematics was right. Telling them "check each
factor of the chain" points the wrong way; saying where the parentheses go does not give
the answer away, since the student typed every symbol of it.

From the parsed tree (whose nodes keep their spans of the student's text), each grouping
the parser chose between two neighbouring operations that the student did not bracket is
undone, one at a time and then in pairs, within a bound on work (MAX_WORK):

* ``a op1 b op2 c`` read as ``(a op1 b) op2 c`` regrouped as ``a op1 (b op2 c)``
  (`h2 * 1-h2`, `1/1+e`, `a/b*c`), and the reverse (`a*b^2` as `(a*b)^2`); never within
  a chain of one associative operation, (a@b)@c being a@(b@c);
* a minus sign in front: `-x^2` as `(-x)^2`, `-a+b` as `-(a+b)`;
* only when the shapes clash as typed (a transpose or a function's parenthesis is
  otherwise written on purpose, and moving it would turn an order slip, BᵀAᵀ for
  (AB)ᵀ, into a "precedence" one): a transpose after a product, `W @ x.T` as
  `(W @ x).T`, and a function's closing parenthesis placed early, `diag(h2) * (1-h2)`
  as `diag(h2 * (1-h2))`.

A regrouping is reported only when it is shape-valid (strictly, as every answer is) and
equal to the key at every point the checker uses, by the checker's own rule. The
sentence shows the operands that belong together and how the text was read as typed,
never the regrouped answer itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from tutor.engine import numbers
from tutor.engine.errors import EngineError
from tutor.engine.functions import Shape
from tutor.engine.nodes import (
    PRECEDENCE,
    BinOp,
    Call,
    Neg,
    Node,
    Transpose,
    children,
    with_children,
)
from tutor.engine.numbers import EXACT
from tutor.engine.numeric import evaluate
from tutor.engine.problem import Problem, Values
from tutor.engine.shapes import infer_shape

ASSOCIATIVE = ("@", "*", "+")
# Regrouped trees tried per answer (singles, then pairs) times the answer's size in nodes:
# each try checks the shape of the whole tree and evaluates it, so the time a wrong answer
# may take here stays near 15 ms however long it is (a 20-node answer: 75 tries).
MAX_WORK = 1500


@dataclass(frozen=True)
class Regrouping:
    """Where the student's parentheses belong, in words for them."""

    sentence: str
    spots: tuple[str, ...]  # each regrouped spot as the student typed it: `h2 * 1-h2`


@dataclass(frozen=True)
class _Spot:
    """One regrouping: what goes together, and how the text was read instead."""

    together: str  # "`1-h2` is in parentheses"
    reading: str  # "as typed, `h2 * 1-h2` means `(h2 * 1)-h2`, because * binds tighter than -"
    typed: str  # "h2 * 1-h2"


def regrouping(text: str, node: Node, shape: Shape, problem: Problem,
               points: Sequence[Values], expected: Sequence[np.ndarray]) -> Regrouping | None:
    """A regrouping of ``node`` (parsed from ``text``) that is right, said for the student.

    ``expected[i]`` is the key's value at ``points[i]``; ``shape`` the factor's.
    """
    usable = [i for i, e in enumerate(expected) if np.all(np.isfinite(e))]
    if not usable:
        return None
    limit = max(1, MAX_WORK // _size(node))
    try:
        infer_shape(node, problem.shapes)
        movable = False
    except EngineError:
        movable = True  # a transpose or a function's parenthesis may be misplaced
    tried = 0
    singles: list[Rotation] = []
    for tree, say, fixed in _rotations(node, text, frozenset(), movable):
        tried += 1
        if _right(tree, shape, problem, points, expected, usable) and (spot := say()):
            return _regrouping([spot])
        singles.append((tree, say, fixed))
        if tried >= limit:
            return None
    for first, say_first, fixed in singles:
        for tree, say, _ in _rotations(first, text, fixed, movable):
            tried += 1
            if (_right(tree, shape, problem, points, expected, usable)
                    and (spot := say_first()) and (second := say())):
                return _regrouping([spot, second])
            if tried >= limit:
                return None
    return None


def _size(node: Node) -> int:
    count, stack = 0, [node]
    while stack:
        count += 1
        stack.extend(children(stack.pop()))
    return count


def _right(tree: Node, shape: Shape, problem: Problem, points: Sequence[Values],
           expected: Sequence[np.ndarray], usable: list[int]) -> bool:
    """Shape-valid and equal to the key wherever the key is a number (check._verified)."""
    try:
        if infer_shape(tree, problem.shapes) != shape:
            return False
        with np.errstate(all="ignore"):
            return all(numbers.close(evaluate(tree, points[i]), expected[i], EXACT)
                       for i in usable)
    except (EngineError, ArithmeticError, ValueError):
        return False


def _regrouping(spots: list[_Spot]) -> Regrouping:
    typed = tuple(spot.typed for spot in spots)
    if len(spots) == 1:
        return Regrouping(f"Your answer is right if {spots[0].together}: {spots[0].reading}.",
                          typed)
    first, second = spots
    return Regrouping(f"Your answer is right if {first.together} ({first.reading}), and then "
                      f"{second.together} ({second.reading}).", typed)


# -- the regroupings -------------------------------------------------------------------------

# The regrouped tree, how to say it (worded only for the one that is right: None when the
# words would cut through a parenthesis), and the groups made so far.
Rotation = tuple[Node, Callable[[], _Spot | None], frozenset[int]]


def _rotations(node: Node, text: str, fixed: frozenset[int], movable: bool
               ) -> Iterator[Rotation]:
    """Each tree with one grouping undone, anywhere in ``node``. ``fixed``: the groups an
    earlier regrouping made, which are the student's now and are not broken again;
    ``movable``: the answer's shapes clash as typed (see clashes, in _here)."""
    yield from _here(node, text, fixed, movable)
    parts = children(node)
    for index, child in enumerate(parts):
        for tree, say, made in _rotations(child, text, fixed, movable):
            changed = (*parts[:index], tree, *parts[index + 1:])
            yield with_children(node, changed), say, made


def _here(node: Node, text: str, fixed: frozenset[int], movable: bool
          ) -> Iterator[Rotation]:
    def open_(child: Node) -> bool:
        return not _bracketed(child, text, fixed)

    def clashes() -> bool:
        """A transpose or a function's parenthesis is written on purpose, unless the
        shapes clash as typed (`(A @ B).T @ x.T` without its parentheses): only then is
        moving it what the student meant."""
        return movable

    def made(tree: Node, inner: Node, say: Callable[[], _Spot | None]) -> Rotation:
        return tree, say, fixed | {id(inner)}

    if isinstance(node, BinOp):
        left, right = node.left, node.right
        if _regroups(left, node.op) and open_(left):  # (a op1 b) op2 c → a op1 (b op2 c)
            inner = BinOp(left.right.start, right.end, node.op, left.right, right)
            why = _why_left(left.op, node.op)
            yield made(BinOp(node.start, node.end, left.op, left.left, inner), inner,
                       partial(_grouped, text, node, left, inner, why))
        if _regroups(right, node.op) and open_(right):  # a op1 (b op2 c) → (a op1 b) op2 c
            inner = BinOp(left.start, right.left.end, node.op, left, right.left)
            why = _why_right(node.op, right.op)
            yield made(BinOp(node.start, node.end, right.op, inner, right.right), inner,
                       partial(_grouped, text, node, right, inner, why))
        if isinstance(left, Neg) and open_(left):  # (-a) op b → -(a op b)
            inner = BinOp(left.operand.start, right.end, node.op, left.operand, right)
            why = "a minus sign in front applies only to the term right after it"
            yield made(Neg(node.start, node.end, inner), inner,
                       partial(_grouped, text, node, left, inner, why))
        if isinstance(right, Transpose) and open_(right) and clashes():  # a op b.T → (a op b).T
            inner = BinOp(left.start, right.operand.end, node.op, left, right.operand)
            why = "a transpose applies only to what stands right before it"
            yield made(Transpose(node.start, node.end, inner), inner,
                       partial(_grouped, text, node, right, inner, why))
        if isinstance(left, Call) and len(left.args) == 1 and clashes():  # f(a) op b → f(a op b)
            inner = BinOp(left.args[0].start, right.end, node.op, left.args[0], right)
            yield made(Call(node.start, node.end, left.func, (inner,)), inner,
                       partial(_closed_early, text, node))
    if isinstance(node, Neg) and isinstance(node.operand, BinOp) and open_(node.operand):
        operand = node.operand  # -(a op b), as -a^2 is read → (-a) op b
        minus = _minus_at(text, node)
        inner = Neg(minus, operand.left.end, operand.left)
        yield made(BinOp(node.start, node.end, operand.op, inner, operand.right), inner,
                   partial(_signed, text, minus, operand, inner))


def _regroups(child: Node, op: str) -> bool:
    """A neighbour whose regrouping with ``op`` can change the value: (a@b)@c is a@(b@c)."""
    return isinstance(child, BinOp) and not (child.op == op and op in ASSOCIATIVE)


def _spot(together: str, reading: str, typed: str) -> _Spot | None:
    """``None`` when the text to show would cut through a parenthesis: a second regrouping
    inside a function's argument that the first one widened is no slip anyone makes."""
    if not (_balanced(together) and _balanced(reading) and _balanced(typed)):
        return None
    return _Spot(together, reading, typed)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _grouped(text: str, node: BinOp, read: Node, inner: Node, why: str) -> _Spot | None:
    """``inner`` belongs together; the parser read ``node`` with ``read`` bracketed."""
    start, end = node.left.start, node.right.end  # inside any parentheses of the node
    shown = (_span(text, start, read.start) + f"({_span(text, read.start, read.end)})"
             + _span(text, read.end, end))
    return _spot(f"`{_span(text, inner.start, inner.end)}` is in parentheses",
                 f"as typed, `{_span(text, start, end)}` means `{shown}`, because {why}",
                 _span(text, start, end))


def _closed_early(text: str, node: BinOp) -> _Spot | None:
    call = node.left
    argument = call.args[0]
    name = text[call.start:argument.start].rstrip("( ")
    return _spot(f"`{_span(text, call.end, node.right.end).strip()}` is inside {name}(…)",
                 f"as typed, `{_span(text, call.start, node.right.end)}` applies {name} to "
                 f"`{_span(text, argument.start, argument.end)}` alone",
                 _span(text, call.start, node.right.end))


def _signed(text: str, minus: int, operand: BinOp, inner: Node) -> _Spot | None:
    sign, power = _span(text, minus, operand.start), _span(text, operand.start, operand.end)
    return _spot(f"`{_span(text, inner.start, inner.end)}` is in parentheses",
                 f"as typed, `{sign}{power}` means `{sign}({power})`, because {operand.op} "
                 "binds tighter than the minus sign", sign + power)


def _why_left(tighter: str, outer: str) -> str:
    if PRECEDENCE[tighter] > PRECEDENCE[outer]:
        return f"{tighter} binds tighter than {outer}"
    if tighter == outer:
        return f"a chain of {outer} is worked out left to right"
    return f"{tighter} and {outer} bind equally and are worked out left to right"


def _why_right(outer: str, tighter: str) -> str:
    if PRECEDENCE[tighter] > PRECEDENCE[outer]:
        return f"{tighter} binds tighter than {outer}"
    return f"a chain of {tighter} is worked out right to left"  # only ^ nests to the right


def _span(text: str, start: int, end: int) -> str:
    return text[start:end]


def _bracketed(node: Node, text: str, fixed: frozenset[int]) -> bool:
    """Whether the student put ``node`` in parentheses (or an earlier regrouping did)."""
    if id(node) in fixed:
        return True
    if isinstance(node, BinOp):
        return node.start != node.left.start or node.end != node.right.end
    if isinstance(node, Neg):
        return text[node.start:node.start + 1] == "("
    if isinstance(node, Transpose):
        return node.start != node.operand.start
    return True


def _minus_at(text: str, node: Neg) -> int:
    """Where the minus sign of ``node`` stands (after its opening parenthesis, if any)."""
    at = node.start
    if text[at:at + 1] == "(":
        at += 1
        while at < node.operand.start and text[at].isspace():
            at += 1
    return at
