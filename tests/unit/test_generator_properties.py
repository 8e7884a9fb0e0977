"""Random networks from a grammar of every construct: a lesson whose keys are right, or a
refusal for a person (issue 22, item 1).

The grammar writes what a course writes: negation and scalar multiples in front of any
function (-log(p), 2 * tanh(z), sigma(z) / 3), differences, powers (u^2, u^(1/2)),
quotients, sums, transposes, every elementwise function of the language, softmax, diag
and ones, nested, on scalars, columns, rows and a batch. For each drawn network
`chain-tutor new`'s generator either makes a lesson whose every step's key (and
composes) agrees with central finite differences, or refuses with a GeneratorError or
NetworkError in words: never another exception, never "a fault of the generator".
The lesson is validated as `new` validates it (finite differences; sympy is left out
to keep the test quick), and its keys checked again here, independently.
"""

from __future__ import annotations

import re

import pytest
from generated_keys import disagreements
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tutor.engine import FUNCTIONS
from tutor.networks.generator import generate_from_text
from tutor.networks.reader import NetworkError

S, C, R, M = (1, 1), (3, 1), (1, 3), (3, 2)
INPUTS = {"a": ("1", S), "c": ("3x1", C), "r": ("1x3", R), "X": ("3x2", M),
          "pa": ("1 positive", S), "pc": ("3x1 positive", C), "pX": ("3x2 positive", M),
          "W": ("3x3", None), "g": ("2x1", None), "k": ("3x1", None)}
ELEMENTWISE = sorted(f for f, spec in FUNCTIONS.items() if spec.elementwise)
NEEDS_POSITIVE = ("log", "sqrt")


def wrap(text: str) -> str:
    """Parenthesised unless it is a name, a number or a call (one token to the parser)."""
    return text if re.fullmatch(r"[A-Za-z_0-9.]+(\(.*\))?", text) and \
        _balanced_call(text) else f"({text})"


def _balanced_call(text: str) -> bool:
    """f(a) + g(b) ends in ) and starts with a name, but is not one call."""
    if "(" not in text:
        return " " not in text
    depth = 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char == ")" and index != len(text) - 1:
            return False
    return True


@st.composite
def expression(draw, shape, depth, leaves):
    names = [n for n, s in leaves.items() if s == shape]
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        if "h1" in names and draw(st.booleans()):  # the second layer mostly uses the first
            return "h1"
        return draw(st.sampled_from(names))
    sub = lambda s=shape: expression(s, depth - 1, leaves)  # noqa: E731
    kinds = ["function", "negation", "scaled", "difference", "product", "power", "quotient"]
    if shape != M:
        kinds += ["transpose", "matmul"]
    if shape in (C, R):
        kinds += ["softmax", "diag"]
    if shape == S:
        kinds += ["sum"]
    else:
        kinds += ["broadcast"]
    if shape in (C, M):
        kinds += ["ones"]
    kind = draw(st.sampled_from(kinds))
    if kind == "function":
        function = draw(st.sampled_from(ELEMENTWISE))
        inner = draw(sub())
        if function in NEEDS_POSITIVE:
            inner = draw(st.sampled_from([f"1 + {wrap(inner)}^2", f"exp({inner})",
                                          f"sigma({inner})", f"softplus({inner})"]))
        return f"{function}({inner})"
    if kind == "negation":
        return f"-{wrap(draw(sub()))}"
    if kind == "scaled":
        inner = wrap(draw(sub()))
        return draw(st.sampled_from([f"2 * {inner}", f"{inner} / 3", f"0.5 * {inner}",
                                     f"{inner} * 3"]))
    if kind == "difference":
        return f"{draw(sub())} {draw(st.sampled_from('+-'))} {wrap(draw(sub()))}"
    if kind == "product":
        return f"{wrap(draw(sub()))} * {wrap(draw(sub()))}"
    if kind == "power":
        inner = wrap(draw(sub()))
        return draw(st.sampled_from([f"{inner}^2", f"{inner}^3", f"(1 + {inner}^2)^(1/2)"]))
    if kind == "quotient":
        return f"{wrap(draw(sub()))} / (2 + {wrap(draw(sub()))}^2)"
    if kind == "transpose":
        other = {S: S, C: R, R: C}[shape]
        return f"{wrap(draw(sub(other)))}.T"
    if kind == "matmul":
        if shape == C:
            return f"{draw(st.sampled_from(['W', 'eye(3)']))} @ {wrap(draw(sub(C)))}"
        if shape == R:
            return f"{wrap(draw(sub(R)))} @ W"
        return f"{wrap(draw(sub(R)))} @ {wrap(draw(sub(C)))}"
    if kind == "softmax":
        return f"softmax({draw(sub())})"
    if kind == "diag":
        if shape == C:
            return draw(st.sampled_from([f"diag({draw(sub(C))}) @ {wrap(draw(sub(C)))}",
                                         f"{wrap(draw(sub(C)))} @ diag({draw(sub(S))})"]))
        return f"{wrap(draw(sub(R)))} @ diag({draw(sub(C))})"
    if kind == "sum":
        return f"sum({draw(sub(draw(st.sampled_from([S, C, R, M]))))})"
    if kind == "broadcast":
        return f"{wrap(draw(sub(S)))} * {wrap(draw(sub()))}"
    if shape == C:  # ones
        return f"{wrap(draw(sub(M)))} @ ones(2, 1)"
    return draw(st.sampled_from([f"{wrap(draw(sub(C)))} @ ones(1, 2)",
                                 f"{wrap(draw(sub(M)))} @ diag(g)",
                                 f"diag(k) @ {wrap(draw(sub(M)))}"]))


