"""The functions of the answer language, each declared once, with everything about it.

A function's record holds its arity and signature (for help and error messages),
its shape rule, its numpy implementation, its sympy form, the glyph the screen
writes it with, and how much it grows an expression for the prover's size
estimate. The parser, shape inference, numeric evaluation, the symbolic prover,
``Problem.symbolic_size`` and the printers all read these records, so adding a
function to the language means adding one record here (and its tests and docs).

The sympy forms are lazy: they reach sympy through ``sp``, which imports it on
first use, so importing the engine does not import sympy (the first screen must
not wait for it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

Shape = tuple[int, int]
ShapeRule = Callable[[list[Shape], list[int | None]], Shape]
# The size estimate of a call from its arguments' sizes and, on request, their shapes.
SizeRule = Callable[[list[int], Callable[[int], Shape]], int]
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


class _LazySympy:
    """``sp.exp`` is ``sympy.exp``, with sympy imported the first time a form is built."""

    def __getattr__(self, name: str) -> Any:
        import sympy

        return getattr(sympy, name)


sp: Any = _LazySympy()


def per_entry(parts: list[int], _shape_of: Callable[[int], Shape]) -> int:
    """Each entry of the result is built from one entry of each argument."""
    return sum(parts) + 1


def whole_argument(parts: list[int], shape_of: Callable[[int], Shape]) -> int:
    """Each entry of the result may depend on every entry of the argument."""
    rows, cols = shape_of(0)
    return rows * cols * parts[0] + 1


@dataclass(frozen=True)
class Function:
    name: str
    arity: int
    signature: str  # how help and error messages write a call: "diag(v)"
    description: str
    shape: ShapeRule
    numeric: Callable[..., np.ndarray]
    symbolic: Callable[..., Any]  # sympy.Matrix arguments (or sizes) → sympy.Matrix
    glyph: str | None = None  # how the screen writes the name; it parses back
    size: SizeRule = per_entry
    constant_args: bool = False  # ones(2, 1), eye(2): arguments are sizes, not matrices
    elementwise: bool = False  # applied entry by entry, so it keeps its argument's shape
    # The derivative rule, in the answer language: {arg} is the argument, {out} the call's
    # value (a network names it, as h1 = sigma(z1), so σ' reads h1 * (1 - h1) as the
    # shipped lessons write it). For an elementwise function it is f' entry by entry; for
    # softmax, its Jacobian for a column argument. The lesson generator (tutor.networks.generator)
    # writes steps with it, and the chain diagnoses (tutor.engine.chains) build σ'(h)
    # from it, the slip of taking σ' at the output. None: nothing differentiates it.
    derivative: str | None = None

    @property
    def written(self) -> str:
        """The name as the screen prints it."""
        return self.glyph or self.name


def _same(shapes: list[Shape], _sizes: list[int | None]) -> Shape:
    return shapes[0]


def elementwise(
    name: str,
    description: str,
    numeric: Callable[[np.ndarray], np.ndarray],
    scalar: Callable[[Any], Any],
    glyph: str | None = None,
    derivative: str | None = None,
) -> Function:
    """A function applied entry by entry; ``scalar`` is its sympy form on one entry."""
    return Function(name, 1, f"{name}(A)", description, _same, numeric,
                    lambda matrix: matrix.applyfunc(scalar), glyph=glyph, elementwise=True,
                    derivative=derivative)


# -- shape rules ---------------------------------------------------------------------------
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


# -- numpy forms ---------------------------------------------------------------------------
def sigmoid(values: np.ndarray) -> np.ndarray:
    # e^-|t| never overflows (1 / (1 + exp(-t)) does for large negative t), and, unlike
    # the tanh form 0.5 (1 + tanh(t/2)), keeps σ(-40) = 4e-18 instead of rounding it to 0,
    # so -log σ(s), the logistic loss, is a number wherever a course draws s.
    small = np.exp(-np.abs(values))
    return np.where(values >= 0, 1.0 / (1.0 + small), small / (1.0 + small))


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - np.max(values))
    return shifted / np.sum(shifted)


def _diag(values: np.ndarray) -> np.ndarray:
    return np.diag(values.reshape(-1))


# -- sympy forms ---------------------------------------------------------------------------
# sigma, relu and step stay opaque to sympy, each with its own derivative, so that the
# chain rule comes out as a student writes it: σ(1 − σ), not a quotient of exponentials;
# step(t), not a Piecewise.
@cache
def sympy_sigma() -> type:
    class sigma(sp.Function):  # noqa: N801 - printed as σ-free "sigma" in sympy output
        """The logistic sigmoid; its derivative is σ(1 − σ), which is what the chain rule uses."""

        @classmethod
        def eval(cls, arg):
            if arg.is_zero:
                return sp.Rational(1, 2)
            return None

        def fdiff(self, argindex=1):
            value = sigma(self.args[0])
            return value * (1 - value)

        def _eval_rewrite_as_exp(self, arg, **kwargs):
            return 1 / (1 + sp.exp(-arg))

        def _eval_is_real(self):
            return self.args[0].is_real

    return sigma


@cache
def sympy_step() -> type:
    class step(sp.Function):  # noqa: N801
        """Heaviside step 1[t > 0]; its derivative is taken as 0 (we never differentiate it)."""

        def fdiff(self, argindex=1):
            return sp.S.Zero

    return step


@cache
def sympy_relu() -> type:
    class relu(sp.Function):  # noqa: N801
        """max(t, 0) kept as an opaque function so its derivative is step(t), not a Piecewise."""

        def fdiff(self, argindex=1):
            return sympy_step()(self.args[0])

    return relu


def _softmax_sympy(vector: Any) -> Any:
    exps = vector.applyfunc(sp.exp)
    total = sum(exps)
    return exps.applyfunc(lambda entry: entry / total)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        elementwise("sigma", "logistic sigmoid 1/(1+e^-t), elementwise; also σ", sigmoid,
                    lambda t: sympy_sigma()(t), glyph="σ",
                    derivative="{out} * (1 - {out})"),
        elementwise("exp", "e^t, elementwise", np.exp, lambda t: sp.exp(t), derivative="{out}"),
        elementwise("log", "natural logarithm, elementwise", np.log, lambda t: sp.log(t),
                    derivative="1 / {arg}"),
        elementwise("tanh", "hyperbolic tangent, elementwise", np.tanh, lambda t: sp.tanh(t),
                    derivative="1 - {out}^2"),
        elementwise("relu", "max(t, 0), elementwise", lambda v: np.maximum(v, 0.0),
                    lambda t: sympy_relu()(t), derivative="step({arg})"),
        elementwise("step", "1 where t > 0, else 0, elementwise (relu')",
                    lambda v: (v > 0).astype(float), lambda t: sympy_step()(t)),
        elementwise("sqrt", "square root, elementwise", np.sqrt, lambda t: sp.sqrt(t),
                    derivative="0.5 / {out}"),
        # log(1 + e^t) written out for sympy, so its derivative e^t / (1 + e^t) is σ(t).
        elementwise("softplus", "log(1 + e^t), a smooth relu, elementwise; its derivative is σ",
                    lambda v: np.logaddexp(0.0, v), lambda t: sp.log(1 + sp.exp(t)),
                    derivative="sigma({arg})"),
        Function("diag", 1, "diag(v)", "column or row vector → diagonal matrix",
                 _diag_shape, _diag, lambda v: sp.diag(*list(v)), size=whole_argument),
        Function("ones", 2, "ones(m, n)", "m×n matrix of ones", _ones_shape,
                 lambda m, n: np.ones((m, n)), lambda m, n: sp.ones(m, n), constant_args=True),
        Function("eye", 1, "eye(n)", "n×n identity matrix", _eye_shape,
                 lambda n: np.eye(n), lambda n: sp.eye(n), constant_args=True),
        Function("sum", 1, "sum(A)", "sum of all entries (a 1×1 scalar)", _scalar,
                 lambda v: np.array([[np.sum(v)]]), lambda a: sp.Matrix([[sum(a)]]),
                 size=whole_argument),
        Function("softmax", 1, "softmax(v)", "e^v / sum(e^v) over a vector",
                 _vector_shape, _softmax, _softmax_sympy, size=whole_argument,
                 derivative="diag({out}) - {out} @ {out}.T"),
    )
}
