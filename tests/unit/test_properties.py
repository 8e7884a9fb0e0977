"""Properties over many generated answers: printing round-trips, and no text breaks the engine."""

from __future__ import annotations

import numpy as np
from flagship import NAMES, SHAPES, displayed, factor, problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.engine import (
    FUNCTIONS,
    EngineError,
    check_answer,
    evaluate,
    infer_shape,
    parse,
    to_text,
)
from tutor.engine.nodes import (
    SCREEN,
    BinOp,
    Call,
    Matrix,
    Name,
    Neg,
    Node,
    Num,
    Transpose,
    children,
)

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

BY_SHAPE: dict[tuple[int, int], list[str]] = {}
for _name, _shape in SHAPES.items():
    BY_SHAPE.setdefault(_shape, []).append(_name)

NUMBERS = ["2", "0.5", "1e-3", ".25", "3.", "1.5E+1", "7", "0"]
ELEMENTWISE = [name for name, function in FUNCTIONS.items() if function.elementwise]


def spot(node_type, *fields) -> Node:
    return node_type(0, 0, *fields)


@st.composite
def expressions(draw, shape: tuple[int, int], depth: int = 4) -> Node:
    """A well-shaped tree of the given shape over the flagship names."""
    rows, cols = shape
    leaves = [st.sampled_from(BY_SHAPE.get(shape, [])).map(lambda n: spot(Name, n))] if (
        shape in BY_SHAPE
    ) else []
    if shape == (1, 1):
        leaves.append(st.sampled_from(NUMBERS).map(lambda t: spot(Num, t)))
    if shape == (2, 2):
        leaves.append(st.just(spot(Call, "eye", (spot(Num, "2"),))))
    leaves.append(st.just(spot(Call, "ones", (spot(Num, str(rows)), spot(Num, str(cols))))))
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(leaves))

    def sub(s: tuple[int, int]) -> Node:
        return draw(expressions(s, depth - 1))

    def cell() -> Node:
        # The parser reads [[a], [b]] as rows, so a literal never holds bare literals.
        inner = sub((1, 1))
        return spot(Call, "sum", (inner,)) if isinstance(inner, Matrix) else inner

    kind = draw(st.sampled_from(
        ["neg", "transpose", "elementwise", "scaled", "matmul", "call", "power", "literal",
         "reduce", "diag", "softmax"]
    ))
    if kind == "neg":
        return spot(Neg, sub(shape))
    if kind == "transpose":
        return spot(Transpose, sub((cols, rows)))
    if kind == "elementwise":
        op = draw(st.sampled_from("+-*/"))
        return spot(BinOp, op, sub(shape), sub(shape))
    if kind == "scaled":
        op = draw(st.sampled_from("+-*/"))
        left, right = sub(shape), sub((1, 1))
        if draw(st.booleans()):
            left, right = right, left
        return spot(BinOp, op, left, right)
    if kind == "matmul":
        inner = draw(st.sampled_from([1, 2]))
        return spot(BinOp, "@", sub((rows, inner)), sub((inner, cols)))
    if kind == "call":
        return spot(Call, draw(st.sampled_from(ELEMENTWISE)), (sub(shape),))
    if kind == "power":
        exponent = draw(st.sampled_from(
            [spot(Num, "2"), spot(Num, "3"), spot(Num, "0.5"), spot(Neg, spot(Num, "1"))]
        ))
        return spot(BinOp, "^", sub(shape), exponent)
    if kind == "literal" and rows * cols <= 4:
        return spot(Matrix, tuple(tuple(cell() for _ in range(cols)) for _ in range(rows)))
    if kind == "reduce" and shape == (1, 1):
        return spot(Call, "sum", (sub(draw(st.sampled_from(list(BY_SHAPE)))),))
    if kind == "diag" and rows == cols:
        vector = draw(st.sampled_from([(rows, 1), (1, rows)]))
        return spot(Call, "diag", (sub(vector),))
    if kind == "softmax" and 1 in shape:
        return spot(Call, "softmax", (sub(shape),))
    return sub(shape)


