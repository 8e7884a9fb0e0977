"""Symbolic evaluation and proof of equality with sympy, on explicit component matrices.

Every quantity becomes a matrix of scalar symbols (W1 → [[W1_11, W1_12], …]) and
every operation is carried out entry by entry, so the algebra is plain scalar
algebra. sympy's MatrixSymbol calculus is avoided on purpose: it raises or returns
wrong results on exactly the elementwise-and-diag expressions this tutor needs.

This module imports sympy, which is slow to import; nothing on the path to the
first screen imports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

import sympy

from tutor.engine.functions import FUNCTIONS, sympy_sigma
from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Node, Num, Transpose
from tutor.engine.shapes import constant_value

Proof = bool | str | None  # True (proved), None (undecided), "timeout"
MAX_OPS = 4000
MAX_SIMPLIFY_OPS = 300
MAX_TERMS = 20000  # past this many terms after expansion, the proof is not attempted
MAX_TREE_NODES = 20000  # past this many nodes, walked as a tree, the proof is not attempted


sigma = sympy_sigma()  # the prover rewrites it as 1 / (1 + e^-t) when the fast path fails


def component_symbols(name: str, rows: int, cols: int) -> sympy.Matrix:
    """W1 (2×2) → [[W1_11, W1_12], [W1_21, W1_22]]; x (2×1) → [[x_1], [x_2]]."""
    def symbol(i: int, j: int) -> sympy.Symbol:
        if rows == 1 and cols == 1:
            index = ""
        elif cols == 1:
            index = f"_{i + 1}"
        elif rows == 1:
            index = f"_{j + 1}"
        else:
            index = f"_{i + 1}{j + 1}" if rows < 10 and cols < 10 else f"_{i + 1}_{j + 1}"
        return sympy.Symbol(f"{name}{index}", real=True)

    return sympy.Matrix(rows, cols, lambda i, j: symbol(i, j))


def to_sympy(node: Node, env: Mapping[str, sympy.Matrix]) -> sympy.Matrix:
    """The expression as an explicit sympy Matrix (shapes must already be checked)."""
    if isinstance(node, Num):
        return sympy.Matrix([[_exact(node.text)]])
    if isinstance(node, Name):
        return env[node.name]
    if isinstance(node, Neg):
        return -to_sympy(node.operand, env)
    if isinstance(node, Transpose):
        return to_sympy(node.operand, env).T
    if isinstance(node, Matrix):
        return sympy.Matrix([[to_sympy(cell, env)[0, 0] for cell in row] for row in node.rows])
    if isinstance(node, Call):
        return _call(node, env)
    if isinstance(node, BinOp):
        left = to_sympy(node.left, env)
        if node.op == "^":
            power = sympy.nsimplify(constant_value(node.right), rational=True)
            return left.applyfunc(lambda entry: entry**power)
        right = to_sympy(node.right, env)
        return _binop(node.op, left, right)
    raise TypeError(f"not an expression node: {node!r}")


def _exact(text: str) -> sympy.Rational:
    fraction = Fraction(text)
    return sympy.Rational(fraction.numerator, fraction.denominator)


def _call(node: Call, env: Mapping[str, sympy.Matrix]) -> sympy.Matrix:
    function = FUNCTIONS[node.func]
    if function.constant_args:
        return function.symbolic(*(int(constant_value(arg)) for arg in node.args))
    return function.symbolic(*(to_sympy(arg, env) for arg in node.args))


def _binop(op: str, left: sympy.Matrix, right: sympy.Matrix) -> sympy.Matrix:
    if op == "@":
        return left * right
    if left.shape == (1, 1) and right.shape != (1, 1):
        left = sympy.ones(*right.shape) * left[0, 0]
    elif right.shape == (1, 1) and left.shape != (1, 1):
        right = sympy.ones(*left.shape) * right[0, 0]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left.multiply_elementwise(right)
    return sympy.Matrix(left.rows, left.cols, lambda i, j: left[i, j] / right[i, j])


def _canonical(entry: sympy.Expr) -> sympy.Expr:
    """Expand inside every function's argument, then the whole: σ atoms become comparable."""
    expanded = entry.replace(
        lambda e: isinstance(e, sympy.Function) and e.args,
        lambda e: e.func(*(sympy.expand(arg) for arg in e.args)),
    )
    return sympy.expand(expanded)


