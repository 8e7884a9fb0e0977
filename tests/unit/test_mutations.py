"""The key's mutations: slips inside a factor, named by the engine itself on every step.

Each shipped lesson's steps, and lessons generated from random networks, have their
mutations derived from the key; every one that is a wrong answer is checked as a student
would type it, and must be said by its code (or by a slip as specific that gives the same
numbers), naming what was typed, without the key in the feedback. The answer table holds the
issue's examples.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from answer_tables import key_free

from tutor.engine.edits import CODES
from tutor.engine.explain import SPECIFIC
from tutor.engine.mutations import MAX_PAIRS, mutations_of, pairs_of
from tutor.engine.nodes import to_text
from tutor.engine.numbers import EXACT
from tutor.lessons.load import load_lesson
from tutor.networks.drawn import random_network
from tutor.networks.generator import generate_from_text
from tutor.networks.generator_checks import GeneratorError

LESSONS = sorted((Path(__file__).parents[2] / "lessons").glob("*.toml"))
CHAIN_CODES = {"missing-factor", "extra-factor", "order", "factor-transposed", "wrong-point",
               "known-mistake", "transpose", "sign", "scale", "vector-vs-diag", "shape"}
GENERIC = "the values are not"


def lesson_named(name: str):
    return load_lesson(next(p for p in LESSONS if name in p.stem))


def said_as_specifically(verdict, code: str) -> bool:
    """Said by its code, or by a slip as specific or more that gives the same numbers."""
    codes = set(verdict.diagnosis)
    if code in codes or codes & CHAIN_CODES:
        return True
    rank = SPECIFIC.index(code)
    return any(c in SPECIFIC and SPECIFIC.index(c) <= rank for c in codes)


def walk(lesson, seed: int = 1, limit: int | None = None):
    """(step, mutant, verdict) for every single mutation of every step that is a wrong answer."""
    displayed = lesson.variant(seed).values
    for step in lesson.steps:
        factor = lesson.factors[step.id]
        mutations = mutations_of(factor, lesson.problem)
        by_code: dict[str, int] = {}
        for mutant in mutations.singles:
            code = mutant.edits[0].code
            if limit is not None and by_code.get(code, 0) >= limit:
                continue
            if same_as_key(mutations, mutant, [displayed, *lesson.problem.samples]):
                continue  # no slip at all (a relu's slope where the input is positive)
            verdict = lesson.check(step.id, to_text(mutant.node), seed=seed)
            assert not verdict.correct, (step.id, to_text(mutant.node))
            by_code[code] = by_code.get(code, 0) + 1
            yield step, mutant, verdict


def same_as_key(mutations, mutant, points) -> bool:
    """Equal to the key wherever both are numbers, or a number nowhere (y / y, y one-hot)."""
    usable = 0
    for point in points:
        value, key = mutations.value(mutant.node, point), mutations.value(mutations.key, point)
        if not (np.all(np.isfinite(value)) and np.all(np.isfinite(key))):
            continue
        if not np.allclose(value, key, rtol=1e-9, atol=1e-12):
            return False
        usable += 1
    return True


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_mutation_of_every_shipped_step_is_named_without_giving_the_key(path):
    lesson = load_lesson(path)
    seen = 0
    for step, mutant, verdict in walk(lesson):
        seen += 1
        code = mutant.edits[0].code
        assert verdict.verdict in ("incorrect", "invalid"), (step.id, verdict)
        if verdict.verdict == "invalid":
            continue  # its shapes clash at this point of the language (a 1×1 stretch)
        assert said_as_specifically(verdict, code), (step.id, to_text(mutant.node),
                                                     verdict.feedback)
        assert GENERIC not in verdict.feedback, (step.id, to_text(mutant.node))
        assert key_free(verdict.feedback, lesson.factors[step.id].expected), verdict.feedback
        if code in verdict.diagnosis:
            assert any(f.code == code for f in verdict.findings), verdict.findings
        if code == "wrong-quantity" and code in verdict.diagnosis \
                and "known-mistake" not in verdict.diagnosis:
            typed = mutant.edits[0].typed
            assert any(f.factor == typed for f in verdict.findings), verdict.findings
            assert re.search(rf"\b{re.escape(typed)}\b", verdict.feedback)
    assert seen or path.stem.startswith(("03-", "01-"))


@pytest.mark.parametrize("seed", range(100))
def test_random_networks_mutations_are_named(seed):
    try:
        lesson = generate_from_text(random_network(seed), f"random-{seed}", validate=False)
    except GeneratorError:
        return  # a draw `new` refuses, with its reason: no lesson to diagnose
    for step, mutant, verdict in walk(lesson, limit=1):
        code = mutant.edits[0].code
        if verdict.verdict == "invalid":
            continue
        assert said_as_specifically(verdict, code), (seed, step.id, to_text(mutant.node),
                                                     verdict.feedback)
        assert key_free(verdict.feedback, lesson.factors[step.id].expected)


def test_every_class_is_derived_somewhere():
    classes = set()
    for path in LESSONS:
        lesson = load_lesson(path)
        for step in lesson.steps:
            mutations = mutations_of(lesson.factors[step.id], lesson.problem)
            classes |= {m.edits[0].code for m in mutations.singles}
    skip = generate_from_text(SKIP, "skip", validate=False)
    for step in skip.steps:
        mutations = mutations_of(skip.factors[step.id], skip.problem)
        classes |= {m.edits[0].code for m in mutations.singles}
    assert classes == set(CODES)


SKIP = """\
# a skip connection
x : 2x1
W1 : 2x2
W2 : 2x2
h = tanh(W1 @ x)
f = sum(W2 @ h + x)
goal: df/dx
"""

# The issue's examples: (lesson, step, answer, the code said, words the feedback holds)
TABLE = [
    ("two-layer-sigmoid", "dh1_dz1", "diag(h2*(1-h2))", "wrong-quantity", "h2 = σ(z2)"),
    ("two-layer-sigmoid", "dz2_dh1", "W1", "wrong-quantity", "first layer's weights"),
    ("two-layer-sigmoid", "df_dz1", "W3 @ diag(h2*(1-h2)) @ W1 @ diag(h1*(1-h1))",
     "wrong-quantity", "In the factor ∂z2/∂h1, W1"),
    ("two-layer-sigmoid", "dh2_dz2", "diag(sigma(z2))", "not-differentiated", "σ′(z2)"),
    ("two-layer-sigmoid", "dh2_dz2", "diag(h2)", "not-differentiated", "not differentiated"),
    ("tanh-relu", "dh1_dz1", "diag(tanh(z1))", "not-differentiated", "tanh′(z1)"),
    ("tanh-relu", "df_dz1", "v.T @ diag(relu(z2)) @ W2 @ diag(1 - h1^2)",
     "not-differentiated", "In the factor ∂h2/∂z2"),
    ("mini-batch", "df_dZ", "(w @ ones(1, 3)) * H", "not-differentiated", "σ′(Z)"),
    ("squared-loss", "dL_dw2", "(f - y) * w2.T", "wrong-quantity", "w2"),
    ("softmax-cross-entropy", "dp_dz", "diag(p)", "not-elementwise", "not diagonal"),
    ("two-layer-sigmoid", "dh2_dz2", "diag(z2*(1-z2))", "wrong-point", "closed form"),
    ("two-layer-sigmoid", "df_dz1", "W3 @ W1 @ diag(h1*(1-h1))", "wrong-quantity",
     "∂h2/∂z2"),
    ("squared-loss", "dL_dh1", "(f - y) * h1.T", "wrong-quantity", "h1 = σ(z1)"),
    ("two-layer-sigmoid", "df_dz1", "W3 @ (diag(h2*(1-h2)) * W2) @ diag(h1*(1-h1))",
     "product-kind", "elementwise product (⊙)"),
]


@pytest.mark.parametrize("lesson_id, step, answer, code, words", TABLE)
def test_the_issues_examples_are_named(lesson_id, step, answer, code, words):
    verdict = lesson_named(lesson_id).check(step, answer, seed=1)
    assert verdict.verdict == "incorrect"
    assert code in verdict.diagnosis, verdict
    assert words in verdict.feedback, verdict.feedback
    assert GENERIC not in verdict.feedback


SOFTMAX = """\
# softmax regression
x : 4x1
W : 3x4
y : 3x1 onehot
z = W @ x
p = softmax(z)
L = -sum(y * log(p))
goal: dL/dW
"""

TANH = """\
# one tanh layer
x : 2x1
W : 2x2
v : 1x2
h = tanh(W @ x)
f = v @ h
goal: df/dW
"""

# Generated lessons have no authored mistakes: every name comes from the engine.
GENERATED = [
    (SOFTMAX, "dp_dz", "diag(p*(1-p))", "not-elementwise", "not diagonal"),
    (SOFTMAX, "dL_dz", "-(y / p).T @ diag(p*(1-p))", "not-elementwise", "In the factor ∂p/∂z"),
]


@pytest.mark.parametrize("network, step, answer, code, words", GENERATED)
def test_a_generated_lessons_slips_are_named(network, step, answer, code, words):
    lesson = generate_from_text(network, "generated", validate=False)
    verdict = lesson.check(step, answer, seed=1)
    assert code in verdict.diagnosis, verdict
    assert words in verdict.feedback and "known-mistake" not in verdict.diagnosis


def test_a_generated_tanh_step_names_the_closed_form_at_the_input_and_the_value():
    lesson = generate_from_text(TANH, "tanh", validate=False)
    step = next(s for s in lesson.steps if "1 - h^2" in s.answer)
    point = lesson.check(step.id, step.answer.replace("h^2", "(W @ x)^2"), seed=1)
    assert "wrong-point" in point.diagnosis and "closed form" in point.feedback, point
    value = lesson.check(step.id, step.answer.replace("1 - h^2", "h"), seed=1)
    assert "not-differentiated" in value.diagnosis and "tanh′" in value.feedback, value


def test_two_slips_at_once_report_both_codes_and_both_findings():
    verdict = lesson_named("two-layer-sigmoid").check(
        "df_dz1", "W3 @ W1 @ diag(h1*(1-h1))", seed=1)
    assert {"missing-factor", "wrong-quantity"} <= set(verdict.diagnosis)
    assert {f.code for f in verdict.findings} == {"missing-factor", "wrong-quantity"}
    assert any(f.factor == "W1" for f in verdict.findings)


def test_a_path_left_out_is_named_by_the_path():
    lesson = generate_from_text(SKIP, "skip", validate=False)
    verdict = lesson.check("df_dx", "ones(1, 2)", seed=1)
    assert "missing-path" in verdict.diagnosis, verdict
    assert "∂f/∂x_a" in verdict.feedback


SKIP_FROM_A_LAYER = """\
# a skip connection from a layer
x : 2x1
W1 : 2x2
W2 : 2x2
h = tanh(W1 @ x)
g = sigma(W2 @ h) + h
f = sum(g)
goal: df/dh
"""


def test_each_path_left_out_from_a_layer_is_named_as_itself():
    lesson = generate_from_text(SKIP_FROM_A_LAYER, "skip2", validate=False)
    key = lesson.step("df_dh").answer
    through, straight = key.rsplit(" + ", 1)
    for kept, named in ((through, "∂f/∂h_b"), (straight, "∂f/∂h_a")):
        verdict = lesson.check("df_dh", kept, seed=1)
        assert "missing-path" in verdict.diagnosis, verdict
        assert f"the path through {named.split('/∂')[1]}" \
            in verdict.feedback and named in verdict.feedback


def test_a_batch_not_summed_says_the_sum_is_missing():
    batch = generate_from_text(BATCH, "batch", validate=False)
    step = next(s for s in batch.steps if s.id == "df_dw")
    mutations = mutations_of(batch.factors[step.id], batch.problem)
    unsummed = [m for m in mutations.singles if m.edits[0].code == "missing-batch-sum"]
    assert unsummed
    verdict = batch.check(step.id, to_text(unsummed[0].node), seed=1)
    assert "missing-batch-sum" in verdict.diagnosis, verdict
    assert "sum" in verdict.feedback and "ones(" in verdict.feedback


BATCH = """\
# a batch
X : 2x4
W : 3x2
w : 1x3
H = sigma(W @ X)
f = sum(w @ H)
goal: df/dw
"""


def test_no_correct_answer_gets_a_finding_and_pairs_are_bounded():
    lesson = lesson_named("two-layer-sigmoid")
    for step in lesson.steps:
        verdict = lesson.check(step.id, step.answer, seed=1)
        assert verdict.correct and not verdict.findings
        factor = lesson.factors[step.id]
        assert len(pairs_of(mutations_of(factor, lesson.problem), factor, lesson.problem)) \
            <= MAX_PAIRS


def test_numbers_typed_by_hand_for_an_undifferentiated_activation_are_named():
    lesson = lesson_named("two-layer-sigmoid")
    values = lesson.variant(1).values
    h2 = values["h2"].reshape(-1)
    typed = f"[{h2[0]:.4g} 0; 0 {h2[1]:.4g}]"
    verdict = lesson.check("dh2_dz2", typed, seed=1)
    assert "not-differentiated" in verdict.diagnosis, verdict


def test_a_list_of_candidates_made_for_one_call_is_never_matched_by_another_lists_values():
    """Values are stacked per point and kept only for the step's own lists: a filtered list
    is gone after its call, and a later list at the same address must not be read with
    the first one's values."""
    lesson = lesson_named("two-layer-upstream")
    factor = lesson.factors["df_dW1"]
    mutations = mutations_of(factor, lesson.problem)
    points = [lesson.variant(1).values, *lesson.problem.samples]
    mutant = mutations.singles[0]
    answers = [mutations.value(mutant.node, point) for point in points]
    for turn in range(6):  # new lists, in two orders, which CPython may put at one address
        order = list(mutations.singles)
        if turn % 2:
            order.reverse()
        found = mutations.matches(order, answers, mutant.shape, points, EXACT)
        assert mutant in found, turn
        del order
    assert all(key[0] in ("singles", "pairs") for key in mutations._stacks)
