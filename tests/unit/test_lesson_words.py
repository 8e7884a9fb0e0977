"""The words of the shipped lessons: a mistake's feedback explains it and keeps the answer back.

Feedback on a predicted mistake says what the student's answer is, why it is not the
factor and what to reconsider; the factor itself is shown only by reveal (F3), or the
hints before it would be pointless. The key is looked for in every spelling a writer
would use: as typed, as the engine prints it (ASCII and the screen's math glyphs), as
the `composes` product of earlier factors, and with e^(…) for exp(…).
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tutor.engine import parse, to_text
from tutor.engine.nodes import SCREEN
from tutor.lessons.index import ENV_LESSONS
from tutor.lessons.load import load_catalog
from tutor.lessons.model import Lesson, Step

# What a writer may type for the same thing: one spelling each, then products dropped
# (W3 diag(…) and W3 @ diag(…) say the same) and whitespace removed.
SAME = [("−", "-"), ("ᵀ", ".T"), ("'", ".T"), ("σ", "sigma"), ("e^{", "exp("), ("e^(", "exp("),
        ("}", ")")]
PRODUCTS = re.compile(r"[\s*@·⊙×]")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def normal(text: str) -> str:
    for written, meant in SAME:
        text = text.replace(written, meant)
    return PRODUCTS.sub("", text)


def spellings(lesson: Lesson, step: Step) -> set[str]:
    """The step's key, normalised, in every form it could be written in."""
    key = parse(step.answer, lesson.names)
    forms = {step.answer, to_text(key), to_text(key, SCREEN)}
    if step.composes:
        labels = {s.id: f"({s.label})" for s in lesson.steps}
        composed = parse(step.composes, [*lesson.names, *labels])
        for text in (step.composes, to_text(composed), to_text(composed, SCREEN)):
            forms.add(re.sub(r"[A-Za-z_][A-Za-z0-9_]*",
                             lambda m: labels.get(m.group(0), m.group(0)), text))
    return {normal(form) for form in forms}


def gives_away(feedback: str, lesson: Lesson, step: Step) -> str | None:
    """The spelling of the key that ``feedback`` contains, if any."""
    if NAME.fullmatch(step.answer.strip()) or re.fullmatch(r"[\d.]+", step.answer.strip()):
        # A lone name or number is a word of the text: "W3" alone, not W3ᵀ, W3_1, W3[i,j],
        # ∂f/∂W3 or W3's; a number not inside 1×3 or 3x.
        alone = rf"(?<![\w∂/.×]){re.escape(step.answer.strip())}(?![\wᵀ'_\[(×]|\.\w)"
        found = re.search(alone, feedback)
        return found.group(0) if found else None
    text = normal(feedback)
    return next((form for form in sorted(spellings(lesson, step)) if form in text), None)


def giveaways(catalog) -> list[str]:
    found = []
    for lesson in catalog.lessons:
        for step in lesson.steps:
            for mistake in step.mistakes:
                spelled = gives_away(mistake.feedback, lesson, step)
                if spelled is not None:
                    found.append(f"{lesson.id}/{step.id} [{mistake.answer}]: {spelled}")
    return found


@pytest.fixture
def shipped(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)
    return load_catalog()


def test_no_mistake_feedback_states_its_steps_key(shipped):
    assert giveaways(shipped) == []


