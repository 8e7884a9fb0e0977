"""Intros drawn as one Static read exactly as Textual's Markdown would read them."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tui_helpers import SNAPSHOT_LESSONS

from tutor.app.widgets.prose import parsed_prose, simple_prose
from tutor.lessons.index import shipped_lessons_dir

INTROS = {
    path.name: tomllib.loads(path.read_text(encoding="utf-8")).get("intro", "")
    for path in [*sorted(shipped_lessons_dir().glob("*.toml")),
                 *sorted(SNAPSHOT_LESSONS.glob("*.toml"))]
}


def same(a, b) -> bool:
    return a.plain == b.plain and a.spans == b.spans


@pytest.mark.parametrize("name", sorted(INTROS))
def test_every_intro_is_one_static_and_reads_as_markdown_it_reads_it(name):
    parsed = parsed_prose(INTROS[name])
    assert parsed is not None, "this intro would need the Markdown widget"
    simple = simple_prose(INTROS[name])
    assert simple is None or same(simple, parsed)


def test_most_intros_need_no_markdown_it():
    """The point of the first tier: `chain-tutor LESSON` paints without importing it."""
    simple = [name for name, intro in INTROS.items() if simple_prose(intro) is not None]
    assert len(simple) >= len(INTROS) - 2, sorted(set(INTROS) - set(simple))


# Text built from the pieces that matter to Markdown: markers, punctuation, spaces,
# letters (Greek and math too), line breaks and indentation.
PIECES = st.sampled_from([
    "a", "b", "W1", "h_i", "σ", "∂f", "∇", "ᵀ", "3", "x.T", " ", "  ", "\n", "\n\n", "    ",
    "*", "**", "***", "_", "__", "`", "``", "(", ")", ".", ",", ":", "'", "-", "+", "#",
    ">", "<", "&", "[", "]", "!", "|", "~", "\\", "@", "=", "1.", "e.g.", "np.eye",
    "www.", "http://x", "a@b.co",
])


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
@example("**bold** and *italic* and `code`\n\n    z1 = W1 @ x\n")
@example("*a **b** c*")
@example("(*a*) **b**. `c` *(d)*")
@example("    a\n\n\n    b\n\nc")
def test_the_quick_reader_agrees_with_markdown_it_or_declines(text):
    simple = simple_prose(text)
    if simple is None:
        return
    parsed = parsed_prose(text)
    assert parsed is not None, "read as simple prose, but Markdown makes more of it"
    assert same(simple, parsed), (simple.plain, simple.spans, parsed.plain, parsed.spans)


def test_an_intro_with_a_list_gets_the_markdown_widget():
    assert simple_prose("Steps:\n\n- one\n- two\n") is None
    assert parsed_prose("Steps:\n\n- one\n- two\n") is None


def test_the_shipped_intros_are_all_here():
    assert sum(1 for name in INTROS if name[:2].isdigit()) >= 13


# -- a step's texts, and the command line's plain reading of the same marks ------------------
def test_the_command_lines_plain_intro_reads_as_the_screen_shows_it():
    from tutor.markup import plain_text

    for name, intro in INTROS.items():
        shown = parsed_prose(intro)
        assert " ".join(plain_text(intro).split()) == " ".join(shown.plain.split()), name


def test_a_step_text_shows_its_marks_styled_and_its_products_as_typed():
    from tutor.app.widgets.prose import CODE_STYLE, inline_content

    content = inline_content("must *increase* the **loss**; type `h.T`, not h2 * (1 - h2)")
    assert content.plain == "must increase the loss; type h.T, not h2 * (1 - h2)"
    styled = {content.plain[s.start:s.end]: str(s.style) for s in content.spans}
    assert styled == {"increase": "italic", "loss": "bold", "h.T": CODE_STYLE}


def test_no_shipped_title_or_prompt_uses_marks_the_screen_would_show_raw():
    """Titles and prompts are drawn as plain text (lesson.py, picker.py)."""
    from tutor.lessons.load import load_catalog
    from tutor.markup import plain_text

    for lesson in load_catalog().lessons:
        assert plain_text(lesson.title) == lesson.title
        for step in lesson.steps:
            assert plain_text(step.prompt) == step.prompt, step.id


async def test_a_known_mistakes_feedback_shows_no_raw_marks(make_app, catalog):
    from tui_helpers import settle, type_text

    lesson = catalog.get("softmax-cross-entropy")
    app = make_app(lesson_id=lesson.id, seed=1)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter")  # past the intro
        for step_id in ("dL_dp", "dp_dz"):
            await type_text(pilot, lesson.step(step_id).answer)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("pagedown")
            await settle(pilot)
        await type_text(pilot, "(y - p).T")
        await pilot.press("enter")
        await settle(pilot)
        shown = str(app.screen.query_one("#feedback").content)
        assert "increase the loss" in shown and "*increase*" not in shown


def test_a_hint_and_a_note_show_their_marks_styled(catalog):
    from dataclasses import replace

    from tutor.app.widgets.feedback import correct_content, hints_content
    from tutor.engine import Verdict

    step = catalog.get("sigmoid-derivative").step("dr_dt")  # its note says *this* sigmoid
    shown = correct_content(Verdict("correct", "✓ Solved: 2*r*(1-r)"), step, False)
    assert "output of this sigmoid" in shown.plain and "*" not in shown.plain.split("\n", 1)[1]
    hinted = hints_content(replace(step, hints=("Use `sigma`, **not** exp.",)).hints, 1)
    assert hinted.plain == "Hint 1/1: Use sigma, not exp."
