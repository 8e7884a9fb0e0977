"""Where a network's definitions are numbers: the range of values each quantity's entries can
take, read from the inputs' draws, so that a pole is refused at its line before any lesson is
made, and what a course writes (log(1 − σ(s)), sqrt(var + ε)) is not.

A lesson's key must be a number at every variant a student can draw, not only at the
few points validation samples: `f = 1 / x` with `x : 1` (drawn from -1 to 1 in tenths)
draws x = 0 at one seed in twenty, and its key is then -inf. So each definition's
entries get an interval of possible values, each end open or closed, from the draws
(`positive` is (0, ∞), `onehot` [0, 1], the others anything) through the operations
(σ and softmax are in (0, 1), so 1 − σ(s) is too; exp is positive; x·x and x² are not
negative, so a variance plus ε is positive; a sum of n ≥ 1 terms keeps their sign; …),
and what needs a value is checked: a divisor must never be 0, log and sqrt need a
positive argument (sqrt's derivative is infinite at 0), a negative power a base never 0
and a fractional one a base never negative. Intervals are sufficient, not necessary:
`log(x.T @ x)` of a decimal x is refused although x = 0 is rare, and the message says
what to declare (`x : 3x1 positive`). Also here: the exponent limit after
differentiation (x^p's derivative holds x^(p-1), within the parser's ±64).
No Textual, no sympy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Node, Num, Transpose, to_text
from tutor.engine.shapes import MAX_EXPONENT, constant_value

INF = math.inf


@dataclass(frozen=True)
class Range:
    """The values an entry can take: from ``low`` to ``high``, each end in it or not."""

    low: float
    high: float
    low_in: bool = True
    high_in: bool = True

    @property
    def positive(self) -> bool:
        return self.low > 0 or (self.low == 0 and not self.low_in)

    @property
    def not_negative(self) -> bool:
        return self.low >= 0

    @property
    def holds_zero(self) -> bool:
        return self.contains(0.0)

    def contains(self, value: float) -> bool:
        above = self.low < value or (self.low == value and self.low_in)
        below = value < self.high or (value == self.high and self.high_in)
        return above and below

    def can_be(self) -> str:
        bad = [word for word, test in (("negative", self.low < 0), ("0", self.holds_zero))
               if test]
        return " or ".join(bad) if bad else "0"


Signs = Range  # the name network.py knows it by
ANY = Range(-INF, INF, False, False)
POSITIVE = Range(0.0, INF, False, False)
UNIT = Range(0.0, 1.0, False, False)  # σ, softmax: strictly between 0 and 1
DRAW_SIGNS: dict[str, Range] = {"positive": POSITIVE, "onehot": Range(0.0, 1.0)}


class DomainError(Exception):
    """A definition that is not a number at some draw: what and where (a node of it)."""

    def __init__(self, message: str, node: Node, kind: str = "pole", remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.kind = kind  # "pole": some draw makes it no number; "limit": past a limit
        self.remedy = remedy or "write it so that it is a number for any values"


def signs_of(node: Node, known: Mapping[str, Range]) -> Range:
    """The range of the entries of ``node``; raises DomainError at a pole."""
    if isinstance(node, Num):
        return Range(node.value, node.value)
    if isinstance(node, Name):
        return known.get(node.name, ANY)
    if isinstance(node, Neg):
        return _negated(signs_of(node.operand, known))
    if isinstance(node, Transpose):
        return signs_of(node.operand, known)
    if isinstance(node, Matrix):
        cells = [signs_of(cell, known) for row in node.rows for cell in row]
        return _hull(cells)
    if isinstance(node, Call):
        return _call(node, known)
    if isinstance(node, BinOp):
        return _binop(node, known)
    return ANY


def _hull(ranges: list[Range]) -> Range:
    low = min(ranges, key=lambda r: (r.low, not r.low_in))
    high = max(ranges, key=lambda r: (r.high, r.high_in))
    return Range(low.low, high.high, low.low_in, high.high_in)


def _negated(r: Range) -> Range:
    return Range(-r.high, -r.low, r.high_in, r.low_in)


def _sum(a: Range, b: Range) -> Range:
    return Range(a.low + b.low, a.high + b.high, a.low_in and b.low_in, a.high_in and b.high_in)


def _times(x: float, x_in: bool, y: float, y_in: bool) -> tuple[float, bool]:
    if x == 0 or y == 0:  # 0 · ∞ here is 0 times a large finite number: 0
        return 0.0, (x_in if x == 0 else True) and (y_in if y == 0 else True)
    return x * y, x_in and y_in


def _product(a: Range, b: Range) -> Range:
    ends = [_times(x, xi, y, yi) for x, xi in ((a.low, a.low_in), (a.high, a.high_in))
            for y, yi in ((b.low, b.low_in), (b.high, b.high_in))]
    low = min(value for value, _ in ends)
    high = max(value for value, _ in ends)
    return Range(low, high, any(i for v, i in ends if v == low),
                 any(i for v, i in ends if v == high))


def _square(r: Range) -> Range:
    if r.holds_zero or (r.low < 0 < r.high):
        top = max(r.low * r.low, r.high * r.high)
        return Range(0.0, top, r.holds_zero, r.high_in if abs(r.high) >= abs(r.low)
                     else r.low_in)
    ends = sorted([(r.low * r.low, r.low_in), (r.high * r.high, r.high_in)])
    return Range(ends[0][0], ends[1][0], ends[0][1], ends[1][1])


def _terms(r: Range) -> Range:
    """A sum of n ≥ 1 entries each in ``r`` (a matrix product's, sum's): its sign, not its size."""
    low = r.low if r.low >= 0 else -INF
    high = r.high if r.high <= 0 else INF
    return Range(low, high, r.low_in if r.low >= 0 else False,
                 r.high_in if r.high <= 0 else False)


def _monotone(r: Range, f, low: float, high: float) -> Range:
    """f applied to an increasing function's argument range, within (low, high) open."""
    def at(value: float, bound: float) -> float:
        return bound if math.isinf(value) else f(value)

    return Range(at(r.low, low), at(r.high, high), r.low_in and not math.isinf(r.low),
                 r.high_in and not math.isinf(r.high))


