"""Idle is free: a tutor nobody types into runs no timer, so it costs no CPU.

A blinking cursor redraws its widget twice a second for as long as the tutor is open;
in a lab of 200 reading students that was a core. The cursor rests (steady, not
hidden) after RestingBlink.IDLE_SECONDS without a key, and blinks again on the next
key, paste, focus or click. The tests shorten the delay, move the rest's clock by hand
(the cursor is "idle" only once the test says the time has passed) and drive the app
with Pilot; they wait by polling the state, and assert the state, never a time.
"""

from __future__ import annotations

import os
import queue
import selectors
import threading
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import OptionList
from tui_helpers import FLAGSHIP, SNAPSHOT_LESSONS, settle

from tutor.app.report_app import ReportApp
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.network_editor import NetworkEditorScreen
from tutor.app.screens.picker import NEW_NETWORK, PickerScreen
from tutor.app.screens.report import ReportScreen
from tutor.app.screens.report_students import StudentsScreen
from tutor.app.screens.summary import SummaryScreen
from tutor.app.textual_patches import QuietInput, RestingBlink
from tutor.app.widgets.answer import AnswerInput
from tutor.lessons.index import read_info
from tutor.progress import ProgressStore
from tutor.report.build import build_report
from tutor.report.sources import load_sources
from tutor.report.students import student_rows

IDLE = 0.05  # the rest delay in these tests (10 s in the tutor)
POLLS = 400  # at most this many short pauses for the app to come to rest


class Clock:
    def __init__(self) -> None:
        self.time = 0.0

    def __call__(self) -> float:
        return self.time


CLOCK = Clock()


@pytest.fixture(autouse=True)
def short_rest(monkeypatch):
    monkeypatch.setattr(RestingBlink, "IDLE_SECONDS", IDLE)
    monkeypatch.setattr(RestingBlink, "now", CLOCK)


def idle_for_long() -> None:
    """Nobody has typed for longer than the delay (the rest's next look sees it)."""
    CLOCK.time += 60.0


def blink_timer(widget):
    """Input keeps its blink timer in ``_blink_timer``, TextArea in ``blink_timer``."""
    return getattr(widget, "_blink_timer", None) or widget.blink_timer


def ticking(timer) -> bool:
    """A timer that will fire again: its task is alive and not paused."""
    return timer._task is not None and not timer._task.done() and timer._active.is_set()


def running_timers(app) -> list[str]:
    """Every timer of the app, its screens and their widgets that will fire again."""
    nodes = [app, *app.screen_stack]
    for screen in app.screen_stack:
        nodes += list(screen.walk_children(with_self=False))
    return [f"{type(node).__name__}: {timer.name}" for node in nodes
            for timer in list(node._timers) if ticking(timer)]


async def until(pilot: Pilot, condition) -> bool:
    """Poll ``condition`` between short pauses; False if it never held."""
    for _ in range(POLLS):
        if condition():
            return True
        await pilot.pause(0.01)
    return condition()


async def rests(pilot: Pilot, widget) -> bool:
    idle_for_long()
    return await until(pilot, lambda: not ticking(blink_timer(widget)))


async def at_rest(pilot: Pilot) -> list[str]:
    """The timers still running once the app has had time to come to rest ([] at rest)."""
    await settle(pilot)
    idle_for_long()
    await until(pilot, lambda: not running_timers(pilot.app))
    return running_timers(pilot.app)


async def open_step(pilot: Pilot) -> AnswerInput:
    await pilot.press("enter")  # past the intro
    await settle(pilot)
    assert isinstance(pilot.app.screen, LessonScreen)
    return pilot.app.screen.query_one(AnswerInput)


async def test_the_answer_cursor_rests_steady_and_a_key_wakes_it(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1, cursor_blink=True)
    async with app.run_test(size=(80, 24)) as pilot:
        answer = await open_step(pilot)
        assert answer.has_focus and ticking(blink_timer(answer))  # blinks while fresh
        assert await rests(pilot, answer)
        assert answer._cursor_visible  # steady, not hidden

        await pilot.press("w")
        assert ticking(blink_timer(answer))
        assert await rests(pilot, answer)

        await pilot.press("backspace")  # a key the box handles as a binding wakes it too
        assert ticking(blink_timer(answer))
        assert await rests(pilot, answer)

        answer.post_message(events.Paste("W3"))
        await pilot.pause()
        assert answer.value == "W3" and ticking(blink_timer(answer))
        assert await rests(pilot, answer)

        answer.blur()
        await pilot.pause()
        answer.focus()  # focus again (a click on the box focuses it)
        await pilot.pause()
        assert ticking(blink_timer(answer))


