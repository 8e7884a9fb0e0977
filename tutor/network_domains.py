"""Where a network's definitions are numbers: the signs each quantity can take, read from
the inputs' draws, so that a pole is refused at its line before any lesson is made.

A lesson's key must be a number at every variant a student can draw, not only at the
few points validation samples: `f = 1 / x` with `x : 1` (drawn from -1 to 1 in tenths)
draws x = 0 at one seed in twenty, and its key is then -inf. So each definition's
entries get a set of possible signs (-1, 0, +1), from the draws (`positive` is +,
`onehot` is 0 or +, the others can be anything) through the operations (σ, exp,
softmax are positive; x^2 is not negative; a sum of positives is positive; …), and
what needs a sign is checked: a divisor must never be 0, log and sqrt need a
positive argument (sqrt's derivative is infinite at 0), a negative power a base
never 0 and a fractional one a base never negative. The rule is sufficient, not
necessary: `log(x.T @ x)` of a decimal x is refused although x = 0 is rare, and the
message says what to declare (`x : 3x1 positive`). Also here: the exponent limit
after differentiation (x^p's derivative holds x^(p-1), within the parser's ±64).
No Textual, no sympy.
"""

from __future__ import annotations

from collections.abc import Mapping

from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Node, Num, Transpose, to_text
from tutor.engine.shapes import MAX_EXPONENT, constant_value

Signs = frozenset[int]  # the signs an entry can have: a subset of {-1, 0, 1}

ANY: Signs = frozenset({-1, 0, 1})
POSITIVE: Signs = frozenset({1})
DRAW_SIGNS: dict[str, Signs] = {"positive": POSITIVE, "onehot": frozenset({0, 1})}
_POSITIVE_CALLS = ("sigma", "exp", "softmax", "softplus", "ones")


class DomainError(Exception):
    """A definition that is not a number at some draw: what and where (a node of it)."""

    def __init__(self, message: str, node: Node, kind: str = "pole", remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.kind = kind  # "pole": some draw makes it no number; "limit": past a limit
        self.remedy = remedy or "write it so that it is a number for any values"


def with_gates(node: Node, gates: Mapping[str, Node]) -> Node:
    """``node`` with each name of a sigmoid (p = sigma(s)) written as its call, where it
    keeps its place in the text: 1 - p is then known positive, as 1 - sigma(s) is."""
    from tutor.engine.nodes import children, with_children

    if isinstance(node, Name) and node.name in gates:
        return Call(node.start, node.end, "sigma", gates[node.name].args)  # type: ignore
    parts = children(node)
    return with_children(node, tuple(with_gates(p, gates) for p in parts)) if parts else node


def signs_of(node: Node, known: Mapping[str, Signs]) -> Signs:
    """The signs the entries of ``node`` can have; raises DomainError at a pole."""
    if isinstance(node, Num):
        return frozenset({_sign(node.value)})
    if isinstance(node, Name):
        return known.get(node.name, ANY)
    if isinstance(node, Neg):
        return _negated(signs_of(node.operand, known))
    if isinstance(node, Transpose):
        return signs_of(node.operand, known)
    if isinstance(node, Matrix):
        return frozenset().union(*(signs_of(cell, known) for row in node.rows for cell in row))
    if isinstance(node, Call):
        return _call(node, known)
    if isinstance(node, BinOp):
        return _binop(node, known)
    return ANY


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _negated(signs: Signs) -> Signs:
    return frozenset(-s for s in signs)


def _sum(left: Signs, right: Signs) -> Signs:
    found: set[int] = set()
    for a in left:
        for b in right:
            found |= {a} if a == b or b == 0 else {b} if a == 0 else set(ANY)
    return frozenset(found)


def _product(left: Signs, right: Signs) -> Signs:
    return frozenset(a * b for a in left for b in right)


def _call(node: Call, known: Mapping[str, Signs]) -> Signs:
    if node.func in ("ones", "eye"):
        return POSITIVE if node.func == "ones" else frozenset({0, 1})
    args = [signs_of(arg, known) for arg in node.args]
    inner = args[0] if args else ANY
    if node.func in ("log", "sqrt") and inner != POSITIVE:
        raise DomainError(
            f"{node.func} needs a positive argument, and {to_text(node.args[0])} can be "
            f"{_can_be(inner)} at the drawn values of the inputs", node,
            remedy=f"take the {node.func} of something positive, such as "
                   f"{_positive_examples(node.args[0])}")
    if node.func in _POSITIVE_CALLS or node.func == "sqrt":
        return POSITIVE
    if node.func == "tanh":
        return inner
    if node.func in ("relu", "step"):
        return inner if inner == POSITIVE else frozenset({0} | ({1} & inner))
    if node.func == "diag":
        return inner | {0}
    if node.func == "sum":
        return _sum(inner, inner)
    return ANY


def _binop(node: BinOp, known: Mapping[str, Signs]) -> Signs:
    left = signs_of(node.left, known)
    if node.op == "^":
        return _power(node, left)
    right = signs_of(node.right, known)
    if node.op == "+":
        return _sum(left, right)
    if node.op == "-":
        if constant_value(node.left) == 1 and isinstance(node.right, Call) \
                and node.right.func == "sigma":  # σ < 1: the logistic loss's log(1 - p)
            return POSITIVE
        return _sum(left, _negated(right))
    if node.op == "*":
        if node.left == node.right:  # u * u, a square: never negative
            return frozenset(abs(s) for s in left)
        return _product(left, right)
    if node.op == "/":
        if 0 in right:
            raise DomainError(f"it divides by {to_text(node.right)}, which can be 0 at the "
                              "drawn values of the inputs", node.right,
                              remedy="divide by something that is never 0, such as 1 + exp(…)")
        return _product(left, right)
    products = _product(left, right)  # @: a sum of products
    return _sum(products, products)


def _power(node: BinOp, base: Signs) -> Signs:
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
        if exponent % 2 == 0:
            return frozenset(abs(s) for s in base)
        return base
    if whole:  # x^0 and negative powers: the derivative divides by x
        if 0 in base:
            raise DomainError(f"{to_text(node)} divides by {to_text(node.left)}, which can be "
                              "0 at the drawn values of the inputs", node.left)
        return frozenset(abs(s) for s in base) if exponent % 2 == 0 else base
    needed = POSITIVE if exponent < 1 else frozenset({0, 1})
    if not base <= needed:
        wanted = "positive" if exponent < 1 else "not negative"
        raise DomainError(
            f"the power {exponent:g} needs a base that is {wanted}, and {to_text(node.left)} "
            f"can be {_can_be(base)} at the drawn values of the inputs", node.left)
    return frozenset(abs(s) for s in base)


def _can_be(signs: Signs) -> str:
    bad = [word for sign, word in ((-1, "negative"), (0, "0")) if sign in signs]
    return " or ".join(bad) if bad else "0"


def _positive_examples(argument: Node) -> str:
    """Positive things made of the network's own argument: sigma(z) or 1 + z^2."""
    text = to_text(argument)
    base = text if isinstance(argument, Name | Num) else f"({text})"
    return f"sigma({text}), exp({text}) or 1 + {base}^2"
