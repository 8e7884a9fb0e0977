"""Derivatives of one definition, written as expressions of the answer language.

The lesson generator asks a student for each link of a chain, so it needs each link's
derivative as a formula a student could type, in the layouts the shipped lessons use:

- ``jacobian``: ∂e/∂n for a vector (or scalar) e and n, numerator layout
  (|e| × |n|): diag(σ'(z)) for an elementwise function, W for W @ h.
- ``backward``: the gradient of a scalar through e to n, in n's own shape, given the
  gradient at e (G, in e's shape): G @ hᵀ for e = W @ h, G ⊙ σ'(Z) for H = σ(Z).
  Reverse mode, one rule per operation, as micrograd writes it.

The rule of each function of the language sits in its record (functions.py,
``derivative``); the rules of the operators are here. The other names of the
definition are held fixed, which the generator makes true by giving every use of a
quantity on several paths its own copy. Every formula is checked afterwards against
finite differences by the lesson validator, so a wrong rule cannot reach a student.
"""

from __future__ import annotations

from collections.abc import Mapping

from tutor.engine import (
    FUNCTIONS,
    EngineError,
    Node,
    Shape,
    infer_shape,
    names_in,
    parse,
    to_text,
)
from tutor.engine.nodes import BinOp, Call, Name, Neg, Num, Transpose


class Unsupported(Exception):
    """A construct the generator cannot write a derivative for; the message says which."""


# -- building expressions, with the simplifications a person would make ------------------
def name(text: str) -> Node:
    return Name(0, 0, text)


def number(value: float) -> Node:
    # 15 figures: :g kept 6, so 999999999999 became 1e+12 (past the parser's limit) and
    # 1.23456789 a key of 1.23457 that the exact answer no longer matched.
    text = f"{value:.15g}"
    return Neg(0, 0, Num(0, 0, text[1:])) if text.startswith("-") else Num(0, 0, text)


def _value(node: Node) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        return -node.operand.value
    return None


def is_eye(node: Node) -> bool:
    return isinstance(node, Call) and node.func == "eye"


def eye(side: int) -> Node:
    return number(1) if side == 1 else Call(0, 0, "eye", (number(side),))


def ones(rows: int, cols: int) -> Node:
    return number(1) if rows == cols == 1 else Call(0, 0, "ones", (number(rows), number(cols)))


def tr(node: Node) -> Node:
    if isinstance(node, Transpose):
        return node.operand
    if _value(node) is not None or is_eye(node):
        return node
    if isinstance(node, Call) and node.func == "ones":  # ones(3, 1), not ones(1, 3).T
        return Call(0, 0, "ones", (node.args[1], node.args[0]))
    return Transpose(0, 0, node)


def neg(node: Node) -> Node:
    if isinstance(node, Neg):
        return node.operand
    return Neg(0, 0, node)


def matmul(left: Node, right: Node) -> Node:
    if is_eye(left) or _value(left) == 1:
        return right
    if is_eye(right) or _value(right) == 1:
        return left
    return BinOp(0, 0, "@", left, right)


def times(left: Node, right: Node) -> Node:
    """Elementwise product; numbers are folded together and a factor 1 disappears."""
    a, b = _value(left), _value(right)
    if a is not None and b is not None:
        return number(a * b)
    if b is not None:
        left, right, a, b = right, left, b, a
    if a == 1:
        return right
    if a == -1:
        return neg(right)
    if a is not None and isinstance(right, BinOp) and right.op == "*":
        inner = _value(right.left)
        if inner is not None:
            return times(number(a * inner), right.right)
    return BinOp(0, 0, "*", left, right)


def plus(left: Node | None, right: Node | None) -> Node | None:
    if left is None or right is None:
        return right if left is None else left
    if isinstance(right, Neg):
        return BinOp(0, 0, "-", left, right.operand)
    return BinOp(0, 0, "+", left, right)


def divide(left: Node, right: Node) -> Node:
    return BinOp(0, 0, "/", left, right)


def power(base: Node, exponent: float) -> Node:
    return base if exponent == 1 else BinOp(0, 0, "^", base, number(exponent))


def power_slope(node: BinOp) -> Node:
    """n u^(n-1) for u^n. An exponent written as an expression of numbers (1/2, 2/3)
    stays one, exact: 2/3 - 1, not a rounded -0.333333333333333 that sympy would not
    prove equal (and not a crash in the reverse rule, which once took it for a number)."""
    exponent = _value(node.right)
    lowered = (power(node.left, exponent - 1) if exponent is not None
               else BinOp(0, 0, "^", node.left, BinOp(0, 0, "-", node.right, number(1))))
    return times(node.right, lowered)


