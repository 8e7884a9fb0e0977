"""`chain-tutor new` and the editor's Start in bounded time: what the limits admit is
made with a bounded amount of work (counted, never timed), what they do not is refused
at its line before the work starts, and a time limit stops the rest with a message."""

from __future__ import annotations

import dataclasses

import pytest

import tutor.engine.problem as problem_module
import tutor.engine.prover as prover
from tutor.cli import main
from tutor.cli_networks import _Progress
from tutor.generator import GeneratorError, generate_from_text
from tutor.lessons import Lesson
from tutor.network import NetworkError
from tutor.own_network import make_lesson
from tutor.validation import MAX_WORK, validate_lesson, validation_work


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
    from tutor.generator_checks import MAX_COPIES

    lines = ["x : 1"] + [f"z{i} = " + " * ".join(["x"] * 70) for i in range(58)]
    text = "\n".join(lines + ["L = " + " + ".join(f"z{i}" for i in range(58)),
                              "goal: dL/dx"]) + "\n"
    with pytest.raises(GeneratorError) as refused:  # 4,060 steps, two minutes, before
        generate_from_text(text, validate=False)
    assert f"past the limit of {MAX_COPIES}" in str(refused.value)
    assert refused.value.line == 3  # z1: 140 uses of x so far


def test_finite_differences_too_coarse_for_a_deep_network_try_other_steps_not_a_looser_rule():
    """20 tanh layers of 20×20 weights: central differences at 1e-6 were off by 3e-5 of the
    derivative (truncation, from a huge third derivative), and a right key was refused as
    'a fault of the generator'. Another step's differences decide; a wrong key still fails."""
    import numpy as np

    from tutor.validation import _agrees

    right = np.array([83.9064, -0.1573])

    def truncated(h):  # error c·h²: 3e-5 of the value at 1e-6, 3e-7 at 1e-7
        return right * (1 + 3e7 * h * h)

    def rounded(h):  # error ε·|f|/h of huge values: 2e-4 at 1e-6, 2e-6 at 1e-4
        return right * (1 + 2e-10 / h)

    assert not np.allclose(right, truncated(1e-6), rtol=1e-5, atol=1e-6)  # the old rule
    assert _agrees(right, truncated) and _agrees(right, rounded)
    for wrong in (right * 1.001, right + np.array([0.0, 0.01]), -right):
        assert not _agrees(wrong, truncated) and not _agrees(wrong, rounded)
    # Differences that disagree with each other past FD_TRUST vouch for nothing.
    def guessing(h):  # the other steps' differences are far from the first step's
        return right * 3 if h == 1e-6 else right * 1.5

    assert not _agrees(right * 1.5, guessing)


def test_a_network_too_large_for_finite_differences_is_refused_at_its_line_not_as_a_fault():
    """A deep relu stack of 20×20 weights reached 5e15: no step of finite differences kept
    the digits to confirm ∂L/∂h29 = ones, and the refusal blamed the generator, in 200 KB."""
    from tutor.generator import GeneratorError, generate_from_text

    text = "x : 2x1\nh = 100000000000 * x\ng = h * h\nL = sum(g)\ngoal: dL/dx\n"
    with pytest.raises(GeneratorError) as refused:
        generate_from_text(text, symbolic_budget=0.0)
    message = refused.value.message
    assert refused.value.line == 4 and "L reaches" in message  # the largest value's line
    assert "fault" not in message and "please report" not in message
    assert len(message) < 600
