"""A derivative rule for every function and operator of the language, and the words of
a gradient by what it is taken by (issue 22, items 3 and 5).

Each lesson made here has every key compared with central finite differences
(generated_keys), independently of the validator; refusals must be said at the
definition that holds the construct, with the network's own names.
"""

from __future__ import annotations

import pytest
from generated_keys import disagreements

from tutor.engine import FUNCTIONS
from tutor.networks.generator import GeneratorError, generate_from_text
from tutor.networks.reader import NetworkError, parse_network


def made(text: str):
    lesson = generate_from_text(text, validate=False)
    assert disagreements(lesson) == []
    return lesson


def goal_step(lesson):
    return lesson.step(lesson.goal)


# -- diag: batch normalisation's scale, and every other place a diag can stand -------------
BATCH_NORM_SCALE = """\
Xhat : 4x3
gamma : 3x1
beta : 1x3
Y = Xhat @ diag(gamma) + ones(4, 1) @ beta
L = sum(Y * Y)
goal: dL/dgamma
"""


def test_the_scale_of_batch_normalisation_is_a_column_sum_of_the_upstream_times_the_input():
    lesson = made(BATCH_NORM_SCALE)
    step = goal_step(lesson)
    assert step.composes == "ones(1, 4) @ (dL_dY * Xhat)"
    assert step.shape == (1, 3)
    assert any("column j of Xhat by gamma_j" in hint for hint in step.hints)


@pytest.mark.parametrize("text", [
    # diag(g) @ A by g: row sums of G ⊙ A
    "A : 3x2\ng : 3x1\nY = diag(g) @ A\nL = sum(Y * Y)\ngoal: dL/dg\n",
    # a row g on the right of a batch
    "A : 2x3\ng : 1x3\nY = A @ diag(g)\nL = sum(tanh(Y))\ngoal: dL/dg\n",
    # diag(g) alone, against a matrix
    "M : 3x3\ng : 3x1\nL = sum(diag(g) * M)\ngoal: dL/dg\n",
    # the matrix beside the diag is what the goal moves
    "A : 3x2\ng : 3x1\nY = diag(g) @ A\nL = sum(Y * Y)\ngoal: dL/dA\n",
    # vectors: diag(g) @ x is g ⊙ x, a Jacobian between vectors
    "x : 3x1\ng : 3x1\nz = diag(g) @ x\nh = tanh(z)\ngoal: dh/dg\n",
    "x : 1x3\ng : 3x1\nz = x @ diag(g)\nh = sigma(z)\ngoal: dh/dg\n",
    "x : 3x1\ng : 3x1\nz = diag(g) @ x\ngoal: dz/dx\n",
    # a 1x1 diag is its scalar
    "x : 3x1\na : 1\nz = x @ diag(a)\nL = sum(z * z)\ngoal: dL/da\n",
], ids=["left", "right-row", "alone", "the-other-side", "jacobian", "jacobian-row",
        "jacobian-by-x", "scalar"])
def test_diag_has_a_rule_wherever_it_stands(text):
    made(text)


# -- every function and operator of the language ------------------------------------------
# ones and eye take sizes, not quantities: they hold no variable, so nothing is ever
# differentiated through them (they appear here, in a network, only as constants).
HOLD_NO_VARIABLE = {"ones", "eye"}
# step is relu's slope: flat wherever it has a slope, so a lesson through it would ask
# only for zeros. It is refused, at its definition, with a gate that has a slope.
REFUSED = {"step": "or relu("}


