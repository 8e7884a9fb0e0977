"""The path around a lesson: its intro, its summary and the picker, as a student walks it.

No dead ends: Esc on an intro goes back without starting the lesson; the summary leads
on to the next lesson and the picker's cursor waits on it; a lesson is chosen by its
number. No surprises: a new variant is asked for first, and a finished lesson stays
finished; attempts count up to the first correct answer, on every screen.
"""

from __future__ import annotations

import pytest
from textual.widgets import Button, OptionList
from tui_helpers import FLAGSHIP, FLAGSHIP_ANSWERS, settle, submit, text_of

from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.app.screens.summary import SummaryScreen
from tutor.progress import ProgressStore

FOLLOWING = "two-layer-upstream"  # the flagship is lesson 8; this is 9


def solve_all(store: ProgressStore, lesson, seed: int = 1) -> None:
    """Every step answered wrong once, then right, then right again."""
    store.set_seed(lesson.id, seed)
    for step in lesson.steps:
        store.record_attempt(lesson.id, step.id, seed, "W.T", "incorrect", (), 2.0)
        for _ in range(2):
            store.record_attempt(lesson.id, step.id, seed, step.answer, "correct", (), 2.0,
                                 solves=True)


def highlighted(app) -> str:
    assert isinstance(app.screen, PickerScreen)
    return app.screen.query_one(OptionList).highlighted_option.id


def progress_of(app, lesson_id: str) -> str:
    options = app.screen.query_one(OptionList)
    option = next(options.get_option_at_index(i) for i in range(options.option_count)
                  if options.get_option_at_index(i).id == lesson_id)
    return str(option.prompt)


async def open_summary(pilot) -> SummaryScreen:
    await settle(pilot)
    await pilot.press("pagedown")  # every step done: on to the summary
    await pilot.pause()
    assert isinstance(pilot.app.screen, SummaryScreen)
    return pilot.app.screen


# -- 1. the next lesson, and where the picker's cursor lands ---------------------------------
async def test_the_summary_names_the_next_lesson_and_enter_opens_it(make_app, store, catalog):
    solve_all(store, catalog.get(FLAGSHIP))
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        summary = await open_summary(pilot)
        assert summary.focused is summary.query_one("#next", Button)
        assert "Next: 9. " + catalog.get(FOLLOWING).title in text_of(pilot, "#summary-next")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IntroScreen) and app.screen.lesson.id == FOLLOWING
        await pilot.press("escape")  # not now: back in the picker, on the lesson just left
        await pilot.pause()
        assert highlighted(app) == FOLLOWING


async def test_ctrl_n_on_the_summary_opens_the_next_lesson(make_app, store, catalog):
    solve_all(store, catalog.get(FLAGSHIP))
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        summary = await open_summary(pilot)
        summary.query_one("#review", Button).focus()  # wherever the focus is
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, IntroScreen) and app.screen.lesson.id == FOLLOWING


