"""The student's own network in the TUI: typed in the editor, checked as typed, started,
worked on like any lesson, saved with the progress and resumed from the picker."""

from __future__ import annotations

import threading
import time

import pytest
from textual.widgets import OptionList, TextArea
from tui_helpers import settle, submit, text_of

from tutor.app.app import EXAMPLE_NETWORK
from tutor.app.screens import network_editor
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.loading import LoadingScreen
from tutor.app.screens.network_editor import NetworkEditorScreen
from tutor.app.screens.picker import NETWORK_PREFIX, NEW_NETWORK, PickerScreen
from tutor.networks.reader import network_lesson_id
from tutor.progress import ProgressStore

GATED = """\
# a gated unit
x : 2x1
A : 2x2
B : 2x2
w : 1x2
h = sigma(A @ x) * tanh(B @ x)
f = w @ h
goal: df/dA
"""


@pytest.fixture
def held_lesson(monkeypatch) -> threading.Event:
    """Making a network's lesson waits until the test sets the returned event."""
    import tutor.networks.draft as own

    release = threading.Event()
    real = own.make_lesson

    def held(text, budget, **options):
        release.wait(10)
        return real(text, budget, **options)

    monkeypatch.setattr(own, "make_lesson", held)
    return release


def keys(text: str) -> list[str]:
    return ["space" if char == " " else char for char in text]


def option_index(pilot, option_id: str) -> int:
    options = pilot.app.screen.query_one(OptionList)
    return next(i for i in range(options.option_count)
                if options.get_option_at_index(i).id == option_id)


async def open_editor(pilot) -> NetworkEditorScreen:
    pilot.app.screen.query_one(OptionList).highlighted = option_index(pilot, NEW_NETWORK)
    await pilot.press("enter")
    await checked(pilot)
    assert isinstance(pilot.app.screen, NetworkEditorScreen)
    return pilot.app.screen


async def checked(pilot) -> None:
    """Past the editor's pause in typing, and its check done."""
    await pilot.pause(network_editor.PAUSE + 0.1)
    await settle(pilot)


async def set_text(pilot, text: str) -> None:
    pilot.app.screen.query_one(TextArea).text = text
    await checked(pilot)


async def until_lesson(pilot, limit: float = 30.0) -> None:
    """The network's lesson made and validated (a loading screen until then)."""
    deadline = time.monotonic() + limit
    while isinstance(pilot.app.screen, (LoadingScreen, NetworkEditorScreen)):
        assert time.monotonic() < deadline, "the network's lesson never opened"
        await pilot.pause(0.1)
    await pilot.pause()


async def test_the_editor_opens_from_the_picker_with_the_example_and_says_it_can_start(make_app):
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        assert pilot.app.screen.query_one(TextArea).text == EXAMPLE_NETWORK
        status = text_of(pilot, "#network-status")
        assert status.startswith("✓ a residual block with a squared loss")
        assert "5 factors to find: ∂L/∂f · ∂f/∂h1 · ∂h1/∂z1 · ∂L/∂z1 · ∂L/∂W1" in status


async def test_typing_a_mistake_points_at_its_line_and_column_and_mending_it_clears_it(make_app):
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, "x : 2x1\nW : 2x2\nz = W @ q\n")
        status = text_of(pilot, "#network-status")
        assert status.startswith("✗ line 3, column 9: ")
        assert "Unknown name 'q'" in status
        assert "  3 │ z = W @ q\n    │         ^" in status  # the caret under the q
        area = pilot.app.screen.query_one(TextArea)
        area.move_cursor((2, 9))  # after the q
        await pilot.press("backspace", "x", "enter", *keys("L = sum(z)"), "enter",
                          *keys("goal: dL/dW"))
        await checked(pilot)
        assert area.text == "x : 2x1\nW : 2x2\nz = W @ x\nL = sum(z)\ngoal: dL/dW\n"
        status = text_of(pilot, "#network-status")
        assert status.startswith("✓ ") and "∂L/∂W" in status, status


async def test_a_goal_that_cannot_be_asked_is_refused_with_what_would_work(make_app):
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, "x : 2x1\nW : 2x2\nz = W @ x\ngoal: dz/dW\n")
        status = text_of(pilot, "#network-status")
        assert status.startswith("✗ line 4, column 1: ") and "3-tensor" in status
        assert "L = sum(z)" in status
        await pilot.press("f5")  # refused: the editor stays, with its text
        await checked(pilot)
        assert isinstance(pilot.app.screen, NetworkEditorScreen)
        assert pilot.app.screen.query_one(TextArea).text.endswith("goal: dz/dW\n")


