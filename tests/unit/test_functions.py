"""The registry of the answer language: every record's forms agree with each other.

Each function is declared once (tutor/engine/functions.py); these tests read the
registry, so a new function is tested here without being listed again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy

from tutor.engine import FUNCTIONS, EngineError, Problem, evaluate, infer_shape, parse
from tutor.engine.nodes import SCREEN, Call, Name, Num, to_text
from tutor.engine.symbolic import component_symbols, prove_equal, to_sympy
from tutor.lessons.load import parse_lesson
from tutor.lessons.validation import validate_lesson

ROOT = Path(__file__).resolve().parents[2]
ELEMENTWISE = [name for name, function in FUNCTIONS.items() if function.elementwise]
# lambdify prints an opaque sympy function (sigma, relu, step) by its name.
NUMPY_BY_NAME = {name: function.numeric for name, function in FUNCTIONS.items()}
POINTS = np.array([[0.3], [1.7], [-0.4], [-1.1]])  # away from relu's kink at 0


def example_call(name: str) -> Call:
    """A call of ``name`` on a 2×1 column x, or on sizes for ones and eye."""
    function = FUNCTIONS[name]
    if function.constant_args:
        args = tuple(Num(0, 0, str(side)) for side in (2, 3)[: function.arity])
    else:
        args = (Name(0, 0, "x"),) * function.arity
    return Call(0, 0, name, args)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_functions_sympy_form_has_its_numpy_values(name):
    x = component_symbols("x", 2, 1)
    form = to_sympy(example_call(name), {"x": x})
    values = np.array([[0.6], [1.4]])
    computed = sympy.lambdify(list(x), form, modules=[NUMPY_BY_NAME, "numpy"])(*values.ravel())
    expected = evaluate(example_call(name), {"x": values})
    assert np.allclose(np.asarray(computed, dtype=float), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_each_elementwise_functions_sympy_derivative_matches_finite_differences(name):
    t = sympy.Symbol("t", real=True)
    function = FUNCTIONS[name]
    derivative = sympy.diff(function.symbolic(sympy.Matrix([[t]]))[0, 0], t)
    slope = sympy.lambdify(t, derivative, modules=[NUMPY_BY_NAME, "numpy"])
    h = 1e-6
    with np.errstate(invalid="ignore"):
        for point in POINTS.ravel():
            expected = (function.numeric(np.array([[point + h]]))
                        - function.numeric(np.array([[point - h]]))).item() / (2 * h)
            if np.isfinite(expected):  # log and sqrt take positive numbers only
                assert float(slope(point)) == pytest.approx(expected, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_prints_on_screen_in_a_form_that_parses_back(name):
    call = example_call(name)
    written = to_text(call, SCREEN)
    assert written.startswith(f"{FUNCTIONS[name].written}(")
    assert parse(written, ["x"]) == call
    assert parse(to_text(call), ["x"]) == call


def test_sigma_is_written_as_the_greek_letter_on_screen():
    assert to_text(parse("sigma(x)", ["x"]), SCREEN) == "σ(x)"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_readme_and_the_help_screen_name_each_function(name):
    for document in (ROOT / "README.md", ROOT / "tutor" / "app" / "help.md"):
        assert f"`{name}" in document.read_text(encoding="utf-8"), (document.name, name)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_wrong_number_of_arguments_is_told_with_the_signature(name):
    function = FUNCTIONS[name]
    text = f"{name}({', '.join(['1'] * (function.arity + 1))})"
    with pytest.raises(EngineError) as raised:
        infer_shape(parse(text), {})
    assert function.signature in raised.value.message
# -- softplus, the function added to show that a function is added in one place -------------
def test_softplus_is_the_log_of_one_plus_e_to_the_t_and_never_overflows():
    values = {"z": np.array([[-2.0], [0.0], [3.0], [800.0]])}
    softplus = evaluate(parse("softplus(z)", ["z"]), values)
    assert np.allclose(softplus[:3], np.log1p(np.exp(values["z"][:3])))
    assert softplus[3, 0] == pytest.approx(800.0)


def test_the_derivative_of_softplus_is_sigma_proved_and_by_finite_differences():
    problem = Problem.from_text({"z": (2, 1)}, {"h": "softplus(z)"})
    sample = problem.samples[0]
    expected = evaluate(parse("diag(sigma(z))", ["z"]), sample)
    assert np.allclose(problem.numeric_derivative("h", "z", sample), expected, atol=1e-7)
    answer = to_sympy(parse("diag(sigma(z))", ["z"]), problem.input_symbols())
    assert prove_equal(answer, problem.symbolic_derivative("h", "z"), budget=30.0) is True


SOFTPLUS_LESSON = '''
id = "softplus-layer"
title = "A softplus layer"
goal = "dh_dz"
intro = "h = softplus(z), a smooth relu. We use numerator layout: ∂h/∂z is 2×2."

[quantities]
z = { shape = [2, 1], draw = "decimal" }

[definitions]
h = "softplus(z)"

[[steps]]
id = "dh_dz"
of = "h"
wrt = "z"
prompt = "What is ∂h/∂z (2×2)?"
answer = "diag(sigma(z))"
'''


def test_a_lesson_on_softplus_validates_and_accepts_its_derivative():
    lesson = parse_lesson(SOFTPLUS_LESSON)
    assert [finding for finding in validate_lesson(lesson) if finding.error] == []
    assert lesson.check("dh_dz", "diag(1 / (1 + exp(-z)))").correct
    assert not lesson.check("dh_dz", "softplus(z)").correct


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if FUNCTIONS[n].derivative])
def test_each_activations_derivative_rule_matches_finite_differences(name):
    """The rule the chain diagnoses and the lesson generator use is f′ itself."""
    function = FUNCTIONS[name]
    rule = parse(function.derivative.format(arg="t", out=f"{name}(t)"), ["t"])
    h = 1e-6
    points = np.abs(POINTS) + 0.1 if name in ("log", "sqrt") else POINTS  # their domain
    for point in points.ravel():
        slope = evaluate(rule, {"t": np.array([[point]])}).item()
        expected = (function.numeric(np.array([[point + h]]))
                    - function.numeric(np.array([[point - h]]))).item() / (2 * h)
        assert slope == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_the_activations_have_a_derivative_rule():
    assert {n for n, f in FUNCTIONS.items() if f.derivative and f.elementwise} == {
        "sigma", "tanh", "relu", "softplus", "exp", "log", "sqrt"}