async def test_back_from_the_summary_the_cursor_is_on_the_next_lesson(make_app, store, catalog):
    solve_all(store, catalog.get(FLAGSHIP))
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_summary(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert highlighted(app) == FOLLOWING
        assert "done ✓" in progress_of(app, FLAGSHIP)


async def test_the_last_lesson_has_no_next_and_its_summary_says_so(make_app, store, catalog):
    last = catalog.lessons[-1]
    solve_all(store, last)
    app = make_app(lesson_id=last.id)
    async with app.run_test(size=(80, 24)) as pilot:
        summary = await open_summary(pilot)
        assert not summary.query("#next")
        assert summary.check_action("choose", ("next",)) is False  # not in the footer
        assert "That was the last lesson." in text_of(pilot, "#summary-next")
        assert summary.focused is summary.query_one("#lessons-button", Button)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is summary
        await pilot.press("enter")  # the focused button: back to the lessons, on this one
        await pilot.pause()
        assert highlighted(app) == last.id


async def test_leaving_a_lesson_midway_the_cursor_stays_on_it(make_app, store):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3", "enter", "enter")  # lesson 3, past its intro
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert highlighted(app) == "linear-jacobian"
        assert "0 of" in progress_of(app, "linear-jacobian")  # started by its steps


async def test_the_picker_jumps_to_a_lesson_by_its_number(make_app, catalog, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(PickerScreen, "clock", staticmethod(lambda: now[0]))
    ids = [lesson.id for lesson in catalog.lessons]
    assert len(ids) >= 13
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("9")
        assert highlighted(app) == ids[8]
        await pilot.press("1", "3")  # typed together: thirteen
        assert highlighted(app) == ids[12]
        now[0] += 5
        await pilot.press("1")
        now[0] += 5  # a pause: the next digit is a number of its own
        await pilot.press("3")
        assert highlighted(app) == ids[2]
        await pilot.press("0")  # no lesson 0: the cursor stays
        assert highlighted(app) == ids[2]
        now[0] += 5
        await pilot.press("1", "0")
        assert highlighted(app) == ids[9]
        await pilot.press("enter")  # Enter opens it
        await pilot.pause()
        assert isinstance(app.screen, IntroScreen) and app.screen.lesson.id == ids[9]


# -- 2. Esc on an introduction -----------------------------------------------------------------
async def test_esc_on_an_intro_goes_back_and_leaves_the_lesson_not_started(make_app, store):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, IntroScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert highlighted(app) == "sigmoid-derivative"
        assert "not started" in progress_of(app, "sigmoid-derivative")
    state = store.lesson("sigmoid-derivative")
    assert (state.seed, state.started) == (None, None)


async def test_esc_on_an_intro_named_on_the_command_line_goes_to_the_picker(make_app, store):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, IntroScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert highlighted(app) == FLAGSHIP
    assert store.lesson(FLAGSHIP).started is None


async def test_enter_on_an_intro_starts_the_steps_and_the_lesson(make_app, store):
    app = make_app(lesson_id=FLAGSHIP, seed=5)
    async with app.run_test(size=(80, 24)) as pilot:
        intro = app.screen
        assert intro.check_action("start", ()) and intro.check_action("back", ())
        assert intro.check_action("close", ()) is False
        assert "or Esc to go back" in text_of(pilot, "#intro-start")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)
    state = store.lesson(FLAGSHIP)
    assert state.seed == 5 and state.started is not None


async def test_the_intro_again_on_f4_goes_back_to_the_steps_with_esc_or_enter(make_app):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        lesson = app.screen
        for key in ("escape", "enter"):
            await pilot.press("f4")
            await pilot.pause()
            assert isinstance(app.screen, IntroScreen)
            assert app.screen.check_action("back", ()) is False
            assert "back to the steps" in text_of(pilot, "#intro-start")
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is lesson


# -- 3. a new variant, asked first; a finished lesson stays finished ------------------------
async def test_n_on_the_summary_asks_before_a_new_variant(make_app, store, catalog):
    solve_all(store, catalog.get(FLAGSHIP))
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        summary = await open_summary(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "stays finished" in text_of(pilot, "#confirm-detail")
        await pilot.press("n")  # no: the summary again, nothing changed
        await pilot.pause()
        assert app.screen is summary and store.lesson(FLAGSHIP).seed == 1
        await pilot.click("#new")  # the button asks too
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen) and app.screen.seed == 42
        await pilot.press("escape")
        await pilot.pause()
        assert "done ✓, again 0 of 6" in progress_of(app, FLAGSHIP)
    state = store.lesson(FLAGSHIP)
    assert state.seed == 42 and state.done_count() == 0 and state.finished is not None


# -- 4. attempts, counted until solved ---------------------------------------------------------
async def test_the_summary_counts_attempts_up_to_the_first_correct_one(make_app, store, catalog):
    solve_all(store, catalog.get(FLAGSHIP))  # wrong, right, and right again: two attempts
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_summary(pilot)
        table = text_of(pilot, "#summary-table").splitlines()
        assert table[1].split()[-4] == "2"  # ∂f/∂h2: attempts, hints, time
        assert table[-1].split("◇")[1].split()[0] == "12"  # the total
        await pilot.press("escape")
        await pilot.press("8")  # the flagship's details in the picker
        assert "12 attempts, 0 hints" in text_of(pilot, "#picker-detail")


async def test_retyping_a_solved_step_costs_no_attempt(make_app, store):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await submit(pilot, "W3.T")
        await submit(pilot, FLAGSHIP_ANSWERS["df_dh2"])
        await submit(pilot, "(W3)")  # right again, written differently
        assert store.lesson(FLAGSHIP).steps["df_dh2"].attempts == 2
        assert "attempts 2" in text_of(pilot, "#prompt")


@pytest.mark.parametrize("size", [(80, 24), (60, 18)])
async def test_the_summary_footer_keeps_quit_and_help_in_view(make_app, store, catalog, size):
    solve_all(store, catalog.get(FLAGSHIP))
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=size) as pilot:
        await open_summary(pilot)
        footer = app.screen.query_one("Footer")
        keys = [widget for widget in footer.children if widget.region.width]
        assert keys and max(w.region.right for w in keys) <= size[0]
        shown = {getattr(w, "description", "") for w in keys}
        assert {"Next", "New variant", "Review", "Lessons", "Quit", "Help"} <= shown