def test_the_giveaway_finder_sees_the_spellings_issue_14_quoted(shipped):
    flagship = next(lesson for lesson in shipped.lessons if lesson.id == "two-layer-sigmoid")
    scalar = next(lesson for lesson in shipped.lessons if lesson.id == "scalar-chain-rule")
    df_dh2, dh2_dz2 = flagship.step("df_dh2"), flagship.step("dh2_dz2")
    dy_dv = scalar.step("dy_dv")
    df_dW1 = flagship.step("df_dW1")

    assert gives_away("it is the 1×2 row W3.", flagship, df_dh2) == "W3"
    assert gives_away("So dy/dv = −e^(−v).", scalar, dy_dv) is not None
    assert gives_away("the diagonal matrix diag(h2(1 − h2))", flagship, dh2_dz2) is not None
    assert gives_away("multiply: ∂f/∂W1 = (∂f/∂z1)ᵀ xᵀ", flagship, df_dW1) is not None
    # …and not the words around a key: its transpose, its entries, its label.
    for harmless in ("That is W3ᵀ, a 2×1 column.", "W3_1·h2_1", "h2ᵀ is ∂f/∂W3",
                     "W3's rows", "W3.T is 2×1", "W3[i,j]"):
        assert gives_away(harmless, flagship, df_dh2) is None, harmless


# -- intros: they set the problem up and give no step's factor away --------------------------
# An intro may define the network (f = W3 @ h2 is not the answer ∂f/∂h2 = W3), state the
# lesson's rules in general (∂f/∂W = δ xᵀ) and the chain rule in labels (∂f/∂z = ∂f/∂h ·
# ∂h/∂z, which every prompt says), but not write a step's factor: neither as "∂f/∂W3 = h2ᵀ"
# (the step's label, then its key or its `composes` with a factor of its own, such as
# ∂f/∂z2 · W2, in any spelling; unless the step's prompt says as much) nor as an example in
# code that the step would accept.
CODE = re.compile(r"`([^`]+)`")


def _chain_rule_only(form: str, lesson: Lesson) -> bool:
    """Labels of steps multiplied, perhaps transposed: the chain rule, not a factor."""
    for step in sorted(lesson.steps, key=lambda s: -len(s.label)):
        form = form.replace(normal(step.label), "")
    return re.sub(r"[().T]", "", form) == ""


def _unparenthesised(form: str, lesson: Lesson) -> str:
    for step in lesson.steps:
        form = form.replace(f"({normal(step.label)})", normal(step.label))
    return form


def intro_statement(lesson: Lesson, step: Step) -> str | None:
    """The statement of ``step``'s factor in the lesson's intro, if it makes one."""
    forms = spellings(lesson, step)
    forms |= {_unparenthesised(form, lesson) for form in forms}
    prompt = normal(step.prompt)
    forms = {form for form in forms
             if not _chain_rule_only(form, lesson) and form not in prompt}
    key = step.answer.strip()
    # A lone name or number is a word: W3 then, not W3ᵀ, W3's or W3_1 (as in gives_away).
    alone = (re.compile(rf"{re.escape(key)}(?![\wᵀ'_\[(×]|\.\w)")
             if NAME.fullmatch(key) or re.fullmatch(r"[\d.]+", key) else None)
    for line in [*lesson.intro.split("\n"), " ".join(lesson.intro.split())]:
        for said in line.split(step.label)[1:]:
            if not said.lstrip().startswith("="):
                continue
            for segment in said.split("=")[1:]:
                if alone is not None:
                    if alone.match(segment.strip()):
                        return line.strip()
                elif any(normal(segment).startswith(form) for form in forms):
                    return line.strip()
    for code in CODE.findall(lesson.intro):
        try:
            if lesson.check(step.id, code, 1).correct:
                return f"`{code}`"
        except Exception:  # noqa: BLE001 - code that is no answer states nothing
            continue
    return None


def intro_giveaways(catalog) -> list[str]:
    return [f"{lesson.id}/{step.id}: {said}"
            for lesson in catalog.lessons for step in lesson.steps
            if (said := intro_statement(lesson, step)) is not None]


def test_no_intro_states_a_steps_factor(shipped):
    assert intro_giveaways(shipped) == []


