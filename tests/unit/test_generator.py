"""Generated lessons: every construct, every key checked by finite differences (the oracle).

``generate`` runs validate_lesson itself and refuses a lesson with findings, so each
test that gets a lesson back has had every key compared with central finite
differences at the validation seeds and random draws. The symbolic budget is 0 here to
keep the suite quick; finite differences are the oracle.
"""

from __future__ import annotations

import time

import pytest

from tutor.cli.command import main
from tutor.lessons.load import load_catalog, parse_lesson
from tutor.lessons.validation import validate_lesson
from tutor.lessons.writer import lesson_toml, quote
from tutor.networks.drawn import draw_network
from tutor.networks.generator import GeneratorError, generate_from_text

FLAGSHIP = """\
x : 2x1
W1 : 2x2
W2 : 2x2
W3 : 1x2
z1 = W1 @ x
h1 = sigma(z1)
z2 = W2 @ h1
h2 = sigma(z2)
f = W3 @ h2
goal: df/dW1
"""


def lesson_of(text: str):
    return generate_from_text(text, symbolic_budget=0)


def test_the_flagship_network_yields_the_flagship_lessons_six_factors_in_order():
    generated = lesson_of(FLAGSHIP)
    shipped = load_catalog().get("two-layer-sigmoid")
    assert [s.id for s in generated.steps] == [s.id for s in shipped.steps]
    assert [s.composes for s in generated.steps][-2:] == [s.composes for s in shipped.steps][-2:]
    for step in shipped.steps:
        assert generated.check(step.id, step.answer, symbolic_budget=5).correct, step.id


NETWORKS = {
    "residual block, squared loss, two goals": """\
x : 3x1
W1 : 3x3
w2 : 3x1
y : 1
z1 = W1 @ x
h1 = x + tanh(z1)
f = w2.T @ h1
L = 0.5 * (f - y)^2
goal: dL/dW1
goal: dL/dx
""",
    "skip connection between hidden layers": """\
x : 2x1
W1 : 3x2
W2 : 3x3
w : 1x3
z1 = W1 @ x
h1 = tanh(z1)
z2 = W2 @ h1
h2 = h1 + sigma(z2)
f = w @ h2
goal: df/dW1
""",
    "a weight used twice": """\
x : 2x1
W : 2x2
w : 1x2
z1 = W @ x
h1 = tanh(z1)
z2 = W @ h1
h2 = sigma(z2)
f = w @ h2
goal: df/dW
""",
    "gating h = σ(A x) * tanh(B x)": """\
x : 3x1
A : 2x3
B : 2x3
w : 2x1
h = sigma(A @ x) * tanh(B @ x)
f = w.T @ h
goal: df/dx
goal: df/dA
""",
    "softmax and cross-entropy": """\
W : 3x2
x : 2x1
y : 3x1 onehot
z = W @ x
p = softmax(z)
L = -sum(y * log(p))
goal: dL/dW
""",
    "a mini-batch": """\
X : 2x3
W : 2x2
w : 2x1
Z = W @ X
H = sigma(Z)
f = sum(w.T @ H)
goal: df/dW
""",
    "a quadratic form": """\
x : 3x1
A : 3x3
q = x.T @ A @ x
goal: dq/dx
goal: dq/dA
""",
    "every elementwise function and the quotient": """\
x : 2x1 positive
W : 2x2
a = exp(W @ x) + log(x) + sqrt(x) + softplus(x) + relu(x)
b = a / (1 + x^2)
f = sum(b) - 2 * sum(x)
goal: df/dx
goal: df/dW
""",
    "a vector goal (a Jacobian)": """\
x : 3x1
W : 2x3
z = W @ x
h = tanh(z).T
goal: dh/dx
""",
}


@pytest.mark.parametrize("text", NETWORKS.values(), ids=NETWORKS.keys())
def test_each_construct_yields_a_lesson_that_validates(text):
    lesson = lesson_of(text)
    assert [f for f in validate_lesson(lesson, 0.0) if f.error] == []
    for step in lesson.steps:
        assert lesson.check(step.id, step.answer, symbolic_budget=0).correct
        assert "×" in step.prompt  # every prompt states a shape
        assert step.hints


def test_a_path_contribution_each_then_their_sum():
    lesson = lesson_of(NETWORKS["a weight used twice"])
    assert lesson.definitions["z1"] == "W_a @ x" and lesson.definitions["z2"] == "W_b @ h1"
    assert lesson.steps[-1].id == "df_dW" and lesson.steps[-1].composes == "df_dW_a + df_dW_b"
    quadratic = lesson_of(NETWORKS["a quadratic form"])
    assert quadratic.check("dq_dx", "x.T @ (A + A.T)").correct


