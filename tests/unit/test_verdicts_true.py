"""Every verdict true: numbers held to the factor's own scale, near misses named, which
entries are off, and every expression the tutor suggests parses and means what it says.

The oracle for the shipped lessons is each step's key evaluated at the variant's values
(the keys themselves are verified against finite differences and sympy by `validate`).
"""

from __future__ import annotations

import itertools
import json
from functools import cache

import numpy as np
import pytest
from answer_tables import TABLES, accepted, rejected
from flagship import exact_numbers as literal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.cli.command import main
from tutor.engine import EngineError, Factor, Problem, check_answer, evaluate, infer_shape, parse
from tutor.engine.nodes import BinOp, Transpose, names_in
from tutor.engine.numbers import HAND, Tolerance, close, entries_off, off_entries
from tutor.lessons.load import load_catalog

SEEDS = (1, 2, 3, 4)


@cache
def catalog():
    return load_catalog()


def figures(matrix: np.ndarray, digits: int) -> np.ndarray:
    return np.array([[float(f"{v:.{digits}g}") for v in row] for row in matrix])


def step_variants(seeds=SEEDS):
    for lesson in catalog().lessons:
        for seed in seeds:
            variant = lesson.variant(seed)
            for step in lesson.steps:
                expected = evaluate(lesson.factors[step.id].expected, variant.values)
                yield lesson, seed, step, variant, expected


# -- 1. the rule scales with the factor --------------------------------------------------
def wrong_numbers(expected: np.ndarray) -> dict[str, np.ndarray]:
    """The issue's perturbations: each is a wrong answer, whatever the factor's scale."""
    trials = {}
    largest = np.unravel_index(np.argmax(np.abs(expected)), expected.shape)
    trials["largest entry off by 2%"] = expected.copy()
    trials["largest entry off by 2%"][largest] *= 1.02
    nonzero = np.argwhere(np.abs(expected) > 0)
    if len(nonzero):
        smallest = tuple(nonzero[np.argmin(np.abs(expected[tuple(nonzero.T)]))])
        trials["smallest entry off by 5%"] = expected.copy()
        trials["smallest entry off by 5%"][smallest] *= 1.05
    if expected.shape[0] == expected.shape[1] > 1:
        trials["transposed"] = expected.T
    if expected.shape[0] > 1:
        trials["top row zeroed"] = expected.copy()
        trials["top row zeroed"][0] = 0
        trials["top row's signs flipped"] = expected.copy()
        trials["top row's signs flipped"][0] *= -1
    return {name: value for name, value in trials.items()
            if not np.allclose(value, expected, rtol=1e-12, atol=0)}


def test_wrong_numbers_are_never_called_correct_on_any_shipped_step():
    called_correct = []
    for lesson, seed, step, _variant, expected in step_variants():
        for name, value in wrong_numbers(expected).items():
            verdict = lesson.check(step.id, literal(value), seed)
            if verdict.correct:
                called_correct.append(f"{lesson.id}/{step.id} seed {seed}: {name}")
    assert called_correct == []


def test_the_issues_worst_case_is_refused_top_row_zeroed_or_flipped():
    lesson = catalog().get("two-layer-upstream")
    variant = lesson.variant(3)
    expected = evaluate(lesson.factors["df_dW1"].expected, variant.values)
    for row in (0 * expected[0], -expected[0]):
        wrong = expected.copy()
        wrong[0] = row
        verdict = lesson.check("df_dW1", literal(wrong), 3)
        assert verdict.verdict == "incorrect"
        assert verdict.entries == ((1, 1), (1, 2)), verdict.feedback


