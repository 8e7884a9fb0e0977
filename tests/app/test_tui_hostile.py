"""Hostile answers in the answer box: each gets a clear message, none breaks the app.

The whole corpus of tests/unit/test_hostile.py goes into the flagship lesson's first
step the way a student would get it there: short ASCII typed key by key, the rest
pasted, and what no paste carries whole (line breaks, 100 000 characters) set directly.
After each Enter: a message is shown, an invalid answer costs no attempt, and no control
character from the answer reaches the screen (a terminal would obey it: ESC [2J clears
it). Afterwards the right answer is still accepted.
"""

from __future__ import annotations

import html
import importlib.util
import re
import unicodedata
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input
from tui_helpers import FLAGSHIP, settle, submit, text_of, type_text

from tutor.app.widgets.answer import visible
from tutor.app.widgets.preview import EMPTY_HINT
from tutor.engine.parser import MAX_LENGTH

UNIT_TESTS = Path(__file__).resolve().parents[1] / "unit"
STEP = "df_dh2"


def load_hostile_corpus() -> list[str]:
    # Test folders are not packages; load the one corpus rather than keep a copy.
    spec = importlib.util.spec_from_file_location("hostile_corpus", UNIT_TESTS / "test_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.HOSTILE)


HOSTILE = load_hostile_corpus()


def controls(text: str) -> set[str]:
    """The control characters in `text` (newlines aside: they end lines on screen)."""
    return {char for char in text if unicodedata.category(char) == "Cc" and char != "\n"}


def screen_text(pilot: Pilot) -> str:
    svg = pilot.app.export_screenshot()
    body = svg.split("<g class=", 1)[-1]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


async def enter(pilot: Pilot, text: str) -> None:
    box = pilot.app.screen.query_one("#answer", Input)
    if len(text) > 200 or text.splitlines() != [text]:
        box.value = text  # no paste carries this: a paste keeps its first line only
    elif len(text) <= 6 and text.isascii() and text.isprintable():
        await type_text(pilot, text)  # key by key is slow: short ones only
    else:
        box.value = ""
        box.post_message(events.Paste(text))  # what a terminal sends for a paste
        await pilot.pause()


def test_the_corpus_has_what_this_test_is_about():
    assert sum(1 for text in HOSTILE if controls(text)) >= 6
    assert any(len(text) >= 100_000 for text in HOSTILE)
    assert "\x1b[2J\x1b[31mW3" in HOSTILE and "\x00" in HOSTILE


async def test_hostile_answers_get_a_message_cost_nothing_and_leave_the_app_usable(
    make_app, store
):
    app = make_app(lesson_id=FLAGSHIP, seed=1, symbolic_budget=0.3)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")  # past the intro
        box = app.screen.query_one("#answer", Input)
        counted = 0
        for text in HOSTILE:
            recorded = len(store.attempts(FLAGSHIP))
            await enter(pilot, text)
            shown = box.value
            assert not controls(shown), f"the box holds a raw control character: {text!r:.60}"
            await pilot.press("enter")
            await settle(pilot)

            where = f"after {text!r:.60}"
            assert app.return_code is None, where
            feedback = text_of(pilot, "#feedback")
            if not shown.strip():
                assert len(store.attempts(FLAGSHIP)) == recorded, where  # nothing to check
                assert EMPTY_HINT in text_of(pilot, "#preview"), where
            else:
                attempt = store.attempts(FLAGSHIP)[-1]
                assert len(store.attempts(FLAGSHIP)) == recorded + 1, where
                # An answer too long to check is kept as its first MAX_LENGTH characters.
                assert attempt.answer == shown.strip()[:MAX_LENGTH], where
                assert attempt.verdict in ("invalid", "incorrect"), where
                if attempt.verdict == "invalid":
                    assert "no attempt counted" in feedback, where
                else:
                    counted += 1
                    assert "✗ Not yet" in feedback, where
                assert store.lesson(FLAGSHIP).steps[STEP].attempts == counted, where
            assert not controls(feedback), where
            assert not controls(text_of(pilot, "#preview")), where
            assert not controls(screen_text(pilot)), where

        assert "✓ Correct" in await submit(pilot, "W3")
        assert store.lesson(FLAGSHIP).steps[STEP].status == "solved"


async def test_a_pasted_escape_sequence_is_shown_not_obeyed(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await enter(pilot, "\x1b[2J\x1b]0;owned\x07W3\x00")
        box = app.screen.query_one("#answer", Input)
        assert box.value == "␛[2J␛]0;owned␇W3␀"
        assert "␛[2J" in screen_text(pilot)  # the student sees what to delete
        await pilot.press("enter")
        await settle(pilot)
        assert "no attempt counted" in text_of(pilot, "#feedback")
        assert "stands for a control character (U+001B)" in text_of(pilot, "#preview")


def test_stand_ins_keep_one_character_per_character():
    text = "".join(chr(code) for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)])
    shown = visible(text)
    assert len(shown) == len(text) and not controls(shown)
    assert visible("W3 @ diag(h2*(1-h2))") == "W3 @ diag(h2*(1-h2))"
    assert visible("a\tb") == "a b"