def test_the_batch_gradient_uses_the_shapes_of_the_matrices():
    lesson = lesson_of(NETWORKS["a mini-batch"])
    assert [s.id for s in lesson.steps] == ["df_dH", "df_dZ", "df_dW"]
    assert lesson.steps[-1].composes == "df_dZ @ X.T"
    assert lesson.check("df_dZ", "(w @ ones(1, 3)) * H * (1 - H)").correct


def test_a_batch_weight_step_sums_outer_products_over_the_columns():
    step = lesson_of(NETWORKS["a mini-batch"]).steps[-1]
    assert "3 columns" in step.prompt and "df_dZ" in step.prompt
    assert "_j" not in step.prompt + " ".join(step.hints)  # a column's index, not a batch's
    assert "no transpose" in step.hints[0] and "(2×3) @ (3×2) = 2×2" in step.hints[1]


def test_generated_words_name_the_step_to_reuse_and_never_spell_out_a_sum_of_paths():
    lesson = lesson_of(NETWORKS["a weight used twice"])
    total = lesson.steps[-1]
    assert "df_dW_a" not in total.prompt and total.hints[-1] == "df_dW_a + df_dW_b"
    batch = lesson_of(NETWORKS["a mini-batch"])
    assert "df_dH" in batch.steps[1].prompt and "∂f/∂f" not in batch.steps[0].prompt
    random_17 = lesson_of(draw_network(17).text)
    assert "δ" not in random_17.steps[-1].note  # ∂f/∂W2, a weight's gradient, is no δ
    assert "h1.T" in random_17.steps[-2].note  # z2 = W2 @ h1 with W2 a row


def test_no_generated_mistake_feedback_states_its_steps_key():
    from test_lesson_words import gives_away

    lessons = [lesson_of(text) for text in NETWORKS.values()]
    lessons += [lesson_of(draw_network(seed).text) for seed in range(40)]
    found = [f"{lesson.title}/{step.id}: {mistake.feedback}"
             for lesson in lessons for step in lesson.steps for mistake in step.mistakes
             if gives_away(mistake.feedback, lesson, step) is not None]
    assert found == []
    assert any(step.mistakes for lesson in lessons for step in lesson.steps)


def test_a_squared_loss_note_uses_the_networks_own_names():
    lesson = lesson_of(NETWORKS["residual block, squared loss, two goals"])
    assert lesson.steps[0].note == ("For a squared loss ½(f - y)² the slope is the signed "
                                    "miss f - y, entry by entry.")


def test_softmax_cross_entropy_collapses_to_p_minus_y():
    lesson = lesson_of(NETWORKS["softmax and cross-entropy"])
    assert lesson.check("dL_dz", "(p - y).T", symbolic_budget=5).correct


