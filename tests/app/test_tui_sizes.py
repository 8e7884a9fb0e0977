"""Shrinking the terminal to 40×12 and growing it back never crashes, on any screen.

Below the minimum size each screen shows only its too-small note; once the terminal
is large enough again the screen is back as it was, mid-lesson feedback included.
"""

from __future__ import annotations

import html
import re

from textual.pilot import Pilot
from tui_helpers import FLAGSHIP, submit, text_of
from tui_helpers import FLAGSHIP_ANSWERS as SOLVED

from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.app.screens.summary import SummaryScreen

TOO_SMALL = "Terminal too small"
# Down to the smallest asked for, across the minimum (60×18) both ways, then large.
SIZES = [(40, 12), (59, 18), (60, 17), (60, 18), (40, 12), (200, 60), (40, 12), (120, 40)]

def screen_text(pilot: Pilot) -> str:
    """Everything the terminal shows now, as plain text (from Textual's own screenshot)."""
    svg = pilot.app.export_screenshot()
    body = svg.split("<g class=", 1)[-1]  # past the style sheet
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


async def shrink_and_grow(pilot: Pilot) -> None:
    app = pilot.app
    screen = app.screen
    for width, height in SIZES:
        await pilot.resize_terminal(width, height)
        await pilot.pause()
        assert app.return_code is None, "the app stopped"
        assert app.screen is screen
        small = width < 60 or height < 18
        assert (TOO_SMALL in screen_text(pilot)) == small, (width, height)
        assert screen.query_one(".too-small-note").display == small


async def test_the_picker_survives_shrinking(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await shrink_and_grow(pilot)
        assert "Two sigmoid layers" in screen_text(pilot)


async def test_a_lesson_with_feedback_survives_shrinking(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        assert "Not yet" in await submit(pilot, "W3.T")
        assert isinstance(app.screen, LessonScreen)
        await shrink_and_grow(pilot)
        assert "Not yet" in text_of(pilot, "#feedback")
        assert "Not yet" in screen_text(pilot)
        assert app.focused is app.screen.query_one("#answer")  # typing goes on where it was
        assert "✓ Correct" in await submit(pilot, "W3")  # and it still takes answers


async def test_help_survives_shrinking(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "f1")
        assert isinstance(app.screen, HelpScreen)
        await shrink_and_grow(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_a_confirmation_survives_shrinking(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await submit(pilot, "W3.T")  # an attempt, so the step can be reset
        await pilot.press("f5")
        assert isinstance(app.screen, ConfirmScreen)
        await shrink_and_grow(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_the_summary_survives_shrinking(make_app, store):
    store.set_seed(FLAGSHIP, 1)
    for step_id, answer in SOLVED.items():
        store.record_attempt(FLAGSHIP, step_id, 1, answer, "correct", (), 30.0)
        store.mark(FLAGSHIP, step_id, "solved")
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("pagedown")  # the last step is done: on to the summary
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await shrink_and_grow(pilot)
        assert "Lesson complete" in screen_text(pilot)
