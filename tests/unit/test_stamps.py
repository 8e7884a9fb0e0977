"""`validate` does not repeat the work `new` has just done: `new` stamps the lesson it
validated (tutor.lessons.stamps), `validate` trusts a stamp that holds and checks anything
else (an edited file, a stamp from another validation version) in full."""

from __future__ import annotations

import tutor.engine.prover as prover
import tutor.lessons.stamps as stamps
import tutor.lessons.validation as validation
from tutor.cli.command import main
from tutor.lessons.load import load_lesson
from tutor.lessons.validation import CUT_STREAK, validate_lesson, validate_paths

NETWORK = "x : 3x1\nW : 2x3\nz = W @ x\nh = tanh(z)\nL = sum(h)\ngoal: dL/dW\n"


def _made(tmp_path):
    network = tmp_path / "net.txt"
    network.write_text(NETWORK, encoding="utf-8")
    out = tmp_path / "net.toml"
    assert main(["new", str(network), "--budget", "0", "-o", str(out)]) == 0
    return out


def _counted(monkeypatch) -> list[int]:
    calls = [0]
    original = validation.validate_lesson

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(validation, "validate_lesson", counted)
    return calls


def test_validate_trusts_the_stamp_of_an_unchanged_lesson_new_wrote(tmp_path, monkeypatch,
                                                                   capsys):
    out = _made(tmp_path)
    assert stamps.stamp_holds(out.read_text(encoding="utf-8"))
    load_lesson(out)  # the stamp is a field of the format: the tutor reads the file
    calls = _counted(monkeypatch)
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert calls[0] == 0
    assert "its stamp holds" in capsys.readouterr().out
    assert main(["validate", "--again", str(out)]) == 0 and calls[0] == 1


def test_an_edited_lesson_is_validated_again_and_a_wrong_key_found(tmp_path, monkeypatch):
    out = _made(tmp_path)
    text = out.read_text(encoding="utf-8")
    key = 'answer = "diag(1 - h^2)"'
    assert key in text
    out.write_text(text.replace(key, 'answer = "diag(1 - h^2) * 1.01"'), encoding="utf-8")
    calls = _counted(monkeypatch)
    errors = [f for f in validate_paths([out], 0.0) if f.error]
    assert calls[0] == 1 and errors and "finite differences give" in errors[0].message


def test_a_stamp_from_another_validation_version_does_not_hold(tmp_path, monkeypatch):
    text = _made(tmp_path).read_text(encoding="utf-8")
    monkeypatch.setattr(stamps, "VALIDATION_VERSION", stamps.VALIDATION_VERSION + 1)
    assert not stamps.stamp_holds(text)
    assert not stamps.stamp_holds(text.replace("\n", "\n\n", 1))  # no stamp line left whole


def test_after_a_streak_of_cut_proofs_the_rest_rest_on_finite_differences(monkeypatch):
    """A large batch network's proofs are each cut at the budget (symbols of the whole
    network), and each cut cost the budget and a new worker: 177 s to validate the
    backprop-ninja lesson. After CUT_STREAK cuts in a row, no more proofs are asked."""
    from tutor.networks.generator import generate_from_text

    asked = []

    def cut(problem, node, of, wrt, budget):
        asked.append((of, wrt))
        return "timeout"

    monkeypatch.setattr(prover, "prove_derivative", cut)
    lesson = generate_from_text(NETWORK.replace("goal: dL/dW", "goal: dL/dW\ngoal: dL/dx"),
                                validate=False)
    assert len(lesson.steps) > CUT_STREAK + 2
    findings = validate_lesson(lesson, 10.0)
    assert len(asked) == CUT_STREAK and not [f for f in findings if f.error]
    assert sum("ran out of time on the" in f.message for f in findings) == (
        len(lesson.steps) - CUT_STREAK)


def test_a_courses_batch_norm_network_is_made_with_bounded_work(monkeypatch):
    """The backprop-ninja batch (19 steps) took 97 s for new + validate: each proof cut at
    its budget, then all again. Its forward passes are counted, and its proofs: no more
    than CUT_STREAK are asked when each is cut."""
    from pathlib import Path

    import tutor.engine.problem as problem_module
    from tutor.networks.generator import generate_from_text

    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "benchmarks"))
    from generate import course_batch  # the benchmark's network, the same one measured

    evaluated, asked = [0], []
    original = problem_module.evaluate

    def counted(*args, **kwargs):
        evaluated[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(problem_module, "evaluate", counted)
    monkeypatch.setattr(prover, "prove_derivative",
                        lambda *args: asked.append(args[2:4]) or "timeout")
    lesson = generate_from_text(course_batch(), symbolic_budget=1.0)
    assert len(lesson.steps) == 19
    assert len(asked) == CUT_STREAK and evaluated[0] <= 6_000
