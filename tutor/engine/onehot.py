"""One-hot labels: which entries of a label share its one 1.

A course's batch label holds one 1 per example: per column when the examples are
columns (the tutor's own layout: the mini-batch lesson has one column per example),
per row when the network puts them in rows. A vector (n×1 or 1×n) is one example, so
its one 1 is anywhere in it, whatever the layout. The draws (tutor.lessons) and the
symbolic constraint (Problem.input_symbols: each group's last entry is 1 − the others)
read the groups from here, so that the numbers a student sees and the identities sympy
may use (∂L/∂Z = P − Y) rest on the same rule.
"""

from __future__ import annotations

import random

import numpy as np

PER = ("row", "column")  # a lesson file's words; a network file says rows or columns
Shape = tuple[int, int]


def groups(shape: Shape, per: str | None) -> list[list[int]]:
    """The entries (row-major flat indices) of each group that holds one 1, in draw order."""
    rows, cols = shape
    if rows == 1 or cols == 1:
        return [list(range(rows * cols))]
    if per == "row":
        return [[r * cols + c for c in range(cols)] for r in range(rows)]
    return [[r * cols + c for r in range(rows)] for c in range(cols)]


def contradiction(shape: Shape, per: str | None) -> str | None:
    """Why ``per`` cannot hold for a vector of ``shape`` (every entry would be 1), if so."""
    rows, cols = shape
    if (per == "row" and cols == 1 < rows) or (per == "column" and rows == 1 < cols):
        return (f"one 1 per {per} of a {rows}×{cols} vector would make every entry 1; a "
                f"one-hot vector holds one 1 in all")
    return None


def per_problem(draw: str, shape: Shape, per: str | None) -> str | None:
    """What is wrong with a lesson file's ``per`` for a quantity, if anything."""
    if per is None:
        return None
    if draw != "onehot":
        return f'per applies only to draw = "onehot", not {draw!r}'
    wrong = contradiction(shape, per)
    return None if wrong is None else f'per = "{per}": {wrong}; leave per out'


def variant_draw(shape: Shape, per: str | None, rng: random.Random) -> np.ndarray:
    """A variant's label; for a vector, the very draw of one 1 in all (a seed's numbers
    stay what they were before labels had a layout)."""
    flat = np.zeros(shape[0] * shape[1])
    for group in groups(shape, per):
        flat[group[rng.randrange(len(group))]] = 1.0
    return flat.reshape(shape)


def sample_draw(shape: Shape, per: str | None, rng: np.random.Generator) -> np.ndarray:
    """A label for numeric checking, drawn the same way from numpy's generator."""
    flat = np.zeros(shape[0] * shape[1])
    for group in groups(shape, per):
        flat[group[int(rng.integers(len(group)))]] = 1.0
    return flat.reshape(shape)
