"""Automatic chain diagnoses (issue 15): each structural variant of every multi-factor key
is found, gets its code and names its factor; correct answers and variants equal to the key
never get a finding.
"""

from __future__ import annotations

import json
from unittest import mock

import numpy as np
import pytest
from answer_tables import SEED, TABLES, accepted, key_free

from tutor.cli.command import main
from tutor.engine import Factor, Problem, check_answer, evaluate, parse
from tutor.engine.chain_terms import expression
from tutor.engine.chains import chain_of
from tutor.engine.nodes import SCREEN, to_text
from tutor.engine.numbers import EXACT, close
from tutor.lessons.index import shipped_lessons_dir
from tutor.lessons.load import load_catalog
from tutor.lessons.validation import validate_paths

STRUCTURAL = {"missing-factor", "extra-factor", "order", "factor-transposed", "wrong-point"}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def chained_steps():
    """(lesson, step) for every step whose key is composed or a product of factors."""
    for lesson in load_catalog().lessons:
        for step in lesson.steps:
            chain = chain_of(lesson.factors[step.id], lesson.problem)
            if step.composes or len(chain.atoms) > 1:
                yield lesson.id, step.id


def the_variants():
    catalog = load_catalog()
    for lesson_id, step_id in chained_steps():
        lesson = catalog.get(lesson_id)
        chain = chain_of(lesson.factors[step_id], lesson.problem)
        for index, variant in enumerate(chain.variants):
            yield lesson_id, step_id, index, to_text(expression(variant.term, chain.links))


SAID_BETTER = {"missing-batch-sum", "missing-path"}


@pytest.mark.parametrize(("lesson_id", "step_id", "index", "text"), list(the_variants()))
def test_each_structural_variant_gets_its_code_and_names_its_factor(
        catalog, lesson_id, step_id, index, text):
    lesson = catalog.get(lesson_id)
    chain = chain_of(lesson.factors[step_id], lesson.problem)
    variant = chain.variants[index]
    # Equal to the key at this seed's numbers or not (an input of 1, a relu all on), the
    # slip is named: the other points show it.
    verdict = lesson.check(step_id, text, SEED)
    assert verdict.verdict == "incorrect", (text, verdict.feedback)
    if variant.code == "missing-factor" and set(verdict.diagnosis) & SAID_BETTER:
        return  # the factor left out is a batch's sum or a path: said as that
    assert variant.code in verdict.diagnosis, (text, verdict.diagnosis, verdict.feedback)
    assert key_free(verdict.feedback, lesson.factors[step_id].expected, text, lesson.names), \
        verdict.feedback
    mine = [f for f in verdict.findings if f.code == variant.code]
    for atom in variant.about:
        link = chain.links[atom.link]
        assert any(f.label == link.label for f in mine), (text, verdict.findings)
        if link.label:
            assert link.label in verdict.feedback or "known-mistake" in verdict.diagnosis


def test_every_composed_or_multi_factor_step_has_variants(catalog):
    steps = list(chained_steps())
    assert len(steps) >= 30
    for lesson_id, step_id in steps:
        lesson = catalog.get(lesson_id)
        assert chain_of(lesson.factors[step_id], lesson.problem).variants, (lesson_id, step_id)


def test_the_flagship_chain_has_every_kind_of_variant(catalog):
    lesson = catalog.get("two-layer-sigmoid")
    for step_id in ("df_dz1", "df_dW1"):
        chain = chain_of(lesson.factors[step_id], lesson.problem)
        assert {v.code for v in chain.variants} == STRUCTURAL


@pytest.mark.parametrize(("lesson_id", "step_id", "answer"), accepted())
def test_no_correct_answer_gets_a_finding(catalog, lesson_id, step_id, answer):
    verdict = catalog.get(lesson_id).check(step_id, answer, seed=SEED)
    assert verdict.correct and verdict.findings == ()
    assert not STRUCTURAL & set(verdict.diagnosis)


def test_no_variant_is_equal_in_value_to_the_key(catalog):
    for lesson in catalog.lessons:
        for step in lesson.steps:
            factor = lesson.factors[step.id]
            chain = chain_of(factor, lesson.problem)
            for index, variant in enumerate(chain.variants):
                values = [chain.variant_value(index, p) for p in lesson.problem.samples]
                keys = [evaluate(factor.expected, p) for p in lesson.problem.samples]
                if variant.shape != factor.shape:
                    continue  # different by its shape already
                assert not all(close(v, k, EXACT) for v, k in zip(values, keys, strict=True)
                               ), (lesson.id, step.id, variant.code)


