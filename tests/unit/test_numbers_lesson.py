"""A lesson whose quantities are all numbers (1×1) speaks of numbers: the parser's advice
says * multiplies, never @ or "elementwise", and the engine writes its one product as ·.

The advice for matrices is unchanged; which one a problem gets is Problem.wording.
"""

from __future__ import annotations

import pytest

from tutor.engine import Problem
from tutor.engine.tokens import MATRICES, NUMBERS
from tutor.lessons.index import ENV_LESSONS
from tutor.lessons.load import load_catalog

MATRIX_WORDS = ("@", "elementwise", "matrix")

# Slips that each draw the parser's advice about products.
SLIPS = ["2 u", "3x", "u(2)", "u .* 2", "np.dot(u, 2)", "np.matmul(u, u)", "u × 2", "u $ 2",
         "u ` 2"]


@pytest.fixture(scope="module")
def catalog():
    import os

    saved = os.environ.pop(ENV_LESSONS, None)
    try:
        yield load_catalog()
    finally:
        if saved is not None:
            os.environ[ENV_LESSONS] = saved


def test_a_problem_of_numbers_is_told_apart_from_one_of_matrices(catalog):
    assert catalog.get("scalar-chain-rule").problem.wording is NUMBERS
    assert all(lesson.problem.wording is MATRICES for lesson in catalog.lessons
               if lesson.id != "scalar-chain-rule")
    assert Problem.from_text({"x": (1, 1)}, {"y": "x^2"}).glyphs.operators["*"] == " · "


@pytest.mark.parametrize("slip", SLIPS)
def test_a_slip_in_a_lesson_of_numbers_gets_advice_without_matrices(catalog, slip):
    verdict = catalog.get("scalar-chain-rule").check("dv_du", slip, 1)
    assert verdict.verdict == "invalid"
    said = verdict.feedback.lower()
    assert not [word for word in MATRIX_WORDS if word in said], verdict.feedback


@pytest.mark.parametrize("slip", ["2 u", "u .* 2", "np.dot(u, 2)", "u × 2"])
def test_a_lesson_of_matrices_still_tells_the_two_products_apart(catalog, slip):
    verdict = catalog.get("two-layer-sigmoid").check("df_dh2", slip.replace("u", "h2"), 1)
    assert "@" in verdict.feedback, verdict.feedback
