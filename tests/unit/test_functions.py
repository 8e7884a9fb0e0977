"""The registry of the answer language: every record's forms agree with each other.

Each function is declared once (tutor/engine/functions.py); these tests read the
registry, so a new function is tested here without being listed again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy

from tutor.engine import FUNCTIONS, EngineError, evaluate, infer_shape, parse
from tutor.engine.nodes import SCREEN, Call, Name, Num, to_text
from tutor.engine.symbolic import component_symbols, to_sympy

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
