"""A shape clash's suggested rewrite never steers a student to a wrong answer.

A clash costs no attempt, but the rewrite it suggests, once typed, is checked like any
answer: if that answer is wrong (or has another shape than the factor) the suggestion
cost the student an attempt. So within a lesson step a rewrite is offered only when the
answer with it has the factor's shape and is not known to be wrong; otherwise the shapes
are explained alone (and a rewrite that is the factor itself is withheld, as before).
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from tutor.cli.command import main
from tutor.engine import EngineError, infer_shape, parse
from tutor.engine.nodes import BinOp, Name, Node, Transpose, children, to_text, with_children
from tutor.lessons.load import load_catalog

SEEDS = (1, 2)
POSTED = "W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))"
GIVEN_AWAY = "would give the factor itself"
SHAPES_ALONE = "work out from these shapes"

# (lesson, step, an ill-shaped answer whose clash the shape rules offer rewrites for,
#  what the step says instead: the shapes alone, or that a fix would give the answer)
TABLE = [
    ("two-layer-sigmoid", "df_dh2", "W3 * h2", SHAPES_ALONE),
    # (diag(h2)*(1-h2) and (1-h) * h.T are right regrouped: precedence, test_precedence.py)
    ("two-layer-sigmoid", "dh2_dz2", "diag(h2)*(h1-h2)", SHAPES_ALONE),
    ("two-layer-sigmoid", "dz2_dh1", "W2 @ W3", SHAPES_ALONE),
    ("two-layer-sigmoid", "df_dz1", "W3 * diag(h2*(1-h2))", SHAPES_ALONE),
    ("two-layer-sigmoid", "df_dz1", "W3 @ diag(h2*(1-h2)) * W2 @ diag(h1*(1-h1))",
     GIVEN_AWAY),
    ("two-layer-sigmoid", "df_dW1", POSTED, SHAPES_ALONE),
    ("two-layer-sigmoid", "df_dz1", "df_dh2 * dh2_dz2", SHAPES_ALONE),  # the steps' ids
    ("two-layer-sigmoid", "df_dz1", "df_dh2 @ dh2_dz2 @ dz2_dh1 * dh1_dz1", GIVEN_AWAY),
    ("two-layer-upstream", "df_dW3", "h2 * W3", SHAPES_ALONE),
    ("two-layer-upstream", "df_dW2", "(W3 @ diag(h2*(1-h2))) * h1", SHAPES_ALONE),
    ("two-layer-upstream", "df_dW2", "(W3 @ diag(h2*(1-h2))) @ h1.T", SHAPES_ALONE),
    ("one-hidden-layer", "df_dW1", "w2.T @ diag(h1*(1-h1)) @ x.T", GIVEN_AWAY),
    ("softmax-cross-entropy", "dL_dW", "(p-y) * x.T", GIVEN_AWAY),
    ("softmax-cross-entropy", "dp_dz", "diag(p) - p * p.T", GIVEN_AWAY),
    ("squared-loss", "dL_dw2", "h1.T @ (f-y)", GIVEN_AWAY),
    ("squared-loss", "dL_dz1", "(f - y) * w2 @ diag(h1*(1-h1))", SHAPES_ALONE),
    ("tanh-relu", "df_dz1", "v.T @ diag(step(z2)) @ W2 * diag(1-h1^2)", GIVEN_AWAY),
    ("tanh-relu", "df_dz1", "v.T @ diag(step(z2)) @ W1 @ diag(1-h1^2)", SHAPES_ALONE),
    ("mini-batch", "df_dZ", "(w @ ones(1,3)) * H @ (1 - H)", SHAPES_ALONE),
    ("mini-batch", "df_dw", "H @ ones(1, 3)", SHAPES_ALONE),
    ("mini-batch", "df_dW", "((w @ ones(1,3)) * H * (1-H)) @ X", GIVEN_AWAY),
    ("weight-gradient", "df_dW", "v @ x", GIVEN_AWAY),
    ("weight-gradient", "df_dx", "W @ v.T", GIVEN_AWAY),
    ("elementwise-activation", "dh_dx", "diag(h) * (1-h) @ W", SHAPES_ALONE),
    ("elementwise-activation", "dh_dx", "diag(h*(1-h)) * W", GIVEN_AWAY),
    ("linear-jacobian", "dy_dx", "W * A", SHAPES_ALONE),
    ("linear-jacobian", "dy_dx", "A * W", GIVEN_AWAY),
    ("sigmoid-derivative", "dg_dz", "(1-z) * h.T", SHAPES_ALONE),
    ("sigmoid-derivative", "dg_dz", "h.T * (1-h)", GIVEN_AWAY),
]


@cache
def catalog():
    return load_catalog()


def raw_rewrites(lesson, step_id: str, text: str) -> tuple:
    """What the shape rules alone propose for ``text`` (as outside a step); the earlier
    steps' ids are names here, as in the step."""
    problem = lesson.problem_for(step_id)
    try:
        infer_shape(parse(text, problem.names), problem.shapes)
    except EngineError as error:
        return error.suggestions
    return ()