def test_the_intro_finder_sees_a_factor_stated_and_not_a_definition(shipped):
    upstream = next(lesson for lesson in shipped.lessons if lesson.id == "two-layer-upstream")
    loss = next(lesson for lesson in shipped.lessons if lesson.id == "squared-loss")
    stated = [
        (upstream, "df_dW3", "    ∂f/∂W3 = h2ᵀ"),
        (upstream, "df_dh1", "    ∂f/∂h1 = ∂f/∂z2 · W2"),
        (upstream, "df_dW2", "so ∂f/∂W2 = (∂f/∂z2)ᵀ h1ᵀ here"),
        (loss, "dL_dw2", "A 1×1 quantity may multiply anything: `(f - y) * h1.T` is 1×3."),
        (upstream, "df_dh2", "and then ∂f/∂h2 = W3."),
    ]
    for lesson, step_id, text in stated:
        told = replace(lesson, intro=text)
        assert intro_statement(told, told.step(step_id)) is not None, text
    harmless = [
        (upstream, "df_dh2", "    f  = W3 @ h2     (f is a scalar); ∂f/∂h2 = W3ᵀ? No."),
        (loss, "dL_df", "    L  = ½ (f − y)²    y is the target"),
        (upstream, "df_dW1", "∂f/∂W = δ xᵀ, where δ = (∂f/∂z)ᵀ and x is that layer's input"),
    ]
    for lesson, step_id, text in harmless:
        told = replace(lesson, intro=text)
        assert intro_statement(told, told.step(step_id)) is None, text


# At 80 columns the intro screen leaves 69 for a preformatted line (its margins and the
# block's own indent); a longer one wraps in the middle of a formula.
PREFORMATTED_WIDTH = 68


def test_every_preformatted_intro_line_fits_an_80_column_screen(shipped):
    too_long = [
        f"{lesson.id}: {line.strip()}"
        for lesson in shipped.lessons
        for line in lesson.intro.split("\n")
        if line.startswith("    ") and len(line) - 4 > PREFORMATTED_WIDTH
    ]
    assert too_long == []


def test_a_title_does_not_give_its_lessons_answer_away(shipped):
    for lesson in shipped.lessons:
        goal = lesson.step(lesson.goal) if lesson.goal else lesson.steps[-1]
        title = normal(lesson.title)
        assert not any(form in title for form in spellings(lesson, goal)), lesson.title


POSTED = "W3 * σ(W2 h1)(1 − σ(W2 h1)) * σ(W1 X)(1 − σ(W1 X))"  # ../shared/seed-problem.md


def test_the_flagship_shows_the_posted_closed_form_it_promises_to_take_apart(shipped):
    flagship = next(lesson for lesson in shipped.lessons if lesson.id == "two-layer-sigmoid")
    assert normal(POSTED) in normal(flagship.intro)
    assert "what is wrong with the posted answer" in " ".join(flagship.intro.split())
    assert any("posted" in step.prompt for step in flagship.steps)


MATRIX_ADVICE = re.compile(r"@|matrix product|elementwise|diag|transpos", re.IGNORECASE)


def _scalar_lessons(catalog) -> list[Lesson]:
    return [lesson for lesson in catalog.lessons
            if all(q.shape == (1, 1) for q in lesson.quantities.values())]


def test_a_lesson_of_numbers_gives_no_matrix_advice_in_its_texts(shipped):
    scalar = _scalar_lessons(shipped)
    assert [lesson.id for lesson in scalar] == ["scalar-chain-rule"]
    for lesson in scalar:
        for step in lesson.steps:
            texts = [step.prompt, step.note, *step.hints, *(m.feedback for m in step.mistakes)]
            assert [t for t in texts if MATRIX_ADVICE.search(t)] == [], step.id


@pytest.mark.parametrize("answer", ["u^2", "u * 3", "x", "2 * x + 1", "-y", "7"])
def test_a_wrong_answer_in_a_lesson_of_numbers_gets_no_matrix_advice(shipped, answer):
    for lesson in _scalar_lessons(shipped):
        for step in lesson.steps:
            verdict = lesson.check(step.id, answer, 1)
            assert not MATRIX_ADVICE.search(verdict.feedback), (step.id, verdict.feedback)