def test_depth_eight_by_width_eight_generates_and_validates():
    lines = ["x : 8x1"] + [f"W{i} : 8x8" for i in range(1, 9)] + ["w : 1x8"]
    h = "x"
    for i in range(1, 9):
        lines += [f"z{i} = W{i} @ {h}", f"h{i} = {'tanh' if i % 2 else 'sigma'}(z{i})"]
        h = f"h{i}"
    lines += [f"f = w @ {h}", "goal: df/dW1"]
    started = time.perf_counter()
    lesson = lesson_of("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 20
    assert len(lesson.steps) == 8 * 2 + 1 + 1


def test_a_3_tensor_goal_is_refused_with_a_goal_that_would_work():
    with pytest.raises(GeneratorError) as caught:
        lesson_of("x : 3x1\nW : 2x3\nz = W @ x\ngoal: dz/dW\n")
    message = str(caught.value)
    assert "3-tensor" in message and "dL/dW" in message and "dz/dx" in message
    assert caught.value.line == 4
    with pytest.raises(GeneratorError, match="matrix"):
        lesson_of("X : 2x2\nW : 2x2\nZ = W @ X\ngoal: dZ/dX\n")


@pytest.mark.parametrize("seed", range(500))
def test_random_networks_validate(seed):
    drawn = draw_network(seed)
    lesson = lesson_of(drawn.text)
    assert lesson.title == drawn.title
    assert lesson.steps[-1].wrt.startswith("W")


def test_random_networks_keys_are_proved_where_sympy_finishes():
    """The symbolic half of validation on drawn networks, within a real budget.

    Steps that sympy proves at all prove in under a second here; the product steps of
    softmax losses and of the deeper, wider draws run past any short budget or past the
    size bounds, and rest on finite differences (a note, never a failure).
    """
    steps = proved = 0
    for seed in range(20):
        lesson = lesson_of(draw_network(seed).text)
        findings = validate_lesson(lesson, symbolic_budget=1.0)
        assert [f for f in findings if f.error] == [], seed
        assert not [f for f in findings if "could not prove" in f.message], seed
        cut = {f.step for f in findings if "symbolic check skipped" in f.message}
        steps += len(lesson.steps)
        proved += len(lesson.steps) - len(cut)
    assert proved >= 0.75 * steps, (proved, steps)


def test_written_lessons_read_back_and_validate(tmp_path):
    for text in NETWORKS.values():
        lesson = lesson_of(text)
        again = parse_lesson(lesson_toml(lesson))
        assert [(s.id, s.answer, s.composes, s.hints, s.prompt) for s in again.steps] == [
            (s.id, s.answer, s.composes, s.hints, s.prompt) for s in lesson.steps]
        assert again.intro == lesson.intro and again.definitions == lesson.definitions


def test_quoting_survives_quotes_backslashes_and_control_characters():
    # A prompt, which may run over lines (a title is one line of printable text).
    text = 'say "hi" \\ then\n\ttab \x7f \x00 """ end'
    lesson = parse_lesson(f'id = "q"\ntitle = "t"\nintro = "numerator layout"\n'
                          '[quantities]\nx = { shape = [1, 1] }\n[[steps]]\nid = "a"\n'
                          f'of = "x"\nwrt = "x"\nprompt = {quote(text)}\nanswer = "1"\n')
    assert lesson.steps[0].prompt == text


def test_new_writes_a_lesson_that_validate_show_and_check_accept(tmp_path, capsys):
    network = tmp_path / "Flagship Net.txt"
    network.write_text(FLAGSHIP, encoding="utf-8")
    folder = tmp_path / "lessons"
    folder.mkdir()
    out = folder / "mine.toml"
    assert main(["new", str(network), "--id", "mine", "-o", str(out), "--budget", "0"]) == 0
    assert main(["validate", str(out), "--budget", "0"]) == 0
    assert main(["check", "mine", "df_dh2", "W3", "--lessons", str(folder)]) == 0
    capsys.readouterr()
    assert main(["new", str(network), "--budget", "0"]) == 0
    assert 'id = "flagship-net"' in capsys.readouterr().out
    assert main(["show", "mine", "--answers", "--lessons", str(folder)]) == 0
    assert "df_dW1: ∂f/∂W1 (2×2)" in capsys.readouterr().out


def test_new_exits_2_with_the_line_of_a_bad_network(tmp_path, capsys):
    network = tmp_path / "bad.net"
    network.write_text("x : 2x1\nz = Q @ x\ngoal: dz/dx\n", encoding="utf-8")
    assert main(["new", str(network)]) == 2
    # FILE:LINE:COLUMN, as compilers say it (editors jump there), as practice says it
    assert f"{network}:2:5: z = Q @ x: Unknown name 'Q'" in capsys.readouterr().err


def test_show_answers_json_gives_every_shipped_steps_key_and_value(capsys):
    import json

    assert main(["show", "squared-loss", "--answers", "--json"]) == 0
    sheet = json.loads(capsys.readouterr().out)
    assert [a["id"] for a in sheet["answers"]][0] == "dL_df"
    assert all(len(a["value"]) == a["shape"][0] for a in sheet["answers"])


@pytest.mark.parametrize("definition", ["-(tanh(x))", "-relu(x)", "0.5 * sigma(x)", "2 * exp(x)"])
def test_a_function_under_a_sign_or_constant_has_hints_that_keep_the_constant(definition):
    """-(tanh(x)) crashed the step texts (a Neg taken for a call); its hints must not give
    the unscaled function's Jacobian as the answer."""
    lesson = generate_from_text(f"x : 3x1 decimal\nh1 = {definition}\nL = sum(h1)\ngoal: dL/dx\n")
    assert [f for f in validate_lesson(lesson) if f.error] == []
    step = lesson.steps[[s.of for s in lesson.steps].index("h1")]
    assert any("constant factor" in hint for hint in step.hints)


@pytest.mark.parametrize("exponent", ["(1/2)", "(2/3)", "(-1/3)", "(4/2)", "(2^3)"])
def test_an_exponent_written_as_an_expression_of_numbers_makes_an_exact_key(exponent):
    """x ^ (1/2) crashed the generator (its power rule read only a plain number)."""
    lesson = generate_from_text(f"x : 3x1 positive\nL = sum(x ^ {exponent})\ngoal: dL/dx\n")
    assert [f for f in validate_lesson(lesson) if f.error] == []
    if exponent == "(1/2)":
        assert lesson.check("dL_dx", "(0.5 * x^(-0.5)).T", symbolic_budget=5.0).correct
        assert not lesson.check("dL_dx", "(x^(-0.5)).T", symbolic_budget=5.0).correct