def test_numbers_worked_from_the_screen_and_typed_to_three_figures_pass():
    """A student computes each factor from the four-figure values shown, rounds to three."""
    refused = []
    checked = 0
    for lesson, seed, step, variant, expected in step_variants(range(1, 41)):
        shown = {name: figures(value, 4) for name, value in variant.values.items()}
        typed = figures(evaluate(lesson.factors[step.id].expected, shown), 3)
        if seed <= 8:  # the whole way, as the student's text, for a fifth of them
            verdict = lesson.check(step.id, literal(typed), seed)
            ok = verdict.correct
        else:
            ok = close(typed, expected, lesson.factors[step.id].tolerance)
        checked += 1
        if not ok:
            refused.append(f"{lesson.id}/{step.id} seed {seed}")
    assert checked > 2000
    assert refused == []


def test_a_steps_tolerance_sets_rtol_and_scales_kappa_with_it():
    loose = Tolerance.for_step(0.05)
    assert loose.rtol == 0.05 and loose.kappa == pytest.approx(HAND.kappa * 10)
    assert Tolerance.for_step(None) == HAND
    assert HAND.figures == 3 and Tolerance.for_step(5e-4).figures == 4


def test_an_all_zero_factor_accepts_only_zero():
    zero = np.zeros((2, 2))
    assert close(zero, zero, HAND)
    assert not close(np.full((2, 2), 1e-9), zero, HAND)


def test_a_tiny_entry_is_held_to_the_factors_scale_not_to_an_absolute_floor():
    expected = np.array([[1e-3, 2e-3]])
    assert not close(np.array([[1e-3, 2.2e-3]]), expected, HAND)  # 10% off: was accepted
    assert close(np.array([[1.0004e-3, 2e-3]]), expected, HAND)


# -- the property: the unit of a factor never changes a verdict --------------------------
SHAPES = st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2), (3, 2), (1, 3), (3, 3)])
ENTRY = st.floats(min_value=1e-3, max_value=1e3) | st.floats(min_value=-1e3, max_value=-1e-3)
# Away from the rule's boundary, so that rounding in c·a cannot decide a verdict.
SLIPS = st.sampled_from(["same", "tiny", "near", "far", "transpose", "sign", "double", "ten",
                         "one entry", "zero row"])


def slipped(expected: np.ndarray, slip: str, which: int) -> np.ndarray:
    answer = expected.copy()
    flat = answer.reshape(-1)
    if slip == "tiny":
        answer = expected * (1 + 1e-4)
    elif slip == "near":
        answer = expected * 1.02
    elif slip == "far":
        answer = expected * 1.3 + 0.3 * np.max(np.abs(expected))
    elif slip == "transpose" and expected.shape[0] == expected.shape[1]:
        answer = expected.T.copy()
    elif slip == "sign":
        answer = -expected
    elif slip == "double":
        answer = 2 * expected
    elif slip == "ten":
        answer = 10 * expected
    elif slip == "one entry":
        flat[which % flat.size] += 0.5 * np.max(np.abs(expected))
    elif slip == "zero row":
        answer[0] = 0
    return answer


def verdict_at_scale(expected: np.ndarray, answer: np.ndarray, scale: float):
    problem = Problem.from_text({"X": expected.shape}, {})
    factor = Factor(parse("X", ["X"]), expected.shape, "∂y/∂x")
    verdict = check_answer(literal(scale * answer), factor, problem, {"X": scale * expected})
    return verdict.verdict, verdict.diagnosis, verdict.entries


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=SHAPES, data=st.data(), slip=SLIPS, which=st.integers(0, 8))
def test_multiplying_a_factor_by_a_million_or_a_millionth_changes_no_verdict(
    shape, data, slip, which
):
    entries = data.draw(st.lists(ENTRY, min_size=shape[0] * shape[1],
                                 max_size=shape[0] * shape[1]))
    expected = np.array(entries).reshape(shape)
    answer = slipped(expected, slip, which)
    verdicts = {scale: verdict_at_scale(expected, answer, scale) for scale in (1e-6, 1.0, 1e6)}
    assert verdicts[1e-6] == verdicts[1.0] == verdicts[1e6]


