"""A batch's one-hot label: one 1 per example (per column, or per row when the network
puts examples in rows), in every draw and in the symbolic constraint; a vector keeps its
one 1 overall, with the very numbers it had before."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tutor.cli.command import main
from tutor.engine.numeric import evaluate
from tutor.engine.onehot import groups
from tutor.engine.parser import parse
from tutor.engine.problem import Problem
from tutor.engine.prover import prove, prove_derivative
from tutor.lessons.index import LessonError
from tutor.lessons.load import load_catalog, parse_lesson
from tutor.lessons.validation import validate_lesson
from tutor.lessons.writer import lesson_toml
from tutor.networks.generator import generate_from_text
from tutor.networks.reader import NetworkError, parse_network

SEEDS = range(1, 9)


def _quantity(text: str, name: str = "Y"):
    return generate_from_text(text, validate=False).quantities[name]


def _hot_counts(value: np.ndarray, per: str) -> np.ndarray:
    return value.sum(axis=1 if per == "row" else 0)


ROWS_NET = """\
X : 4x2
W : 2x3
Y : 4x3 onehot
Z = X @ W
L = sum(Y * Z)
goal: dL/dW
"""

COLUMNS_NET = """\
X : 2x4
W : 3x2
Y : 3x4 onehot
Z = W @ X
L = sum(Y * Z)
goal: dL/dW
"""


@pytest.mark.parametrize(("text", "per", "count"), [(ROWS_NET, "row", 4),
                                                    (COLUMNS_NET, "column", 4)])
def test_a_batch_label_has_one_1_per_example_in_every_draw(text, per, count):
    quantity = _quantity(text)
    assert quantity.per == per
    for seed in SEEDS:
        value = quantity.variant_value(random.Random(seed))
        assert set(np.unique(value)) <= {0.0, 1.0}
        assert _hot_counts(value, per).tolist() == [1.0] * count, (seed, value)
    rng = np.random.default_rng(7)
    for _ in range(len(SEEDS)):
        value = quantity.sample_value(rng)
        assert _hot_counts(value, per).tolist() == [1.0] * count, value


def test_the_layout_is_read_from_the_data_input_unless_the_file_says_it():
    assert parse_network(ROWS_NET).inputs[2].per == "row"
    assert parse_network(COLUMNS_NET).inputs[2].per == "column"
    # square or unrelated shapes: columns, the tutor's own layout
    square = "X : 3x3\nY : 3x3 onehot\nL = sum(Y * X)\ngoal: dL/dX\n"
    assert parse_network(square).inputs[1].per == "column"
    said = ROWS_NET.replace("4x3 onehot", "4x3 onehot columns")
    assert parse_network(said).inputs[2].per == "column"
    said = COLUMNS_NET.replace("3x4 onehot", "3x4 onehot rows")
    assert parse_network(said).inputs[2].per == "row"
    assert parse_network(said.replace("onehot rows", "ONEHOT Row")).inputs[2].per == "row"


def test_a_vector_label_keeps_one_1_overall_and_no_layout():
    network = parse_network("z : 3x1\ny : 3x1 onehot columns\nL = sum(y * z)\ngoal: dL/dz\n")
    assert network.inputs[1].per is None
    row = parse_network("z : 1x3\ny : 1x3 onehot\nL = sum(y * z)\ngoal: dL/dz\n")
    assert row.inputs[1].per is None
    assert groups((1, 3), "column") == [[0, 1, 2]] == groups((3, 1), "row")


@pytest.mark.parametrize(("line", "words"), [
    ("Y : 3x4 onehot sideways", "unknown layout 'sideways'"),
    ("Y : 3x4 onehot rows please", "unexpected 'please'"),
    ("Y : 3x4 decimal rows", "only after onehot"),
    ("Y : 3x1 onehot rows", "every entry"),
])
def test_a_bad_layout_word_is_refused_at_its_column(line, words):
    text = COLUMNS_NET.replace("Y : 3x4 onehot", line)
    if "3x1" in line:
        text = "z : 3x1\n" + line + "\nL = sum(Y * z)\ngoal: dL/dz\n"
    with pytest.raises(NetworkError) as caught:
        parse_network(text)
    assert words in caught.value.message
    assert caught.value.line == (2 if "3x1" in line else 3)
    assert caught.value.column is not None and caught.value.column > 8


def test_new_exits_2_for_an_unknown_layout_word(tmp_path, capsys):
    network = tmp_path / "batch.net"
    network.write_text(COLUMNS_NET.replace("onehot", "onehot diagonal"), encoding="utf-8")
    assert main(["new", str(network), "--budget", "0"]) == 2
    err = capsys.readouterr().err
    assert f"{network}:3:" in err and "unknown layout 'diagonal'" in err
    assert "Traceback" not in err


def _old_variant(rows: int, cols: int, rng: random.Random) -> np.ndarray:
    """The draw of a one-hot label before labels had a layout: one 1 in all."""
    hot = rng.randrange(rows * cols)
    return np.eye(1, rows * cols, hot).reshape(rows, cols)


def _old_sample(shape, rng: np.random.Generator) -> np.ndarray:
    hot = rng.integers(shape[0] * shape[1])
    return np.eye(1, shape[0] * shape[1], hot).reshape(shape)


def test_the_shipped_softmax_lessons_draws_are_the_numbers_they_were():
    lesson = load_catalog().get("softmax-cross-entropy")
    label = next(q for q in lesson.quantities.values() if q.draw == "onehot")
    assert label.shape == (3, 1) and label.per is None
    for seed in range(1, 6):
        now, before = (random.Random(f"{lesson.id}/{seed}") for _ in range(2))
        for quantity in lesson.quantities.values():  # the same stream, in the same order
            value = quantity.variant_value(now)
            if quantity is label:
                assert np.array_equal(value, _old_variant(3, 1, before)), seed
            else:
                quantity.variant_value(before)
    now, before = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(5):
        assert np.array_equal(label.sample_value(now), _old_sample((3, 1), before))


BATCH = """\
# a batch of four examples, one per column
X : 2x4
W : 3x2
Y : 3x4 onehot
Z = W @ X
E = Z - Y
L = 0.5 * sum(E * E)
goal: dL/dW
"""


def test_a_generated_batch_lesson_validates_and_agrees_with_finite_differences():
    lesson = generate_from_text(BATCH, symbolic_budget=0)
    assert lesson.quantities["Y"].per == "column"
    assert not [f for f in validate_lesson(lesson, symbolic_budget=0) if f.error]
    for seed in (1, 2, 3):
        variant = lesson.variant(seed)
        assert variant.inputs["Y"].sum(axis=0).tolist() == [1.0] * 4
        values = variant.values
        for step in lesson.steps:
            key = lesson.factors[step.id].expected
            got = evaluate(key, values).reshape(step.shape)
            want = lesson.problem.numeric_derivative(step.of, step.wrt, values)
            assert np.allclose(got, want, atol=1e-5), (seed, step.id)


def test_the_lesson_file_round_trips_the_layout():
    for text, per in ((ROWS_NET, "row"), (COLUMNS_NET, "column")):
        lesson = generate_from_text(text, symbolic_budget=0)
        written = lesson_toml(lesson)
        assert f'per = "{per}"' in written
        again = parse_lesson(written)
        assert again.quantities["Y"].per == per
        assert np.array_equal(again.variant(3).inputs["Y"], lesson.variant(3).inputs["Y"])
    vector = generate_from_text("z : 3x1\ny : 3x1 onehot\nL = sum(y * z)\ngoal: dL/dz\n",
                                symbolic_budget=0)
    assert "per =" not in lesson_toml(vector)


LESSON = """\
id = "batch"
title = "t"
intro = "numerator layout"
[quantities]
X = { shape = [4, 3] }
Y = { shape = [4, 3], draw = "onehot", per = "row" }
[definitions]
L = "sum(Y * X)"
[[steps]]
id = "a"
of = "L"
wrt = "X"
prompt = "p"
answer = "Y"
"""


def test_a_lesson_files_per_is_read_and_checked_at_its_line():
    lesson = parse_lesson(LESSON)
    assert lesson.quantities["Y"].per == "row"
    assert lesson.variant(1).inputs["Y"].sum(axis=1).tolist() == [1.0] * 4
    default = parse_lesson(LESSON.replace(', per = "row"', ""))
    assert default.quantities["Y"].per is None
    assert default.variant(1).inputs["Y"].sum(axis=0).tolist() == [1.0] * 3
    cases = {
        'per = "diagonal"': 'per must be "row" or "column"',
        'per = "row", low = 1': "low and high apply only",
    }
    for replacement, words in cases.items():
        with pytest.raises(LessonError) as caught:
            parse_lesson(LESSON.replace('per = "row"', replacement))
        assert words in str(caught.value) and caught.value.line == 6, str(caught.value)
    bad = LESSON.replace('X = { shape = [4, 3] }', 'X = { shape = [4, 3], per = "row" }')
    with pytest.raises(LessonError) as caught:
        parse_lesson(bad)
    assert 'per applies only to draw = "onehot"' in str(caught.value)
    assert caught.value.line == 5
    vector = LESSON.replace("[4, 3]", "[4, 1]")
    with pytest.raises(LessonError) as caught:
        parse_lesson(vector)
    assert "every entry" in str(caught.value) and caught.value.line == 6


def test_a_proof_holds_one_1_per_column_of_a_batch_label():
    """Σ over a column of Y is 1, symbolically: sum(Y) is the number of examples."""
    problem = Problem.from_text({"Y": (3, 4)}, {"s": "sum(Y)"}, simplex={"Y": "column"})
    assert prove(problem, parse("4", ["Y", "s"]), parse("s", ["Y", "s"]), 20.0) is True
    rows = Problem.from_text({"Y": (3, 4)}, {"s": "sum(Y)"}, simplex={"Y": "row"})
    assert prove(rows, parse("3", ["Y", "s"]), parse("s", ["Y", "s"]), 20.0) is True


SOFTMAX_BATCH = """\
X : 2x4
W : 3x2
Y : 3x4 onehot
Z = W @ X
E = exp(Z)
P = E / (ones(3, 3) @ E)
L = -sum(Y * log(P))
goal: dL/dZ
"""


SOFTMAX_ROWS = """\
X : 4x2
W : 2x3
Y : 4x3 onehot
Z = X @ W
E = exp(Z)
P = E / (E @ ones(3, 3))
L = -sum(Y * log(P))
goal: dL/dZ
"""


@pytest.mark.parametrize(("text", "other"), [(SOFTMAX_BATCH, "row"), (SOFTMAX_ROWS, "column")])
def test_a_batch_softmax_with_cross_entropy_collapses_to_p_minus_y(text, other):
    """Each example's P sums to 1 and so does its Y: ∂L/∂Z = P − Y, at every seed and as
    sympy proves it; one 1 in the whole of Y, or per the other axis, would make it false."""
    lesson = generate_from_text(text, symbolic_budget=0)
    for seed in SEEDS:
        assert lesson.check("dL_dZ", "P - Y", seed=seed, symbolic_budget=0).correct, seed
    node = parse("P - Y", lesson.names)
    assert prove_derivative(lesson.problem, node, "L", "Z", 60.0) is True
    wrong = Problem(lesson.problem.inputs, lesson.problem.definitions, simplex={"Y": other})
    assert prove_derivative(wrong, node, "L", "Z", 60.0) is None  # the layout is what holds
