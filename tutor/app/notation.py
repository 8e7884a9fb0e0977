"""How expressions and numbers are written on screen: math glyphs, matrices, durations.

Pure functions with no Textual import, so the widgets stay thin and these are
testable on their own. The student types the input language (``W2.T @ x``); the
screen echoes it back in math notation (``W2ᵀ · x``) so that what the parser
understood — which product, which transpose, where the parentheses fall — is
visible at a glance.
"""

from __future__ import annotations

import numpy as np

from tutor.engine import Node
from tutor.engine.nodes import BinOp, Call, Matrix, Name, Neg, Num, Transpose

# Matrix product as a centred dot and the elementwise product as ⊙, the two
# symbols the seed problem's accepted answer confused.
OPERATOR_GLYPHS = {"@": "·", "*": "⊙", "+": "+", "-": "−", "/": "/", "^": "^"}
FUNCTION_GLYPHS = {"sigma": "σ"}
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "neg": 3, "^": 4}
SUPERSCRIPT_T = "ᵀ"


def pretty(node: Node) -> str:
    """The expression in math notation, with only the parentheses it needs."""
    return _pretty(node, 0)


def _pretty(node: Node, outer: int) -> str:
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Transpose):
        return f"{_pretty(node.operand, 5)}{SUPERSCRIPT_T}"
    if isinstance(node, Call):
        name = FUNCTION_GLYPHS.get(node.func, node.func)
        return f"{name}({', '.join(_pretty(a, 0) for a in node.args)})"
    if isinstance(node, Matrix):
        rows = "; ".join(", ".join(_pretty(c, 0) for c in row) for row in node.rows)
        return f"[{rows}]"
    if isinstance(node, Neg):
        inner = f"−{_pretty(node.operand, PRECEDENCE['neg'])}"
        return f"({inner})" if outer > PRECEDENCE["neg"] else inner
    if isinstance(node, BinOp):
        mine = PRECEDENCE[node.op]
        glyph = OPERATOR_GLYPHS[node.op]
        if node.op == "^":  # right-associative
            text = f"{_pretty(node.left, mine + 1)}^{_pretty(node.right, mine)}"
        else:
            left = _pretty(node.left, mine)
            if mixes_products(node.op, node.left):
                left = f"({left})"
            text = f"{left} {glyph} {_pretty(node.right, mine + 1)}"
        return f"({text})" if outer > mine else text
    raise TypeError(f"not an expression node: {node!r}")


def mixes_products(op: str, left: Node) -> bool:
    """`a * b @ c` is `(a * b) @ c` to the parser, but a reader needs the parentheses."""
    products = {"*", "/", "@"}
    return (
        op in products
        and isinstance(left, BinOp)
        and left.op in products
        and (left.op == "@") != (op == "@")
    )


def number(value: float) -> str:
    """Four significant figures: enough to work by hand, short enough to line up."""
    text = f"{value:.4g}"
    return "0" if text == "-0" else text


def matrix_rows(value: np.ndarray) -> list[str]:
    """Each row of a matrix as `[ a  b ]`, entries right-aligned in shared columns."""
    cells = [[number(float(v)) for v in row] for row in np.atleast_2d(value)]
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return [
        "[ " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " ]"
        for row in cells
    ]


def shape_label(shape: tuple[int, int]) -> str:
    return f"{shape[0]}×{shape[1]}"


def duration(seconds: float) -> str:
    """A time a student reads at a glance: 45 s, 3 min 05 s, 1 h 02 min."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