@st.composite
def networks(draw):
    leaves = {n: s for n, (_, s) in INPUTS.items() if s is not None}
    first_shape = draw(st.sampled_from([S, C, R, M]))
    first = draw(expression(first_shape, 3, leaves))
    leaves["h1"] = first_shape
    top_shape = draw(st.sampled_from([S, C, R, M]))
    top = draw(expression(top_shape, 2, leaves))
    loss = draw(st.sampled_from(["sum(h2 * h2)", "sum(h2)", "-log(sigma(sum(h2)))",
                                 "0.5 * sum((h2 - 1)^2)"]))
    used = set(re.findall(r"[A-Za-z_]\w*", top))
    if "h1" in used:
        used |= set(re.findall(r"[A-Za-z_]\w*", first))
    wrts = sorted(used & (set(INPUTS) | {"h1"}))
    if not wrts:
        return None
    wrt = draw(st.sampled_from(wrts))
    of = "L"
    wrt_vector = wrt != "h1" and INPUTS[wrt][1] in (S, C, R) or wrt == "h1" and \
        first_shape != M
    if top_shape in (C, R) and wrt_vector and draw(st.booleans()):
        of = "h2"
    declared = "".join(f"{n} : {text}\n" for n, (text, _) in INPUTS.items())
    goals = f"goal: d{of}/d{wrt}\n"
    others = [w for w in wrts if w != wrt]
    if others and draw(st.booleans()):  # a second goal shares the steps it can
        goals += f"goal: dL/d{draw(st.sampled_from(others))}\n"
    return f"{declared}h1 = {first}\nh2 = {top}\nL = {loss}\n{goals}"


@pytest.mark.parametrize("text", [
    "a : 1\np = sigma(a)\nL = -log(p)\ngoal: dL/da\n",
    "a : 3x1\np = -tanh(a)\nL = sum(p * p)\ngoal: dL/da\n",
], ids=["-log(sigma)", "-tanh"])
def test_the_issues_negations_make_their_lessons_from_the_command_line(tmp_path, text):
    from tutor.cli.command import main

    network, out = tmp_path / "net.txt", tmp_path / "lesson.toml"
    network.write_text(text)
    assert main(["new", str(network), "-o", str(out), "--budget", "0"]) == 0


DECLARED = "".join(f"{n} : {text}\n" for n, (text, _) in INPUTS.items())


# What runs of this test found, pinned (each crashed with a traceback before its fix).
@example(DECLARED + "h1 = r.T\nh2 = 2 * a.T\nL = sum(h2)\ngoal: dL/da\n")
@example(DECLARED + "h1 = pX^(1/2)\nh2 = sum(h1)\nL = sum(h2)\ngoal: dL/dpX\n")
@example(DECLARED + "h1 = a * X * X\nh2 = sum(h1)\nL = sum(h2)\ngoal: dL/da\n")
@example(DECLARED + "h1 = diag(c) @ X\nh2 = sum(h1 * h1)\nL = sum(h2)\ngoal: dL/dc\n")
@example(DECLARED + "h1 = sigma(a)\nh2 = -log(h1)\nL = sum(h2)\ngoal: dL/da\n")
@example(DECLARED + "h1 = -tanh(c)\nh2 = h1.T\nL = sum(h2)\ngoal: dh2/dc\n")
@example(DECLARED + "h1 = r\nh2 = (2 * r)^3\nL = -log(sigma(sum(h2)))\ngoal: dL/dr\n")
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks())
def test_a_network_of_any_construct_makes_a_right_lesson_or_a_refusal_in_words(text):
    if text is None:
        return
    try:
        lesson = generate_from_text(text, symbolic_budget=0)  # validated, as `new` does
    except NetworkError as refused:  # GeneratorError is one
        message = refused.message
        assert message and "fault" not in message and "Traceback" not in message, text
        return
    assert disagreements(lesson) == [], text
