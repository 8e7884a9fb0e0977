"""The functions of the input language: how each one shapes and computes its result.

Each function's shape rule and numpy implementation sit together here; the sympy
forms live in ``symbolic.py`` so that importing the engine does not import sympy
(the first screen must not wait for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Shape = tuple[int, int]
MAX_GENERATED_SIDE = 50


def shape_text(shape: Shape) -> str:
    return f"{shape[0]}×{shape[1]}"


def is_vector(shape: Shape) -> bool:
    return shape[0] == 1 or shape[1] == 1


class ShapeRuleError(Exception):
    """Raised by a shape rule; the caller adds the span and wraps it as an EngineError."""

    def __init__(self, message: str, kind: str = "shape") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Function:
    name: str
    arity: int
    signature: str
    description: str
    shape: Callable[[list[Shape], list[int | None]], Shape]
    numeric: Callable[..., np.ndarray]
    constant_args: bool = False  # ones(2, 1), eye(2): arguments are sizes, not matrices


def _same(shapes: list[Shape], _sizes: list[int | None]) -> Shape:
    return shapes[0]


def _diag_shape(shapes: list[Shape], _sizes: list[int | None]) -> Shape:
    shape = shapes[0]
    if not is_vector(shape):
        raise ShapeRuleError(
            f"diag turns a vector into a diagonal matrix, but its argument is "
            f"{shape_text(shape)}."
        )
    side = max(shape)
    return (side, side)


def _vector_shape(shapes: list[Shape], _sizes: list[int | None]) -> Shape:
    if not is_vector(shapes[0]):
        raise ShapeRuleError(
            f"softmax takes a vector, but its argument is {shape_text(shapes[0])}."
        )
    return shapes[0]


def _scalar(_shapes: list[Shape], _sizes: list[int | None]) -> Shape:
    return (1, 1)


def _size(value: int | None) -> int:
    if value is None or value < 1 or value > MAX_GENERATED_SIDE:
        raise ShapeRuleError(
            f"sizes must be whole numbers from 1 to {MAX_GENERATED_SIDE}, like ones(2, 1).",
            kind="limit",
        )
    return value


def _ones_shape(_shapes: list[Shape], sizes: list[int | None]) -> Shape:
    return (_size(sizes[0]), _size(sizes[1]))


def _eye_shape(_shapes: list[Shape], sizes: list[int | None]) -> Shape:
    side = _size(sizes[0])
    return (side, side)


def sigmoid(values: np.ndarray) -> np.ndarray:
    # tanh form: never overflows, unlike 1 / (1 + exp(-t)) for large negative t.
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - np.max(values))
    return shifted / np.sum(shifted)


def _diag(values: np.ndarray) -> np.ndarray:
    return np.diag(values.reshape(-1))


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("sigma", 1, "sigma(A)", "logistic sigmoid 1/(1+e^-t), elementwise; also σ",
                 _same, sigmoid),
        Function("exp", 1, "exp(A)", "e^t, elementwise", _same, np.exp),
        Function("log", 1, "log(A)", "natural logarithm, elementwise", _same, np.log),
        Function("tanh", 1, "tanh(A)", "hyperbolic tangent, elementwise", _same, np.tanh),
        Function("relu", 1, "relu(A)", "max(t, 0), elementwise", _same,
                 lambda v: np.maximum(v, 0.0)),
        Function("step", 1, "step(A)", "1 where t > 0, else 0, elementwise (relu')", _same,
                 lambda v: (v > 0).astype(float)),
        Function("sqrt", 1, "sqrt(A)", "square root, elementwise", _same, np.sqrt),
        Function("diag", 1, "diag(v)", "column or row vector → diagonal matrix",
                 _diag_shape, _diag),
        Function("softmax", 1, "softmax(v)", "e^v / sum(e^v) over a vector",
                 _vector_shape, _softmax),
        Function("sum", 1, "sum(A)", "sum of all entries (a 1×1 scalar)", _scalar,
                 lambda v: np.array([[np.sum(v)]])),
        Function("ones", 2, "ones(m, n)", "m×n matrix of ones", _ones_shape,
                 lambda m, n: np.ones((m, n)), constant_args=True),
        Function("eye", 1, "eye(n)", "n×n identity matrix", _eye_shape,
                 lambda n: np.eye(n), constant_args=True),
    )
}
