"""What the lesson screen draws, computed without a screen: notation, chain, graph, resume."""

from __future__ import annotations

import numpy as np
from tui_helpers import FLAGSHIP

from tutor.app.model import (
    assembled,
    chain_pieces,
    chain_step,
    factor_states,
    forward_graph,
    path_between,
    resume_index,
)
from tutor.app.notation import duration, matrix_rows, pretty
from tutor.app.widgets.preview import preview_content
from tutor.engine import parse
from tutor.progress import Attempt, LessonState, StepState

NAMES = ["x", "W1", "W2", "W3", "z1", "h1", "z2", "h2", "f"]


def state(**steps: StepState) -> LessonState:
    return LessonState(FLAGSHIP, 1, dict(steps), None, None)


def test_pretty_shows_which_product_and_where_the_parentheses_fall():
    assert pretty(parse("W3 @ diag(h2 * (1 - h2))", NAMES)) == "W3 · diag(h2 ⊙ (1 − h2))"
    assert pretty(parse("(W3 @ W2).T @ x'", NAMES)) == "(W3 · W2)ᵀ · xᵀ"
    assert pretty(parse("sigma(-z1)^2", NAMES)) == "σ(−z1)^2"
    # The parser reads a * b @ c as (a * b) @ c; the reader is shown the parentheses.
    assert pretty(parse("h1 * z1 @ W3", NAMES)) == "(h1 ⊙ z1) · W3"


def test_numbers_line_up_in_columns():
    assert matrix_rows(np.array([[1.0, -0.5], [0.25, -0.0]])) == [
        "[    1  -0.5 ]",
        "[ 0.25     0 ]",
    ]
    assert duration(59.6) == "1 min 00 s" and duration(7) == "7 s"
    assert duration(3725) == "1 h 02 min"


def test_chain_expands_the_goal_into_its_leaf_factors(catalog):
    lesson = catalog.get(FLAGSHIP)
    pieces = chain_pieces(lesson, factor_states(lesson, state(), []))
    # xᵀ is part of ∂f/∂W1's answer: hidden until that step is done (walk, round two)
    assert "".join(p.top for p in pieces) == "(∂f/∂h2 · ∂h2/∂z2 · ∂z2/∂h1 · ∂h1/∂z1)ᵀ · ?"
    assert assembled(pieces) == "(? · ? · ? · ?)ᵀ · ?"
    done = {step.id: StepState("solved", 1, 0, step.answer) for step in lesson.steps}
    solved = chain_pieces(lesson, factor_states(lesson, state(**done), []))
    assert assembled(solved).endswith(")ᵀ · xᵀ")
    slot = next(p for p in pieces if p.step_id == "dz2_dh1")
    assert {"dz2_dh1", "df_dz1", "df_dW1"} <= slot.owners  # it lights up with its products


def test_the_header_chain_is_the_product_the_current_step_is_a_factor_of(catalog):
    def chains(lesson_id: str) -> dict[str, str]:
        lesson = catalog.get(lesson_id)
        return {step.id: chain_step(lesson, step).id for step in lesson.steps}

    # Lesson 9's goal is ∂f/∂W2; ∂f/∂W3 is in no product, ∂f/∂h1 only in ∂f/∂W1's.
    assert chains("two-layer-upstream") == {
        "df_dW3": "df_dW3", "df_dh2": "df_dW2", "df_dz2": "df_dW2", "df_dW2": "df_dW2",
        "df_dh1": "df_dW1", "df_dz1": "df_dW1", "df_dW1": "df_dW1"}
    # Lesson 2: ∂s/∂t and ∂r/∂t are warm-ups, not factors of the goal ∂g/∂z.
    assert chains("sigmoid-derivative") == {
        "ds_dt": "ds_dt", "dr_dt": "dr_dt", "dg_dh": "dg_dz", "dg_dz": "dg_dz"}
    # The goal shows its own chain even when a later step is built on it.
    assert chains("softmax-cross-entropy")["dL_dz"] == "dL_dz"
    assert set(chains(FLAGSHIP).values()) == {"df_dW1"}