# -- the summary's derivative is what the student solved (found walking every lesson) --------
# The walk's own answers: lesson 12's ∂h2/∂z2 solved as an expression, then its numbers
# retyped; lesson 9's ∂f/∂z2 written with * and ᵀ, where the lesson's `composes` has a diag.
WALKED = {
    "tanh-relu": [("dh1_dz1", "diag(1-h1^2)"), ("dh2_dz2", "diag(step(h2))"),
                  ("dh2_dz2", "[1 0; 0 0]"), ("df_dh2", "v.T"),
                  ("df_dz1", "v.T@diag(step(z2))@W2@diag(1-h1^2)"),
                  ("df_dW1", "(v.T@diag(step(z2))@W2@diag(1-h1^2)).T@x.T")],
    "two-layer-upstream": [("df_dW3", "h2.T"), ("df_dh2", "W3"),
                           ("df_dz2", "W3*(h2*(1-h2)).T"),
                           ("df_dW2", "(W3@diag(h2*(1-h2))).T@h1.T"),
                           ("df_dh1", "W3@diag(h2*(1-h2))@W2"),
                           ("df_dz1", "W3@diag(h2*(1-h2))@W2@diag(h1*(1-h1))"),
                           ("df_dW1", "[0.00162 0; -0.0292 0]")],
}
SHOWN = {
    "tanh-relu": "∂f/∂W1 = (v.T · diag(step(h2)) · W2 · diag(1-h1^2))ᵀ · xᵀ",
    "two-layer-upstream": "∂f/∂W2 = (W3*(h2*(1-h2)).T)ᵀ · h1ᵀ",
}


@pytest.mark.parametrize("lesson_id", list(WALKED))
async def test_the_summary_is_built_from_the_answers_the_student_solved(make_app, store,
                                                                        catalog, lesson_id):
    lesson = catalog.get(lesson_id)
    store.set_seed(lesson_id, 1)
    for step_id, answer in WALKED[lesson_id]:
        verdict = lesson.check(step_id, answer, 1)
        assert verdict.correct, (step_id, answer, verdict.feedback)
        store.record_attempt(lesson_id, step_id, 1, answer, "correct", (), 2.0, solves=True)
    app = make_app(lesson_id=lesson_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_summary(pilot)
        derivative = text_of(pilot, "#summary-derivative")
        assert SHOWN[lesson_id] in derivative
        assert "[1 0; 0 0]" not in derivative and "diag(h2 ⊙ (1 − h2))" not in derivative