async def test_start_plays_the_network_as_a_lesson_and_the_picker_resumes_it(make_app, tmp_path):
    data = tmp_path / "shared"
    store = ProgressStore.open(data)
    lesson_id = network_lesson_id(GATED)
    async with make_app(store=store, warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, GATED)
        assert text_of(pilot, "#network-status").startswith("✓ a gated unit")
        await pilot.press("f5")
        await until_lesson(pilot)
        assert isinstance(pilot.app.screen, IntroScreen)
        await pilot.press("enter")
        screen = pilot.app.screen
        assert isinstance(screen, LessonScreen) and screen.lesson.id == lesson_id
        first = screen.step
        assert first.label == "∂f/∂h"
        assert "✓ Correct" in await submit(pilot, "w")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PickerScreen)
        options = pilot.app.screen.query_one(OptionList)
        shown = options.get_option_at_index(option_index(pilot, NETWORK_PREFIX + lesson_id))
        assert "a gated unit" in str(shown.prompt) and "1 of" in str(shown.prompt)
        assert options.highlighted_option.id == NETWORK_PREFIX + lesson_id
    store.close()

    again = ProgressStore.open(data)
    [saved] = again.networks()
    assert saved.lesson_id == lesson_id and saved.text == GATED and saved.checked_by
    async with make_app(store=again, warm_up=False).run_test(size=(80, 24)) as pilot:
        pilot.app.screen.query_one(OptionList).highlighted = option_index(
            pilot, NETWORK_PREFIX + lesson_id)
        await pilot.press("enter")
        await until_lesson(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, LessonScreen)  # resumed: no intro, the next step
        assert screen.step.id != first.id
        assert again.lesson(lesson_id).status_of(first.id) == "solved"
    again.close()


async def test_the_draft_survives_leaving_the_editor_and_quitting(make_app, tmp_path):
    data = tmp_path / "shared"
    store = ProgressStore.open(data)
    async with make_app(store=store, warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, "x : 3x1\n# half written\n")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PickerScreen)
        await open_editor(pilot)
        assert pilot.app.screen.query_one(TextArea).text == "x : 3x1\n# half written\n"
        pilot.app.screen.query_one(TextArea).text = "x : 4x1\n"
        await pilot.press("ctrl+q")  # before the pause in typing has passed
    store.close()
    again = ProgressStore.open(data)
    assert again.draft() == "x : 4x1\n"
    again.close()


async def test_random_replaces_the_text_and_undo_brings_it_back(make_app):
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, "x : 2x1\n")
        await pilot.press("f8")
        await checked(pilot)
        area = pilot.app.screen.query_one(TextArea)
        assert area.text.startswith("# Random network 42: ")
        assert text_of(pilot, "#network-status").startswith("✓ ")
        await pilot.press("ctrl+z")
        assert area.text == "x : 2x1\n"


async def test_esc_while_the_lesson_is_made_goes_back_to_the_editor_and_drops_it(
        make_app, held_lesson):
    release = held_lesson
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, GATED)
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LoadingScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, NetworkEditorScreen)
        release.set()
        await settle(pilot)
        await pilot.pause(0.2)
        assert isinstance(pilot.app.screen, NetworkEditorScreen)  # the late lesson is dropped
        assert pilot.app.store.networks() == []


async def test_a_slow_check_never_holds_up_typing(make_app, monkeypatch):
    """The check runs in a worker: keys typed while a check is still running land at once.

    The check is held on a gate rather than timed, so the test says the same on a busy machine:
    every key lands while the check has not finished.
    """
    import threading

    import tutor.networks.draft as own

    real = own.check_draft
    gate = threading.Event()
    running = threading.Event()
    gate.set()  # the first check (when the editor opens) runs freely

    on_screen_thread = []

    def held(text):
        on_screen_thread.append(threading.current_thread() is threading.main_thread())
        running.set()
        gate.wait(30)
        return real(text)

    monkeypatch.setattr(own, "check_draft", held)
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        area = pilot.app.screen.query_one(TextArea)
        gate.clear()
        running.clear()
        area.text = ""
        await pilot.pause(network_editor.PAUSE + 0.1)
        assert running.wait(10), "no check started"
        await pilot.press(*keys("x : 2x1"))
        try:
            assert area.text == "x : 2x1"
            assert not gate.is_set()  # every key landed while the check was held
            assert not any(on_screen_thread)  # and it never ran where the keys are drawn
        finally:
            gate.set()
        await settle(pilot)


