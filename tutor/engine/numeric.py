"""Evaluate an expression tree with numpy, on 2-D arrays only.

Call ``infer_shape`` first: this module trusts the shapes. The one exception is
``broadcast=True``, used only to recognise a lesson's declared mistakes that are
themselves ill-shaped (the posted closed form multiplies a row by a column): it
evaluates them the way numpy would, so that the mistake can be recognised and
explained rather than just rejected.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tutor.engine.functions import FUNCTIONS
from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Node, Num, Transpose
from tutor.engine.shapes import constant_value


def evaluate(node: Node, values: Mapping[str, np.ndarray], broadcast: bool = False) -> np.ndarray:
    """The expression's value as a 2-D float array (may hold inf/nan; never warns)."""
    with np.errstate(all="ignore"):
        result = _value(node, values, broadcast)
    return np.atleast_2d(np.asarray(result, dtype=float))


def _value(node: Node, values: Mapping[str, np.ndarray], broadcast: bool) -> np.ndarray:
    if isinstance(node, Num):
        return np.array([[node.value]])
    if isinstance(node, Name):
        return values[node.name]
    if isinstance(node, Neg):
        return -_value(node.operand, values, broadcast)
    if isinstance(node, Transpose):
        return _value(node.operand, values, broadcast).T
    if isinstance(node, Matrix):
        return np.array(
            [[_value(cell, values, broadcast).item() for cell in row] for row in node.rows]
        )
    if isinstance(node, Call):
        function = FUNCTIONS[node.func]
        if function.constant_args:
            return function.numeric(*(int(constant_value(arg)) for arg in node.args))
        return function.numeric(*(_value(arg, values, broadcast) for arg in node.args))
    if isinstance(node, BinOp):
        left = _value(node.left, values, broadcast)
        if node.op == "^":
            return np.power(left, constant_value(node.right))
        right = _value(node.right, values, broadcast)
        return _binop(node.op, left, right, broadcast)
    raise TypeError(f"not an expression node: {node!r}")


def _binop(op: str, left: np.ndarray, right: np.ndarray, broadcast: bool) -> np.ndarray:
    if op == "@":
        if broadcast and (left.shape == (1, 1) or right.shape == (1, 1)):
            return left * right
        return left @ right
    if not broadcast:
        # Strict shapes were checked; only a 1×1 operand may stretch.
        if left.shape == (1, 1):
            left = left.item()
        elif right.shape == (1, 1):
            right = right.item()
    if op == "+":
        return np.add(left, right)
    if op == "-":
        return np.subtract(left, right)
    if op == "*":
        return np.multiply(left, right)
    return np.divide(left, right)


def evaluate_shared(node: Node, point: Mapping[str, np.ndarray], memo: dict[int, np.ndarray]
                    ) -> np.ndarray:
    """``evaluate`` with every sub-tree's value kept in ``memo`` by identity, for trees that
    share sub-trees (the key's mutations, tutor.engine.mutations): each costs only its own
    nodes. The caller keeps the trees alive as long as the memo (an id is reused after)
    and silences numpy's warnings."""
    cached = memo.get(id(node))
    if cached is not None:
        return cached
    if isinstance(node, (Num, Name, Matrix)) or (
            isinstance(node, Call) and FUNCTIONS[node.func].constant_args):
        result = evaluate(node, point)
    elif isinstance(node, Neg):
        result = -evaluate_shared(node.operand, point, memo)
    elif isinstance(node, Transpose):
        result = evaluate_shared(node.operand, point, memo).T
    elif isinstance(node, Call):
        result = np.atleast_2d(FUNCTIONS[node.func].numeric(
            *(evaluate_shared(arg, point, memo) for arg in node.args)))
    elif isinstance(node, BinOp) and node.op == "^":
        result = np.power(evaluate_shared(node.left, point, memo), constant_value(node.right))
    elif isinstance(node, BinOp):
        result = np.atleast_2d(_binop(node.op, evaluate_shared(node.left, point, memo),
                                      evaluate_shared(node.right, point, memo), False))
    else:
        raise TypeError(f"not an expression node: {node!r}")
    result = np.asarray(result, dtype=float)
    memo[id(node)] = result
    return result