def test_a_chain_of_another_step_expands_that_step(catalog):
    lesson = catalog.get("two-layer-upstream")
    factors = factor_states(lesson, state(), [])
    leaf = chain_pieces(lesson, factors, lesson.step("df_dW3"))
    assert [(p.top, p.bottom, p.step_id) for p in leaf] == [("∂f/∂W3", "?", "df_dW3")]
    later = chain_pieces(lesson, factors, lesson.step("df_dW1"))
    assert "∂f/∂h1" not in "".join(p.top for p in later)  # expanded into its factors
    assert "∂f/∂h2" in "".join(p.top for p in later)


def test_solved_factors_keep_the_students_notation_and_revealed_ones_the_key(catalog):
    lesson = catalog.get(FLAGSHIP)
    progress = state(
        df_dh2=StepState("solved", 2, 0, "W3 + 0"), dh2_dz2=StepState("revealed", 0, 3, None)
    )
    attempts = [
        Attempt(FLAGSHIP, "df_dh2", 1, "W3", "correct", (), 3.0, 0.0),
        Attempt(FLAGSHIP, "df_dh2", 1, "W3 + 0", "correct", (), 3.0, 0.0),
        Attempt(FLAGSHIP, "df_dh2", 1, "W3.T", "incorrect", ("shape",), 3.0, 0.0),
    ]
    factors = factor_states(lesson, progress, attempts)
    assert factors["df_dh2"].answer == "W3 + 0"  # the latest right one, not the wrong retry
    assert factors["dh2_dz2"].answer == "diag(h2 * (1 - h2))"
    assert factors["dh2_dz2"].canonical == "diag(h2 ⊙ (1 − h2))"
    # the sum keeps its parentheses inside the product, as the student meant it
    assert assembled(chain_pieces(lesson, factors)).startswith("((W3 + 0) · diag(h2 * (1 - h2))")


def test_resume_at_the_first_open_step(catalog):
    lesson = catalog.get(FLAGSHIP)
    assert resume_index(lesson, state()) == 0
    done = StepState("solved", 1, 0, "x")
    assert resume_index(lesson, state(df_dh2=done, dh2_dz2=done)) == 2
    everything = {step.id: done for step in lesson.steps}
    assert resume_index(lesson, state(**everything)) == len(lesson.steps) - 1


def test_forward_graph_is_the_networks_spine_with_weights_on_the_links(catalog):
    graph = forward_graph(catalog.get(FLAGSHIP))
    assert graph.spine == ["x", "z1", "h1", "z2", "h2", "f"]
    assert [link.label for link in graph.links] == ["W1", "σ", "W2", "σ", "W3"]
    assert path_between(graph, "W1", "f") == {"W1", "z1", "h1", "z2", "h2", "f"}
    assert path_between(graph, "h1", "z2") == {"h1", "z2"}


def test_every_shipped_lesson_draws_a_chain_and_a_graph(catalog):
    for lesson in catalog.lessons:
        pieces = chain_pieces(lesson, factor_states(lesson, state(), []))
        assert any(piece.step_id for piece in pieces), lesson.id
        assert forward_graph(lesson).spine, lesson.id


def test_preview_reads_the_answer_or_points_at_the_error(catalog):
    lesson = catalog.get(FLAGSHIP)
    good = str(preview_content("W2.T", lesson.problem, (2, 2)))
    assert "W2ᵀ" in good and "2×2" in good
    wrong_shape = str(preview_content("h2", lesson.problem, (2, 2)))
    assert "2×1, but the factor is 2×2" in wrong_shape
    broken = str(preview_content("W3 +", lesson.problem, (1, 2))).splitlines()
    assert broken[-1].strip() == "^" and broken[-2].strip() == "W3 +"