# -- 2. near misses are named as such ----------------------------------------------------
def test_a_near_miss_is_precision_not_a_constant_factor_on_every_step():
    for lesson, seed, step, _variant, expected in step_variants((1,)):
        if not np.any(expected):
            continue
        near = lesson.check(step.id, literal(expected * 1.014), seed)
        assert near.diagnosis == ("precision",), (lesson.id, step.id, near.feedback)
        assert "three significant figures" in near.feedback
        doubled = lesson.check(step.id, literal(expected * 2), seed)
        # A chain with a constant link may also say it is repeated (2·2·u for 2·u).
        assert "scale" in doubled.diagnosis or "known-mistake" in doubled.diagnosis
        slipped_point = lesson.check(step.id, literal(expected * 10), seed)
        assert slipped_point.diagnosis == ("scale",)
        assert "decimal point" in slipped_point.feedback


def test_one_point_two_for_one_point_one_eight_three_five_is_close_not_a_stray_factor():
    """1.2 is 1.1835 to two figures: rounded short, which costs no attempt (tests/unit/
    test_rounding.py); 1.17 is no rounding of it, but close: a near miss, which counts."""
    problem = Problem.from_text({"X": (1, 1)}, {})
    factor = Factor(parse("X", ["X"]), (1, 1), "∂y/∂x")
    verdict = check_answer("1.2", factor, problem, {"X": np.array([[1.1835]])})
    assert verdict.diagnosis == ("precision",)
    assert "agrees with ∂y/∂x to two significant figures" in verdict.feedback
    assert "constant factor" not in verdict.feedback
    verdict = check_answer("1.17", factor, problem, {"X": np.array([[1.1835]])})
    assert verdict.diagnosis == ("precision",) and verdict.counts_as_attempt
    assert "Close to ∂y/∂x" in verdict.feedback and "by 1.1%" in verdict.feedback
    assert "constant factor" not in verdict.feedback


# -- 3. which entries are off ------------------------------------------------------------
def test_entries_off_are_listed_one_based_in_the_verdict_and_in_json(capsys):
    lesson = catalog().get("two-layer-sigmoid")
    expected = evaluate(lesson.factors["dh2_dz2"].expected, lesson.variant(1).values)
    wrong = expected.copy()
    wrong[0, 1] = wrong[1, 0] = 0.1
    verdict = lesson.check("dh2_dz2", literal(wrong), 1)
    assert verdict.entries == ((1, 2), (2, 1))
    assert "entries (1,2) and (2,1) are off, the others are right" in verdict.feedback
    assert main(["check", "--json", "two-layer-sigmoid", "dh2_dz2", literal(wrong)]) == 1
    assert json.loads(capsys.readouterr().out)["entries"] == [[1, 2], [2, 1]]


def test_an_expressions_wrong_entries_are_found_at_the_displayed_values():
    lesson = catalog().get("two-layer-sigmoid")
    verdict = lesson.check("dh2_dz2", "diag(h2*(1-h2)) + [0, 1; 0, 0]", 1)
    assert verdict.entries == ((1, 2),)
    assert "entry (1,2) is off at this variant's values" in verdict.feedback
    assert verdict.value is not None and verdict.value.shape == (2, 2)


def test_entries_are_named_by_one_index_in_a_vector():
    assert entries_off(((1, 2),), (1, 3)) == "entry 2 is off"
    assert entries_off(((1, 1), (3, 1)), (3, 1)) == "entries 1 and 3 are off"
    assert entries_off(((1, 1), (1, 2)), (1, 2)) == "every entry is off"
    assert off_entries(np.array([[1.0, 5.0]]), np.array([[1.0, 2.0]]), HAND) == ((1, 2),)