def _sigmoid(t: float) -> float:
    return 0.5 * (1 + math.tanh(t / 2))


def _call(node: Call, known: Mapping[str, Range]) -> Range:
    if node.func == "ones":
        return Range(1.0, 1.0)
    if node.func == "eye":
        return Range(0.0, 1.0)
    args = [signs_of(arg, known) for arg in node.args]
    inner = args[0] if args else ANY
    if node.func in ("log", "sqrt") and not inner.positive:
        raise DomainError(
            f"{node.func} needs a positive argument, and {to_text(node.args[0])} can be "
            f"{inner.can_be()} at the drawn values of the inputs", node,
            remedy=f"take the {node.func} of something positive, such as "
                   f"{_positive_examples(node.args[0])}")
    if node.func == "sigma":
        return _within(_monotone(inner, _sigmoid, 0.0, 1.0), UNIT)
    if node.func == "softmax":
        return UNIT
    if node.func == "exp":
        return _within(_monotone(inner, lambda t: math.exp(min(t, 700.0)), 0.0, INF), POSITIVE)
    if node.func == "softplus":
        return POSITIVE
    if node.func == "sqrt":
        return _within(_monotone(inner, math.sqrt, 0.0, INF), POSITIVE)
    if node.func == "log":
        return _monotone(inner, lambda t: math.log(t) if t > 0 else -INF, -INF, INF)
    if node.func == "tanh":
        return _within(_monotone(inner, math.tanh, -1.0, 1.0), Range(-1.0, 1.0, False, False))
    if node.func == "relu":
        return Range(max(inner.low, 0.0), max(inner.high, 0.0),
                     inner.low_in if inner.low > 0 else True,
                     inner.high_in if inner.high > 0 else True)
    if node.func == "step":
        return Range(1.0, 1.0) if inner.positive else Range(0.0, 1.0)
    if node.func == "diag":
        return _hull([inner, Range(0.0, 0.0)])
    if node.func == "sum":
        return _terms(inner)
    return ANY


