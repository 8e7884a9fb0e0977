"""Validation right at the values it draws: finite differences with steps scaled to each
entry and Richardson's error estimate (tutor.engine.differences). A correct lesson whose drawn
values saturate a softmax or a σ is made, not refused as a fault of the generator; a key
off by a little is still refused; where the differences cannot decide, sympy does."""

from __future__ import annotations

import numpy as np
import pytest

import tutor.engine.differences as differences
from tutor.cli.command import main
from tutor.lessons.validation import validate_paths
from tutor.networks.generator import GeneratorError, generate_from_text

# int draws put W @ x up to 36 apart: p ≈ 1e-10 at the label's entry, where a step of
# 1e-6 left log's domain (and at p ≈ 1e-4 was off by 3e-4 of ∂L/∂p ≈ −9197).
SOFTMAX_REGRESSION = """x : 4x1 int
W : 3x4 int
y : 3x1 onehot
z = W @ x
p = softmax(z)
L = -sum(y * log(p))
goal: dL/dW
"""
BILINEAR_LOGISTIC = """x : 3x1 int
M : 3x3 int
y : 3x1 int
s = x.T @ M @ y
p = sigma(s)
lp = log(p)
L = -lp
goal: dL/dM
"""


# A batch's logistic loss at σ(±20): the forward pass itself rounded σ(−20) to 1e-7 of
# itself, and the differences' noise fell alike at h and h/2 in one column.
LOGISTIC_BATCH = """X : 4x8 int
w : 1x4 int
b : 1 int
y : 1x8 int
s = w @ X + b * ones(1, 8)
p = sigma(s)
q = sigma(-s)
L = -sum(y * log(p) + (1 - y) * log(q)) / 8
goal: dL/dw
goal: dL/db
"""

# Found by the generator's property test: σ(sum(h2)) a few ε from 1, so L = −log σ is
# rounded in steps of ε (σ's), not of ε·|L|, and the differences at the smallest entry's
# step were 1% off a right key at both steps tried (noise that shrank 70× with the step).
LOG_SIGMA_SATURATED = """a : 1
c : 3x1
r : 1x3
X : 3x2
pa : 1 positive
pc : 3x1 positive
pX : 3x2 positive
W : 3x3
g : 2x1
k : 3x1
h1 = r
h2 = (2 * r)^3
L = -log(sigma(sum(h2)))
goal: dL/dr
"""


@pytest.mark.parametrize("text", [SOFTMAX_REGRESSION, BILINEAR_LOGISTIC, LOGISTIC_BATCH,
                                  LOG_SIGMA_SATURATED,
                                  SOFTMAX_REGRESSION.replace("4x1 int", "8x1 int")
                                  .replace("3x4 int", "6x8 int").replace("3x1 onehot",
                                                                         "6x1 onehot")])
def test_a_correct_network_whose_draws_saturate_is_made_not_refused(text):
    lesson = generate_from_text(text, symbolic_budget=0.0)
    assert lesson.steps[-1].label.startswith("∂L/∂")


