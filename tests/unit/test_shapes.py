"""Strict shapes: no broadcasting, and every clash names both shapes and the sub-expression."""

from __future__ import annotations

import numpy as np
import pytest
from flagship import DISPLAYED_INPUTS, NAMES, SHAPES, displayed, problem

from tutor.engine import FUNCTIONS, EngineError, evaluate, infer_shape, parse
from tutor.engine.shapes import MAX_EXPONENT


def shape(text: str) -> tuple[int, int]:
    return infer_shape(parse(text, NAMES), SHAPES)


def clash(text: str) -> EngineError:
    node = parse(text, NAMES)
    with pytest.raises(EngineError) as caught:
        infer_shape(node, SHAPES)
    return caught.value


# -- the flagship problem ---------------------------------------------------------------------


def test_flagship_definitions_have_the_seed_problem_shapes():
    assert problem().shapes == SHAPES


def test_flagship_forward_pass_matches_numpy():
    values = displayed()
    x, w1, w2, w3 = (DISPLAYED_INPUTS[n] for n in ("x", "W1", "W2", "W3"))
    h1 = 1 / (1 + np.exp(-(w1 @ x)))
    h2 = 1 / (1 + np.exp(-(w2 @ h1)))
    assert np.allclose(values["h1"], h1)
    assert np.allclose(values["f"], w3 @ h2)


# -- well-shaped expressions ----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_name_has_its_shape(name):
    assert shape(name) == SHAPES[name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", (1, 1)),
        ("-W3", (1, 2)),
        ("W3.T", (2, 1)),
        ("W3'", (2, 1)),
        ("W1 @ x", (2, 1)),
        ("W3 @ W1", (1, 2)),
        ("x @ W3", (2, 2)),
        ("W3 @ x", (1, 1)),
        ("h2 * (1 - h2)", (2, 1)),
        ("h2 ⊙ z2", (2, 1)),
        ("h2 / z2", (2, 1)),
        ("f * W1", (2, 2)),
        ("W1 * f", (2, 2)),
        ("2 * x", (2, 1)),
        ("x - 1", (2, 1)),
        ("1 / x", (2, 1)),
        ("x^2", (2, 1)),
        ("x^(1/2)", (2, 1)),
        ("x^-1", (2, 1)),
        ("f @ W3", (1, 2)),
        ("W3.T @ f", (2, 1)),
        ("[f, 2; 3, f]", (2, 2)),
    ],
)
def test_shapes_of_well_shaped_expressions(text, expected):
    assert shape(text) == expected


@pytest.mark.parametrize("func", [name for name, f in FUNCTIONS.items() if f.elementwise])
@pytest.mark.parametrize("arg", ["x", "W1", "W3", "f"])
def test_elementwise_functions_keep_the_shape(func, arg):
    assert shape(f"{func}({arg})") == SHAPES[arg]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("diag(x)", (2, 2)), ("diag(W3)", (2, 2)), ("diag(f)", (1, 1)), ("sum(W1)", (1, 1)),
     ("sum(x)", (1, 1)), ("softmax(x)", (2, 1)), ("softmax(W3)", (1, 2)), ("ones(2, 3)", (2, 3)),
     ("ones(1, 1)", (1, 1)), ("eye(3)", (3, 3)), ("eye(1 + 1)", (2, 2)),
     ("ones(2*1, 50)", (2, 50))],
)
def test_shape_rules_of_the_other_functions(text, expected):
    assert shape(text) == expected


def test_diag_of_a_row_or_a_column_is_the_same_matrix():
    values = displayed()
    column = evaluate(parse("diag(h2)", NAMES), values)
    row = evaluate(parse("diag(h2.T)", NAMES), values)
    assert np.array_equal(column, row)
    assert np.array_equal(column, np.diag(values["h2"].ravel()))


# -- elementwise clashes ----------------------------------------------------------------------


def test_row_times_column_is_an_error_naming_both_shapes_and_the_subexpression():
    problem_ = clash("W3 * h2")
    assert problem_.kind == "shape"
    assert "1×2" in problem_.message and "2×1" in problem_.message
    assert "W3 * h2" in problem_.message
    assert "broadcasting" in problem_.message
    assert ".T" in problem_.suggestion and "@" in problem_.suggestion
    assert (problem_.start, problem_.end) == (0, 7)


def test_the_clash_points_at_the_inner_subexpression():
    problem_ = clash("f + sigma(W3 * h2)")
    assert (problem_.start, problem_.end) == (10, 17)
    assert "W3 * h2" in problem_.message


@pytest.mark.parametrize(
    ("text", "operation"),
    [("x + W1", "sum"), ("x - W3", "difference"), ("x * W1", "elementwise product"),
     ("x / W3", "elementwise quotient")],
)
def test_each_elementwise_operation_is_named(text, operation):
    problem_ = clash(text)
    assert f"The {operation}" in problem_.message
    assert "needs equal shapes (or a 1×1 scalar)" in problem_.message