def _uses(function: str) -> list[str]:
    """Networks that differentiate through ``function``, by a vector and in a batch."""
    if function in HOLD_NO_VARIABLE:
        constant = "ones(3, 1)" if function == "ones" else "eye(3)"
        return [f"v : 3x1\nh = v + {constant}\nL = sum(h * h)\ngoal: dL/dv\n"
                if function == "ones" else
                f"v : 3x1\nh = {constant} @ v\nL = sum(h * h)\ngoal: dL/dv\n"]
    if function == "sum":
        return ["v : 3x1\nL = sum(v * v)\ngoal: dL/dv\n",
                "V : 3x2\nL = sum(tanh(V))\ngoal: dL/dV\n"]
    if function == "softmax":
        return ["v : 3x1\ny : 3x1\np = softmax(v)\nL = sum(y * log(p))\ngoal: dL/dv\n",
                "v : 3x1\np = softmax(v)\ngoal: dp/dv\n",
                "v : 1x3\np = softmax(v)\nL = sum(p * p)\ngoal: dL/dv\n"]
    if function == "diag":
        return [BATCH_NORM_SCALE]
    assert FUNCTIONS[function].elementwise, f"{function}: write its uses in this test"
    return [f"v : 3x1 positive\nh = {function}(v)\nL = sum(h * h)\ngoal: dL/dv\n",
            f"v : 3x1 positive\nh = {function}(v)\ngoal: dh/dv\n",
            f"V : 3x2 positive\nH = {function}(V)\nL = sum(H * H)\ngoal: dL/dV\n",
            f"a : 1 positive\nh = -{function}(a) / 3\nL = 2 * h\ngoal: dL/da\n"]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_of_the_language_has_a_generator_rule(function):
    for text in _uses(function):
        if function in REFUSED:
            with pytest.raises(GeneratorError) as refused:
                generate_from_text(text, validate=False)
            assert refused.value.line == 2, text  # the definition that holds it
            assert REFUSED[function] in refused.value.message.lower()
        else:
            made(text)


OPERATORS = {
    "+": "h = u + v", "-": "h = u - v", "*": "h = u * v", "/": "h = u / (2 + v * v)",
    "^": "h = u^3", "@": "h = W @ u", "unary -": "h = -u", ".T": "h = (u.T @ W).T",
    "scalar *": "h = 2 * u", "scalar /": "h = u / 3", "scalar +": "h = u + a",
    "fraction ^": "h = (u * u + 1)^(1/2)",
}


@pytest.mark.parametrize("operator", sorted(OPERATORS))
@pytest.mark.parametrize("shape", ["3x1", "3x2"])
def test_every_operator_has_a_generator_rule(operator, shape):
    columns = int(shape[-1])
    body = OPERATORS[operator]
    text = (f"u : {shape}\nv : {shape}\nW : 3x3\na : 1\n{body}\n"
            f"L = sum(h * h)\ngoal: dL/du\n")
    if columns == 1:
        text += "goal: dh/du\n"
    made(text)


# -- refusals at the definition, in the network's names ------------------------------------
def test_a_vector_jacobian_through_a_rule_that_fails_is_refused_at_its_definition():
    with pytest.raises(GeneratorError) as refused:
        generate_from_text("v : 3x1\nz = W @ v\nh = step(z)\ngoal: dh/dv\n".replace(
            "v : 3x1\n", "v : 3x1\nW : 3x3\n"), validate=False)
    assert refused.value.line == 4
    assert "3-tensor" not in refused.value.message
    assert "sigma(z) or relu(z)" in refused.value.message


def test_a_jacobian_through_a_matrix_is_refused_at_the_matrix_not_as_the_goals_tensor():
    with pytest.raises(GeneratorError) as refused:
        generate_from_text("c : 3x1\nM = c @ ones(1, 2)\nh = M @ ones(2, 1)\ngoal: dh/dc\n",
                           validate=False)
    message = refused.value.message
    assert refused.value.line == 2  # M = …, where the matrix is made
    assert "through M, a 3×2 matrix" in message and "(3×1 by 3×1)" not in message
    assert "L = sum(h), and ask for dL/dc" in message


def test_a_refusal_names_the_networks_quantities_not_their_copies():
    with pytest.raises(GeneratorError) as refused:
        generate_from_text("v : 3x1\nh = step(v * v)\ngoal: dh/dv\n", validate=False)
    assert refused.value.line == 2
    assert "step(v * v)" in refused.value.message and "v_a" not in refused.value.message
    assert "sigma(v * v) or relu(v * v)" in refused.value.message


def test_a_log_of_a_possibly_negative_input_suggests_that_inputs_own_declaration():
    with pytest.raises(NetworkError) as refused:
        parse_network("p : 4x1\nq : 2x3\nL = sum(log(p)) + sum(q)\ngoal: dL/dp\n")
    assert "p : 4x1 positive" in refused.value.message
    assert "x : 3x1" not in refused.value.message and "x^2" not in refused.value.message
    assert "sigma(p), exp(p) or 1 + p^2" in refused.value.message  # its own names
    assert refused.value.line == 3


LOGISTIC_LOSS = """\
X : 5x3
w : 3x1
y : 5x1 onehot
s = X @ w
p = sigma(s)
L = -sum(y * log(p) + (1 - y) * log(1 - p))
goal: dL/dw
"""


