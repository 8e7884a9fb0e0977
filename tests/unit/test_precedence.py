"""A wrong answer that is right as its writer grouped it gets `precedence` and where the
parentheses go, never the answer itself (tutor.engine.precedence)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import tutor.engine.precedence as precedence
from tutor.engine import Factor, Problem, check_answer, infer_shape, parse, to_text
from tutor.engine.precedence import MAX_WORK, regrouping
from tutor.lessons.load import load_catalog

INPUTS = {"a": (1, 1), "b": (1, 1), "c": (1, 1), "e": (1, 1), "x": (2, 1), "y": (2, 1),
          "W": (2, 2)}
VALUES = {"a": [[0.7]], "b": [[-1.3]], "c": [[2.1]], "e": [[0.4]], "x": [[0.5], [-1.2]],
          "y": [[0.3], [0.9]], "W": [[0.3, -0.8], [1.1, 0.4]]}


@cache
def problem() -> Problem:
    return Problem.from_text(INPUTS, {"s": "sigma(x)"})


def check(answer: str, key: str):
    node = parse(key, problem().names)
    factor = Factor(node, infer_shape(node, problem().shapes), "∂f/∂x")
    displayed = problem().forward({k: np.array(v) for k, v in VALUES.items()})
    return check_answer(answer, factor, problem(), displayed)


# (answer, key, the operands that belong together, how it was read as typed)
MEANT = [
    ("diag(s * 1-s)", "diag(s * (1-s))", "`1-s` is in parentheses",
     "`(s * 1)-s`, because * binds tighter than -"),
    ("1/1+e", "1/(1+e)", "`1+e` is in parentheses", "`(1/1)+e`, because / binds tighter than +"),
    ("a/b*c", "a/(b*c)", "`b*c` is in parentheses", "`(a/b)*c`"),
    ("a*b^2", "(a*b)^2", "`a*b` is in parentheses", "`a*(b^2)`, because ^ binds tighter than *"),
    ("-a+b", "-(a+b)", "`a+b` is in parentheses", "`(-a)+b`"),
    ("-a^2", "(-a)^2 + 0*a", "`-a` is in parentheses",
     "`-(a^2)`, because ^ binds tighter than the minus sign"),
    ("2 * -a+b", "2 * (-a+b)", "`-a+b` is in parentheses", "`(2 * -a)+b`"),
    ("x.T * e+1", "x.T * (e+1)", "`e+1` is in parentheses", "`(x.T * e)+1`"),
]


@pytest.mark.parametrize(("answer", "key", "together", "reading"), MEANT)
def test_a_precedence_slip_is_named_with_where_the_parentheses_go(answer, key, together,
                                                                   reading):
    verdict = check(answer, key)
    assert verdict.verdict == "incorrect" and verdict.diagnosis == ("precedence",)
    assert f"right if {together}" in verdict.feedback
    assert "as typed, `" in verdict.feedback and reading in verdict.feedback
    _gives_nothing_away(verdict.feedback, key)


def _gives_nothing_away(feedback: str, key: str) -> None:
    squeezed = "".join(feedback.split())
    for form in (key, to_text(parse(key, problem().names))):
        assert "".join(form.split()) not in squeezed


@pytest.mark.parametrize(("answer", "key"), [
    ("W @ x.T", "(W @ x).T"),  # ill-shaped as typed
    ("diag(s) * (1-s)", "diag(s * (1-s))"),  # diag's parenthesis closed early
])
def test_an_ill_shaped_answer_right_as_regrouped_is_told_so_and_counts(answer, key):
    """As an ill-shaped mistake the lesson predicts: where the parentheses go would be the
    factor for free if it cost nothing, as a clash does."""
    verdict = check(answer, key)
    assert verdict.diagnosis == ("precedence", "shape") and verdict.counts_as_attempt
    assert verdict.feedback.startswith("Your answer is right if ")
    assert not verdict.suggestions
    _gives_nothing_away(verdict.feedback, key)


@pytest.mark.parametrize(("answer", "key"), [
    ("diag(s * 1+s)", "diag(s * (1-s))"),  # regrouped: s*(1+s), still wrong
    ("1/1+a", "1/(1+e)"),
    ("a/b*c", "(a/b)/c + a"),
    ("-a*b", "a*b"),  # -(a*b) = (-a)*b: a sign slip, not a grouping
    ("(s * 1)-s", "s * (1-s)"),  # the student's own parentheses are meant
    ("s * 1-s + 0*x", "s * (1-s) + x"),
])
def test_a_regrouping_that_is_not_right_is_no_precedence_slip(answer, key):
    assert "precedence" not in check(answer, key).diagnosis


@pytest.mark.parametrize(("answer", "key"), [
    ("-a*b", "-(a*b)"), ("s * (1-s)", "s * (1-s)"), ("1/(1+e)", "1/(1+e)"),
    ("-(a+b)", "-a-b"), ("(a*b)^2", "a^2*b^2"),
])
def test_a_correct_answer_gets_no_finding(answer, key):
    verdict = check(answer, key)
    assert verdict.correct and verdict.diagnosis == ()


def test_the_issues_example_on_the_shipped_lesson():
    lesson = load_catalog().get("two-layer-sigmoid")
    for seed in (1, 2, 3):
        verdict = lesson.check("dh2_dz2", "diag(h2 * 1-h2)", seed)
        assert verdict.diagnosis == ("precedence",), verdict.feedback
        assert verdict.feedback == (
            "Your answer is right if `1-h2` is in parentheses: as typed, `h2 * 1-h2` means "
            "`(h2 * 1)-h2`, because * binds tighter than -.")
    inside = lesson.check("df_dz1", "W3 @ diag(h2 * 1-h2) @ W2 @ diag(h1*(1-h1))", 1)
    assert inside.diagnosis == ("precedence",)
    assert inside.to_json()["findings"] == [
        {"code": "precedence", "factor": "h2 * 1-h2", "label": None}]
    assert "W3@diag(h2*(1-h2))" not in "".join(inside.feedback.split())


@pytest.mark.parametrize("terms", [1, 3, 30])
def test_the_regroupings_tried_are_bounded_by_the_answers_size(terms):
    """Each try shape-checks and evaluates the whole answer: tries × nodes is bounded."""
    text = " - ".join(["a * b / c + e ^ 2"] * terms)
    node = parse(text, problem().names)
    points = [problem().forward({k: np.array(v) for k, v in VALUES.items()})]
    calls = []
    original = precedence._right

    def counted(*args):
        calls.append(1)
        return original(*args)

    precedence._right = counted
    try:
        assert regrouping(text, node, (1, 1), problem(), points, [np.array([[123.0]])]) is None
    finally:
        precedence._right = original
    size = 9 * terms + (terms - 1)
    assert 0 < len(calls) * size <= MAX_WORK
    if terms == 1:
        assert len(calls) < MAX_WORK // size  # all of them, singles and pairs, were tried


def _grouping_parentheses(text: str) -> list[tuple[int, int]]:
    """Each pair of parentheses of ``text`` that groups (not a function's)."""
    opened, pairs = [], []
    for at, char in enumerate(text):
        if char == "(":
            opened.append(at)
        elif char == ")":
            start = opened.pop()
            if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
                pairs.append((start, at))
    return pairs


def test_every_shipped_key_with_a_pair_of_its_parentheses_left_out_is_a_precedence_slip():
    """`diag(h2 * 1 - h2)`, `W3 @ … @ diag(h1 * (1 - h1)).T @ x.T` for `(W3 @ …).T @ x.T`:
    each is named, with the key nowhere in the feedback."""
    missed, tried = [], 0
    for lesson in load_catalog().lessons:
        for step in lesson.steps:
            key = step.answer
            for start, end in _grouping_parentheses(key):
                text = key[:start] + key[start + 1:end] + key[end + 1:]
                verdict = lesson.check(step.id, text, 1)
                if verdict.correct:  # (a * b) * c: the parentheses changed nothing
                    continue
                tried += 1
                leaked = "".join(key.split()) in "".join(verdict.feedback.split())
                if "precedence" not in verdict.diagnosis or leaked:
                    missed.append((lesson.id, step.id, text, verdict.feedback))
    assert tried >= 40 and missed == []
