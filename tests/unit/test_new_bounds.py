"""`chain-tutor new` and the editor's Start in bounded time: what the limits admit is
made with a bounded amount of work (counted, never timed), what they do not is refused
at its line before the work starts, and a time limit stops the rest with a message."""

from __future__ import annotations

import dataclasses

import pytest

import tutor.engine.problem as problem_module
import tutor.engine.prover as prover
from tutor.cli.command import main
from tutor.cli.networks import _Progress
from tutor.lessons.model import Lesson
from tutor.lessons.validation import MAX_WORK, validate_lesson, validation_work
from tutor.networks.draft import make_lesson
from tutor.networks.generator import GeneratorError, generate_from_text
from tutor.networks.reader import NetworkError


def deep(depth: int = 29, goals: int = 8, pad: int = 0, twice: bool = False) -> str:
    """x : 20x1 through `depth` tanh/σ layers of 20×20 weights to a squared loss: with
    depth 29 and 8 goals, 32 inputs, 60 definitions, 8 goals (each at its limit);
    ``pad`` adds `+ c` terms to each layer (an input off every path: more to evaluate,
    no more steps); ``twice`` uses each layer's input twice (copies, and sums)."""
    lines = ["x : 20x1", "c : 20x1"] + [f"W{i} : 20x20" for i in range(1, depth + 1)]
    lines += ["w : 1x20", "y : 1"]
    h, extra = "x", " + c" * pad
    for i in range(1, depth + 1):
        use = f"W{i} @ {h} + W{i} @ {h}" if twice else f"W{i} @ {h}"
        lines += [f"z{i} = {use}{extra}", f"h{i} = {'tanh' if i % 2 else 'sigma'}(z{i})"]
        h = f"h{i}"
    lines += [f"f = w @ {h}", "L = 0.5 * (f - y)^2"]
    return "\n".join(lines + [f"goal: dL/dW{i}" for i in range(1, goals + 1)]) + "\n"


def test_a_network_past_the_work_limit_is_refused_at_its_goal_line_before_any_check():
    text = deep(pad=52)
    with pytest.raises(GeneratorError) as refused:
        generate_from_text(text, validate=False)  # what the editor checks as one types
    assert f"{MAX_WORK:,} evaluations" in str(refused.value)
    assert text.splitlines()[refused.value.line - 1].startswith("goal: dL/dW")


def test_the_worst_network_the_limits_admit_is_checked_with_bounded_work(monkeypatch):
    text = deep(pad=50)  # just under MAX_WORK: the benchmark's worst admitted network
    lesson = generate_from_text(text, validate=False)
    assert sum(validation_work(lesson)) <= MAX_WORK
    evaluated, proofs = [0], [0]
    original_evaluate, original_request = problem_module.evaluate, prover._worker.request

    def counted_evaluate(*args, **kwargs):
        evaluated[0] += 1
        return original_evaluate(*args, **kwargs)

    def counted_request(*args, **kwargs):
        proofs[0] += 1
        return original_request(*args, **kwargs)

    monkeypatch.setattr(problem_module, "evaluate", counted_evaluate)
    monkeypatch.setattr(prover._worker, "request", counted_request)
    # No time left for sympy (symbolic_total, spent): finite differences only.
    findings = validate_lesson(lesson, 1.0, notes=False, symbolic_total=0.0)
    assert not [f for f in findings if f.error]
    # 75 steps × 7 points: before, two full forward passes per entry of W (3.9 million
    # evaluations), and each step's proof sent to sympy to time out at the budget.
    assert evaluated[0] <= 40_000
    assert proofs[0] == 0


def test_directional_finite_differences_still_catch_a_wrong_gradient_by_a_matrix():
    lesson = generate_from_text("x : 20x1\nW : 20x20\nz = W @ x\nL = sum(tanh(z))\n"
                                "goal: dL/dW\n", validate=False)
    step = lesson.steps[-1]
    for wrong in (f"1.0001 * ({step.answer})", f"({step.answer}).T"):
        steps = [dataclasses.replace(s, answer=wrong) if s is step else s
                 for s in lesson.steps]
        broken = Lesson(lesson.id, lesson.title, lesson.intro, lesson.quantities,
                        lesson.definitions, steps, lesson.goal)
        errors = [f for f in validate_lesson(broken, 0.0) if f.error]
        assert errors and "finite differences give" in errors[0].message