def test_the_logistic_loss_log_of_one_minus_a_sigmoid_is_known_to_be_a_number():
    made(LOGISTIC_LOSS)  # σ < 1, so 1 - p > 0: the loss of every course is not refused
    made("a : 1\nL = -log(1 - sigma(a))\ngoal: dL/da\n")


def test_a_declaration_that_would_not_help_is_not_suggested():
    with pytest.raises(NetworkError) as refused:
        parse_network("x : 3x1\nW : 3x3\nz = W @ x\nL = sum(log(1 - z))\ngoal: dL/dx\n")
    message = refused.value.message
    assert "positive (x" not in message and "Declare" not in message  # 1 - z stays unsigned
    assert refused.value.line == 4 and "sigma(1 - z)" in message


# -- words: a gradient by a column is a row, and is said to be ------------------------------
BATCH_BIAS = """\
X : 2x4
W : 2x2
b : 2x1
Z = W @ X + b @ ones(1, 4)
L = sum(Z * Z)
goal: dL/db
goal: dL/dW
"""


def test_a_bias_columns_gradient_is_said_to_be_a_row_not_a_matrix_of_its_shape():
    lesson = made(BATCH_BIAS)
    bias = lesson.step("dL_db")
    assert bias.shape == (1, 2)  # numerator layout, as ∂L/∂x is for a column x
    assert bias.composes == "(dL_dZ @ ones(4, 1)).T"  # row sums, not ones(1, 4).T
    assert "1×2 row" in bias.prompt and "2×1 column b" in bias.prompt
    assert "b's shape" not in bias.prompt and "by a matrix" not in bias.prompt
    assert "[i,j]" not in bias.hints[0]
    weight = lesson.step("dL_dW")
    assert weight.shape == (2, 2) and "W's shape, 2×2" in weight.prompt


def test_a_scalar_and_a_row_are_named_for_what_they_are():
    scalar = made("a : 1\nX : 2x2\nL = sum(a * X * X)\ngoal: dL/da\n")
    assert "by a matrix" not in goal_step(scalar).prompt
    assert "scalar by a scalar" in goal_step(scalar).prompt
    row = made("r : 1x3\nY = ones(2, 1) @ r\nL = sum(Y * Y)\ngoal: dL/dr\n")
    assert "row vector" in goal_step(row).prompt


def test_a_constant_factor_on_either_side_is_said_as_one_not_as_a_quotient():
    lesson = made("a : 3x1\nh = tanh(a) / 3\ng = sigma(h) * 2\nL = sum(g)\ngoal: dL/da\n")
    for step_id in ("dh_da", "dg_dh"):
        hints = " ".join(lesson.step(step_id).hints)
        assert "A constant factor" in hints and "Quotient rule" not in hints, step_id
    assert "g is computed entry by entry from g" not in " ".join(lesson.step("dL_dg").hints)


def test_a_saturated_logistic_loss_is_a_number_and_makes_its_lesson():
    import numpy as np

    from tutor.engine.functions import sigmoid

    assert sigmoid(np.array([[-40.0]]))[0, 0] > 0  # the tanh form rounded it to 0
    assert np.isclose(np.log(sigmoid(np.array([[-40.0]])))[0, 0], -40.0)
    made("a : 1\nL = -log(sigma(50 * a))\ngoal: dL/da\n")  # σ(-50) was log(0) = -inf


def test_a_negated_function_in_a_batch_is_explained_as_a_constant_times_its_slope():
    lesson = made("X : 3x2\nH = -tanh(X)\nL = sum(H * H)\ngoal: dL/dX\n")
    rule = " ".join(goal_step(lesson).hints)
    assert "a constant times tanh(X), entry by entry" in rule
    assert "slope 1 - tanh(X)^2" in rule  # tanh's own value, not H's (H is -tanh)


def test_a_product_with_a_matrix_of_ones_of_its_own_shape_is_left_out_of_a_key():
    lesson = made("X : 3x2\nH = -tanh(X)\nL = sum(H * H)\ngoal: dL/dX\n")
    assert lesson.step("dL_dH_a").answer == "H_b"  # not ones(3, 2) * H_b
    assert "ones" not in lesson.step("dL_dH").answer
    kept = made("X : 3x2\na : 1\nL = sum(X * a)\ngoal: dL/da\n")  # a scalar: ones stays
    assert disagreements(kept) == []
