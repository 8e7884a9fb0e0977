"""Numbers typed by hand that are the factor rounded short: said so, and no attempt spent.

The issue's example: ∂f/∂W1 of two-layer-sigmoid at seed 2 is
[0.00652 -0.01956; 0.01046 -0.03137]; typed to two figures (one of them cut off rather
than rounded) it was told "entries (1,2), (2,1) and (2,2) are off … check each factor",
and it cost an attempt, though the working was right.
"""

from __future__ import annotations

import numpy as np
import pytest

from tutor.engine import evaluate
from tutor.engine.numbers import HAND, figures_given
from tutor.lessons.load import load_catalog
from tutor.progress import ProgressStore
from tutor.session import LessonSession, open_variant, start_lesson

LESSON, STEP, SEED = "two-layer-sigmoid", "df_dW1", 2
KEY_DIGITS = ("0.00652", "0.01956", "0.01046", "0.03137", "0.0196", "0.0314", "0.0105")


@pytest.fixture(scope="module")
def lesson():
    return load_catalog().get(LESSON)


def test_the_example_key_is_the_one_the_issue_quotes(lesson):
    key = evaluate(lesson.factors[STEP].expected, lesson.variant(SEED).values)
    assert np.allclose(key, [[0.00652, -0.01956], [0.01046, -0.03137]], atol=5e-6)


@pytest.mark.parametrize(("answer", "figures"), [
    ("[0.0065 -0.019; 0.01 -0.031]", "two"),  # -0.019 cut off, 0.01 is 0.010
    ("[0.0065 -0.020; 0.010 -0.031]", "two"),  # rounded
    ("[0.007 -0.02; 0.01 -0.03]", "one"),
    ("[0.00652 -0.0196; 0.0105 -0.03]", "one"),  # the fewest figures of any entry
])
def test_numbers_rounded_to_one_or_two_figures_are_precision_and_cost_no_attempt(
        lesson, answer, figures):
    verdict = lesson.check(STEP, answer, SEED)
    assert verdict.diagnosis == ("precision",)
    assert not verdict.counts_as_attempt and not verdict.correct
    assert f"agree with ∂f/∂W1 to {figures} significant figure" in verdict.feedback
    assert "give three" in verdict.feedback
    assert not any(digits in verdict.feedback for digits in KEY_DIGITS)
    assert verdict.to_json()["diagnosis"] == ["precision"]


def test_three_figures_are_correct(lesson):
    assert lesson.check(STEP, "[0.00652 -0.0196; 0.0105 -0.0314]", SEED).correct


@pytest.mark.parametrize("answer", [
    "[0.0065 -0.0196; 0.0105 -0.0345]",  # one entry 10% off, to three figures
    "[0.0072 -0.0196; 0.0105 -0.0314]",  # two figures, but not the key's two
    "[0.0065 -0.019; 0.01 -0.034]",  # rounded, but one entry wrong
    "[0 0; 0.0105 -0.0314]",  # a row of zeros is no rounding
])
def test_a_close_answer_that_is_not_a_rounding_counts(lesson, answer):
    verdict = lesson.check(STEP, answer, SEED)
    assert verdict.verdict == "incorrect" and verdict.counts_as_attempt
    assert "significant figures; give" not in verdict.feedback


def test_figures_given_rounds_or_cuts_off_entry_by_entry():
    key = np.array([[1.1835, -0.01456]])
    assert figures_given(np.array([[1.2, -0.01]]), key, HAND) == 1
    assert figures_given(np.array([[1.2, -0.015]]), key, HAND) == 2
    assert figures_given(np.array([[1.1, -0.014]]), key, HAND) == 2  # both cut off
    assert figures_given(np.array([[1.18, -0.0146]]), key, HAND) is None  # meets the rule
    assert figures_given(np.array([[1.3, -0.0146]]), key, HAND) is None  # 1.3 is no rounding
    assert figures_given(np.array([[1.2, 0.0]]), key, HAND) is None  # 0 for -0.01456
    assert figures_given(np.array([[1.2]]), np.array([[0.0]]), HAND) is None
    assert figures_given(np.array([[1.2, -0.02]]), np.array([[1.1835]]), HAND) is None


