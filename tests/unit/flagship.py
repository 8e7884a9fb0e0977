"""The flagship network of the seed problem, built in code for the engine's unit tests.

    x (2×1), W1 (2×2), W2 (2×2), W3 (1×2)
    z1 = W1 @ x,  h1 = σ(z1),  z2 = W2 @ h1,  h2 = σ(z2),  f = W3 @ h2

Named ``flagship`` rather than ``fixtures`` so that it cannot collide with a helper of
the same name in another test folder (test folders are not packages here).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from tutor.engine import Factor, Mistake, Problem, parse

INPUTS = {"x": (2, 1), "W1": (2, 2), "W2": (2, 2), "W3": (1, 2)}
DEFINITIONS = {
    "z1": "W1 @ x",
    "h1": "sigma(z1)",
    "z2": "W2 @ h1",
    "h2": "sigma(z2)",
    "f": "W3 @ h2",
}
NAMES = [*INPUTS, *DEFINITIONS]
SHAPES = {
    "x": (2, 1), "W1": (2, 2), "W2": (2, 2), "W3": (1, 2),
    "z1": (2, 1), "h1": (2, 1), "z2": (2, 1), "h2": (2, 1), "f": (1, 1),
}

# What the student sees: two decimals, nothing symmetric, so a transpose always shows.
DISPLAYED_INPUTS = {
    "x": np.array([[0.5], [-1.2]]),
    "W1": np.array([[0.3, -0.8], [1.1, 0.4]]),
    "W2": np.array([[-0.6, 0.9], [0.2, 1.3]]),
    "W3": np.array([[1.5, -0.7]]),
}

# The posted closed form of the seed problem: ill-shaped (a 1×2 row times 2×1 columns).
POSTED_CLOSED_FORM = "W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))"
POSTED_FEEDBACK = "This is the closed form posted with the question, and it is not ∂f/∂W1."
DROPS_W2_FEEDBACK = "The chain passes through z2 = W2 h1: the factor ∂z2/∂h1 = W2 is missing."

DELTA1 = "diag(h1*(1-h1)) @ W2.T @ diag(h2*(1-h2)) @ W3.T"  # (∂f/∂z1)ᵀ, 2×1

FACTORS = {
    "df/dh2": ("W3", (1, 2), ()),
    "dh2/dz2": ("diag(h2*(1-h2))", (2, 2), ()),
    "dz2/dh1": ("W2", (2, 2), ()),
    "dh1/dz1": ("diag(h1*(1-h1))", (2, 2), ()),
    "df/dz1": (
        "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))",
        (1, 2),
        (("W3 @ diag(h2*(1-h2)) @ diag(h1*(1-h1))", DROPS_W2_FEEDBACK),),
    ),
    "df/dW1": (
        f"({DELTA1}) @ x.T",
        (2, 2),
        (
            (POSTED_CLOSED_FORM, POSTED_FEEDBACK),
            ("(diag(h1*(1-h1)) @ diag(h2*(1-h2)) @ W3.T) @ x.T", DROPS_W2_FEEDBACK),
        ),
    ),
}


@cache
def problem() -> Problem:
    return Problem.from_text(INPUTS, DEFINITIONS)


@cache
def displayed() -> dict[str, np.ndarray]:
    """Every input and intermediate at the displayed input values."""
    return problem().forward(DISPLAYED_INPUTS)


@cache
def factor(key: str) -> Factor:
    expected, shape, mistakes = FACTORS[key]
    return Factor(
        expected=parse(expected, NAMES),
        shape=shape,
        label=key.replace("d", "∂"),
        mistakes=tuple(Mistake(parse(text, NAMES), feedback, text) for text, feedback in mistakes),
    )


def numbers(matrix: np.ndarray, digits: int = 3) -> str:
    """A matrix literal of ``matrix``'s entries to ``digits`` significant figures."""
    rows = ("; ".join(", ".join(f"{value:.{digits}g}" for value in row) for row in matrix))
    return f"[{rows}]"


def exact_numbers(matrix: np.ndarray) -> str:
    """A matrix literal that reproduces ``matrix`` to the last bit."""
    rows = "; ".join(", ".join(repr(float(value)) for value in row) for row in matrix)
    return f"[{rows}]"
