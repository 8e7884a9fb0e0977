"""Nothing a student types is dropped: keys sent back to back, before the lesson is ready.

Before, keys typed while a resumed lesson was loading, or in the moment between Enter
on the picker and the answer box taking the focus, went to a screen with nothing to
take them; and an answer whose check was still running (the first check, while the
checker warms up) vanished, verdict and record, when the student typed on or sent
the next one. Here keys are posted the way a terminal delivers a burst: all at once,
with no pause for the app to catch up.
"""

from __future__ import annotations

import threading

import pytest
from textual import events
from textual.widgets import Input, OptionList
from tui_helpers import FLAGSHIP, settle, text_of

import tutor.app.app as app_module
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.loading import LoadingScreen
from tutor.lessons.model import Lesson

# Resumed at dh2_dz2: a wrong answer, the box cleared, then the right one.
BURST = [*"W3", "enter", "ctrl+u", *"diag(h2*(1-h2))", "enter"]
RECORDED = [("dh2_dz2", "W3", "incorrect"), ("dh2_dz2", "diag(h2*(1-h2))", "correct")]
CHARACTERS = {"enter": "\r", "ctrl+u": "\x15", "backspace": "\x7f"}


def burst(app, keys) -> None:
    """Every key into the app's queue at once, as the terminal driver posts a burst."""
    for key in keys:
        character = key if len(key) == 1 else CHARACTERS.get(key)
        app.post_message(events.Key(key, character))


def resumed(store) -> None:
    store.set_seed(FLAGSHIP, 1)
    store.record_attempt(FLAGSHIP, "df_dh2", 1, "W3", "correct", (), 4.0)
    store.mark(FLAGSHIP, "df_dh2", "solved")


def recorded(store) -> list[tuple[str, str, str]]:
    return [(a.step_id, a.answer, a.verdict) for a in store.attempts(FLAGSHIP)][1:]


async def finish(pilot) -> None:
    for _ in range(3):
        await settle(pilot)


@pytest.fixture
def held_lessons(monkeypatch):
    """Loading the lessons in full waits until the test lets it go."""
    release = threading.Event()
    load = app_module.load_lessons

    def held(extra):
        release.wait(10)
        return load(extra)

    monkeypatch.setattr(app_module, "load_lessons", held)
    yield release
    release.set()


@pytest.fixture
def slow_checks(monkeypatch):
    """Every check takes 0.3 s, as the first one does while sympy is still loading."""
    original = Lesson.check

    def slow(self, *args, **kwargs):
        threading.Event().wait(0.3)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Lesson, "check", slow)


async def test_keys_pressed_at_once_on_a_resumed_lesson_are_all_checked(make_app, store):
    """pilot.press with no pause, the moment a resumed lesson from the command line opens
    (the lessons still loading): before, the first key went to the loading screen."""
    resumed(store)
    app = make_app(catalog=None, lesson_id=FLAGSHIP)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*BURST)
        await finish(pilot)
        assert isinstance(app.screen, LessonScreen)
        assert "✓ Correct" in text_of(pilot, "#feedback")
    assert recorded(store) == RECORDED


async def test_a_burst_typed_while_the_lesson_loads_is_kept(make_app, store, held_lessons):
    resumed(store)
    app = make_app(catalog=None, lesson_id=FLAGSHIP)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        burst(app, BURST)
        await pilot.pause()
        held_lessons.set()
        await finish(pilot)
        assert isinstance(app.screen, LessonScreen)
    assert recorded(store) == RECORDED


async def test_a_burst_right_after_enter_on_the_picker_reaches_the_answer_box(make_app, store):
    resumed(store)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        options = app.screen.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count)
                                   if options.get_option_at_index(i).id == FLAGSHIP)
        burst(app, ["enter", *BURST])
        await finish(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["PickerScreen", "LessonScreen"]
    assert recorded(store) == RECORDED


async def test_answers_sent_while_a_check_runs_are_each_checked_and_kept(
    make_app, store, slow_checks
):
    resumed(store)
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        burst(app, [*"diag(h2*(1-h2))", "enter", "ctrl+u", *"W3", "enter"])
        await finish(pilot)
        assert "✗" in text_of(pilot, "#feedback")  # the verdict on the last one sent
        assert "✓ solved" in text_of(pilot, "#prompt")  # the first one solved the step
    assert recorded(store) == [("dh2_dz2", "diag(h2*(1-h2))", "correct"),
                               ("dh2_dz2", "W3", "incorrect")]
    assert store.lesson(FLAGSHIP).status_of("dh2_dz2") == "solved"


async def test_typing_on_while_a_check_runs_keeps_that_answer(make_app, store, slow_checks):
    resumed(store)
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        burst(app, [*"diag(h2*(1-h2))", "enter", "backspace"])
        await finish(pilot)
        assert app.screen.query_one(Input).value == "diag(h2*(1-h2)"  # what was typed stays
        assert "✓ solved" in text_of(pilot, "#prompt")
    assert recorded(store) == [("dh2_dz2", "diag(h2*(1-h2))", "correct")]


async def test_a_check_still_running_when_the_student_leaves_is_kept(
    make_app, store, slow_checks
):
    resumed(store)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_lesson(FLAGSHIP)
        await pilot.pause()
        burst(app, [*"W3", "enter", "escape"])
        await finish(pilot)
        assert type(app.screen).__name__ == "PickerScreen"
    assert recorded(store) == [("dh2_dz2", "W3", "incorrect")]