def assert_steers_nowhere_wrong(lesson, step_id: str, text: str, seed: int):
    """No rewrite the step prints makes the answer wrong or of another shape, and no
    withdrawn rewrite is printed, nor listed in --json."""
    factor = lesson.factors[step_id]
    verdict = lesson.check(step_id, text, seed)
    assert verdict.verdict in ("invalid", "incorrect"), (text, verdict.feedback)
    for offered in verdict.suggestions:
        whole = offered.whole
        assert whole is not None, (text, offered.text)
        shapes = lesson.problem_for(step_id).shapes
        assert infer_shape(whole, shapes) == factor.shape, (text, offered.text)
        answer = lesson.check(step_id, to_text(whole), seed)
        assert answer.verdict != "incorrect", (text, offered.text)  # not a wrong answer
        assert offered.text in verdict.feedback
    kept = {offered.text for offered in verdict.suggestions}
    # The advice is the feedback's last line: the typed line above it may hold a
    # rewrite's text, and the advice may name the culprit, which may too.
    advice = verdict.error.suggestion or "" if verdict.error else verdict.feedback
    advice = advice.splitlines()[-1] if advice else ""
    for withdrawn in raw_rewrites(lesson, step_id, text):
        if withdrawn.text not in kept:
            said = advice.replace(to_text(withdrawn.replaces), "")
            assert withdrawn.text not in said, (text, withdrawn.text)
    return verdict


@pytest.mark.parametrize(("lesson_id", "step_id", "text", "instead"), TABLE)
def test_no_printed_rewrite_is_a_wrong_answer_or_of_another_shape(lesson_id, step_id, text,
                                                                 instead):
    lesson = catalog().get(lesson_id)
    assert raw_rewrites(lesson, step_id, text), text  # the row exercises a rewrite
    for seed in SEEDS:
        verdict = assert_steers_nowhere_wrong(lesson, step_id, text, seed)
        assert instead in verdict.feedback, (text, verdict.feedback)
        if instead == SHAPES_ALONE:  # the shapes explained against the factor's own
            factor = lesson.factors[step_id]
            rows, cols = factor.shape
            assert f"{factor.label} is {rows}×{cols}" in verdict.feedback


def test_the_issues_first_example_no_longer_offers_a_wrong_answer(capsys):
    """W3 * h2 for ∂f/∂h2 (1×2) was told 'W3 * h2.T is 1×2' (wrong) and 'W3 @ h2 is 1×1'."""
    assert main(["check", "--seed", "1", "two-layer-sigmoid", "df_dh2", "--", "W3 * h2"]) == 2
    out = capsys.readouterr().out
    assert "the left side is 1×2 and the right side is 2×1" in out
    advice = out.strip().splitlines()[-1]
    assert advice.startswith("∂f/∂h2 is 1×2: work out from these shapes")
    assert "h2.T" not in out and "W3 @ h2" not in out and "1×1" not in advice


def test_the_issues_second_example_no_longer_offers_a_product_of_another_shape(capsys):
    """diag(h2)*(1-h2) for a 2×2 factor was offered 'diag(h2) @ (1 - h2) is 2×1'. (As
    typed it is now a precedence slip, diag's parenthesis closed early, which counts:
    tests/unit/test_precedence.py; so the clash here is diag(h2)*(h1-h2).)"""
    argv = ["check", "--seed", "1", "two-layer-sigmoid", "dh2_dz2", "--", "diag(h2)*(h1-h2)"]
    assert main(argv) == 2
    out = capsys.readouterr().out
    advice = out.strip().splitlines()[-1]
    assert advice.startswith("∂h2/∂z2 is 2×2: work out from these shapes")
    assert "@ (h1 - h2)" not in out and "2×1" not in advice
    assert main(["check", "--json", *argv[1:]]) == 2
    assert '"suggestions": []' in capsys.readouterr().out