def test_a_repeated_relu_factor_is_not_an_extra_factor_since_step_squared_is_step(catalog):
    lesson = catalog.get("tanh-relu")
    text = "v.T @ diag(step(z2)) @ diag(step(z2)) @ W2 @ diag(1 - h1^2)"
    verdict = lesson.check("df_dz1", text)
    assert verdict.correct and verdict.findings == ()
    chain = chain_of(lesson.factors["df_dz1"], lesson.problem)
    assert text not in {to_text(expression(v.term, chain.links)) for v in chain.variants}


def test_a_row_chain_and_its_column_form_are_one_chain(catalog):
    lesson = catalog.get("two-layer-sigmoid")
    problem = lesson.problem
    row = Factor(parse("(W3 @ diag(h2*(1-h2)) @ W2 @ diag(h1*(1-h1))).T @ x.T", lesson.names),
                 (2, 2))
    column = Factor(parse("diag(h1*(1-h1)).T @ W2.T @ diag(h2*(1-h2)).T @ W3.T @ x.T",
                          lesson.names), (2, 2))

    def links(factor):
        chain = chain_of(factor, problem)
        return [to_text(expression(atom, chain.links)) for atom in chain.atoms]

    assert links(row) == links(column) == [
        "diag(h1 * (1 - h1)).T", "W2.T", "diag(h2 * (1 - h2)).T", "W3.T", "x.T"]


def test_the_chain_is_derived_once_and_shared_by_every_seed(catalog):
    lesson = catalog.get("two-layer-sigmoid")
    lesson.check("df_dz1", "W3 @ W2", seed=1)
    chain = chain_of(lesson.factors["df_dz1"], lesson.problem)
    assert lesson.check("df_dz1", "W3 @ W2 @ diag(h1*(1-h1))", seed=7).findings
    assert chain_of(lesson.factors["df_dz1"], lesson.problem) is chain


def test_the_issues_example_missing_w2_is_named_by_its_label(catalog):
    verdict = catalog.get("two-layer-sigmoid").check(
        "df_dz1", "W3 @ diag(h2 * (1 - h2)) @ W2 @ diag(h1 * (1 - h1)) @ W1")
    assert verdict.diagnosis == ("extra-factor",)
    verdict = catalog.get("two-layer-upstream").check(
        "df_dz1", "W3 @ diag(h2*(1-h2)) @ diag(h1*(1-h1))")
    assert [f.to_json() for f in verdict.findings] == [
        {"code": "missing-factor", "factor": "W2", "label": None}]


def test_a_missing_step_factor_is_named_with_its_form_from_an_expression(catalog):
    verdict = catalog.get("two-layer-sigmoid").check("df_dz1", "W3 @ W2 @ diag(h1*(1-h1))")
    assert verdict.feedback == ("The factor ∂h2/∂z2 = diag(h2 ⊙ (1 − h2)) is missing between "
                                "W3 and W2: every link of the chain contributes one.")


def test_typed_numbers_with_a_missing_factor_get_its_label_but_not_its_form(catalog):
    lesson = catalog.get("two-layer-sigmoid")
    values = lesson.variant(SEED).values
    dropped = evaluate(parse("W3 @ W2 @ diag(h1*(1-h1))", lesson.names), values)
    typed = "[" + " ".join(f"{v:.5g}" for v in dropped.ravel()) + "]"
    verdict = lesson.check("df_dz1", typed, SEED)
    assert verdict.diagnosis == ("missing-factor",)
    assert verdict.feedback == ("The factor ∂h2/∂z2 is missing between the factor ∂f/∂h2 and "
                                "the factor ∂z2/∂h1: your numbers are the product of the other "
                                "factors of the chain.")


def test_a_missing_factor_that_is_no_step_is_located_not_printed(catalog):
    verdict = catalog.get("two-layer-sigmoid").check(
        "df_dW1", "diag(h1 * (1 - h1)) @ W2.T @ diag(h2 * (1 - h2)) @ W3.T")
    assert verdict.diagnosis == ("shape", "missing-factor")
    assert verdict.feedback.split("\n")[-1] == (
        "A 1×2 factor of the chain is missing at the right end of your product, after W3ᵀ: "
        "every link of the chain contributes one.")
    assert "x" not in verdict.feedback.split("\n")[-1].replace("every", "")
    assert [f.to_json() for f in verdict.findings] == [
        {"code": "missing-factor", "factor": "xᵀ", "label": None}]


