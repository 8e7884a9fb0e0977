"""Strict shape inference: every operation's shapes must agree, with no broadcasting.

numpy would quietly broadcast a 1×2 row against a 2×1 column into a 2×2 matrix; a
student who did that by hand has made the very mistake this tutor exists to catch,
so here it is an error that names both shapes and the sub-expression.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from tutor.engine.errors import EngineError, Suggestion
from tutor.engine.functions import FUNCTIONS, Shape, ShapeRuleError, shape_text
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
    to_text,
    with_children,
)

MAX_EXPONENT = 64.0
OPERATION = {"+": "sum", "-": "difference", "*": "elementwise product", "/": "elementwise quotient"}


def infer_shape(node: Node, shapes: Mapping[str, Shape], broadcast: bool = False) -> Shape:
    """The shape of ``node``; raises ``EngineError(kind="shape")`` naming the culprit.

    ``broadcast=True`` accepts what numpy would broadcast; it exists only to evaluate a
    lesson's deliberately ill-shaped mistakes, never to accept an answer.

    A clash's suggested rewrites each carry the whole of ``node`` with that rewrite
    (``Suggestion.whole``), so that a caller who knows what the answer should be can
    judge the rewrite as an answer before offering it (tutor.engine.check.redacted).
    """
    try:
        return _shape(node, shapes, broadcast)
    except EngineError as error:
        error.suggestions = tuple(
            replace(offer, whole=_spliced(node, offer.replaces, offer.node))
            for offer in error.suggestions
        )
        raise


def _shape(node: Node, shapes: Mapping[str, Shape], broadcast: bool) -> Shape:
    if isinstance(node, Num):
        return (1, 1)
    if isinstance(node, Name):
        return shapes[node.name]
    if isinstance(node, Neg):
        return _shape(node.operand, shapes, broadcast)
    if isinstance(node, Transpose):
        rows, cols = _shape(node.operand, shapes, broadcast)
        return (cols, rows)
    if isinstance(node, Matrix):
        for row in node.rows:
            for cell in row:
                cell_shape = _shape(cell, shapes, broadcast)
                if cell_shape != (1, 1):
                    raise EngineError(
                        f"Each entry of a matrix literal must be a number or a 1×1 "
                        f"expression, but {to_text(cell)} is {shape_text(cell_shape)}.",
                        cell.start,
                        cell.end,
                        kind="shape",
                    )
        return (len(node.rows), len(node.rows[0]))
    if isinstance(node, Call):
        return _call_shape(node, shapes, broadcast)
    if isinstance(node, BinOp):
        return _binop_shape(node, shapes, broadcast)
    raise TypeError(f"not an expression node: {node!r}")


def _binop_shape(node: BinOp, shapes: Mapping[str, Shape], broadcast: bool) -> Shape:
    left = _shape(node.left, shapes, broadcast)
    if node.op == "^":
        exponent = constant_value(node.right)
        if exponent is None:
            raise EngineError(
                "An exponent must be a number, as in h2^2; for e to a power use exp(...).",
                node.right.start,
                node.right.end,
                kind="shape",
            )
        if abs(exponent) > MAX_EXPONENT:
            raise EngineError(
                f"The exponent {exponent:g} is too large; exponents here stay within "
                f"±{MAX_EXPONENT:g}.",
                node.right.start,
                node.right.end,
                kind="limit",
            )
        return left
    right = _shape(node.right, shapes, broadcast)
    if broadcast:
        return _numpy_shape(node, left, right)
    if node.op == "@":
        if left[1] != right[0]:
            advice, offers = _matmul_suggestion(node, left, right)
            raise EngineError(
                f"Matrix product {to_text(node)}: the left side is {shape_text(left)} and the "
                f"right side is {shape_text(right)}, so the inner sizes {left[1]} and "
                f"{right[0]} do not match.",
                node.start,
                node.end,
                kind="shape",
                suggestion=advice,
                suggestions=offers,
            )
        return (left[0], right[1])
    if left == right or right == (1, 1):
        return left
    if left == (1, 1):
        return right
    advice, offers = _elementwise_suggestion(node, left, right)
    raise EngineError(
        f"The {OPERATION[node.op]} {to_text(node)} needs equal shapes (or a 1×1 scalar), "
        f"but the left side is {shape_text(left)} and the right side is {shape_text(right)}. "
        "There is no broadcasting here.",
        node.start,
        node.end,
        kind="shape",
        suggestion=advice,
        suggestions=offers,
    )


def _numpy_shape(node: BinOp, left: Shape, right: Shape) -> Shape:
    if node.op == "@" and (1, 1) not in (left, right):
        if left[1] != right[0]:
            raise EngineError(f"{to_text(node)}: sizes do not match", node.start, node.end,
                              kind="shape")
        return (left[0], right[1])
    rows, cols = (max(a, b) for a, b in zip(left, right, strict=True))
    pairs = zip(left + right, (rows, cols) * 2, strict=True)
    if any(side not in (1, full) for side, full in pairs):
        raise EngineError(f"{to_text(node)}: shapes do not broadcast", node.start, node.end,
                          kind="shape")
    return (rows, cols)


def _transposed(node: Node) -> Node:
    if isinstance(node, Transpose):
        return node.operand
    return Transpose(node.start, node.end, node)


def _offer(culprit: BinOp, rewrite: BinOp, shape: Shape) -> Suggestion:
    return Suggestion(to_text(rewrite), shape, rewrite, replaces=culprit)


def _spliced(root: Node, old: Node | None, new: Node) -> Node:
    """``root`` with the node ``old`` itself (not an equal one elsewhere) replaced by ``new``."""
    if root is old:
        return new
    parts = children(root)
    if not parts:
        return root
    return with_children(root, tuple(_spliced(part, old, new) for part in parts))


def _matmul_suggestion(node: BinOp, left: Shape, right: Shape
                       ) -> tuple[str | None, tuple[Suggestion, ...]]:
    a, b = node.left, node.right
    if right[1] == left[0]:
        swapped = _offer(node, BinOp(node.start, node.end, "@", b, a), (right[0], left[1]))
        return (f"The sizes fit the other way round, as {swapped.text} "
                f"({shape_text(swapped.shape)}): matrix products do not commute, so check the "
                "order of the factors."), (swapped,)
    if left[1] == right[1]:
        fixed = _offer(node, BinOp(node.start, node.end, "@", a, _transposed(b)),
                       (left[0], right[0]))
        return (f"Transposing the right side would make the sizes fit: {fixed.text} is "
                f"{shape_text(fixed.shape)}."), (fixed,)
    if left[0] == right[0]:
        fixed = _offer(node, BinOp(node.start, node.end, "@", _transposed(a), b),
                       (left[1], right[1]))
        return (f"Transposing the left side would make the sizes fit: {fixed.text} is "
                f"{shape_text(fixed.shape)}."), (fixed,)
    if left == (1, 1) or right == (1, 1):
        scaled = _offer(node, BinOp(node.start, node.end, "*", a, b),
                        right if left == (1, 1) else left)
        return (f"To scale by a 1×1 quantity, use * instead of @: {scaled.text} is "
                f"{shape_text(scaled.shape)}."), (scaled,)
    return None, ()


def shapes_alone(culprit: BinOp, whole: bool, label: str, target: Shape,
                 shapes: Mapping[str, Shape]) -> str:
    """What to work out from a clash's shapes, with no rewrite: said in place of the
    rewrites when each would be a wrong answer or the factor itself. ``whole``: the
    clash is the whole answer, not a part of it."""
    goal = shape_text(target)
    where = "" if whole else f" in {to_text(culprit)}"
    if culprit.op == "@":
        sides = (_shape(culprit.left, shapes, False), _shape(culprit.right, shapes, False))
        advice = (f"which factors the chain multiplies{where or ' here'}, in which order, "
                  "and whether one of them is transposed.")
        if (1, 1) in sides:
            advice += " A 1×1 quantity scales with *, not @."
    elif culprit.op == "*":
        advice = f"what each side should be{where}, and which product, @ or *, joins them."
    else:
        advice = (f"what each side of the {OPERATION[culprit.op]}{where} should be, and "
                  "whether one of them is transposed.")
    tail = "" if whole else f" Your whole answer must be {goal}."
    return f"{label} is {goal}: work out from these shapes {advice}{tail}"


def _elementwise_suggestion(node: BinOp, left: Shape, right: Shape
                            ) -> tuple[str | None, tuple[Suggestion, ...]]:
    a, b = node.left, node.right
    if left == (right[1], right[0]):
        transposed = _offer(node, BinOp(node.start, node.end, node.op, a, _transposed(b)),
                            left)
        product = _offer(node, BinOp(node.start, node.end, "@", a, b), (left[0], right[1]))
        return (f"The shapes are each other's transpose: add .T to one side "
                f"({transposed.text} is {shape_text(transposed.shape)}), or use @ for a matrix "
                f"product ({product.text} is {shape_text(product.shape)})."), (transposed, product)
    if node.op == "*" and left[1] == right[0]:
        product = _offer(node, BinOp(node.start, node.end, "@", a, b), (left[0], right[1]))
        return (f"Did you mean a matrix product? {product.text} is "
                f"{shape_text(product.shape)}."), (product,)
    return None, ()


def _call_shape(node: Call, shapes: Mapping[str, Shape], broadcast: bool) -> Shape:
    function = FUNCTIONS.get(node.func)
    if function is None:
        raise EngineError(f"Unknown function {node.func!r}.", node.start, node.end, kind="name")
    if len(node.args) != function.arity:
        plural = "s" if function.arity != 1 else ""
        raise EngineError(
            f"{node.func} takes {function.arity} argument{plural} ({function.signature}), "
            f"but got {len(node.args)}.",
            node.start,
            node.end,
            kind="shape",
        )
    if function.constant_args:
        sizes = [_whole(constant_value(arg)) for arg in node.args]
        arg_shapes: list[Shape] = []
    else:
        sizes = []
        arg_shapes = [_shape(arg, shapes, broadcast) for arg in node.args]
    try:
        return function.shape(arg_shapes, sizes)
    except ShapeRuleError as problem:
        raise EngineError(str(problem), node.start, node.end, kind=problem.kind) from None


def _whole(value: float | None) -> int | None:
    if value is None or value != int(value):
        return None
    return int(value)


def constant_value(node: Node) -> float | None:
    """The value of an expression made only of numbers (None if it mentions a name)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        inner = constant_value(node.operand)
        return None if inner is None else -inner
    if isinstance(node, BinOp) and node.op in "+-*/^":
        left, right = constant_value(node.left), constant_value(node.right)
        if left is None or right is None:
            return None
        try:
            value = _fold(node, left, right)
            if not math.isfinite(value):  # 1e11*1e11*… overflows to inf without raising
                raise OverflowError(value)
            return value
        except (OverflowError, ZeroDivisionError, ValueError):
            raise EngineError(
                f"{to_text(node)} has no finite value.", node.start, node.end, kind="limit"
            ) from None
    return None


def _fold(node: BinOp, left: float, right: float) -> float:
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if node.op == "/":
        return left / right
    if abs(right) > MAX_EXPONENT:
        raise EngineError(
            f"The exponent {right:g} is too large; exponents here stay within ±{MAX_EXPONENT:g}.",
            node.right.start,
            node.right.end,
            kind="limit",
        )
    result = left**right
    if isinstance(result, complex):
        raise ValueError("complex power")
    return float(result)
