"""Network files: the issue's syntax reads, and every mistake is told at its line and column."""

from __future__ import annotations

import pytest

from tutor.networks.reader import MAX_SIDE, NetworkError, parse_network

ISSUE_EXAMPLE = """\
# a residual block with a squared loss
x  : 3x1          # an input and its shape; "3" means 3x1, "1" a scalar
W1 : 3x3
w2 : 3x1
y  : 1
z1 = W1 @ x       # a definition, in the answer language
h1 = x + tanh(z1)
f  = w2.T @ h1
L  = 0.5 * (f - y)^2
goal: dL/dW1      # also ∂L/∂W1; several goal lines give several final steps
"""


def test_the_issues_example_reads_with_shapes_goal_and_title():
    network = parse_network(ISSUE_EXAMPLE)
    assert network.title == "a residual block with a squared loss"
    assert [i.name for i in network.inputs] == ["x", "W1", "w2", "y"]
    assert network.shapes["y"] == (1, 1) and network.shapes["x"] == (3, 1)
    assert network.shapes["L"] == (1, 1)
    assert [(g.of, g.wrt, g.line) for g in network.goals] == [("L", "W1", 10)]


def test_goals_in_either_notation_and_draw_words():
    network = parse_network("x : 3\ny : 3x1 onehot\np = softmax(x)\nL = -sum(y * log(p))\n"
                            "goal: ∂L/∂x\ngoal: dL/dp\n")
    assert [(g.of, g.wrt) for g in network.goals] == [("L", "x"), ("L", "p")]
    assert network.inputs[1].draw == "onehot"
    assert network.shapes["x"] == (3, 1)


def error_of(text: str) -> NetworkError:
    with pytest.raises(NetworkError) as caught:
        parse_network(text)
    return caught.value


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("x : 2x1\nz = Q @ x\ngoal: dz/dx\n", 2, 5, "Unknown name 'Q'"),
    ("x : 2x1\nz = W @ x\nW = x @ x.T\ngoal: dz/dx\n", 2, 5, "used before its definition at "
                                                              "line 3"),
    ("x : 2x1\nz = z + x\ngoal: dz/dx\n", 2, 5, "cycle"),
    ("x : 2x1\nz = x\nz = 2 * x\ngoal: dz/dx\n", 3, 1, "defined twice: first at line 2"),
    ("x : 2x1\nx : 3x1\nz = x\ngoal: dz/dx\n", 2, 1, "defined twice"),
    ("x : 2x1\nW : 3x3\nz = W @ x\ngoal: dz/dx\n", 3, 5, "inner sizes 3 and 2"),
    ("x : 2x1\ny : 3x1\nz = x + y\ngoal: dz/dx\n", 3, 5, "needs equal shapes"),
    ("x : 2x1\nw : 2x1\nz = x\nf = w.T @ w\ngoal: df/dx\n", 5, 1, "f does not depend on x"),
    ("x : 30x1\nz = x\ngoal: dz/dx\n", 1, 5, f"30 rows: sizes go from 1 to {MAX_SIDE}"),
    ("x : 2x21\nz = x\ngoal: dz/dx\n", 1, 5, "21 columns"),
    ("x : 2x1\nz = ones(30, 1)\ngoal: dz/dx\n", 2, 5, "30 rows is past the limit of 20"),
    ("x : 2x1\nz = foo(x)\ngoal: dz/dx\n", 2, 5, "Unknown function 'foo'"),
    ("x : 2x1\nz = sigmoid(x)\ngoal: dz/dx\n", 2, 5, "Did you mean sigma?"),
    ("x : 2x1\nz = W1 @@ x\ngoal: dz/dx\n", 2, 5, "Unknown name 'W1'"),
    ("x : 2x1\nz = (x + 1\ngoal: dz/dx\n", 2, 11, "Expected ')'"),
    ("x : 2x1\nz = x\n  z2 is x\ngoal: dz/dx\n", 3, 3, "expected an input"),
    ("x : two\nz = x\ngoal: dz/dx\n", 1, 5, "not a shape"),
    ("x : 2x1 gaussian\nz = x\ngoal: dz/dx\n", 1, 9, "unknown draw 'gaussian'"),
    ("x : 2x1 fixed\nz = x\ngoal: dz/dx\n", 1, 9, "draw fixed needs its values"),
    ("x : 2x1\nz = x\ngoal: dz by dx\n", 3, 7, "a goal is written dL/dW1"),
    ("x : 2x1\nz = x\ngoal: dz/dq\n", 3, 11, "the goal names q"),
    ("x : 2x1\nz = x\ngoal: dz/dz\n", 3, 1, "by itself"),
    ("x : 2x1\nz = x\n", None, None, "needs a goal line"),
    ("z = 2\ngoal: dz/dz\n", None, None, "at least one input"),
    ("x : 2x1\nz = x\nw : 2x1\ngoal: dz/dx\n", 3, 1, "declare every input first"),
    ("x : 2x1\nsigma = x\ngoal: dsigma/dx\n", 2, 1, "is a function of the answer language"),
    ("x : 2x1\nz = eval(x)\ngoal: dz/dx\n", 2, 5, "Unknown function"),
])
def test_each_bad_network_is_told_at_its_line_and_column(text, line, column, words):
    error = error_of(text)
    assert words in error.message
    assert (error.line, error.column) == (line, column)
    if line is not None:
        assert str(error).startswith(f"line {line}")


def test_too_many_definitions_says_which_limit():
    text = "x : 1\n" + "".join(f"z{i} = x\n" for i in range(61)) + "goal: dz0/dx\n"
    assert "61 definitions is past the limit of 60" in error_of(text).message


def test_a_huge_file_is_refused_before_it_is_read():
    assert "past the limit" in error_of("#" * 30_000).message
