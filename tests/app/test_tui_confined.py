"""Nothing in the app reaches past its window: no files written, no browser, no suspend.

Labs run the tutor as the only program of an SSH login, so Textual's defaults that
save a screenshot, open a link in a (text) browser, or stop the process for a shell to
continue are turned off (tutor/app/confine.py). tests/unit/test_no_shell.py checks the
source for ways out; this checks what the running app offers, on every screen.
"""

from __future__ import annotations

import io
import webbrowser
from pathlib import Path

from textual.app import App
from textual.command import CommandList
from textual.pilot import Pilot
from tui_helpers import FLAGSHIP, submit
from tui_helpers import FLAGSHIP_ANSWERS as SOLVED

from tutor.app.confine import NO_LINKS, SAFE_SYSTEM_COMMANDS
from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.app.screens.summary import SummaryScreen

# In a command's title or a binding's action, any of these is a way out of the window.
WAYS_OUT = ("screenshot", "suspend", "shell", "browser", "url", "download", "deliver",
            "export", "save", "file", "exec", "system", "editor")

def ways_out(words: list[str]) -> list[str]:
    return [word for word in words if any(bad in word.lower() for bad in WAYS_OUT)]


def offered(pilot: Pilot) -> tuple[list[str], list[str]]:
    """The palette's command titles and the actions of the active key bindings, here."""
    app = pilot.app
    titles = [command.title for command in app.get_system_commands(app.screen)]
    actions = [active.binding.action for active in app.active_bindings.values()]
    return titles, actions


async def test_textual_offers_a_screenshot_by_default_and_the_tutor_does_not(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        textual_titles = [command.title for command in App.get_system_commands(app, app.screen)]
        assert "Screenshot" in textual_titles  # what the allow-list is there to keep out
        titles, _ = offered(pilot)
        assert "Screenshot" not in titles
        assert {"Theme", "Quit", "Keys"} <= set(titles)


async def test_no_screen_offers_a_way_out(make_app, store):
    app = make_app()
    seen: dict[str, tuple[list[str], list[str]]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        seen["picker"] = offered(pilot)
        app.open_lesson(FLAGSHIP, 1)
        await pilot.pause()
        assert isinstance(app.screen, IntroScreen)
        seen["intro"] = offered(pilot)
        await pilot.press("enter")
        await submit(pilot, "W3.T")
        assert isinstance(app.screen, LessonScreen)
        seen["lesson"] = offered(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        seen["help"] = offered(pilot)
        await pilot.press("escape", "f5")
        assert isinstance(app.screen, ConfirmScreen)
        seen["confirm"] = offered(pilot)
        await pilot.press("escape", "escape")

        for step_id, answer in SOLVED.items():
            store.record_attempt(FLAGSHIP, step_id, 1, answer, "correct", (), 30.0)
            store.mark(FLAGSHIP, step_id, "solved")
        app.open_lesson(FLAGSHIP, 1)
        await pilot.pause()
        await pilot.press("pagedown")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        seen["summary"] = offered(pilot)

    for screen, (titles, actions) in seen.items():
        assert ways_out(titles) == [], screen
        assert ways_out(actions) == [], screen
        assert "Quit" in titles, screen


async def test_the_palette_finds_no_screenshot(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+y", *"screenshot")  # the command palette
        await pilot.pause(0.5)  # the palette searches in the background
        commands = app.screen.query_one(CommandList)
        prompts = [str(commands.get_option_at_index(i).prompt)
                   for i in range(commands.option_count)]
        assert ways_out(prompts) == []


async def test_screenshots_and_deliveries_write_no_file(make_app, tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    downloads = home / "Downloads"  # where Textual saves deliveries in a terminal
    downloads.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(downloads))
    monkeypatch.chdir(home)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.run_action("screenshot")
        app.deliver_screenshot()
        app.deliver_text(io.StringIO("some text"), save_filename="some.txt")
        await pilot.pause(0.3)  # Textual saves deliveries from a thread
        assert app.return_code is None
    assert [path.name for path in home.rglob("*")] == ["Downloads"]


async def test_links_are_shown_not_opened(make_app, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))
    monkeypatch.setattr(webbrowser, "open_new_tab", lambda url, *a, **k: opened.append(url))
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.open_url("https://example.org/lesson")
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]
    assert opened == []
    assert NO_LINKS.format(url="https://example.org/lesson") in messages


async def test_ctrl_z_and_the_suspend_action_do_not_suspend(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter", "ctrl+z")
        await app.run_action("suspend_process")
        await pilot.pause()
        assert app.return_code is None
        assert isinstance(app.screen, LessonScreen)
        assert any("Suspending is turned off" in n.message for n in app._notifications)
        assert "✓ Correct" in await submit(pilot, "W3")  # the app is still there for the student


def test_the_allow_list_is_only_commands_that_stay_in_the_window():
    assert ways_out(sorted(SAFE_SYSTEM_COMMANDS)) == []