# -- 4. every suggestion parses, has its shape, and means what it says --------------------
def corpus():
    """Every answer of the answer tables, and every pairing of two names by each operator."""
    for lesson_id, step_id, answer in accepted():
        yield lesson_id, step_id, answer
    for lesson_id, step_id, answer, _code in rejected():
        yield lesson_id, step_id, answer
    for lesson_id, steps in TABLES.items():
        names = catalog().get(lesson_id).names
        step_id = next(iter(steps))
        for left, right in itertools.product(names, repeat=2):
            for op in ("*", "@", "+", "/"):
                yield lesson_id, step_id, f"{left} {op} {right}"
                yield lesson_id, step_id, f"({left} - 1) {op} {right}.T"


def strip_transpose(node):
    return node.operand if isinstance(node, Transpose) else node


def test_every_suggestion_reparses_to_its_shape_and_uses_the_culprits_operands():
    """What the shape rules propose where no step judges it (a network editor): a lesson
    step offers only the rewrites that are not wrong answers (test_suggestions_steer)."""
    seen = 0
    for lesson_id, _step_id, text in corpus():
        lesson = catalog().get(lesson_id)
        problem = lesson.problem
        try:
            node = parse(text, problem.names)
            infer_shape(node, problem.shapes)
            continue
        except EngineError as raised:
            error = raised
        feedback = error.describe(text)
        for suggestion in error.suggestions:
            seen += 1
            offered = parse(suggestion.text, problem.names)
            assert offered == suggestion.node, (text, suggestion.text)
            assert infer_shape(offered, problem.shapes) == suggestion.shape, (text, suggestion)
            value = evaluate(offered, lesson.variant(1).values)
            assert value.shape == suggestion.shape
            assert suggestion.text in feedback
            assert f"{suggestion.shape[0]}×{suggestion.shape[1]}" in feedback
            culprit = parse(text[error.start:error.end], problem.names)
            assert isinstance(offered, BinOp) and isinstance(culprit, BinOp)
            operands = {strip_transpose(offered.left), strip_transpose(offered.right)}
            wanted = {strip_transpose(culprit.left), strip_transpose(culprit.right)}
            assert operands == wanted, (text, suggestion.text)
            assert names_in(offered) == names_in(culprit)
            assert suggestion.replaces == culprit  # what a step judges it by
    assert seen > 200


@pytest.mark.parametrize("text, names, suggested", [
    ("diag(h2)*(1-h2)", {"h2": (2, 1)}, "diag(h2) @ (1 - h2)"),
    ("(p-y) * x.T", {"p": (3, 1), "y": (3, 1), "x": (2, 1)}, "(p - y) @ x.T"),
    ("h2 @ W3.T", {"h2": (2, 1), "W3": (1, 2)}, "h2 @ W3"),
])
def test_the_issues_suggestions_carry_the_parentheses_they_need(text, names, suggested):
    with pytest.raises(EngineError) as raised:
        infer_shape(parse(text, list(names)), names)
    texts = [s.text for s in raised.value.suggestions]
    assert suggested in texts
    assert suggested in raised.value.suggestion


def test_a_suggestion_lists_its_text_and_shape_in_json():
    with pytest.raises(EngineError) as raised:
        infer_shape(parse("W3 * h2", ["W3", "h2"]), {"W3": (1, 2), "h2": (2, 1)})
    listed = [s.to_json() for s in raised.value.suggestions]
    assert {"text": "W3 @ h2", "shape": [1, 1]} in listed
    assert {"text": "W3 * h2.T", "shape": [1, 2]} in listed