def _within(r: Range, bounds: Range) -> Range:
    """``r`` kept inside ``bounds`` (a rounding of f at a huge argument cannot leave them)."""
    low, low_in = (r.low, r.low_in) if r.low > bounds.low else (bounds.low, bounds.low_in)
    high, high_in = (r.high, r.high_in) if r.high < bounds.high else (bounds.high,
                                                                        bounds.high_in)
    return Range(low, high, low_in, high_in)


def _binop(node: BinOp, known: Mapping[str, Range]) -> Range:
    left = signs_of(node.left, known)
    if node.op == "^":
        return _power(node, left)
    right = signs_of(node.right, known)
    if node.op == "+":
        return _sum(left, right)
    if node.op == "-":
        return _sum(left, _negated(right))
    if node.op == "*":
        return _square(left) if node.left == node.right else _product(left, right)
    if node.op == "/":
        if right.holds_zero or (right.low < 0 < right.high):
            raise DomainError(f"it divides by {to_text(node.right)}, which can be 0 at the "
                              "drawn values of the inputs", node.right,
                              remedy="divide by something that is never 0, such as 1 + exp(…)")
        return _product(left, _reciprocal(right))
    if node.left == Transpose(0, 0, node.right) or node.right == Transpose(0, 0, node.left):
        return _terms(_square(left))  # xᵀx, x xᵀ's diagonal: a sum of squares
    return _terms(_product(left, right))  # @: a sum of products


def _reciprocal(r: Range) -> Range:
    def inverse(value: float) -> float:
        return 0.0 if math.isinf(value) else (INF if value == 0 else 1.0 / value)

    return Range(inverse(r.high), inverse(r.low), r.high_in and not math.isinf(r.high),
                 r.low_in and not math.isinf(r.low))


def _power(node: BinOp, base: Range) -> Range:
    exponent = constant_value(node.right)
    if exponent is None:
        return ANY
    if exponent - 1 < -MAX_EXPONENT:
        raise DomainError(
            f"the exponent {exponent:g} is past the limit: its derivative holds the power "
            f"{exponent - 1:g}, and exponents stay within ±{MAX_EXPONENT:g}", node.right,
            kind="limit")
    whole = float(exponent).is_integer()
    if whole and exponent >= 1:
        return _square(base) if exponent % 2 == 0 else _odd(base, exponent)
    if whole:  # x^0 and negative powers: the derivative divides by x
        if base.holds_zero or (base.low < 0 < base.high):
            raise DomainError(f"{to_text(node)} divides by {to_text(node.left)}, which can be "
                              "0 at the drawn values of the inputs", node.left)
        return POSITIVE if exponent % 2 == 0 else (POSITIVE if base.positive else ANY)
    usable = base.positive if exponent < 1 else base.not_negative
    if not usable:
        wanted = "positive" if exponent < 1 else "not negative"
        raise DomainError(
            f"the power {exponent:g} needs a base that is {wanted}, and {to_text(node.left)} "
            f"can be {base.can_be()} at the drawn values of the inputs", node.left)
    return Range(0.0, INF, not base.positive, False)


def _odd(r: Range, exponent: float) -> Range:
    """An odd power keeps the sign and the order of its base."""
    def power(value: float) -> float:
        if math.isinf(value) or not value:
            return value or 0.0
        try:
            size = abs(value) ** exponent
        except OverflowError:  # float ** raises past the largest float, where * gives inf
            size = INF
        return math.copysign(min(size, INF), value)

    return Range(power(r.low), power(r.high), r.low_in, r.high_in)


def _positive_examples(argument: Node) -> str:
    """Positive things made of the network's own argument: sigma(z) or 1 + z^2."""
    text = to_text(argument)
    base = text if isinstance(argument, Name | Num) else f"({text})"
    return f"sigma({text}), exp({text}) or 1 + {base}^2"
