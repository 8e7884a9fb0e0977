"""The first screen comes from the lesson index; the lessons load in full after it.

Until they have loaded, a lesson can be listed and introduced but not worked on: it
waits on a loading screen, and opens when they are ready.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
from argparse import Namespace
from pathlib import Path

import pytest
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey
from tui_helpers import FLAGSHIP, SNAPSHOT_LESSONS, settle, submit

import tutor.app.app as app_module
import tutor.app.launch as launch_module
from tutor.app.screens.base import BaseScreen
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.loading import LoadingScreen
from tutor.app.screens.picker import PickerScreen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def slow_load(monkeypatch):
    """Loading the lessons waits until the test releases it."""
    release = threading.Event()
    load = app_module.load_lessons

    def held(extra):
        release.wait(10)
        return load(extra)

    monkeypatch.setattr(app_module, "load_lessons", held)
    yield release
    release.set()


def option_ids(app) -> list[str | None]:
    options = app.screen.query_one(OptionList)
    return [options.get_option_at_index(i).id for i in range(options.option_count)]


# Not needed by any first screen: the export format, the report's reader and a whole
# record's values (the store is opened without them), the session's classes (a lesson's
# intro needs only how it opens: tutor.standing), the subcommands, the help screen.
NOT_FIRST = ("tutor.progress.export", "tutor.progress.snapshots", "tutor.progress.read_only",
             "tutor.progress.snapshot_records", "hashlib", "tutor.session", "tutor.cli.lessons",
             "tutor.cli.networks", "tutor.cli.progress", "tutor.cli.instructor", "tutor.markup",
             "tutor.app.screens.help")


@pytest.mark.parametrize(("lesson", "first", "unused"), [
    (None, "PickerScreen", NOT_FIRST),
    (FLAGSHIP, "IntroScreen", (*NOT_FIRST, "tutor.app.screens.picker")),
])
def test_the_first_screen_needs_neither_the_engine_nor_markdown_it(tmp_path, lesson, first,
                                                                    unused):
    """Picker and intro are drawn before numpy, the engine, markdown-it or msgspec (the lesson
    schema) are imported, on a later launch (its progress database there), by way of the
    command; and before any module ``unused`` names. On the way, the tutor defines no
    dataclass: each costs about a millisecond to define (see tutor/progress/records.py)."""
    probe = textwrap.dedent(f"""
        import asyncio, dataclasses, sys

        defined = []  # the tutor's dataclasses, as each is made
        make = dataclasses._process_class

        def counted(cls, *args, **kwargs):
            if cls.__module__.startswith("tutor"):
                defined.append(cls.__module__ + "." + cls.__qualname__)
            return make(cls, *args, **kwargs)

        dataclasses._process_class = counted
        import tutor.cli.command
        from tutor.app.app import ChainTutorApp
        from tutor.app.course_view import course_in_force
        from tutor.progress import ProgressStore

        assert course_in_force(None, ()) is None  # as the command asks, with no course

        HEAVY = ("numpy", "tutor.engine", "tutor.lessons.model", "tutor.lessons.load", "sympy",
                 "markdown_it", "msgspec", "tutor.lessons.schema", "textual.widgets._text_area",
                 *{unused!r})
        seen = []

        class Probe(ChainTutorApp):
            def on_ready(self):
                seen.append(type(self.screen).__name__)
                seen.append(sorted(m for m in HEAVY if m in sys.modules))
                seen.append(list(defined))
                super().on_ready()

        async def main():
            store = ProgressStore.open({str(tmp_path)!r})
            app = Probe(None, store, lesson_id={lesson!r}, warm_up=False)
            async with app.run_test() as pilot:
                while not app.shelf.loaded:
                    await pilot.pause(0.02)
                seen.append("numpy" in sys.modules)
            store.close()

        asyncio.run(main())
        print(seen)
    """)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([first, [], [], True])


async def test_a_lesson_opened_while_loading_waits_then_opens(make_app, slow_load):
    app = make_app(catalog=None)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, PickerScreen) and not app.shelf.loaded
        assert option_ids(app)[0] == "scalar-chain-rule"  # listed from the index
        await pilot.press("enter")
        assert isinstance(app.screen, IntroScreen)  # the intro needs only the index
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        slow_load.set()
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson.id == "scalar-chain-rule"
        assert [type(s) for s in app.screen_stack] == [PickerScreen, LessonScreen]


async def test_a_lesson_given_on_the_command_line_is_introduced_at_once(make_app, slow_load):
    """Enter at once, before the first frame's callbacks: loading must still start."""
    app = make_app(catalog=None, lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, IntroScreen)
        await pilot.press("enter")
        slow_load.set()
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)
        assert "✓ Correct" in await submit(pilot, "W3")


