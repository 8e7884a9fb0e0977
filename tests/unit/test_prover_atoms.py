"""A correct answer that differs from its key only in how it writes the same quantities is
proved over those quantities as free symbols, without expanding the network beneath them:
in milliseconds, so that fifty students answering a deep lesson at once are not each
cut at the budget while sympy expands six layers (issue #24)."""

from __future__ import annotations

import pytest

from tutor.engine import prover
from tutor.engine.parser import parse
from tutor.lessons.load import load_catalog
from tutor.networks.generator import generate_from_text

DEEP = "\n".join(
    ["# depth 6, width 2", "x : 2x1", *[f"W{i} : 2x2" for i in range(1, 7)],
     *[line for i in range(1, 7) for line in
       (f"z{i} = W{i} @ {'x' if i == 1 else f'h{i - 1}'}", f"h{i} = sigma(z{i})")],
     "f = sum(h6)", "goal: df/dW1"]) + "\n"


@pytest.fixture(scope="module")
def flagship():
    return load_catalog().get("two-layer-sigmoid")


def _atoms(lesson, step_id: str, answer: str) -> tuple[bool, int]:
    problem = lesson.problem_for(step_id)
    node = parse(answer, problem.names)
    proved = prover.equal_over_atoms(problem, node, lesson.factors[step_id].expected)
    return proved, len(problem._symbols)


@pytest.mark.parametrize("answer", ["diag(h2 - h2^2)", "diag(h2 * (1 - h2)) + 0 * W3.T @ W3",
                                    "diag((1 - h2) * h2)"])
def test_an_answer_in_the_keys_own_quantities_is_proved_without_expanding_them(flagship, answer):
    assert _atoms(flagship, "dh2_dz2", answer) == (True, 0)  # nothing of the network built


@pytest.mark.parametrize("answer", ["diag(sigma(z2) * (1 - sigma(z2)))",  # equal, via h2 = σ(z2)
                                    "diag(h2 - h2^3)", "diag(h2)"])          # not equal
def test_over_free_symbols_only_equality_is_a_verdict(flagship, answer):
    proved, _ = _atoms(flagship, "dh2_dz2", answer)
    assert proved is False  # left to the proof over the inputs, which decides either way


def test_a_deep_lessons_last_layer_is_proved_over_its_own_quantities():
    lesson = generate_from_text(DEEP, "deep6", validate=False)
    step = next(s for s in lesson.steps if (s.of, s.wrt) == ("h6", "z6"))
    assert _atoms(lesson, step.id, "diag(h6 - h6^2)") == (True, 0)


def test_an_answer_equal_only_through_the_definitions_is_still_proved(flagship):
    verdict = flagship.check("dh2_dz2", "diag(sigma(z2) * (1 - sigma(z2)))", 1,
                             symbolic_budget=20.0)
    assert verdict.correct and verdict.symbolic is True
    wrong = flagship.check("dh2_dz2", "diag(h2 - h2^3)", 1, symbolic_budget=20.0)
    assert not wrong.correct