ANY_SHAPE = st.sampled_from([(2, 1), (1, 2), (2, 2), (1, 1)])


@st.composite
def shaped_expressions(draw):
    shape = draw(ANY_SHAPE)
    return shape, draw(expressions(shape))


@SETTINGS
@given(shaped_expressions())
def test_printed_trees_parse_back_to_the_same_tree_and_numbers(case):
    shape, node = case
    text = to_text(node)
    again = parse(text, NAMES)
    assert again == node, text
    assert infer_shape(again, SHAPES) == shape
    assert to_text(again) == text
    values = displayed()
    before, after = evaluate(node, values), evaluate(again, values)
    assert before.shape == shape
    assert np.allclose(before, after, equal_nan=True, rtol=0, atol=0), text


@SETTINGS
@given(shaped_expressions())
def test_what_the_screen_prints_parses_back_to_the_same_tree(case):
    _, node = case
    text = to_text(node, SCREEN)
    assert parse(text, NAMES) == node, text


@SETTINGS
@given(shaped_expressions())
def test_node_spans_point_into_the_printed_text(case):
    _, node = case
    text = to_text(node)
    again = parse(text, NAMES)
    stack = [again]
    while stack:
        current = stack.pop()
        assert 0 <= current.start < current.end <= len(text)
        if isinstance(current, Name):
            assert text[current.start : current.end] == current.name
        if isinstance(current, Num):  # (2).T: parentheses widen the span
            assert text[current.start : current.end].strip("()") == current.text
        stack.extend(children(current))


# -- arbitrary text ---------------------------------------------------------------------------

TOKENS = [
    *NAMES, *FUNCTIONS, "σ", "T",
    "(", ")", "[", "]", ",", ";", "'", ".T", "ᵀ", "@", "*", "**", "/", "+", "-", "−", "^", "⊙",
    "2", "0.5", "1e-3", "1e999", ".", "e", " ", "  ", "\n", "\t", "1", "0", "x1", "w1", "_",
]

TEXTS = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
    st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet="x W1 2 3 h2 z ( ) [ ] ; , - + * @ ^ ' . T e", max_size=60),
)


def assert_printable_description(problem_: EngineError, text: str) -> None:
    described = problem_.describe(text)
    assert isinstance(described, str)
    assert all(char.isprintable() or char == "\n" for char in described), repr(described)


@SETTINGS
@given(TEXTS)
def test_parse_and_infer_shape_raise_nothing_but_engine_errors(text):
    try:
        node = parse(text, NAMES)
    except EngineError as problem_:
        assert problem_.kind in {"parse", "name", "limit"}
        assert_printable_description(problem_, text)
        return
    try:
        infer_shape(node, SHAPES)
    except EngineError as problem_:
        assert problem_.kind in {"shape", "limit", "name"}
        assert_printable_description(problem_, text)


@SETTINGS
@given(TEXTS, st.sampled_from(["df/dh2", "dh2/dz2", "df/dz1", "df/dW1"]))
def test_check_answer_never_raises_and_is_never_correct_without_numbers(text, key):
    verdict = check_answer(text, factor(key), problem(), displayed(), symbolic_budget=0.2)
    assert verdict.verdict in {"correct", "incorrect", "invalid"}
    assert isinstance(verdict.feedback, str) and verdict.feedback
    if verdict.verdict == "correct":
        assert verdict.numeric is True
    if verdict.verdict == "invalid":
        assert verdict.error is not None
        assert not verdict.counts_as_attempt


@SETTINGS
@given(shaped_expressions(), st.sampled_from(["df/dh2", "dh2/dz2", "dz2/dh1", "df/dz1"]))
def test_check_answer_on_well_shaped_answers_never_raises(case, key):
    _, node = case
    verdict = check_answer(to_text(node), factor(key), problem(), displayed(),
                           symbolic_budget=0.2)
    assert verdict.verdict in {"correct", "incorrect"}
    if verdict.verdict == "correct":
        assert verdict.numeric is True