async def test_escape_while_loading_goes_back_and_opens_nothing(make_app, store, slow_load):
    store.record_hint("scalar-chain-rule", "du_dx")  # started: no intro, straight to loading
    app = make_app(catalog=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        await pilot.press("escape")
        slow_load.set()
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert app.shelf.loaded


async def test_a_lesson_from_the_command_line_has_the_picker_built_on_the_way_back(
    make_app, store, slow_load
):
    """No picker is composed under it (that would delay its first screen); Esc builds one."""
    store.record_hint(FLAGSHIP, "df_dh2")  # started: no intro, so the loading screen first
    app = make_app(catalog=None, lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        assert [type(s) for s in app.screen_stack] == [BaseScreen, LoadingScreen]
        await pilot.press("escape")
        await pilot.pause()
        assert [type(s) for s in app.screen_stack] == [BaseScreen, PickerScreen]
        slow_load.set()
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)  # the lesson it left is not opened
        assert FLAGSHIP in option_ids(app)


async def test_lessons_broken_in_full_are_marked_broken_once_loaded(make_app, tmp_path, slow_load):
    """The index reads half-written.toml (valid TOML); the full load finds it broken."""
    extra = tmp_path / "more-lessons"
    extra.mkdir()
    shutil.copy(SNAPSHOT_LESSONS / "half-written.toml", extra)
    (extra / "zz-unreadable.toml").write_text("id = [", encoding="utf-8")
    app = make_app(catalog=None, extra_lessons=[extra])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        ids = option_ids(app)
        assert "half-written" in ids  # openable, as far as the index knows
        assert f"broken:{extra / 'zz-unreadable.toml'}" in ids  # not even TOML
        app.screen.query_one(OptionList).highlighted = ids.index("half-written")
        await pilot.press("enter", "enter")  # its intro, then the loading screen
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        slow_load.set()
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert any("missing the field 'answer'" in n.message for n in app._notifications)
        ids = option_ids(app)
        assert "half-written" not in ids
        assert f"broken:{extra / 'half-written.toml'}" in ids


async def test_hostile_lesson_files_are_broken_entries_and_the_tutor_goes_on(
    make_app, tmp_path, slow_load
):
    """A file too deep for tomllib, a range upside down, a number for a note (issue 12), a
    number for a mistake's feedback, a newer format (issue 13)."""
    extra = tmp_path / "more-lessons"
    extra.mkdir()
    (extra / "deep.toml").write_text("deep = " + "[" * 500 + "]" * 500, encoding="utf-8")
    scalar = (SNAPSHOT_LESSONS / "scalar-chain-rule.toml").read_text(encoding="utf-8")
    quantity = ('x = { shape = [1, 1], draw = "decimal", low = -0.9, high = 0.3, '
                'about = "the input, a number" }')
    assert quantity in scalar
    (extra / "bad-range.toml").write_text(
        scalar.replace('id = "scalar-chain-rule"', 'id = "bad-range"')
        .replace(quantity, 'x = { shape = [1, 1], draw = "int", low = 2, high = -2 }'),
        encoding="utf-8",
    )
    (extra / "bad-note.toml").write_text(
        scalar.replace('id = "scalar-chain-rule"', 'id = "bad-note"')
        .replace('note = "A linear link', 'note = 3  # "A linear link', 1),
        encoding="utf-8",
    )
    (extra / "bad-feedback.toml").write_text(
        scalar.replace('id = "scalar-chain-rule"', 'id = "bad-feedback"')
        .replace('feedback = "', 'feedback = 5  # "', 1),
        encoding="utf-8",
    )
    (extra / "newer.toml").write_text(
        "format = 2\n" + scalar.replace('id = "scalar-chain-rule"', 'id = "newer"'),
        encoding="utf-8",
    )
    app = make_app(catalog=None, extra_lessons=[extra])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        ids = option_ids(app)
        assert f"broken:{extra / 'deep.toml'}" in ids  # from the index, at the first paint
        assert "bad-range" in ids  # as far as the index knows
        app.screen.query_one(OptionList).highlighted = ids.index("bad-range")
        await pilot.press("enter", "enter")  # its intro, then the loading screen
        await pilot.pause()
        assert isinstance(app.screen, LoadingScreen)
        slow_load.set()
        await settle(pilot)

        assert app.return_code is None and isinstance(app.screen, PickerScreen)
        assert any("low = 2 must be below high = -2" in n.message for n in app._notifications)
        ids = option_ids(app)
        for name in ("deep.toml", "bad-range.toml", "bad-note.toml", "bad-feedback.toml",
                     "newer.toml"):
            assert f"broken:{extra / name}" in ids, name
        broken = {b.path.name: b.message for b in app.shelf.broken()}
        assert "nested too deeply" in broken["deep.toml"]
        assert "note must be a string" in broken["bad-note.toml"]
        assert "feedback must be a string" in broken["bad-feedback.toml"]
        assert "written for a newer chain-tutor" in broken["newer.toml"]
        app.screen.query_one(OptionList).highlighted = ids.index(FLAGSHIP)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)  # the other lessons open as ever
        assert "✓ Correct" in await submit(pilot, "W3")