def test_a_chain_filled_with_the_students_answers_means_what_they_wrote(catalog):
    """Every shipped chain, its leaf factors filled with answers that need parentheses
    in a product (`diag(p) - p @ p.T`, a sum, a negation), read back as one expression
    (the screen's · ⊙ − ᵀ are part of the input language) equals the goal factor."""
    from tutor.engine import evaluate

    for lesson in catalog.lessons:
        progress = state(**{  # every step done: the header hides nothing
            step.id: StepState("solved", 1, 0, f"{step.answer} + 0 - 0")
            for step in lesson.steps
        })
        factors = factor_states(lesson, progress, [])
        text = assembled(chain_pieces(lesson, factors))
        assert "?" not in text, (lesson.id, text)
        goal = lesson.steps[-1] if not lesson.goal else lesson.step(lesson.goal)
        values = lesson.variant(1).values
        expected = evaluate(lesson.factors[goal.id].expected, values)
        read_back = evaluate(parse(text.replace("σ", "sigma"), lesson.names), values)
        assert np.allclose(read_back, expected), (lesson.id, text)


def test_a_negated_factor_on_the_right_of_a_product_is_parenthesised(catalog):
    lesson = catalog.get("softmax-cross-entropy")
    progress = state(dL_dp=StepState("solved", 1, 0, "[0, 0, -5.37]"),
                     dp_dz=StepState("solved", 1, 0, "diag(p) - p @ p.T"))
    text = assembled(chain_pieces(lesson, factor_states(lesson, progress, [])))
    assert "[0, 0, -5.37] · (diag(p) - p @ p.T)" in text


def test_the_header_never_shows_a_quantity_of_an_open_steps_answer(catalog):
    """Lesson 10, step 2 asks ∂L/∂w2 = ∂L/∂f ⊙ h1ᵀ: with ∂L/∂f solved, the header must not
    read "(f - y) ⊙ h1ᵀ" — that is the answer asked for."""
    from tutor.app.model import chain_step

    lesson = catalog.get("squared-loss")
    progress = LessonState("squared-loss", 1, {"dL_df": StepState("solved", 1, 0, "f - y")},
                           None, None)
    factors = factor_states(lesson, progress, [])
    step = lesson.step("dL_dw2")
    text = assembled(chain_pieces(lesson, factors, chain_step(lesson, step)))
    assert "h1" not in text and "?" in text
    for later in ("dL_dh1", "dL_dz1", "dL_dW1"):
        shown = assembled(chain_pieces(lesson, factors, chain_step(lesson, lesson.step(later))))
        assert "w2" not in shown and "xᵀ" not in shown and "diag" not in shown


def test_a_lesson_of_numbers_writes_its_one_product_as_a_dot(catalog):
    """Every quantity 1×1: ⊙ (elementwise) would ask a distinction the lesson never makes."""
    lesson = catalog.get("scalar-chain-rule")
    done = {step.id: StepState("solved", 1, 0, step.answer) for step in lesson.steps}
    for steps in ({}, done):
        pieces = chain_pieces(lesson, factor_states(lesson, state(**steps), []))
        text = "".join(p.top for p in pieces) + assembled(pieces)
        assert "⊙" not in text and "·" in text, text
    shown = str(preview_content("2 * u", lesson.problem, (1, 1)))
    assert "reads as 2 · u" in shown
    broken = str(preview_content("2 u", lesson.problem, (1, 1)))
    assert "Write * to multiply." in broken and "@" not in broken
    # A lesson of matrices keeps both products apart.
    flagship = catalog.get(FLAGSHIP)
    assert "⊙" in str(preview_content("h2 * h2", flagship.problem, (2, 1)))


def test_a_link_names_the_function_applied_and_the_other_inputs_both():
    """A skip connection keeps its σ (z3 ─σ, h2→ h3) and a loss its log (p ─log, y→ L)."""
    from tutor.networks.generator import generate_from_text

    text = ("x : 2x1\nW1 : 2x2\nW2 : 2x2\nw : 2x2\ny : 2x1 onehot\nz1 = W1 @ x\n"
            "h1 = tanh(z1)\nz2 = W2 @ h1\nh2 = h1 + sigma(z2)\nf = w @ h2\np = softmax(f)\n"
            "L = -sum(y * log(p))\ngoal: dL/dW1\n")
    graph = forward_graph(generate_from_text(text, validate=False))
    labels = {(link.source, link.target): link.label for link in graph.links}
    assert labels[("z2", "h2")].startswith("σ, ")
    assert labels[("p", "L")] == "log, y"