def expansion_terms(expr: sympy.Expr, cap: int = MAX_TERMS) -> int:
    """An upper bound on the terms ``expand`` would produce, stopping early past ``cap``.

    Expanding (a + b + … )^40 can take hours and gigabytes; counting first keeps a
    hostile or unlucky answer from ever starting that.
    """
    if expr.is_Add:
        total = 0
        for arg in expr.args:
            total += expansion_terms(arg, cap)
            if total > cap:
                return cap + 1
        return total
    if expr.is_Mul:
        product = 1
        for arg in expr.args:
            product *= expansion_terms(arg, cap)
            if product > cap:
                return cap + 1
        return product
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 1:
        base = expansion_terms(expr.base, cap)
        if base > cap:
            return cap + 1
        return min(math.comb(int(expr.exp) + base - 1, base - 1), cap + 1)
    if isinstance(expr, sympy.Function) or expr.is_Pow:
        # Arguments are expanded on their own; their size must stay bounded too.
        if any(expansion_terms(arg, cap) > cap for arg in expr.args):
            return cap + 1
    return 1


def tree_size(expr: sympy.Basic, cap: int = MAX_TREE_NODES) -> int:
    """Nodes of ``expr`` counted as a tree (capped at ``cap + 1``), in time linear in memory.

    Each product of a chain W1 @ W1 @ … reuses the previous entries, so the expression is
    small in memory but doubles as a tree at every step; count_ops, expansion_terms and
    expand all walk the tree and would run for hours on 25 factors.
    """
    sizes: dict[int, int] = {}
    stack = [expr]
    while stack:
        node = stack[-1]
        if id(node) in sizes:
            stack.pop()
            continue
        pending = [arg for arg in node.args if id(arg) not in sizes]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        sizes[id(node)] = min(cap + 1, 1 + sum(sizes[id(arg)] for arg in node.args))
    return sizes[id(expr)]


def _fast_zero(entry: sympy.Expr) -> bool:
    return _canonical(entry) == 0


def _thorough_zero(entry: sympy.Expr) -> bool:
    rewritten = entry.rewrite(sigma, sympy.exp).rewrite(sympy.tanh, sympy.exp)
    rewritten = sympy.powsimp(sympy.expand(rewritten))
    if sympy.cancel(sympy.together(rewritten)) == 0:
        return True
    if sympy.count_ops(rewritten) > MAX_SIMPLIFY_OPS:
        return False  # general simplification of large expressions has no useful bound
    return sympy.simplify(rewritten) == 0


def decide_equal(answer: sympy.Matrix, expected: sympy.Matrix) -> Proof:
    """True if provably equal, None if undecided, "timeout" if too large to try.

    Unbounded in time (sympy's cancel can run for hours on an innocent-looking power):
    call it through ``prove_equal``, never directly on a student's answer.
    """
    if answer.shape != expected.shape:
        return False
    differences = [a - e for a, e in zip(answer, expected, strict=True)]
    differences = [d for d in differences if d != 0]
    if not differences:
        return True
    for difference in differences:
        if (
            tree_size(difference) > MAX_TREE_NODES
            or sympy.count_ops(difference) > MAX_OPS
            or expansion_terms(difference) > MAX_TERMS
        ):
            return "timeout"
    open_entries = [d for d in differences if not _fast_zero(d)]
    if all(_thorough_zero(entry) for entry in open_entries):
        return True
    return None


def prove_equal(
    answer: Callable[[], sympy.Matrix] | sympy.Matrix,
    expected: Callable[[], sympy.Matrix] | sympy.Matrix,
    budget: float = 1.0,
) -> Proof:
    """``decide_equal`` within ``budget`` seconds of wall time, a hard limit.

    The proof runs in a forked child process that is killed at the deadline
    (tutor.engine.bounded). ``answer`` and ``expected`` may be functions that build
    the matrices, so that building them (sympy simplifies as it builds) counts against
    the budget too, in the child.
    """
    from tutor.engine.bounded import run_bounded

    def work() -> Proof:
        left = answer() if callable(answer) else answer
        right = expected() if callable(expected) else expected
        return decide_equal(left, right)

    outcome = run_bounded(work, budget)
    if not outcome.finished:
        return "timeout"
    if outcome.error is not None:
        return None
    return outcome.value