async def test_solving_a_step_greys_keys_in_and_out_without_rebuilding_the_footer(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        keys = {key.action: key for key in app.screen.query(FooterKey)}
        assert keys["next_step"].has_class("-greyed")
        assert not keys["hint"].has_class("-greyed")
        await submit(pilot, "W3")
        await settle(pilot)
        after = {key.action: key for key in app.screen.query(FooterKey)}
        assert all(after[action] is keys[action] for action in keys)  # the same widgets
        assert not keys["next_step"].has_class("-greyed")
        assert keys["hint"].has_class("-greyed")


def test_run_refuses_a_lesson_the_index_cannot_read(tmp_path, capsys):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "garbled.toml").write_text("id = [", encoding="utf-8")
    args = Namespace(lesson="garbled", seed=None, lessons=[folder], data_dir=tmp_path / "data")
    assert launch_module.run(args) == 2
    assert "broken" in capsys.readouterr().err


def test_run_opens_a_lesson_named_by_its_number_under_its_id(tmp_path, monkeypatch):
    """`chain-tutor 8` is the flagship, and its progress is kept under its id, not "8"."""
    opened = {}

    class Recorder(app_module.ChainTutorApp):
        def run(self, *args, **kwargs):
            opened["lesson"] = self.start_lesson
            return None

    monkeypatch.setattr(launch_module, "ChainTutorApp", Recorder)
    args = Namespace(lesson="8", seed=None, lessons=[], data_dir=tmp_path / "data")
    assert launch_module.run(args) == 0
    assert opened["lesson"] == "two-layer-sigmoid"


@pytest.mark.parametrize("lesson", [None, FLAGSHIP])
async def test_a_first_launch_draws_its_first_screen_before_writing_the_index_cache(
        tmp_path, lesson):
    """The cache is work for the next launch, and an empty database holds nothing to
    show: both are written after the first paint (as `run` starts the app)."""
    cache = tmp_path / "cache" / launch_module.CACHE_NAME
    later: list = []
    index = launch_module.read_index([], cache=cache, later=later.append)
    store = app_module.ProgressStore.open(tmp_path / "data", create_later=True)
    later.append(store.create)
    database = tmp_path / "data" / "progress.db"
    painted: list[tuple[bool, bool]] = []

    class Probe(app_module.ChainTutorApp):
        def on_ready(self) -> None:
            painted.append((cache.exists(), database.exists()))
            super().on_ready()

    app = Probe(None, store, lesson_id=lesson, index=index, after_paint=later, warm_up=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(1000):  # polled, not timed: until the lessons and the job are done
            if app.shelf.loaded and not app.after_paint:
                break
            await pilot.pause(0.02)
        await settle(pilot)
    assert painted == [(False, False)]
    assert cache.exists() and database.exists() and store.enabled
    store.close()