def _made(tmp_path, text: str):
    network = tmp_path / "net.txt"
    network.write_text(text, encoding="utf-8")
    out = tmp_path / "net.toml"
    assert main(["new", str(network), "--budget", "0", "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("factor", ["1.001", "0.9999"])
def test_a_key_off_by_a_small_factor_is_still_refused_at_saturated_values(tmp_path, factor):
    out = _made(tmp_path, SOFTMAX_REGRESSION)
    text = out.read_text(encoding="utf-8")
    key = 'answer = "diag(p) - p @ p.T"'
    assert key in text
    out.write_text(text.replace(key, f'answer = "{factor} * (diag(p) - p @ p.T)"'),
                   encoding="utf-8")
    errors = [f for f in validate_paths([out], 0.0) if f.error]
    assert errors[0].step == "dp_dz"  # (and the product that composes it no longer holds)
    assert "finite differences give" in errors[0].message and "within" in errors[0].message


@pytest.mark.parametrize("factor", ["2", "-1", "1.1"])
def test_where_rounding_noise_shrinks_with_the_step_a_wrong_key_is_still_refused(tmp_path,
                                                                                factor):
    """The rule that takes a gap shrinking with the step for noise lets no wrong key by:
    off by a factor, its gap stays at every step."""
    key = next(step.answer for step in generate_from_text(
        LOG_SIGMA_SATURATED, symbolic_budget=0.0).steps if step.id == "dL_dh2")
    out = _made(tmp_path, LOG_SIGMA_SATURATED)
    text = out.read_text(encoding="utf-8")
    assert f'answer = "{key}"' in text
    out.write_text(text.replace(f'answer = "{key}"', f'answer = "{factor} * ({key})"'),
                   encoding="utf-8")
    errors = [f for f in validate_paths([out], 0.0) if f.error]
    assert errors and errors[0].step == "dL_dh2", errors
    assert "finite differences give" in errors[0].message


def test_a_gap_that_shrinks_with_the_step_is_noise_and_one_that_stays_is_the_keys():
    from tutor.lessons.validation import _noise

    assert _noise([7e-11, 1e-12])  # 70× smaller at a 10× step: rounding noise
    assert _noise([7e-9, 7e-10, 7e-11])  # and still shrinking at the last step
    assert not _noise([8e-9, 8e-9])  # the same at both: the key is off
    assert not _noise([8e-9, 4e-9])  # halved: truncation moving, not noise enough
    assert not _noise([7e-9, 8e-11, 7e-11])  # settled, once the noise fell below the key's


def test_steps_are_scaled_to_each_entry_so_a_tiny_probability_stays_in_logs_domain():
    p = np.array([[1e-12], [0.5], [-3.0], [0.0]])
    h = differences.steps(p)
    assert np.all(np.abs(h) < np.abs(p) + (p == 0)) and h[3, 0] == differences.RELATIVE_STEP * 3


def test_a_kink_inside_the_step_is_undecided_not_wrong_nor_right():
    """relu(z) with z a hair from its kink: the differences at h and h/2 disagree, so
    their estimate vouches for nothing; a right key and a wrong one alike are undecided."""
    from tutor.engine.problem import Problem

    problem = Problem.from_text({"x": (1, 1)}, {"f": "relu(x - 0.3)"})
    at = problem.forward({"x": np.array([[0.3 + 1e-9]])})
    estimate = differences.jacobian(problem, "f", "x", at)
    assert differences.verdict(np.array([[1.0]]), estimate) == differences.UNDECIDED
    assert differences.verdict(np.array([[0.5]]), estimate) == differences.UNDECIDED
    smooth = problem.forward({"x": np.array([[0.8]])})
    estimate = differences.jacobian(problem, "f", "x", smooth)
    assert differences.verdict(np.array([[1.0]]), estimate) == differences.AGREES
    assert differences.verdict(np.array([[1.0001]]), estimate) == differences.WRONG


def test_where_the_differences_cannot_decide_sympy_does(monkeypatch):
    monkeypatch.setattr(differences, "verdict", lambda key, estimate: differences.UNDECIDED)
    text = "x : 3x1\nW : 2x3\nz = W @ x\nL = sum(tanh(z))\ngoal: dL/dW\n"
    lesson = generate_from_text(text, validate=False)
    from tutor.lessons.validation import validate_lesson

    findings = validate_lesson(lesson, 10.0)
    assert not [f for f in findings if f.error]
    assert any("cannot decide" in f.message and "sympy proved" in f.message for f in findings)
    # No time for sympy either: the key is unconfirmed, and the generator says why in
    # words at the network's line, not as its own fault.
    errors = [f for f in validate_lesson(lesson, 0.0) if f.error]
    assert errors and all("cannot be confirmed" in f.message for f in errors)
    with pytest.raises(GeneratorError) as refused:
        generate_from_text(text, symbolic_budget=0.0)
    assert "fault" not in refused.value.message and "cannot confirm" in refused.value.message


def test_sigma_keeps_its_relative_precision_where_it_saturates():
    from tutor.engine.functions import sigmoid

    t = np.array([[-30.0, -20.0, 0.0, 20.0, -800.0, 800.0]])
    exact = np.array([[9.357622968839e-14, 2.061153618190e-09, 0.5, 0.999999997938846,
                       0.0, 1.0]])
    assert np.allclose(sigmoid(t), exact, rtol=1e-12, atol=0.0)
