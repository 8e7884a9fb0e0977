"""Quit and come back: the same lesson resumes at the same step with the same numbers."""

from __future__ import annotations

from textual.widgets import OptionList
from tui_helpers import FLAGSHIP, submit, text_of

from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.progress import ProgressStore


async def test_quit_and_reopen_resumes_at_the_same_step_and_seed(make_app, tmp_path):
    data = tmp_path / "shared-data"
    first_store = ProgressStore.open(data)
    app = make_app(store=first_store, lesson_id=FLAGSHIP, seed=7)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        assert "✓ Correct" in await submit(pilot, "W3")
        await pilot.press("pagedown")
        assert "✓ Correct" in await submit(pilot, "diag(h2*(1-h2))")
        await pilot.press("pagedown")
        await pilot.press("ctrl+q")
    first_store.close()

    second_store = ProgressStore.open(data)
    app = make_app(store=second_store)  # no lesson, no seed: through the picker
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        index = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == FLAGSHIP
        )
        assert "2 of 6 factors" in str(options.get_option_at_index(index).prompt)
        options.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert not isinstance(screen, IntroScreen)  # resuming skips the intro
        assert isinstance(screen, LessonScreen)
        assert screen.seed == 7
        assert screen.step.id == "dz2_dh1"
        assert "seed 7" in text_of(pilot, "#lesson-title")
        assert "W3" in text_of(pilot, "#chain")
    second_store.close()


async def test_a_seed_on_the_command_line_does_not_replace_a_started_variant(make_app, store):
    store.set_seed(FLAGSHIP, 3)
    store.record_attempt(FLAGSHIP, "df_dh2", 3, "W3", "correct", (), 4.0)
    store.mark(FLAGSHIP, "df_dh2", "solved")
    app = make_app(lesson_id=FLAGSHIP, seed=9)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app.screen.seed == 3
        assert any("seed 3" in n.message for n in app._notifications)
    assert store.lesson(FLAGSHIP).status_of("df_dh2") == "solved"
