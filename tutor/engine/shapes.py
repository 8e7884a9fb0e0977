"""Strict shape inference: every operation's shapes must agree, with no broadcasting.

numpy would quietly broadcast a 1×2 row against a 2×1 column into a 2×2 matrix; a
student who did that by hand has made the very mistake this tutor exists to catch,
so here it is an error that names both shapes and the sub-expression.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tutor.engine.errors import EngineError, Suggestion
from tutor.engine.functions import FUNCTIONS, Shape, ShapeRuleError, shape_text
from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Node, Num, Transpose, to_text

MAX_EXPONENT = 64.0
OPERATION = {"+": "sum", "-": "difference", "*": "elementwise product", "/": "elementwise quotient"}


def infer_shape(node: Node, shapes: Mapping[str, Shape], broadcast: bool = False) -> Shape:
    """The shape of ``node``; raises ``EngineError(kind="shape")`` naming the culprit.

    ``broadcast=True`` accepts what numpy would broadcast; it exists only to evaluate a
    lesson's deliberately ill-shaped mistakes, never to accept an answer.
    """
    if isinstance(node, Num):
        return (1, 1)
    if isinstance(node, Name):
        return shapes[node.name]
    if isinstance(node, Neg):
        return infer_shape(node.operand, shapes, broadcast)
    if isinstance(node, Transpose):
        rows, cols = infer_shape(node.operand, shapes, broadcast)
        return (cols, rows)
    if isinstance(node, Matrix):
        for row in node.rows:
            for cell in row:
                cell_shape = infer_shape(cell, shapes, broadcast)
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
    left = infer_shape(node.left, shapes, broadcast)
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
    right = infer_shape(node.right, shapes, broadcast)
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


def _offer(node: Node, shape: Shape) -> Suggestion:
    return Suggestion(to_text(node), shape, node)


def _matmul_suggestion(node: BinOp, left: Shape, right: Shape
                       ) -> tuple[str | None, tuple[Suggestion, ...]]:
    a, b = node.left, node.right
    if right[1] == left[0]:
        swapped = _offer(BinOp(node.start, node.end, "@", b, a), (right[0], left[1]))
        return (f"The sizes fit the other way round, as {swapped.text} "
                f"({shape_text(swapped.shape)}): matrix products do not commute, so check the "
                "order of the factors."), (swapped,)
    if left[1] == right[1]:
        fixed = _offer(BinOp(node.start, node.end, "@", a, _transposed(b)),
                       (left[0], right[0]))
        return (f"Transposing the right side would make the sizes fit: {fixed.text} is "
                f"{shape_text(fixed.shape)}."), (fixed,)
    if left[0] == right[0]:
        fixed = _offer(BinOp(node.start, node.end, "@", _transposed(a), b),
                       (left[1], right[1]))
        return (f"Transposing the left side would make the sizes fit: {fixed.text} is "
                f"{shape_text(fixed.shape)}."), (fixed,)
    if left == (1, 1) or right == (1, 1):
        scaled = _offer(BinOp(node.start, node.end, "*", a, b), right if left == (1, 1) else left)
        return (f"To scale by a 1×1 quantity, use * instead of @: {scaled.text} is "
                f"{shape_text(scaled.shape)}."), (scaled,)
    return None, ()


def _elementwise_suggestion(node: BinOp, left: Shape, right: Shape
                            ) -> tuple[str | None, tuple[Suggestion, ...]]:
    a, b = node.left, node.right
    if left == (right[1], right[0]):
        transposed = _offer(BinOp(node.start, node.end, node.op, a, _transposed(b)),
                            left)
        product = _offer(BinOp(node.start, node.end, "@", a, b), (left[0], right[1]))
        return (f"The shapes are each other's transpose: add .T to one side "
                f"({transposed.text} is {shape_text(transposed.shape)}), or use @ for a matrix "
                f"product ({product.text} is {shape_text(product.shape)})."), (transposed, product)
    if node.op == "*" and left[1] == right[0]:
        product = _offer(BinOp(node.start, node.end, "@", a, b), (left[0], right[1]))
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
        arg_shapes = [infer_shape(arg, shapes, broadcast) for arg in node.args]
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