def test_a_key_past_the_answer_length_is_refused_at_once_not_written_out():
    with pytest.raises(GeneratorError) as refused:
        generate_from_text(deep(depth=6, goals=1, twice=True), validate=False)
    assert "more than 2,000 characters" in str(refused.value)
    assert refused.value.line is not None


def test_a_quantity_used_more_than_26_times_gets_a_copy_each():
    text = "x : 1\nW : 1\nz = " + " + ".join(["W * x"] * 28) + "\nL = sum(z)\ngoal: dL/dW\n"
    lesson = generate_from_text(text, validate=False)
    assert {"W_a", "W_z", "W_aa", "W_ab"} <= set(lesson.definitions)


def test_new_past_its_time_limit_stops_with_exit_2_and_says_how_far_it_got(tmp_path, capsys):
    network = tmp_path / "deep.net"
    network.write_text(deep(depth=3, goals=1), encoding="utf-8")
    out = tmp_path / "deep.toml"
    assert main(["new", str(network), "--time-limit", "0.000001", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chain-tutor: {network}: making the lesson took longer than its "
                          "time limit of 1e-06 s (0 of ")
    assert "factors checked" in err and "Traceback" not in err and not out.exists()


def test_the_editors_start_has_the_same_time_limit():
    with pytest.raises(NetworkError) as stopped:
        make_lesson(deep(depth=2, goals=1), 0.0, time_limit=0.0)
    assert "time limit of 0 s" in str(stopped.value)


def test_new_shows_factors_checked_on_stderr_once_it_runs_past_a_moment(capsys):
    now = [0.0]
    report = _Progress()
    report.clock, report.started, report.terminal = (lambda: now[0]), 0.0, False
    report(1, 10)  # at once: nothing said
    now[0] = 2.0
    report(2, 10)
    now[0] = 3.0
    report(3, 10)  # within PERIOD of the last line: not repeated
    now[0] = 4.0
    report(10, 10)  # the last one always
    assert capsys.readouterr().err.splitlines() == [
        "chain-tutor: validating the lesson: 2 of 10 factors checked",
        "chain-tutor: validating the lesson: 10 of 10 factors checked"]


def test_more_than_max_copies_uses_are_refused_at_the_definition_before_the_walk():
    from tutor.networks.generator_checks import MAX_COPIES

    lines = ["x : 1"] + [f"z{i} = " + " * ".join(["x"] * 70) for i in range(58)]
    text = "\n".join(lines + ["L = " + " + ".join(f"z{i}" for i in range(58)),
                              "goal: dL/dx"]) + "\n"
    with pytest.raises(GeneratorError) as refused:  # 4,060 steps, two minutes, before
        generate_from_text(text, validate=False)
    assert f"past the limit of {MAX_COPIES}" in str(refused.value)
    assert refused.value.line == 3  # z1: 140 uses of x so far


def test_finite_differences_on_a_deep_network_bound_their_own_error_and_still_catch_a_slip():
    """20 tanh layers of 20×20 weights: central differences at 1e-6 were off by 3e-5 of the
    derivative (truncation, from a huge third derivative), and a right key was refused as
    'a fault of the generator'. Richardson's estimate carries its error; a wrong key is off
    by more than it."""
    import numpy as np

    from tutor.engine.differences import AGREES, UNDECIDED, WRONG, Estimate, verdict

    right = np.array([83.9064, -0.1573])
    close = Estimate(right * (1 + 1e-9), np.abs(right) * 3e-7, np.full(2, 1e-10),
                     np.zeros(2))
    assert verdict(right, close) == AGREES
    for wrong in (right * 1.001, right + np.array([0.0, 0.01]), -right):
        assert verdict(wrong, close) == WRONG
    # Differences whose steps disagree with each other past TRUST vouch for nothing.
    guessing = Estimate(right * 1.5, np.abs(right) * 0.5, np.full(2, 1e-10),
                        np.zeros(2))
    assert verdict(right, guessing) == UNDECIDED and verdict(right * 1.5, guessing) == UNDECIDED


def test_a_network_of_huge_values_is_made_steps_scaled_to_them_keep_their_digits():
    """Values of 1e22: a fixed step of 1e-6 kept no digits, and the network was refused
    (before that, as a fault of the generator); a step of 1e-4 of each value keeps them."""
    text = "x : 2x1\nh = 100000000000 * x\ng = h * h\nL = sum(g)\ngoal: dL/dx\n"
    lesson = generate_from_text(text, symbolic_budget=0.0)
    assert lesson.steps[-1].id == "dL_dx"