def test_the_posted_closed_form_keeps_its_explanation_and_lacks_w2_and_x(catalog):
    lesson = catalog.get("two-layer-sigmoid")
    posted = "W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))"
    verdict = lesson.check("df_dW1", posted)
    authored = next(m.feedback for m in lesson.factors["df_dW1"].mistakes if m.text == posted)
    assert verdict.feedback.startswith(authored)
    assert verdict.diagnosis == ("known-mistake", "shape", "missing-factor")
    assert [f.to_json() for f in verdict.findings] == [
        {"code": "missing-factor", "factor": "W2", "label": "∂z2/∂h1"},
        {"code": "missing-factor", "factor": "xᵀ", "label": None}]


def test_check_json_lists_the_findings(capsys):
    code = main(["check", "--json", "two-layer-sigmoid", "df_dz1",
                 "W3 @ diag(h2 * (1 - h2)) @ diag(h1 * (1 - h1))"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["findings"] == [{"code": "missing-factor", "factor": "W2", "label": "∂z2/∂h1"}]
    assert out["diagnosis"] == ["known-mistake", "missing-factor"]
    main(["check", "--json", "two-layer-sigmoid", "df_dz1", "W3 @ diag(h2 * (1 - h2)) @ W2 @ "
          "diag(h1 * (1 - h1))"])
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_wrong_point_says_where_sigma_prime_belongs_without_the_form(catalog):
    verdict = catalog.get("two-layer-sigmoid").check(
        "df_dz1", "W3 @ diag(sigma(h2)*(1-sigma(h2))) @ W2 @ diag(h1*(1-h1))")
    assert verdict.diagnosis == ("wrong-point",)
    assert "∂h2/∂z2" in verdict.feedback and "input z2" in verdict.feedback
    assert "h2 ⊙ (1 − h2)" not in verdict.feedback and "h2 * (1 - h2)" not in verdict.feedback


def test_a_factor_without_a_lesson_still_gets_its_chain():
    problem = Problem.from_text({"x": (2, 1), "W": (2, 2), "v": (2, 1)},
                                {"z": "W @ x", "h": "sigma(z)", "f": "v.T @ h"})
    factor = Factor(parse("v.T @ diag(h*(1-h)) @ W", problem.names), (1, 2), "∂f/∂x")
    values = problem.samples[0]
    verdict = check_answer("v.T @ W", factor, problem, values)
    assert verdict.diagnosis == ("missing-factor",)
    assert verdict.findings[0].factor == to_text(parse("diag(h*(1-h))", problem.names), SCREEN)


def test_validate_notes_an_authored_mistake_the_engine_finds_itself():
    notes = [f for f in validate_paths([shipped_lessons_dir()]) if not f.error]
    dropped = [f for f in notes if f.step == "df_dz1" and "finds by itself" in f.message
               and "'W3 @ diag(h2 * (1 - h2)) @ diag(h1 * (1 - h1))'" in f.message]
    assert dropped and "missing-factor ∂z2/∂h1" in dropped[0].message
    # The posted closed form explains more than any variant: no note for it.
    assert not [f for f in notes if "sigma(W2@h1)" in f.message]


def test_the_answer_tables_hold_a_case_of_every_structural_code():
    codes = {code for steps in TABLES.values() for table in steps.values()
             for _, code in table["reject"]}
    assert STRUCTURAL <= codes


def test_variant_values_are_cached_per_set_of_points(catalog):
    lesson = catalog.get("two-layer-sigmoid")
    chain = chain_of(lesson.factors["df_dW1"], lesson.problem)
    point = lesson.variant(3).values
    first = chain.variant_value(0, point)
    again = chain.variant_value(0, lesson.variant(3).values)
    assert first is again
    assert np.all(np.isfinite(first))


def test_the_reports_common_wrong_answers_carry_the_structural_codes(catalog, tmp_path):
    from tutor.lessons.index import read_index
    from tutor.progress import ProgressStore
    from tutor.report.build import WrongAnswer, build_report
    from tutor.report.sources import load_sources

    lesson = catalog.get("two-layer-sigmoid")
    answer = "W3 @ W2 @ diag(h1*(1-h1))"
    verdict = lesson.check("df_dz1", answer)  # what the session records with an attempt
    for student in ("ann", "ben"):  # each database made by its student's own tutor
        (tmp_path / student).mkdir()
        with mock.patch("getpass.getuser", return_value=student), \
                ProgressStore(tmp_path / student / "progress.db") as store:
            store.record_attempt(lesson.id, "df_dz1", 1, answer, verdict.verdict,
                                 verdict.diagnosis, 30)
    sources, _ = load_sources([tmp_path])
    steps = {s.step_id: s for part in build_report(sources, read_index()).lessons
             for s in part.steps if part.lesson_id == lesson.id}
    assert steps["df_dz1"].common_wrong == (
        WrongAnswer("W3@W2@diag(h1*(1-h1))", ("missing-factor",), 2, 2),)


# -- a factor is "missing" only from a chain (the walk through every lesson found these) -------
@pytest.mark.parametrize(("lesson_id", "step_id", "answer"), [
    ("sigmoid-derivative", "ds_dt", "sigma(t)"),  # σ itself: s(1 − s) is one link's formula
    ("sigmoid-derivative", "ds_dt", "1 - s"),
    ("scalar-chain-rule", "dv_du", "u"),  # the power rule's 2 is no link of a chain
    ("scalar-chain-rule", "dv_du", "2"),
    ("mini-batch", "df_dH", "w.T"),  # the derivative by h, as a row: not w·1ᵀ less 1ᵀ
    ("weight-gradient", "df_dW", "v.T"),
    ("sigmoid-derivative", "dr_dt", "2 * r"),  # half of σ′(2t), not σ′ with a factor out
    ("mini-batch", "df_dZ", "(w @ ones(1, 3)) * H"),
    ("sigmoid-derivative", "dg_dz", "ones(1, 3) * h.T"),
])
def test_an_answer_with_nothing_missing_gets_no_missing_factor(catalog, lesson_id, step_id,
                                                                answer):
    verdict = catalog.get(lesson_id).check(step_id, answer, seed=SEED)
    assert verdict.verdict == "incorrect"
    assert "missing-factor" not in verdict.diagnosis, verdict.feedback
    assert not [f for f in verdict.findings if f.code == "missing-factor"]


@pytest.mark.parametrize(("lesson_id", "step_id", "answer", "label"), [
    ("sigmoid-derivative", "dr_dt", "r * (1 - r)", None),  # the inner link d(2t)/dt = 2
    ("mini-batch", "df_dZ", "H * (1 - H)", "∂f/∂H"),
    ("mini-batch", "df_dZ", "w @ ones(1, 3)", None),  # σ′(Z) = H ⊙ (1 − H), one link
    ("two-layer-upstream", "df_dz2", "W3", None),
])
def test_a_factor_really_missing_is_still_found(catalog, lesson_id, step_id, answer, label):
    verdict = catalog.get(lesson_id).check(step_id, answer, seed=SEED)
    assert "missing-factor" in verdict.diagnosis, verdict.feedback
    assert [f.label for f in verdict.findings if f.code == "missing-factor"] == [label]


def test_an_activations_slope_written_as_a_product_is_one_link(catalog):
    lesson = catalog.get("mini-batch")
    chain = chain_of(lesson.factors["df_dZ"], lesson.problem)
    assert [to_text(expression(atom, chain.links)) for atom in chain.atoms] == [
        "w @ ones(1, 3)", "H * (1 - H)"]


def test_a_step_of_one_operation_is_one_link_whatever_products_its_key_writes(catalog):
    for lesson_id, step_id in [("sigmoid-derivative", "ds_dt"), ("scalar-chain-rule", "dv_du")]:
        lesson = catalog.get(lesson_id)
        assert len(chain_of(lesson.factors[step_id], lesson.problem).atoms) == 1


@pytest.mark.parametrize(("lesson_id", "step_id", "answer", "said"), [
    ("two-layer-sigmoid", "df_dz1", "W3 @ diag(h2*(1-h2)) @ W2",
     "The factor ∂h1/∂z1 = diag(h1 ⊙ (1 − h1)) is missing at the right end of your product, "
     "after W2"),
    ("two-layer-upstream", "df_dh1", "W3 @ W2", "A 2×2 factor of the chain is missing between "
     "W3 and W2"),
    ("one-hidden-layer", "df_dW1", "diag(h1 * (1 - h1)) @ w2",
     "A 1×2 factor of the chain is missing at the right end of your product, after w2"),
    ("scalar-gradient-vector", "df_dz", "w.T",
     "The factor ∂h/∂z = diag(h ⊙ (1 − h)) is missing after wᵀ"),
])
def test_a_missing_factor_is_said_plainly_with_where_it_belongs(catalog, lesson_id, step_id,
                                                                 answer, said):
    feedback = catalog.get(lesson_id).check(step_id, answer, seed=SEED).feedback
    assert said + ": every link of the chain contributes one." in feedback
    assert ")ᵀ" not in feedback.split("missing", 1)[1]  # no "(∂f/∂h1)ᵀ" for a form typed
