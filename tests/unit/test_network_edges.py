"""Property: a network at or past any documented limit (README "Your own network",
tutor/networks/reader.py's constants, the answer language's limits its keys meet) is either a
lesson whose keys all parse and are numbers at its validation points, or a NetworkError
with its line; never another exception (issue #20, 8)."""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tutor.engine import evaluate
from tutor.lessons.validation import validation_points
from tutor.networks.generator import generate
from tutor.networks.reader import (
    DRAWS,
    MAX_DEFINITIONS,
    MAX_GOALS,
    MAX_INPUTS,
    MAX_NAME,
    MAX_SIDE,
    MAX_TEXT,
    NetworkError,
    parse_network,
)

FUNCTIONS = ("tanh", "sigma", "exp", "log", "sqrt", "relu", "softplus", "sum")
NUMBERS = ("0", "1", "2.5", "-3", "999999999999", "1e12", "0.000001")
EXPONENTS = ("2", "3", "-1", "0", "0.5", "1.5", "-63", "-64", "64", "65")


def edge(limit: int) -> st.SearchStrategy[int]:
    """1, a few, the limit, one past it."""
    return st.sampled_from((1, 2, limit, limit + 1))


@st.composite
def expressions(draw, names: list[str], depth: int = 0) -> str:
    atom = st.one_of(st.sampled_from(names), st.sampled_from(NUMBERS))
    if depth >= 3:
        return draw(atom)
    choice = draw(st.integers(0, 6))
    inner = lambda: draw(expressions(names, depth + 1))  # noqa: E731
    if choice == 0:
        return draw(atom)
    if choice == 1:
        return f"{draw(st.sampled_from(FUNCTIONS))}({inner()})"
    if choice == 2:
        return f"({inner()}) {draw(st.sampled_from('+-*/'))} ({inner()})"
    if choice == 3:
        return f"({inner()}) ^ {draw(st.sampled_from(EXPONENTS))}"
    if choice == 4:  # nested past the parser's 60 levels, or the key's 2,000 characters
        times = draw(st.sampled_from((1, 29, 58, 59, 60)))
        function = draw(st.sampled_from(("tanh", "sigma", "exp")))
        return f"{function}(" * times + inner() + ")" * times
    if choice == 5:  # a name used past the 26 letters of its copies
        return " + ".join([draw(st.sampled_from(names))] * draw(st.sampled_from((2, 26, 27))))
    return f"-({inner()})"


@st.composite
def networks(draw) -> str:
    long = draw(st.sampled_from((1, 1, 1, 1, MAX_NAME, MAX_NAME + 1)))
    inputs = [("x" * long)[:long]] + [f"u{i}" for i in range(draw(edge(MAX_INPUTS)) - 1)]
    side = draw(st.sampled_from((1, 1, 2, MAX_SIDE, MAX_SIDE + 1)))
    lines = [f"{inputs[0]} : {side}x1 {draw(st.sampled_from(DRAWS))}"]
    lines += [f"{name} : 1 {draw(st.sampled_from(DRAWS))}" for name in inputs[1:]]
    names = list(inputs)
    count = draw(edge(MAX_DEFINITIONS))
    for i in range(1, count + 1):
        if i <= 3:  # a few drawn definitions; the rest a chain, to reach the count cheaply
            body = draw(expressions(names[-3:]))
            if side > 1 and names[-1] == inputs[0]:
                body = f"sum({body})"
        else:
            body = f"tanh(h{i - 1})"
        lines.append(f"h{i} = {body}")
        names.append(f"h{i}")
    goals = draw(edge(MAX_GOALS))
    lines += [f"goal: d{names[-1]}/d{inputs[0]}"] * goals
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:
        text += "#" * (MAX_TEXT + 1 - len(text))  # the file-size limit, one past it
    return text


def check_network(text: str) -> None:
    try:
        lesson = generate(parse_network(text), "edge", validate=False)
    except NetworkError as error:
        whole_file = "characters long" in error.message  # the file's size: no line
        assert error.line is not None or whole_file, error
        assert "please report" not in error.message, error
        return
    assert lesson.factors  # every key and composes parses with the answer language's limits
    for values in validation_points(lesson)[:2]:
        for step in lesson.steps:
            assert np.all(np.isfinite(evaluate(lesson.factors[step.id].expected, values)))


@settings(max_examples=int(os.environ.get("EDGE_EXAMPLES", 150)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Found by a run of this test: float ** raised OverflowError (a traceback) where the
# range of an odd power of 29 nested exps passes the largest float.
@example("x : 1x1 decimal\nu0 : 1 decimal\nh1 = (" + "exp(" * 29 + "x" + ")" * 29
         + ") ^ 3\ngoal: dh1/dx\n")
@given(networks())
def test_a_network_at_or_past_every_limit_is_a_lesson_or_a_message_at_its_line(text):
    check_network(text)