def test_a_rounded_answer_is_recorded_but_costs_no_attempt_in_the_session(lesson, tmp_path):
    with ProgressStore(tmp_path / "progress.db") as store:
        start_lesson(store, LESSON, open_variant(store, LESSON, SEED).seed)
        session = LessonSession(lesson, SEED, store)
        checked = session.submit(STEP, "[0.0065 -0.019; 0.01 -0.031]", 2.0)
        assert checked.verdict.diagnosis == ("precision",)
        session.submit(STEP, "[0.0065 -0.0196; 0.0105 -0.0345]", 2.0)  # a real slip
        session.reload()
        assert session.factors[STEP].attempts == 1
        recorded = store.attempts(LESSON)
        assert [a.verdict for a in recorded] == ["invalid", "incorrect"]
        assert recorded[0].diagnosis == ("precision",)


def test_a_half_rounds_either_way_and_a_computed_value_is_cut_where_it_is_meant():
    assert figures_given(np.array([[0.03, -0.2]]), np.array([[0.025, -0.25]]), HAND) == 1
    assert figures_given(np.array([[0.02, -0.3]]), np.array([[0.025, -0.25]]), HAND) == 1
    computed = np.array([[0.1 + 0.2 - 0.27, 1.0]])  # 0.03, held as 0.0299999…
    assert figures_given(np.array([[0.02, 1.0]]), computed, HAND) is None
    assert figures_given(np.array([[-0.03, 1.0]]), computed, HAND) is None  # the sign


def _rounded(value: np.ndarray, figures: int) -> str:
    rows = (" ".join(f"{v:.{figures - 1}e}" if v else "0" for v in row) for row in value)
    return "[" + "; ".join(rows) + "]"


def test_every_shipped_key_rounded_to_one_or_two_figures_costs_no_attempt():
    """Rounded, it is precision (or correct, when the figures dropped were zeros); with
    one entry then 10% off, it is a wrong answer that counts."""
    wrong = []
    for shipped in load_catalog().lessons:
        for step in shipped.steps:
            for seed in (1, 2):
                key = evaluate(shipped.factors[step.id].expected, shipped.variant(seed).values)
                for figures in (1, 2):
                    verdict = shipped.check(step.id, _rounded(key, figures), seed)
                    if not (verdict.correct or (verdict.diagnosis == ("precision",)
                                                and not verdict.counts_as_attempt)):
                        wrong.append((shipped.id, step.id, seed, figures, verdict.feedback))
                slipped = key.copy()
                slipped.flat[np.argmax(np.abs(key))] *= 1.1
                # To three figures: -0.02976 to two is -0.030, -0.02705 to one, rightly.
                verdict = shipped.check(step.id, _rounded(slipped, 3), seed)
                if not verdict.counts_as_attempt:
                    wrong.append((shipped.id, step.id, seed, "10% off", verdict.feedback))
    assert wrong == []


def test_the_report_lists_a_rounded_answer_among_the_common_ones_but_counts_no_attempt(
        lesson, tmp_path):
    from tutor.report.build import WrongAnswer, build_report
    from tutor.report.sources import load_sources

    rounded, slipped = "[0.0065 -0.019; 0.01 -0.031]", "[0.0065 -0.0196; 0.0105 -0.0345]"
    (tmp_path / "ann").mkdir()
    with ProgressStore(tmp_path / "ann" / "progress.db") as store:
        start_lesson(store, LESSON, open_variant(store, LESSON, SEED).seed)
        session = LessonSession(lesson, SEED, store)
        for answer in (rounded, slipped, "[0.00652 -0.0196; 0.0105 -0.0314]"):
            session.submit(STEP, answer, 2.0)
    sources, _ = load_sources([tmp_path])
    step = next(s for one in build_report(sources).lessons for s in one.steps
                if s.step_id == STEP)
    assert step.median_attempts == 2  # the slip and the correct answer; rounding is free
    assert WrongAnswer("[0.0065 -0.019;0.01 -0.031]", ("precision",), 1, 1) in step.common_wrong
