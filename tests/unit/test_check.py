"""Checking answers to each factor of the flagship network: what is accepted, what is not, why."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from flagship import (
    DELTA1,
    DROPS_W2_FEEDBACK,
    NAMES,
    POSTED_CLOSED_FORM,
    POSTED_FEEDBACK,
    displayed,
    exact_numbers,
    factor,
    numbers,
    problem,
)

from tutor.engine import EngineError, Factor, check_answer, evaluate, parse


def check(text: str, key: str, **options):
    return check_answer(text, factor(key), problem(), displayed(), **options)


def value(text: str) -> np.ndarray:
    return evaluate(parse(text, NAMES), displayed())


# -- the expected factors are the true derivatives ------------------------------------------------


@pytest.mark.parametrize(
    ("key", "of", "wrt"),
    [("df/dh2", "f", "h2"), ("dh2/dz2", "h2", "z2"), ("dz2/dh1", "z2", "h1"),
     ("dh1/dz1", "h1", "z1"), ("df/dz1", "f", "z1"), ("df/dW1", "f", "W1")],
)
def test_each_expected_factor_matches_finite_differences(key, of, wrt):
    values = displayed()
    numeric = problem().numeric_derivative(of, wrt, values)
    assert np.allclose(evaluate(factor(key).expected, values), numeric, atol=1e-6)


# -- accepted answers ---------------------------------------------------------------------------

ACCEPTED = {
    "df/dh2": [
        "W3", "W3.T.T", "(W3')'", "W3ᵀᵀ", "1*W3", "W3 * 1", "2*W3/2", "W3 + 0", "-(-W3)",
        "W3 @ eye(2)", "ones(1, 1) @ W3", "[1, 0] * W3 + [0, 1] * W3", "(x*0 + 1).T * W3",
    ],
    "dh2/dz2": [
        "diag(h2*(1-h2))", "diag(h2 ⊙ (1 − h2))", "diag(h2 ∘ (1-h2))",
        "diag(sigma(z2)*(1-sigma(z2)))", "diag(σ(z2)*(1-σ(z2)))",
        "diag(exp(-z2)/(1+exp(-z2))^2)", "diag(h2 - h2^2)", "diag(h2 - h2**2)",
        "diag(h2.T*(1-h2.T))", "diag(h2*(1-h2)).T", "diag(h2) - diag(h2)^2",
        "diag(h2) @ (eye(2) - diag(h2))", "diag(h2) @ diag(1 - h2)",
        "diag(sigma(W2 @ sigma(W1 @ x)) * (1 - sigma(W2 @ sigma(W1 @ x))))",
        "diag(1/(1+exp(-z2)) * (1 - 1/(1+exp(-z2))))", "eye(2) * (h2*(1-h2) @ ones(1, 2))",
    ],
    "dz2/dh1": [
        "W2", "W2.T.T", "W2 @ eye(2)", "eye(2) @ W2", "(W2.T)'", "W2^T^T", "W2 + 0*W1",
    ],
    "dh1/dz1": [
        "diag(h1*(1-h1))", "diag(sigma(z1)*(1-sigma(z1)))", "diag(exp(-z1)/(1+exp(-z1))^2)",
        "diag(sigma(W1@x)*(1-sigma(W1@x)))", "diag(h1) - diag(h1*h1)",
    ],
    "df/dz1": [
        "W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))",
        "W3 @ diag(h2*(1-h2)) @ W2.T.T @ diag(h1*(1-h1))",
        "(W3 * (h2*(1-h2)).T) @ W2 @ diag(h1*(1-h1))",
        "((W3 * (h2*(1-h2)).T) @ W2) * (h1*(1-h1)).T",
        f"({DELTA1}).T",
        "((h1*(1-h1)) * (W2.T @ ((h2*(1-h2)) * W3.T))).T",
        "W3 @ diag(sigma(z2)*(1-sigma(z2))) @ W2 @ diag(sigma(z1)*(1-sigma(z1)))",
    ],
    "df/dW1": [
        f"({DELTA1}) @ x.T",
        "((h1*(1-h1)) * (W2.T @ ((h2*(1-h2)) * W3.T))) @ x.T",
        "(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T @ x.T",
        "(x @ W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T",
        "diag(sigma(z1)*(1-sigma(z1))) @ W2' @ diag(sigma(z2)*(1-sigma(z2))) @ W3' @ x'",
        "(h1*(1-h1)) * (W2ᵀ @ (h2*(1-h2) ⊙ W3ᵀ)) @ xᵀ",
    ],
}


@pytest.mark.parametrize(
    ("key", "text"), [(key, text) for key, texts in ACCEPTED.items() for text in texts]
)
def test_equivalent_answers_are_accepted(key, text):
    verdict = check(text, key)
    assert verdict.verdict == "correct", verdict.feedback
    assert verdict.correct
    assert verdict.numeric is True
    assert verdict.diagnosis == ()
    assert verdict.shape == factor(key).shape
    assert verdict.feedback.startswith("✓")


@pytest.mark.parametrize(
    "text",
    ["diag(h2*(1-h2))", "diag(sigma(z2)*(1-sigma(z2)))", "diag(exp(-z2)/(1+exp(-z2))^2)"],
)
def test_the_three_spellings_of_sigma_prime_are_proved(text):
    verdict = check(text, "dh2/dz2", symbolic_budget=30.0)
    assert verdict.verdict == "correct"
    assert verdict.symbolic is True
    assert "proved" in verdict.feedback


@pytest.mark.parametrize("key", list(ACCEPTED))
def test_the_expected_form_of_every_factor_is_proved(key):
    assert check(ACCEPTED[key][0], key).symbolic is True


def test_a_proof_past_its_budget_is_a_timeout_with_the_numeric_verdict():
    verdict = check("diag(exp(-z2)/(1+exp(-z2))^2)", "dh2/dz2", symbolic_budget=0)
    assert verdict.verdict == "correct"
    assert verdict.numeric is True
    assert verdict.symbolic == "timeout"
    assert "timed out" in verdict.feedback


def test_a_tiny_budget_on_the_slow_route_is_a_timeout():
    verdict = check("diag(exp(-z2)/(1+exp(-z2))^2)", "dh2/dz2", symbolic_budget=1e-9)
    assert verdict.symbolic == "timeout"
    assert verdict.verdict == "correct"


def test_the_fast_route_needs_a_budget_and_proves_within_one():
    # The budget now bounds the whole proof (it runs in a worker process killed at the
    # deadline), so a budget of 0 proves nothing. A fresh worker builds the lesson's
    # symbols inside the budget: on a loaded machine 0.5 s was seen to run out.
    assert check("diag(sigma(z2)*(1-sigma(z2)))", "dh2/dz2", symbolic_budget=5.0).symbolic is True
    assert check("diag(sigma(z2)*(1-sigma(z2)))", "dh2/dz2", symbolic_budget=0).symbolic == (
        "timeout")


def run_with_deadline(function, seconds: float):
    """Run in a daemon thread, so that a regression fails the test instead of hanging it."""
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=function()), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    return outcome["result"], time.monotonic() - started


@pytest.mark.parametrize(
    "text",
    [
        # 25 matrix products share their entries: small in memory, 2**25 nodes as a tree.
        "diag(h2*(1-h2)) + 1e-20*diag(" + "W1@" * 25 + "x)",
        # (16 monomials)^64 would expand to about 10**15 terms.
        "diag(h2*(1-h2)) + 1e-30*diag((0.1*W1@W1@W1@x + 0.1*W2@W2@W2@x)^64)",
    ],
    ids=["shared-products", "multinomial"],
)
def test_a_proof_that_would_blow_up_is_a_timeout_not_a_hang(text):
    verdict, seconds = run_with_deadline(lambda: check(text, "dh2/dz2"), 60)
    assert verdict.verdict == "correct"
    assert verdict.numeric is True
    assert verdict.symbolic == "timeout"
    assert seconds < 30


# -- numbers-only answers -----------------------------------------------------------------------


@pytest.mark.parametrize("key", list(ACCEPTED))
def test_this_variants_numbers_to_three_figures_are_accepted(key):
    expected = value(ACCEPTED[key][0])
    verdict = check(numbers(expected, 3), key)
    assert verdict.verdict == "correct", verdict.feedback
    assert verdict.numeric is True
    assert verdict.symbolic is None
    assert "three significant figures" in verdict.feedback


@pytest.mark.parametrize("key", list(ACCEPTED))
def test_numbers_off_in_the_second_figure_are_rejected(key):
    expected = value(ACCEPTED[key][0])
    nudged = expected + 0.03 * np.abs(expected) + 0.01
    verdict = check(numbers(nudged, 6), key)
    assert verdict.verdict == "incorrect"
    assert verdict.numeric is False


@pytest.mark.parametrize(
    "text", ["[1.5, -0.7]", "[1.5 -0.7]", "[[1.5, -0.7]]", "[1.50, -.70]", "[1.502, -0.6996]"]
)
def test_numbers_for_df_dh2_in_every_literal_spelling(text):
    assert check(text, "df/dh2").verdict == "correct"


@pytest.mark.parametrize(
    ("text", "codes"),
    [("[1.5; -0.7]", ("shape", "transpose")), ("[-1.5, 0.7]", ("sign",)),
     ("[0.75, -0.35]", ("scale",)), ("[1.6, -0.7]", ()), ("[1.5 - 0.7]", ("shape",))],
)
def test_numbers_for_df_dh2_that_are_wrong(text, codes):
    verdict = check(text, "df/dh2")
    assert verdict.verdict == "incorrect"
    assert verdict.diagnosis == codes


def test_numbers_of_the_vector_where_a_diagonal_matrix_belongs():
    vector = value("h2*(1-h2)")
    verdict = check(numbers(vector), "dh2/dz2")
    assert verdict.diagnosis == ("shape", "vector-vs-diag")


def test_transposed_numbers_of_a_square_factor():
    expected = value("W2")
    verdict = check(numbers(expected.T), "dz2/dh1")
    assert verdict.diagnosis == ("transpose",)


# -- rejected answers ------------------------------------------------------------------------------

REJECTED = {
    "df/dh2": [
        ("W3.T", ("shape", "transpose")),
        ("W3'", ("shape", "transpose")),
        ("-W3", ("sign",)),
        ("2*W3", ("scale",)),
        ("W3/2", ("scale",)),
        ("h2.T", ("wrong-quantity",)),
        ("W3 @ W2", ()),
        ("W3 @ diag(h2*(1-h2))", ()),
        ("h2", ("shape",)),
        ("W1", ("shape",)),
        ("diag(W3)", ("shape", "vector-vs-diag")),
    ],
    "dh2/dz2": [
        ("h2*(1-h2)", ("shape", "vector-vs-diag")),
        ("(h2*(1-h2)).T", ("shape", "vector-vs-diag")),
        ("sigma(z2)*(1-sigma(z2))", ("shape", "vector-vs-diag")),
        ("-diag(h2*(1-h2))", ("sign",)),
        ("diag(h2*(h2-1))", ("sign",)),
        ("2*diag(h2*(1-h2))", ("scale",)),
        ("diag(h2*(1-h2))/4", ("scale",)),
        ("diag(h2)", ("not-differentiated",)),
        ("diag(1-h2)", ()),
        ("diag(h1*(1-h1))", ("wrong-quantity",)),
        ("diag(z2*(1-z2))", ("wrong-point",)),
        ("diag(sigma(z2))", ("not-differentiated",)),
        ("W2", ()),
        ("h2 @ (1-h2).T", ()),
    ],
    "dz2/dh1": [
        ("W2.T", ("transpose",)),
        ("W2'", ("transpose",)),
        ("W2^T", ("transpose",)),
        ("W2ᵀ", ("transpose",)),
        ("-W2", ("sign",)),
        ("0.5*W2", ("scale",)),
        ("W1", ("wrong-quantity",)),
        ("diag(h1*(1-h1))", ()),
        ("h1", ("shape",)),
        ("W2 @ h1", ("shape",)),
        ("h1.T", ("shape",)),
    ],
    "dh1/dz1": [
        ("h1*(1-h1)", ("shape", "vector-vs-diag")),
        ("diag(h2*(1-h2))", ("wrong-quantity",)),
        ("diag(h1)", ("not-differentiated",)),
        ("-diag(h1*(1-h1))", ("sign",)),
    ],
    "df/dz1": [
        (DELTA1, ("shape", "transpose")),
        ("W3 @ diag(h2*(1-h2)) @ W2.T @ diag(h1*(1-h1))", ("factor-transposed",)),
        ("W3 @ diag(h2*(1-h2)) @ diag(h1*(1-h1))", ("known-mistake", "missing-factor")),
        ("-W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))", ("sign",)),
        ("2 * W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))", ("scale",)),
        ("diag(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1)))", ("shape", "vector-vs-diag")),
        ("W3 @ W2", ("missing-factor",)),
        ("W3 @ diag(h2*(1-h2)) @ W2", ("missing-factor",)),
    ],
    "df/dW1": [
        (POSTED_CLOSED_FORM, ("known-mistake", "shape", "missing-factor")),
        ("W3 ⊙ σ(z2)*(1-σ(z2)) ⊙ σ(z1)*(1-σ(z1))", ("known-mistake", "shape", "missing-factor")),
        ("W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))",
         ("known-mistake", "shape", "missing-factor")),
        ("(diag(h1*(1-h1)) @ diag(h2*(1-h2)) @ W3.T) @ x.T", ("known-mistake", "missing-factor")),
        ("x @ W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))", ("transpose",)),
        (f"({DELTA1} @ x.T).T", ("transpose",)),
        (f"-({DELTA1}) @ x.T", ("sign",)),
        (f"({DELTA1}) @ x.T / 2", ("scale",)),
        (DELTA1, ("shape", "missing-factor")),
        ("W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))", ("shape", "missing-factor")),
        ("x.T", ("shape",)),
        ("W1", ()),
        (f"({DELTA1}) @ h1.T", ("wrong-quantity",)),
    ],
}


@pytest.mark.parametrize(
    ("key", "text", "codes"),
    [(key, text, codes) for key, rows in REJECTED.items() for text, codes in rows],
)
def test_wrong_answers_are_rejected_with_the_right_diagnosis(key, text, codes):
    verdict = check(text, key)
    assert verdict.verdict == "incorrect", verdict.feedback
    assert not verdict.correct
    assert verdict.counts_as_attempt
    assert verdict.numeric is False
    assert verdict.diagnosis == codes
    assert verdict.feedback


def test_shape_feedback_names_both_shapes():
    feedback = check("h2", "df/dh2").feedback
    assert "1×2" in feedback and "2×1" in feedback


def test_transposed_shape_says_so_even_when_the_values_differ():
    verdict = check("h2", "df/dh2")
    assert verdict.diagnosis == ("shape",)
    assert "transposed shape" in verdict.feedback


def test_transpose_feedback_for_a_square_factor_explains_the_layout():
    feedback = check("W2.T", "dz2/dh1").feedback
    assert "transpose" in feedback and "numerator layout" in feedback


def test_vector_for_a_diagonal_matrix_says_to_wrap_it_in_diag():
    assert "diag(" in check("h2*(1-h2)", "dh2/dz2").feedback


def test_diagonal_matrix_for_a_vector_says_to_give_the_vector():
    feedback = check("diag(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1)))", "df/dz1").feedback
    assert "row of those diagonal entries" in feedback


def test_sign_and_scale_feedback_say_what_is_off():
    assert "wrong sign" in check("-W3", "df/dh2").feedback
    assert "2 times" in check("2*W3", "df/dh2").feedback


def test_the_posted_closed_form_gets_the_lessons_feedback_and_the_shape_clash():
    verdict = check(POSTED_CLOSED_FORM, "df/dW1")
    assert verdict.verdict == "incorrect"
    assert verdict.counts_as_attempt
    assert POSTED_FEEDBACK in verdict.feedback
    assert "1×2" in verdict.feedback and "2×1" in verdict.feedback
    assert "no broadcasting" in verdict.feedback.lower()


def test_a_declared_mistake_gets_its_own_feedback():
    verdict = check("W3 @ diag(h2*(1-h2)) @ diag(h1*(1-h1))", "df/dz1")
    assert verdict.feedback.startswith(DROPS_W2_FEEDBACK)


def test_an_ill_shaped_answer_that_is_no_declared_mistake_is_invalid():
    verdict = check("W3 * h2", "df/dW1")
    assert verdict.verdict == "invalid"
    assert not verdict.counts_as_attempt


# -- specific values ---------------------------------------------------------------------------


def test_numbers_typed_into_an_expression_match_only_this_variant():
    w3 = exact_numbers(displayed()["W3"])
    verdict = check(f"W3 - W3 + {w3}", "df/dh2")
    assert verdict.verdict == "incorrect"
    assert verdict.diagnosis == ("specific-values",)
    assert "Numbers typed into an expression stay fixed" in verdict.feedback


def test_specific_values_for_a_diagonal_factor():
    sigma_prime = exact_numbers(value("diag(h2*(1-h2))"))
    verdict = check(f"{sigma_prime} + 0*W2", "dh2/dz2")
    assert verdict.diagnosis == ("specific-values",)


# -- invalid answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("", "empty"), ("W3 @", "ends too early"), ("w3", "Did you mean W3?"),
     ("W3 * h2", "no broadcasting"), ("W1 @ W3", "inner sizes"), ("sigmoid(z2)", "sigma"),
     ("W3 $ h2", "not part of the language"), ("x^100000", "too large"),
     ("[1 2; 3]", "Row 2"), ("__import__('os')", "Python")],
)
def test_parse_and_shape_errors_are_invalid_and_cost_no_attempt(text, phrase):
    verdict = check(text, "df/dh2")
    assert verdict.verdict == "invalid"
    assert not verdict.counts_as_attempt
    assert verdict.numeric is None
    assert verdict.diagnosis == ()
    assert isinstance(verdict.error, EngineError)
    assert phrase in verdict.feedback


def test_invalid_feedback_has_a_caret_under_the_spot():
    verdict = check("W3 @ w2", "dz2/dh1")
    line, carets = verdict.feedback.split("\n")[1:3]
    assert line == "W3 @ w2"
    assert carets == "     ^^"


@pytest.mark.parametrize("text", ["ones(x, 1)", "h2^z2", "sigma(x, h2)", "diag()", "ones(2)",
                                  "eye(100000)", "ones(30000, 30000)"])
def test_ill_shaped_answers_with_bad_arguments_are_invalid_not_a_crash(text):
    """The declared-mistake path evaluates ill-shaped answers; these cannot be evaluated."""
    verdict = check(text, "df/dW1")
    assert verdict.verdict == "invalid"


# -- never correct without numbers ------------------------------------------------------------


def test_no_finite_expected_value_is_never_correct():
    """all() of no points is True: with nothing verified numerically, nothing is correct."""
    broken = Factor(parse("log(x - x)", NAMES), (2, 1), "a factor with no finite value")
    verdict = check_answer("log(x - x)", broken, problem(), displayed())
    assert verdict.verdict != "correct"
    assert verdict.numeric is not True


def test_an_answer_that_is_not_finite_is_not_correct():
    verdict = check("W3 + 0*log(x - x).T", "df/dh2")
    assert verdict.verdict == "incorrect"
    assert verdict.numeric is False


def test_verdict_json_carries_the_checks():
    data = check("W2.T", "dz2/dh1").to_json()
    assert data["verdict"] == "incorrect"
    assert data["diagnosis"] == ["transpose"]
    assert data["checks"] == {"numeric": False, "symbolic": None}
    assert data["shape"] == [2, 2]