def test_outside_a_step_the_rewrites_are_offered_as_before():
    """A network editor reads answers without a factor: the shape rules' own advice."""
    lesson = catalog().get("two-layer-sigmoid")
    with pytest.raises(EngineError) as raised:
        infer_shape(parse("W3 * h2", lesson.problem.names), lesson.problem.shapes)
    assert "W3 * h2.T is 1×2" in raised.value.suggestion
    assert [s.text for s in raised.value.suggestions] == ["W3 * h2.T", "W3 @ h2"]


def test_each_rewrite_carries_the_whole_answer_it_makes():
    lesson = catalog().get("two-layer-sigmoid")
    with pytest.raises(EngineError) as raised:
        infer_shape(parse("sigma(W3 * h2) + f", lesson.problem.names), lesson.problem.shapes)
    wholes = [to_text(s.whole) for s in raised.value.suggestions]
    assert wholes == ["sigma(W3 * h2.T) + f", "sigma(W3 @ h2) + f"]


def test_the_preview_in_a_step_withholds_the_same_rewrites(tmp_path):
    from tutor.progress import ProgressStore
    from tutor.session import LessonSession

    lesson = catalog().get("two-layer-sigmoid")
    with ProgressStore(tmp_path / "p.db") as store:
        session = LessonSession(lesson, 1, store)
        session.go_to([s.id for s in lesson.steps].index("df_dh2"))
        with pytest.raises(EngineError) as raised:
            infer_shape(parse("W3*h2", lesson.names), lesson.problem.shapes)
        shown = session.redact(raised.value)
    assert shown.suggestions == ()
    assert "h2.T" not in shown.suggestion and SHAPES_ALONE in shown.suggestion


# -- every step of every shipped lesson, by mutations of its key and pairs of its names --
def slips_of(node: Node):
    """The key with one product's kind swapped (@ for *, * for @) or one name transposed:
    the ill-shaped answers a student is likeliest to type, whose rewrites come nearest the
    factor."""
    if isinstance(node, BinOp) and node.op in "*@":
        yield BinOp(node.start, node.end, "*" if node.op == "@" else "@", node.left, node.right)
    if isinstance(node, Name):
        yield Transpose(node.start, node.end, node)
    parts = children(node)
    for i, part in enumerate(parts):
        for slip in slips_of(part):
            yield with_children(node, (*parts[:i], slip, *parts[i + 1:]))


def sweep():
    for lesson in catalog().lessons:
        for step in lesson.steps:
            texts = {to_text(slip) for slip in slips_of(lesson.factors[step.id].expected)}
            texts |= {f"{a} {op} {b}" for a, b in itertools.product(lesson.names, repeat=2)
                      for op in "*@"}
            for text in sorted(texts):
                if raw_rewrites(lesson, step.id, text):
                    yield lesson, step.id, text


def test_no_step_of_a_shipped_lesson_offers_a_rewrite_that_steers_wrong():
    seen = 0
    for lesson, step_id, text in sweep():
        seen += 1
        for seed in SEEDS:
            assert_steers_nowhere_wrong(lesson, step_id, text, seed)
    assert seen > 1000


@cache
def random_lessons():
    from tutor.networks.drawn import draw_network
    from tutor.networks.generator import generate_from_text

    return [generate_from_text(draw_network(seed).text, symbolic_budget=0) for seed in range(12)]


def test_no_step_of_a_generated_lesson_offers_a_rewrite_that_steers_wrong():
    """Generated lessons (random practice) have no authored mistakes: the rule is the
    engine's, so it holds there as well."""
    seen = 0
    for lesson in random_lessons():
        for step in lesson.steps:
            for text in sorted({to_text(s) for s in slips_of(lesson.factors[step.id].expected)}):
                if raw_rewrites(lesson, step.id, text):
                    seen += 1
                    assert_steers_nowhere_wrong(lesson, step.id, text, 1)
    assert seen > 100
