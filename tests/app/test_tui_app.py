"""The app around the lessons: the picker, help, the palette, sizes, and a fast first screen."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from textual.widgets import Markdown, OptionList
from tui_helpers import FLAGSHIP, snapshot_catalog

from tutor.app.screens.help import HELP_FILE, HelpScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.engine import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]


async def test_picker_lists_progress_and_broken_lessons(make_app, store):
    store.set_seed(FLAGSHIP, 1)
    store.mark(FLAGSHIP, "df_dh2", "solved")
    for step in ("du_dx", "dv_du", "dy_dv", "dy_dx"):
        store.mark("scalar-chain-rule", step, "solved")
    app = make_app(catalog=snapshot_catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "done ✓" in prompts[0]
        assert "1 of 6 factors" in prompts[1]
        assert "half-written.toml" in prompts[2] and "missing the field 'answer'" in prompts[2]
        assert options.get_option_at_index(2).disabled


async def test_a_broken_lesson_cannot_be_opened(make_app):
    app = make_app(catalog=snapshot_catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        options = app.screen.query_one(OptionList)
        options.highlighted = 2  # disabled options cannot even be highlighted
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, LessonScreen)


async def test_f1_opens_help_with_the_input_language(make_app):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "f1")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.query_one(Markdown)
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


def test_help_names_every_function_and_operator():
    text = HELP_FILE.read_text(encoding="utf-8")
    for name in FUNCTIONS:
        assert f"`{name}(" in text, name
    for operator in ("@", "*", ".T", "'", "^", "[1 2; 3 4]"):
        assert operator in text


async def test_escape_goes_back_to_the_picker(make_app):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "escape")
        assert isinstance(app.screen, PickerScreen)


async def test_palette_offers_the_actions_that_apply(make_app):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Hint" in titles and "Reveal the solution" in titles
        assert "Next factor" not in titles  # not solved yet
        assert "Quit" in titles
        await pilot.press("ctrl+y")  # the command palette (Ctrl+P is "previous")
        await pilot.press(*"hint")
        await pilot.pause(0.5)  # the palette searches in the background
        await pilot.press("enter")
        await pilot.pause()
        assert "Hint 1/" in str(app.screen.query_one("#hints").content)


async def test_too_small_terminal_shows_a_message_until_it_grows(make_app):
    app = make_app(lesson_id=FLAGSHIP)

    def note_shown() -> bool:
        return app.screen.query_one(".too-small-note").display

    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        assert note_shown()
        assert not app.screen.query_one("#intro-scroll").display
        await pilot.resize_terminal(80, 24)
        assert not note_shown()
        await pilot.press("enter")  # the lesson screen, under the intro, follows the size too
        assert not note_shown()
        await pilot.resize_terminal(59, 24)
        assert note_shown()
        assert not app.screen.query_one("#body").display


def test_sympy_loads_after_the_first_screen_not_before(tmp_path):
    """The picker is mounted without sympy; the warm-up then starts the proof worker,
    which loads sympy in its own process: the tutor's never does."""
    probe = textwrap.dedent(f"""
        import asyncio, sys
        from tutor.app.app import ChainTutorApp
        from tutor.lessons.load import load_catalog
        from tutor.progress import ProgressStore

        seen = {{}}

        class Probe(ChainTutorApp):
            def on_mount(self):
                super().on_mount()
                seen["at_mount"] = "sympy" in sys.modules

        async def main():
            app = Probe(load_catalog(), ProgressStore.open({str(tmp_path)!r}))
            async with app.run_test() as pilot:
                await pilot.pause()
                await app.workers.wait_for_complete()
                seen["later"] = "sympy" in sys.modules
                from tutor.engine import prover
                seen["worker"] = app.warmed_up and prover._worker._pid is not None

        asyncio.run(main())
        print(seen["at_mount"], seen["later"], seen["worker"])
    """)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]


async def test_a_store_notice_is_shown_at_start(make_app):
    from tutor.progress import ProgressStore

    store = ProgressStore.disabled("the disk is read-only")
    app = make_app(store=store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        messages = [notification.message for notification in app._notifications]
        assert any("the disk is read-only" in message for message in messages)


async def test_a_notice_with_brackets_is_shown_as_written(make_app):
    from tutor.progress import ProgressStore

    store = ProgressStore.disabled("cannot create /home/[bold]ana[/bold]/data")
    app = make_app(store=store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        (notification,) = app._notifications
        assert "/home/[bold]ana[/bold]/data" in notification.message
        assert not notification.markup


async def test_a_save_failing_mid_session_is_said_at_once_and_the_lesson_goes_on(
        make_app, store):
    import sqlite3

    from tui_helpers import FLAGSHIP_ANSWERS, settle, submit

    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert "Correct" in await submit(pilot, FLAGSHIP_ANSWERS["df_dh2"])
        assert not app._notifications
        # Another program breaks the file under the running tutor.
        with sqlite3.connect(store.path) as other:
            other.execute("DROP TABLE attempts")
        await pilot.press("pagedown")
        await settle(pilot)
        feedback = await submit(pilot, FLAGSHIP_ANSWERS["dh2_dz2"])
        assert "Correct" in feedback  # the verdict is still given
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1, messages  # one notice for the several writes of a check
        assert "progress could not be saved" in messages[0]
        assert "no such table: attempts" in messages[0]
        assert isinstance(app.screen, LessonScreen)


def test_run_refuses_an_unknown_lesson_before_opening_a_screen(tmp_path, capsys):
    from argparse import Namespace

    from tutor.app.launch import run

    args = Namespace(lesson="no-such-lesson", seed=None, lessons=[], data_dir=tmp_path)
    assert run(args) == 2
    assert "no-such-lesson" in capsys.readouterr().err


async def test_the_mouse_opens_a_lesson_and_presses_footer_keys(make_app):
    from tutor.app.screens.intro import IntroScreen

    app = make_app(catalog=snapshot_catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        # The list has a border, then two-line options: the flagship starts on row 3.
        await pilot.click("#lesson-list", offset=(10, 3))
        await pilot.pause()
        assert isinstance(app.screen, IntroScreen)
        await pilot.press("enter")
        hint_key = next(key for key in app.screen.query("FooterKey") if key.action == "hint")
        await pilot.click(hint_key)
        await pilot.pause()
        assert "Hint 1/" in str(app.screen.query_one("#hints").content)


def drawn_styles(key) -> set[str]:
    """Which of dim and strike the key is drawn with, over all of its text."""
    text = key.render()
    return {name for name in ("dim", "strike")
            if any(getattr(span.style, name, False) and span.start == 0
                   and span.end >= len(text.plain) for span in text.spans)}


async def test_under_no_color_a_key_not_available_now_is_struck_through(
        make_app, monkeypatch):
    from textual.widgets._footer import FooterKey

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        assert keys["pagedown"].has_class("-greyed")  # nothing solved yet
        assert drawn_styles(keys["pagedown"]) == {"strike"}
        assert not keys["f2"].has_class("-greyed")
        assert drawn_styles(keys["f2"]) == set()


async def test_in_colour_a_key_not_available_now_is_greyed_not_struck(make_app, monkeypatch):
    from textual.widgets._footer import FooterKey

    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        assert keys["pagedown"].has_class("-greyed")
        assert drawn_styles(keys["pagedown"]) == {"dim"}
        assert drawn_styles(keys["f2"]) == set()
