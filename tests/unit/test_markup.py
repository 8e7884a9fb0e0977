"""Lesson text without its Markdown marks, for the command line (tutor/markup.py)."""

from __future__ import annotations

import json

import pytest

from tutor.cli.command import main
from tutor.lessons.index import ENV_LESSONS
from tutor.lessons.load import load_catalog
from tutor.markup import inline_pieces, plain_text


@pytest.fixture(autouse=True)
def _only_shipped_lessons(monkeypatch):
    monkeypatch.delenv(ENV_LESSONS, raising=False)


@pytest.mark.parametrize(("marked", "plain"), [
    ("We want **∂f/∂W1**: how", "We want ∂f/∂W1: how"),
    ("must *increase* the loss.)", "must increase the loss.)"),
    ("Type `*` to multiply; `exp(...)` is e", "Type * to multiply; exp(...) is e"),
    ("the **upstream\ngradient** at z", "the upstream\ngradient at z"),
    ("a _word_ and __two words__", "a word and two words"),
    (r"a \*literal\* star and a \` tick", "a *literal* star and a ` tick"),
])
def test_the_marks_go_and_the_words_stay(marked, plain):
    assert plain_text(marked) == plain


@pytest.mark.parametrize("formula", [
    "-exp(-v) * 2*u * 3, or -6*u*y.", "h2 * (1 - h2)", "sigma(a)*(b)*(c)",
    "W3_1·h2_1 + W3_2·h2_2", "x_nᵀ and δ_n", "elementwise (*) and matrix (@)", "2 ** 3",
])
def test_a_product_or_a_subscript_is_no_mark(formula):
    assert inline_pieces(formula) == [(formula, "")]


def test_an_indented_block_is_printed_as_written():
    block = "    h = a * b   *not* emphasis\n    `kept`"
    intro = f"Take **this**:\n\n{block}\n\nThen *that*.\n"
    assert plain_text(intro) == f"Take this:\n\n{block}\n\nThen that.\n"


def test_show_prints_every_shipped_lesson_without_markdown(capsys):
    for lesson in load_catalog().lessons:
        assert main(["show", lesson.id]) == 0
        out = capsys.readouterr().out
        prose = "\n".join(line for line in out.split("\n") if not line.startswith("  "))
        assert "**" not in out and "`" not in prose, lesson.id
        assert "We want dy/dx" in out if lesson.id == "scalar-chain-rule" else True


def test_show_json_keeps_the_intro_as_markdown(capsys):
    main(["show", "two-layer-sigmoid", "--json"])
    assert "**∂f/∂W1**" in json.loads(capsys.readouterr().out)["intro"]


def test_check_prints_a_known_mistake_without_its_marks_and_json_keeps_them(capsys):
    assert main(["check", "softmax-cross-entropy", "dL_dz", "(y - p).T"]) == 1
    assert "must increase the loss" in capsys.readouterr().out
    main(["check", "softmax-cross-entropy", "dL_dz", "(y - p).T", "--json"])
    assert "*increase*" in json.loads(capsys.readouterr().out)["feedback"]