def test_elementwise_product_that_could_be_a_matrix_product_says_so():
    problem_ = clash("W3 * W1")
    assert "Did you mean a matrix product?" in problem_.suggestion
    assert "W3 @ W1 is 1×2" in problem_.suggestion


def test_unrelated_elementwise_clash_has_no_suggestion():
    assert clash("x + W1").suggestion is None


def test_the_posted_closed_form_is_ill_shaped():
    from flagship import POSTED_CLOSED_FORM

    problem_ = clash(POSTED_CLOSED_FORM)
    assert "1×2" in problem_.message and "2×1" in problem_.message
    assert problem_.start == 0


# -- matrix product clashes ---------------------------------------------------------------------


def test_matrix_product_clash_names_the_inner_sizes():
    problem_ = clash("W1 @ W3")
    assert problem_.kind == "shape"
    assert "Matrix product W1 @ W3" in problem_.message
    assert "2×2" in problem_.message and "1×2" in problem_.message
    assert "inner sizes 2 and 1" in problem_.message
    assert problem_.suggestion
    assert (problem_.start, problem_.end) == (0, 7)


def test_matrix_product_that_fits_transposed_on_the_right():
    assert "Transposing the right side" in clash("W3 @ W3").suggestion


def test_matrix_product_that_fits_transposed_on_the_left():
    assert "Transposing the left side" in clash("x @ ones(2, 3)").suggestion


def test_matrix_product_with_a_scalar_suggests_star():
    assert "use * instead of @" in clash("f @ W1").suggestion


def test_matrix_product_clash_without_a_fix():
    assert clash("W1 @ ones(3, 3)").suggestion is None


# -- literal and function clashes ------------------------------------------------------------


def test_matrix_literal_entries_must_be_scalars():
    problem_ = clash("[f, x]")
    assert "Each entry of a matrix literal" in problem_.message
    assert "x is 2×1" in problem_.message
    assert (problem_.start, problem_.end) == (4, 5)


def test_diag_needs_a_vector():
    problem_ = clash("x + diag(W1)")
    assert "diag turns a vector into a diagonal matrix" in problem_.message
    assert "2×2" in problem_.message
    assert (problem_.start, problem_.end) == (4, 12)


def test_softmax_needs_a_vector():
    assert "softmax takes a vector" in clash("softmax(W1)").message


@pytest.mark.parametrize(
    ("text", "count"), [("sigma(x, h2)", "takes 1 argument (sigma(A)), but got 2"),
                        ("ones(2)", "takes 2 arguments (ones(m, n)), but got 1"),
                        ("diag()", "takes 1 argument (diag(v)), but got 0"),
                        ("eye(2, 2)", "takes 1 argument (eye(n)), but got 2")]
)
def test_argument_counts(text, count):
    problem_ = clash(text)
    assert count in problem_.message
    assert (problem_.start, problem_.end) == (0, len(text))


@pytest.mark.parametrize(
    "text", ["ones(0, 1)", "ones(2.5, 1)", "eye(51)", "ones(x, 1)", "eye(-1)", "eye(f)"]
)
def test_sizes_must_be_whole_numbers_in_range(text):
    problem_ = clash(text)
    assert "whole numbers from 1 to 50" in problem_.message


def test_infinite_size_is_an_engine_error():
    """1e11*1e11*… overflows to inf quietly; int(inf) used to raise OverflowError."""
    problem_ = clash("eye(" + "*".join(["1e11"] * 30) + ")")
    assert "no finite value" in problem_.message


# -- exponents ----------------------------------------------------------------------------------


def test_exponent_must_be_a_number():
    problem_ = clash("h2^z2")
    assert "An exponent must be a number" in problem_.message
    assert "exp(" in problem_.message
    assert (problem_.start, problem_.end) == (3, 5)


def test_exponent_may_be_a_constant_expression():
    assert shape("h2^(2*3 - 4)") == (2, 1)


@pytest.mark.parametrize("text", ["x^100000", "x^65", "x^-65", "9^9^9^9", "x^(2^7)", "x^1e10"])
def test_exponent_size_limit(text):
    problem_ = clash(text)
    assert problem_.kind == "limit"
    assert f"±{MAX_EXPONENT:g}" in problem_.message


def test_exponent_limit_points_at_the_exponent():
    problem_ = clash("x + h2^100000")
    assert (problem_.start, problem_.end) == (7, 13)


def test_exponent_at_the_limit_is_fine():
    assert shape(f"x^{MAX_EXPONENT:g}") == (2, 1)


@pytest.mark.parametrize(
    "text",
    ["x^(1/0)", "x^((-8)^(1/3))", "x^(0^-1)", "x^(1e11^64)",
     "x^(" + "*".join(["1e11"] * 30) + " - " + "*".join(["1e11"] * 30) + ")"],
    ids=["division-by-zero", "complex", "zero-to-negative", "overflow", "inf-minus-inf"],
)
def test_exponent_without_a_finite_value(text):
    problem_ = clash(text)
    assert problem_.kind == "limit"
    assert "no finite value" in problem_.message
