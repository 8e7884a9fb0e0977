"""A step's answer may use the ids of the steps before it, standing for their factors."""

from __future__ import annotations

from functools import cache

import pytest

from tutor.lessons.load import load_catalog


@cache
def catalog():
    return load_catalog()


COMPOSED = [(lesson.id, step.id, step.composes) for lesson in catalog().lessons
            for step in lesson.steps if step.composes]


@pytest.mark.parametrize(("lesson_id", "step_id", "composes"), COMPOSED)
def test_every_composed_step_accepts_its_product_of_earlier_steps(lesson_id, step_id,
                                                                  composes):
    verdict = catalog().get(lesson_id).check(step_id, composes, 1, symbolic_budget=5.0)
    assert verdict.correct, verdict.feedback
    assert verdict.symbolic is True


def test_the_prompts_promise_holds_for_the_flagships_last_step():
    lesson = catalog().get("two-layer-sigmoid")
    assert "df_dz1" in lesson.step("df_dW1").prompt
    assert lesson.check("df_dW1", "df_dz1.T @ x.T", 1).correct
    assert lesson.check("df_dW1", "(df_dh2 @ dh2_dz2 @ dz2_dh1 @ dh1_dz1).T @ x.T", 2).correct


def test_an_id_stands_for_the_true_factor_so_a_wrong_use_is_wrong():
    lesson = catalog().get("two-layer-sigmoid")
    verdict = lesson.check("df_dW1", "df_dz1 @ x.T", 1)
    assert verdict.verdict == "invalid" and "1×2" in verdict.feedback  # shapes still strict
    wrong = lesson.check("df_dz1", "df_dh2 @ dz2_dh1 @ dh2_dz2 @ dh1_dz1", 1)
    assert wrong.verdict == "incorrect"


@pytest.mark.parametrize(("step_id", "text", "said"), [
    ("df_dW1", "df_dW1", "this step's own factor"),
    ("df_dz1", "df_dW1 @ x", "a later step's factor"),
    ("df_dh2", "df_dz1", "a later step's factor; this step may use only the ones before it (none)"),
])
def test_an_id_of_this_or_a_later_step_says_which_ids_may_be_used(step_id, text, said):
    verdict = catalog().get("two-layer-sigmoid").check(step_id, text, 1)
    assert verdict.verdict == "invalid" and said in verdict.feedback
    assert "^" in verdict.feedback  # and points at it


def test_an_unknown_name_lists_the_ids_this_step_may_use():
    verdict = catalog().get("two-layer-sigmoid").check("df_dz1", "foo", 1)
    assert "df_dh2, dh2_dz2, dz2_dh1 and dh1_dz1" in verdict.feedback