async def test_the_network_editors_cursor_rests_and_a_key_wakes_it(make_app):
    app = make_app(cursor_blink=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count)
                                   if options.get_option_at_index(i).id == NEW_NETWORK)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NetworkEditorScreen)
        area = app.screen.area
        assert area.has_focus and ticking(blink_timer(area))
        assert await rests(pilot, area)
        assert area._cursor_visible

        await pilot.press("x")
        assert ticking(blink_timer(area))
        assert await at_rest(pilot) == []  # its check's pause done, the cursor at rest


async def test_no_timer_runs_on_an_idle_lesson_screen_of_any_kind(make_app, store, catalog):
    """The picker, an intro, a step, help over a step, the summary, the network editor."""
    async with make_app(cursor_blink=True).run_test(size=(80, 24)) as pilot:
        assert isinstance(pilot.app.screen, PickerScreen)
        assert await at_rest(pilot) == []

    app = make_app(lesson_id=FLAGSHIP, seed=1, cursor_blink=True)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, IntroScreen)
        assert await at_rest(pilot) == []
        await open_step(pilot)
        await pilot.press("w", "3")
        assert await at_rest(pilot) == []
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert await at_rest(pilot) == []

    lesson = catalog.get(FLAGSHIP)
    store.set_seed(FLAGSHIP, 1)
    for step in lesson.steps:
        store.record_attempt(FLAGSHIP, step.id, 1, step.answer, "correct", (), 2.0, solves=True)
    async with make_app(lesson_id=FLAGSHIP, cursor_blink=True).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("pagedown")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SummaryScreen)
        assert await at_rest(pilot) == []


async def test_no_timer_runs_on_the_idle_report(tmp_path: Path):
    folder = tmp_path / "class" / "alice"
    folder.mkdir(parents=True)
    with ProgressStore(folder / "progress.db") as store:
        store.record_attempt(FLAGSHIP, "df_dh2", 1, "W3", "correct", [], 5)
    sources, skipped = load_sources([tmp_path / "class"])
    report = build_report(sources, [read_info(SNAPSHOT_LESSONS / f"{FLAGSHIP}.toml")], skipped)
    async with ReportApp(report, student_rows(sources, report)).run_test(
            size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, ReportScreen)
        assert await at_rest(pilot) == []
        await pilot.press("s", "5")  # the students' table, sorted
        await settle(pilot)
        assert isinstance(pilot.app.screen, StudentsScreen)
        assert await at_rest(pilot) == []


# -- the terminal's input thread: asleep until a key comes ----------------------------------
class InputProbe(QuietInput):
    """QuietInput's thread on a pipe, the events it makes collected in a queue."""

    def __init__(self, fd: int) -> None:
        self.fileno = fd
        self._debug = False
        self.events: queue.Queue = queue.Queue()
        super().__init__()

    def process_message(self, message) -> None:
        self.events.put(message)


@pytest.fixture
def counted_selects(monkeypatch) -> list[float | None]:
    """The timeout of every wait for input the thread makes."""
    timeouts: list[float | None] = []

    class Counted(selectors.SelectSelector):
        def select(self, timeout=None):
            timeouts.append(timeout)
            return super().select(timeout)

    monkeypatch.setattr(selectors, "SelectSelector", Counted)
    return timeouts


def test_the_input_thread_waits_for_keys_without_a_limit(counted_selects):
    """Textual's waits 0.1 s at a time: ten wake-ups a second with nobody typing. A
    limit is set only while a lone Esc may yet start a sequence."""
    read, write = os.pipe()
    probe = InputProbe(read)
    thread = threading.Thread(target=probe.run_input_thread, daemon=True)
    thread.start()
    try:
        os.write(write, b"a")
        assert probe.events.get(timeout=10).key == "a"
        assert counted_selects and all(timeout is None for timeout in counted_selects)
        os.write(write, b"\x1b")  # Esc alone: the parser waits a moment for more
        assert probe.events.get(timeout=10).key == "escape"
        assert any(timeout is not None for timeout in counted_selects)
    finally:
        probe.exit_event.set()  # the app's exit wakes the thread
        thread.join(10)
        os.close(write)
        os.close(read)
    assert not thread.is_alive()


def test_the_input_thread_ends_when_its_input_closes(counted_selects):
    """At end of file select answers at once, every time: the thread would spin."""
    read, write = os.pipe()
    probe = InputProbe(read)
    thread = threading.Thread(target=probe.run_input_thread, daemon=True)
    thread.start()
    os.close(write)
    thread.join(10)
    alive = thread.is_alive()
    probe.exit_event.set()
    thread.join(10)
    os.close(read)
    assert not alive and len(counted_selects) == 1