async def test_a_saved_network_can_be_taken_off_the_list_after_asking(make_app, store):
    lesson_id = network_lesson_id(GATED)
    store.save_network(lesson_id, GATED, "a gated unit", [("df_dh", "∂f/∂h")])
    store.record_attempt(lesson_id, "df_dh", 1, "w", "correct", [], 4.0, solves=True)
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picker = pilot.app.screen
        assert not picker.check_action("forget", ())  # on a shipped lesson: nothing to remove
        picker.query_one(OptionList).highlighted = option_index(pilot, NETWORK_PREFIX + lesson_id)
        await pilot.pause()
        assert picker.check_action("forget", ())
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("n")  # asked first: No keeps it
        await pilot.pause()
        assert [n.lesson_id for n in store.networks()] == [lesson_id]
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert store.networks() == []
        ids = [o.id for o in picker.query_one(OptionList).options]
        assert NETWORK_PREFIX + lesson_id not in ids and NEW_NETWORK in ids
        assert picker.query_one(OptionList).highlighted_option.id == NEW_NETWORK  # in place
    assert store.lesson(lesson_id).status_of("df_dh") == "solved"  # the history is kept


async def test_after_a_networks_last_step_the_summary_offers_a_random_network(make_app):
    from tutor.app.screens.summary import SummaryScreen

    tiny = "x : 2x1\nL = sum(x)\ngoal: dL/dx\n"
    async with make_app(warm_up=False, network=tiny).run_test(size=(80, 24)) as pilot:
        await until_lesson(pilot)
        await pilot.press("enter")  # past the intro
        assert "✓ Correct" in await submit(pilot, "ones(1, 2)")
        await pilot.press("enter")  # on: the lesson is complete
        await settle(pilot)
        assert isinstance(pilot.app.screen, SummaryScreen)
        assert "Next: a random network, to practise again" in text_of(pilot, "#summary-next")
        await pilot.press("ctrl+n")
        await until_lesson(pilot)
        lesson = pilot.app.screen.lesson
        assert lesson.id != network_lesson_id(tiny)
        assert lesson.title.startswith("Random network 42: ")


async def test_a_huge_or_hostile_paste_is_told_not_hung_on(make_app, store):
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        started = time.monotonic()
        await set_text(pilot, "x : 2x1\n" + "# " + "y" * 100_000 + "\n")
        assert "past the limit of 20000 characters" in text_of(pilot, "#network-status")
        assert time.monotonic() - started < 10
        await set_text(pilot, "x : 2x1\x1b[31m\nW : [bold]2x2\n")
        status = text_of(pilot, "#network-status")
        assert status.startswith("✗ line 1") and isinstance(pilot.app.screen,
                                                          NetworkEditorScreen)
    assert store.draft() == "x : 2x1\x1b[31m\nW : [bold]2x2\n"  # kept as typed


async def test_keys_typed_while_the_lesson_is_made_are_not_kept_for_its_answer_box(
        make_app, held_lesson):
    """The network's lesson opens on its intro: keys typed on the way are not replayed
    into the first step's answer box later."""
    release = held_lesson
    async with make_app(warm_up=False).run_test(size=(80, 24)) as pilot:
        await open_editor(pilot)
        await set_text(pilot, GATED)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("w", "x")
        release.set()
        await until_lesson(pilot)
        assert isinstance(pilot.app.screen, IntroScreen)
        await pilot.press("enter")
        await settle(pilot)
        from textual.widgets import Input

        assert isinstance(pilot.app.screen, LessonScreen)
        assert pilot.app.screen.query_one("#answer", Input).value == ""


async def test_start_past_the_time_limit_says_so_and_goes_back_to_the_editor(make_app,
                                                                             monkeypatch):
    import tutor.networks.generator

    monkeypatch.setattr(tutor.networks.generator, "TIME_LIMIT", 1e-9)  # `new`'s, and Start's
    app = make_app(warm_up=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_editor(pilot)
        await set_text(pilot, GATED)
        await pilot.press("f5")
        deadline = time.monotonic() + 30

        def said() -> bool:
            return any("longer than its time limit" in n.message and "factors checked"
                       in n.message for n in app._notifications)

        while not said():
            assert time.monotonic() < deadline, "Start never said it stopped"
            await pilot.pause(0.1)
        await settle(pilot)
        assert isinstance(pilot.app.screen, NetworkEditorScreen)
        assert pilot.app.store.networks() == []
