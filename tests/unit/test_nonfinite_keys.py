"""A key that is not a number at a variant is never matched: no answer is "correct"
against -inf (issue #20, A), the student is told it is the lesson's fault, and
validation refuses such a key."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.engine import evaluate
from tutor.engine.numbers import EXACT, HAND, close, entries_within
from tutor.lessons.load import parse_lesson
from tutor.lessons.validation import validate_lesson

POLE = '''
id = "a-pole"
title = "One over x"
goal = "df_dx"
intro = "f = 1 / x. We use numerator layout."

[quantities]
x = { shape = [1, 1], draw = "decimal" }

[definitions]
f = "1 / x"

[[steps]]
id = "df_dx"
of = "f"
wrt = "x"
prompt = "What is ∂f/∂x?"
answer = "-(1 / x^2)"
'''


def seed_at_the_pole(lesson) -> int:
    return next(seed for seed in range(1, 500) if lesson.variant(seed).values["x"][0, 0] == 0)


@pytest.mark.parametrize("answer", ["5", "-7", "1e11", "-1e11", "-(1 / x^2)", "-1 / x^2"])
def test_no_answer_is_correct_against_a_key_that_is_not_a_number(answer):
    lesson = parse_lesson(POLE)
    seed = seed_at_the_pole(lesson)
    assert not np.isfinite(evaluate(lesson.factors["df_dx"].expected,
                                    lesson.variant(seed).values)).all()
    verdict = lesson.check("df_dx", answer, seed, symbolic_budget=0)
    assert not verdict.correct, answer
    assert verdict.diagnosis == ("key-not-a-number",) and "lesson" in verdict.feedback
    assert not verdict.counts_as_attempt


def test_the_same_lesson_checks_answers_where_its_key_is_a_number():
    lesson = parse_lesson(POLE)
    seed = next(s for s in range(1, 500) if lesson.variant(s).values["x"][0, 0] != 0)
    assert lesson.check("df_dx", "-1 / x^2", seed, symbolic_budget=0).correct


def test_the_closeness_rule_meets_no_entry_that_is_not_a_number():
    inf = np.array([[-np.inf, 1.0]])
    for tolerance in (HAND, EXACT):
        assert not close(np.array([[5.0, 1.0]]), inf, tolerance)
        assert entries_within(np.array([[5.0, 1.0]]), inf, tolerance).tolist() == [[False, True]]
        assert not close(np.array([[1.0]]), np.array([[np.nan]]), tolerance)


def test_validation_refuses_a_key_that_is_not_a_number_at_a_drawn_value():
    fixed = POLE.replace('draw = "decimal"', 'draw = "fixed", values = [[0.0]]')
    errors = [f for f in validate_lesson(parse_lesson(fixed), 0) if f.error]
    assert any("not a number at drawn values" in f.message for f in errors), errors