def call(function: str, *args: Node) -> Node:
    return Call(0, 0, function, args)


def is_diag(node: Node) -> bool:
    return isinstance(node, Call) and node.func == "diag"


def size(shape: Shape) -> int:
    return shape[0] * shape[1]


def is_vector(shape: Shape) -> bool:
    return min(shape) == 1


class Rules:
    """The derivative rules for one definition ``root`` of the quantity ``target`` = ``of``.

    ``shapes`` holds every name the expressions may mention (quantities, definitions and
    the ids of earlier steps, which a composes may use).
    """

    def __init__(self, shapes: Mapping[str, Shape], target: str | None = None) -> None:
        self.shapes = shapes
        self.target = target  # the definition's own name: σ(z1) is written h1

    def shape(self, node: Node) -> Shape:
        return infer_shape(node, self.shapes)

    def column(self, node: Node) -> Node:
        shape = self.shape(node)
        return tr(node) if shape[0] == 1 and shape[1] > 1 else node

    def row(self, node: Node) -> Node:
        shape = self.shape(node)
        return tr(node) if shape[1] == 1 and shape[0] > 1 else node

    def output(self, node: Node, root: Node) -> Node:
        return name(self.target) if node is root and self.target else node

    def slope(self, call_node: Call, root: Node) -> Node:
        """f'(arg), entry by entry, from the function's own record."""
        function = FUNCTIONS[call_node.func]
        if call_node.func == "step":  # relu's slope: itself flat, so nothing to find
            arg = to_text(call_node.args[0])
            raise Unsupported(
                f"{to_text(call_node)} is flat: its slope is 0 wherever it has one (at 0 it "
                f"jumps), so every factor through it would be zero. For a gate with a slope "
                f"to find, write sigma({arg}) or relu({arg}) instead")
        if function.derivative is None or not function.elementwise:
            raise Unsupported(f"the generator has no derivative rule for {call_node.func}(...)")
        arg, out = call_node.args[0], self.output(call_node, root)
        text = function.derivative.format(arg=f"({to_text(arg)})", out=f"({to_text(out)})")
        try:
            return parse(text, list(self.shapes))
        except EngineError as error:  # past the answer language's limits: no one could type it
            raise Unsupported(f"the derivative of {call_node.func}(…), written out, is past what "
                              f"an answer may be ({error.message.rstrip('.')}); split the "
                              "definition into smaller ones") from None

    def softmax_jacobian(self, call_node: Call, root: Node) -> Node:
        p = self.column(self.output(call_node, root))
        return BinOp(0, 0, "-", call("diag", p), matmul(p, tr(p)))

    # -- forward: Jacobians of vectors ------------------------------------------------
    def jacobian(self, root: Node, wrt: str) -> Node:
        """∂root/∂wrt in numerator layout; root and wrt are vectors or scalars."""
        found = self._jacobian(root, root, wrt)
        if found is None:
            raise Unsupported(f"{to_text(root)} does not depend on {wrt}")
        return found

    def _scale(self, factor: Node, jac: Node) -> Node:
        """diag(factor) @ jac, written with * when factor is a scalar, and as one diagonal
        when jac is one: diag(y) @ diag(1 / p) is diag(y * (1 / p))."""
        if self.shape(factor) == (1, 1):
            return times(factor, jac)
        if isinstance(jac, Call) and jac.func == "diag" \
                and self.shape(jac.args[0]) == self.shape(factor):
            return call("diag", times(factor, jac.args[0]))
        return matmul(call("diag", factor), jac)

    def _spread(self, scalar_jac: Node, like: Node) -> Node:
        """The Jacobian of a scalar added to every entry of ``like``."""
        rows = size(self.shape(like))
        return scalar_jac if rows == 1 else matmul(ones(rows, 1), scalar_jac)

    def _jacobian(self, node: Node, root: Node, wrt: str) -> Node | None:
        if wrt not in names_in(node):
            return None
        if not is_vector(self.shape(node)):  # a Jacobian through a matrix is no matrix
            raise Unsupported(f"{to_text(node)} is a {'×'.join(map(str, self.shape(node)))} "
                              f"matrix on the way from {wrt}, and a Jacobian passes through "
                              "vectors only")
        if isinstance(node, Name):
            return eye(size(self.shapes[wrt]))
        if isinstance(node, Neg):
            return neg(self._jacobian(node.operand, root, wrt))
        if isinstance(node, Transpose):  # a vector's entries keep their order
            return self._jacobian(node.operand, root, wrt)
        if isinstance(node, Call):
            return self._call_jacobian(node, root, wrt)
        if isinstance(node, BinOp):
            return self._binop_jacobian(node, root, wrt)
        raise Unsupported(f"the generator cannot differentiate {to_text(node)}")

    def _call_jacobian(self, node: Call, root: Node, wrt: str) -> Node:
        if node.func == "diag":
            if self.shape(node.args[0]) != (1, 1):  # a matrix: no Jacobian of a vector
                raise Unsupported("diag(…) of a vector is a matrix, not a vector")
            return self._jacobian(node.args[0], root, wrt)  # diag of a scalar is itself
        inner = self._jacobian(node.args[0], root, wrt)
        if node.func == "sum":
            if isinstance(inner, Call) and inner.func == "diag":  # a row of ones times diag(v)
                return self.row(inner.args[0])
            return matmul(ones(1, size(self.shape(node.args[0]))), inner)
        if node.func == "softmax":
            return matmul(self.softmax_jacobian(node, root), inner)
        return self._scale(self.slope(node, root), inner)

    def _binop_jacobian(self, node: BinOp, root: Node, wrt: str) -> Node | None:
        a, b = node.left, node.right
        sa, sb, whole = self.shape(a), self.shape(b), self.shape(node)
        if node.op == "@" and is_diag(a) and sa != (1, 1) and sb[1] == 1:
            # diag(g) @ b scales b's entries one by one: it is g ⊙ b, a product of vectors
            return self._jacobian(times(self.column(a.args[0]), b), root, wrt)
        if node.op == "@" and is_diag(b) and sb != (1, 1) and sa[0] == 1:
            return self._jacobian(times(a, self.row(b.args[0])), root, wrt)
        ja, jb = self._jacobian(a, root, wrt), self._jacobian(b, root, wrt)
        op = node.op
        if op == "@" and (sa == (1, 1) or sb == (1, 1)):
            op = "*"
        if op in "+-":
            if ja is not None and sa == (1, 1) and whole != (1, 1):
                ja = self._spread(ja, node)
            if jb is not None and sb == (1, 1) and whole != (1, 1):
                jb = self._spread(jb, node)
            return plus(ja, jb if jb is None or op == "+" else neg(jb))
        if op == "^":
            return self._scale(power_slope(node), ja)
        if op in "*/":
            other_a = b if op == "*" else divide(number(1), b)
            other_b = a if op == "*" else neg(divide(a, power(b, 2)))
            terms = [self._product_term(other_a, ja, sa, whole),
                     self._product_term(other_b, jb, sb, whole)]
            return plus(*terms)
        return self._matmul_jacobian(a, b, ja, jb, sa, sb)

    def _product_term(self, other: Node, jac: Node | None, own: Shape, whole: Shape
                      ) -> Node | None:
        if jac is None:
            return None
        if own == (1, 1) and whole != (1, 1):  # a scalar times a vector
            return matmul(self.column(other), jac)
        return self._scale(other, jac)

    def _matmul_jacobian(self, a: Node, b: Node, ja: Node | None, jb: Node | None,
                         sa: Shape, sb: Shape) -> Node | None:
        if ja is not None and jb is not None and not (sa[0] == 1 and sb[1] == 1):
            raise Unsupported(f"{to_text(a)} @ {to_text(b)}: both sides move with the same "
                              "quantity")
        result = None
        if ja is not None:
            if sa[0] != 1:
                raise Unsupported(f"the generator cannot differentiate {to_text(a)} @ "
                                  f"{to_text(b)} by a quantity inside its left side")
            result = matmul(tr(b), ja)  # a row times a fixed matrix
        if jb is not None:
            if sb[1] != 1:
                raise Unsupported(f"the generator cannot differentiate {to_text(a)} @ "
                                  f"{to_text(b)} by a quantity inside its right side")
            result = plus(result, matmul(a if sa[0] == 1 else a, jb))
        return result

    # -- reverse: gradients of a scalar ---------------------------------------------
    def backward(self, root: Node, wrt: str, upstream: Node) -> Node:
        """The gradient by ``wrt`` (its shape), given the gradient ``upstream`` at root."""
        found = self._backward(root, root, wrt, upstream)
        if found is None:
            raise Unsupported(f"{to_text(root)} does not depend on {wrt}")
        return found

    def _times(self, left: Node, right: Node) -> Node:
        """left ⊙ right, with a matrix of ones of the other's shape left out: sum(H * H)
        gives H back, not ones(3, 2) * H."""
        for ones_part, other in ((left, right), (right, left)):
            if isinstance(ones_part, Call) and ones_part.func == "ones" \
                    and self.shape(ones_part) == self.shape(other):
                return other
        return times(left, right)

    def _fit(self, gradient: Node, shape: Shape) -> Node:
        """A gradient at a scalar that was spread over a matrix collects every entry."""
        if shape == (1, 1) and self.shape(gradient) != (1, 1):
            return call("sum", gradient)
        return gradient

    def _backward(self, node: Node, root: Node, wrt: str, grad: Node) -> Node | None:
        if wrt not in names_in(node):
            return None
        if isinstance(node, Name):
            return grad
        if isinstance(node, Neg):
            return self._backward(node.operand, root, wrt, neg(grad))
        if isinstance(node, Transpose):
            return self._backward(node.operand, root, wrt, tr(grad))
        if isinstance(node, Call):
            arg = node.args[0]
            if node.func == "sum":
                shape = self.shape(arg)
                spread = ones(*shape) if _value(grad) == 1 else times(grad, ones(*shape))
                return self._backward(arg, root, wrt, spread)
            if node.func == "diag":
                return self._backward(arg, root, wrt, self.diagonal(grad, arg))
            if node.func == "softmax":
                jac = self.softmax_jacobian(node, root)
                if self.shape(arg)[1] == 1:
                    return self._backward(arg, root, wrt, matmul(jac, grad))
                return self._backward(arg, root, wrt, matmul(grad, jac))
            return self._backward(arg, root, wrt, times(grad, self.slope(node, root)))
        if isinstance(node, BinOp):
            return self._binop_backward(node, root, wrt, grad)
        raise Unsupported(f"the generator cannot differentiate {to_text(node)}")

    def _binop_backward(self, node: BinOp, root: Node, wrt: str, grad: Node) -> Node | None:
        a, b = node.left, node.right
        sa, sb = self.shape(a), self.shape(b)
        op = node.op
        if op == "@" and (sa == (1, 1) or sb == (1, 1)):
            op = "*"
        if op == "^":
            return self._backward(a, root, wrt, times(grad, power_slope(node)))
        if op == "@" and (is_diag(a) or is_diag(b)):
            return self._diag_backward(a, b, root, wrt, grad)
        if op == "@":
            ga, gb = matmul(grad, tr(b)), matmul(tr(a), grad)
        elif op == "+":
            ga, gb = grad, grad
        elif op == "-":
            ga, gb = grad, neg(grad)
        elif op == "*":
            ga, gb = self._times(grad, b), self._times(grad, a)
        else:
            ga, gb = divide(grad, b), neg(times(grad, divide(a, power(b, 2))))
        return plus(self._backward(a, root, wrt, self._fit(ga, sa)),
                    self._backward(b, root, wrt, self._fit(gb, sb)))

    # -- diag: a vector on a diagonal, its gradient gathered back off it ------------------
    def diagonal(self, grad: Node, vector: Node) -> Node:
        """The gradient at diag(g) (a matrix G) taken to g: G's diagonal, in g's shape,
        written as the answer language can (it has no "diagonal of"): (eye(n) * G) @ ones."""
        shape = self.shape(vector)
        if shape == (1, 1):
            return grad
        side = size(shape)
        masked = times(eye(side), grad)
        return matmul(masked, ones(side, 1)) if shape[1] == 1 else matmul(ones(1, side), masked)

    def _diag_backward(self, a: Node, b: Node, root: Node, wrt: str, grad: Node
                       ) -> Node | None:
        """diag(g) @ B scales row i of B by g_i, so ∂/∂g_i = Σ_j G_ij B_ij: the row sums of
        G ⊙ B; A @ diag(g) scales column j, so ∂/∂g_j is a column sum of G ⊙ A. Written so,
        not as the diagonal of G @ Bᵀ, since that is how a person works it out."""
        sa, sb = self.shape(a), self.shape(b)
        if is_diag(a) and sa != (1, 1):
            g = a.args[0]
            spread = times(grad, b)
            gathered = matmul(spread, ones(sb[1], 1))  # a column: one sum per row
            to_g = gathered if self.shape(g)[1] == 1 else tr(gathered)
            return plus(self._backward(g, root, wrt, to_g),
                        self._backward(b, root, wrt, matmul(a, grad)))  # diag(g)ᵀ = diag(g)
        g = b.args[0]  # type: ignore[attr-defined]
        spread = times(grad, a)
        gathered = matmul(ones(1, sa[0]), spread)  # a row: one sum per column
        to_g = gathered if self.shape(g)[0] == 1 else tr(gathered)
        return plus(self._backward(a, root, wrt, matmul(grad, b)),
                    self._backward(g, root, wrt, to_g))
