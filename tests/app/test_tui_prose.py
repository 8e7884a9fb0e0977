"""Intros drawn as one Static read exactly as Textual's Markdown would read them."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tui_helpers import SNAPSHOT_LESSONS

from tutor.app.widgets.prose import parsed_prose, simple_prose
from tutor.lesson_index import shipped_lessons_dir

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