def test_check_json_lists_no_suggestion_the_text_withdrew(capsys):
    assert main(["check", "--json", "two-layer-sigmoid", "df_dh2", "W3 * h2"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["suggestions"] == []
    assert "W3 @ h2" not in out["feedback"] and "h2.T" not in out["feedback"]


# -- 6. the language as the help describes it --------------------------------------------
def test_the_screens_dot_is_read_as_the_matrix_product():
    assert parse("W3 · h2", ["W3", "h2"]) == parse("W3 @ h2", ["W3", "h2"])


@pytest.mark.parametrize("text, advice", [
    ("W3 .* h2", "write *"),
    ("W3 ./ h2", "write /"),
    ("h2 .^ 2", "write ^"),
    ("np.exp(h2)", "write exp(...)"),
    ("np.dot(W3, h2)", "write A @ B"),
    ("W3.dot(h2)", "write A @ B"),
    ("torch.matmul(W3, h2)", "write A @ B"),
])
def test_matlab_and_numpy_spellings_get_targeted_advice(text, advice):
    with pytest.raises(EngineError) as raised:
        parse(text, ["W3", "h2"])
    assert advice in raised.value.message


def test_products_share_one_level_left_to_right_as_the_help_says():
    from importlib.resources import files

    names = ["a", "B", "c"]
    assert parse("a * B @ c", names) == parse("(a * B) @ c", names)
    assert parse("a @ B * c", names) == parse("(a @ B) * c", names)
    help_text = files("tutor.app").joinpath("help.md").read_text()
    assert "share one" in help_text and "left to right" in help_text


# -- 7. a crash is never a verdict -------------------------------------------------------
def test_an_internal_error_in_check_exits_3_with_a_message_not_a_traceback(
    monkeypatch, capsys
):
    from tutor.lessons.model import Lesson

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("deliberately")

    monkeypatch.setattr(Lesson, "check", broken)
    assert main(["check", "two-layer-sigmoid", "df_dh2", "W3"]) == 3
    captured = capsys.readouterr()
    assert "internal error" in captured.err and "Traceback" not in captured.err
    assert main(["check", "--json", "two-layer-sigmoid", "df_dh2", "W3"]) == 3
    assert json.loads(capsys.readouterr().out)["verdict"] == "error"


def test_five_percent_off_is_a_wrong_number_not_a_matter_of_precision():
    problem = Problem.from_text({"X": (1, 2)}, {})
    factor = Factor(parse("X", ["X"]), (1, 2), "∂y/∂x")
    verdict = check_answer("[-2, 9.5]", factor, problem, {"X": np.array([[-2.0, 9.0]])})
    assert "precision" not in verdict.diagnosis
    assert "entry 2 is off" in verdict.feedback


def test_a_scalars_constant_factor_is_named_without_the_multiple_that_gives_the_answer():
    verdict = catalog().get("scalar-chain-rule").check("du_dx", "1", 1)
    assert "scale" in verdict.diagnosis
    assert "1/3" not in verdict.feedback and "constant multiple" in verdict.feedback


def test_a_suggested_fix_that_is_the_factor_itself_is_not_shown():
    """(p-y).T @ x.T clashes; the fix 'transpose the left side' would be the answer: a clash
    costs no attempt, so showing it would hand the answer over for free."""
    lesson = catalog().get("softmax-cross-entropy")
    verdict = lesson.check("dL_dW", "(p-y).T@x.T", 1)
    assert verdict.verdict == "invalid" and verdict.suggestions == ()
    assert "(p - y) @ x.T" not in verdict.feedback
    assert "would give the factor itself" in verdict.feedback
    other = catalog().get("two-layer-sigmoid").check("df_dh2", "W3*h2", 1)
    assert not other.suggestions  # a fix that is a wrong answer is not offered either
    assert "would give the factor itself" not in other.feedback


def test_the_session_redacts_the_preview_the_same_way(tmp_path):
    from tutor.engine import EngineError
    from tutor.progress import ProgressStore
    from tutor.session import LessonSession

    lesson = catalog().get("softmax-cross-entropy")
    with ProgressStore(tmp_path / "p.db") as store:
        session = LessonSession(lesson, 1, store)
        session.go_to([s.id for s in lesson.steps].index("dL_dW"))
        try:
            infer_shape(parse("(p-y).T@x.T", lesson.names), lesson.problem.shapes)
        except EngineError as error:
            shown = session.redact(error)
        assert shown.suggestions == () and "(p - y) @ x.T" not in (shown.suggestion or "")
