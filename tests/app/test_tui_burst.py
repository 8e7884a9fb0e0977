"""A burst of keys into the answer box costs work and memory bounded by the box, not by
the burst.

A terminal without bracketed paste sends a paste as keys, one by one; so does a script
or a stuck key. Before, every key grew the box's text and parsed all of it again for the
preview: 100,000 keys took the tutor to 3.7 GB and froze its screen for minutes. Now the
box holds what an answer can (MAX_LENGTH characters) and drops the rest before any work,
saying so; the preview reads only the latest text; and the driver reads no further keys
while BACKLOG of them are still alive in the app.
"""

from __future__ import annotations

import threading
import time

import test_tui_network_editor as editor_tests  # a module: its tests are not collected here
from textual import events
from textual.widgets import Input
from tui_helpers import FLAGSHIP, settle, text_of

import tutor.app.input_flow as input_flow
from tutor.app.screens import network_editor
from tutor.app.widgets.answer import FULL_NOTICE
from tutor.app.widgets.preview import Preview
from tutor.engine.tokens import MAX_LENGTH

BURST = 3 * MAX_LENGTH  # well past the box; before the fix it took minutes at 20,000


async def test_a_key_burst_fills_the_box_to_its_limit_and_is_previewed_once(
    make_app, monkeypatch
):
    previews: list[str] = []
    show = Preview.show

    def counted(self, text, *args, **kwargs):
        previews.append(text)
        return show(self, text, *args, **kwargs)

    monkeypatch.setattr(Preview, "show", counted)
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    notices: list[str] = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (notices.append(message),
                                                              notify(message, **kw)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        box = app.screen.query_one("#answer", Input)
        previews.clear()
        for _ in range(BURST):  # all at once, as the terminal driver posts a burst
            app.post_message(events.Key("a", "a"))
        await settle(pilot)
        assert box.value == "a" * MAX_LENGTH
        assert len(previews) <= 10, f"the preview ran {len(previews)} times"
        assert previews[-1] == box.value  # the latest text was previewed
        assert "2000 characters long" in text_of(pilot, "#preview")
        assert notices and set(notices) == {FULL_NOTICE} and len(notices) <= 3

        await pilot.press("ctrl+u", "W", "3")  # and the box works as before
        await settle(pilot)
        assert box.value == "W3"
        assert "reads as" in text_of(pilot, "#preview")


async def test_a_long_paste_keeps_what_fits(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        box = app.screen.query_one("#answer", Input)
        box.post_message(events.Paste("W3" + " " * 100_000))
        await settle(pilot)
        assert box.value == "W3" + " " * (MAX_LENGTH - 2)
        box.value = "x" * 100_000  # set whole: cut too
        assert len(box.value) == MAX_LENGTH


async def test_a_key_burst_into_the_network_editor_fills_a_line_and_is_checked_once(
    make_app, monkeypatch
):
    """Before, each key cost the text area work in proportion to its line, and a timer
    of its own: 8,000 keys took half a minute and 50 MB."""
    checks: list[str] = []
    timers: list[float] = []
    check_now = network_editor.NetworkEditorScreen.check_now
    set_timer = network_editor.NetworkEditorScreen.set_timer

    def counted_check(self):
        checks.append(self.area.text)
        return check_now(self)

    def counted_timer(self, delay, *args, **kwargs):
        timers.append(delay)
        return set_timer(self, delay, *args, **kwargs)

    monkeypatch.setattr(network_editor.NetworkEditorScreen, "check_now", counted_check)
    monkeypatch.setattr(network_editor.NetworkEditorScreen, "set_timer", counted_timer)
    app = make_app()
    notices: list[str] = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (notices.append(message),
                                                              notify(message, **kw)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await editor_tests.open_editor(pilot)
        checks.clear()
        timers.clear()
        for _ in range(BURST):
            app.post_message(events.Key("a", "a"))
        await editor_tests.checked(pilot)
        await editor_tests.checked(pilot)
        row = screen.area.cursor_location[0]
        assert len(screen.area.document[row]) == MAX_LENGTH
        assert 1 <= len(checks) <= 3, f"the text was checked {len(checks)} times"
        assert len(timers) <= 10, f"{len(timers)} timers for one burst"
        assert notices and len(notices) <= 3 and "2000" in notices[0]
        await pilot.press("enter", "b")  # a new line takes keys again
        assert screen.area.document[row + 1].startswith("b")


class FakeDriver:
    """What InputFlow needs of a Textual driver: an input thread and send_message."""

    def __init__(self, messages) -> None:
        self.exit_event = threading.Event()
        self.messages = messages
        self.sent: list[events.Key] = []  # the app: an event is alive while listed here

    def run_input_thread(self) -> None:
        for message in self.messages:
            self.send_message(message)

    def send_message(self, message) -> None:
        self.sent.append(message)


class FlowDriver(input_flow.InputFlow, FakeDriver):
    pass


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_driver_reads_no_more_keys_while_the_backlog_is_full(monkeypatch):
    monkeypatch.setattr(input_flow, "BACKLOG", 50)
    monkeypatch.setattr(input_flow, "STALL", 30.0)
    driver = FlowDriver(events.Key("a", "a") for _ in range(500))
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    wait_until(lambda: len(driver.sent) == 50)
    time.sleep(0.2)
    assert len(driver.sent) == 50  # the app has 50 alive: the thread waits
    driver.sent.clear()  # the app handled them: freed, room for 50 more
    wait_until(lambda: len(driver.sent) == 50)
    for _ in range(9):
        driver.sent.clear()
        wait_until(lambda: len(driver.sent) == 50 or not thread.is_alive())
    thread.join(5)
    assert not thread.is_alive()


def test_a_stopping_app_does_not_hold_the_driver_up(monkeypatch):
    monkeypatch.setattr(input_flow, "BACKLOG", 5)
    driver = FlowDriver(events.Key("a", "a") for _ in range(10_000))
    driver.exit_event.set()
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and len(driver.sent) == 10_000
