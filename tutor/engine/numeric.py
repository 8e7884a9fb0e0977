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
