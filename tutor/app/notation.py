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
from tutor.engine.nodes import SCREEN, Glyphs, to_text
from tutor.engine.numbers import four_figures


def pretty(node: Node, glyphs: Glyphs = SCREEN) -> str:
    """The expression in math notation (W2ᵀ · x), with only the parentheses it needs;
    ``glyphs``: the lesson's (a lesson of numbers writes its one product as ·)."""
    return to_text(node, glyphs)


def number(value: float) -> str:
    """Four significant figures: enough to work by hand, short enough to line up."""
    return four_figures(value)


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
