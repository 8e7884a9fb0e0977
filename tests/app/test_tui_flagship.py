"""A student works through the flagship lesson in the TUI, and the store records it all."""

from __future__ import annotations

from tui_helpers import FLAGSHIP, settle, submit, text_of, type_text
from tui_helpers import FLAGSHIP_ANSWERS as ANSWERS

from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import CHECKING_AFTER, LessonScreen
from tutor.app.screens.summary import SummaryScreen


def current_step(pilot) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen)
    return screen.step.id


async def test_student_completes_the_flagship_lesson(make_app, store):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        # The intro comes first and Enter dismisses it.
        assert isinstance(app.screen, IntroScreen)
        await pilot.press("enter")
        assert current_step(pilot) == "df_dh2"

        # "Next" does nothing before the factor is solved or revealed.
        await pilot.press("pagedown")
        assert current_step(pilot) == "df_dh2"

        # An answer whose shapes clash is invalid: shown, stored, but not counted.
        feedback = await submit(pilot, "W3 * h2")
        assert "no attempt counted" in feedback
        assert "1×2" in text_of(pilot, "#preview") and "^" in text_of(pilot, "#preview")
        assert store.lesson(FLAGSHIP).steps["df_dh2"].attempts == 0
        assert [a.verdict for a in store.attempts(FLAGSHIP)] == ["invalid"]

        feedback = await submit(pilot, ANSWERS["df_dh2"])
        assert "✓ Correct" in feedback
        assert "W3" in text_of(pilot, "#chain")
        await pilot.press("pagedown")

        # A hint, one at a time, before answering.
        assert current_step(pilot) == "dh2_dz2"
        await pilot.press("f2")
        assert "Hint 1/3" in text_of(pilot, "#hints")
        assert "Hint 2/3" not in text_of(pilot, "#hints")
        assert store.lesson(FLAGSHIP).steps["dh2_dz2"].hints == 1
        assert "✓ Correct" in await submit(pilot, ANSWERS["dh2_dz2"])
        await pilot.press("pagedown")

        # A wrong answer, with its diagnosis.
        assert current_step(pilot) == "dz2_dh1"
        feedback = await submit(pilot, "W2.T")
        assert "✗ Not yet" in feedback
        assert "transpose" in feedback
        assert store.attempts(FLAGSHIP)[-1].diagnosis == ("transpose",)
        await pilot.press("enter")  # the same answer again is not another attempt
        await settle(pilot)
        assert store.lesson(FLAGSHIP).steps["dz2_dh1"].attempts == 1
        assert "✓ Correct" in await submit(pilot, ANSWERS["dz2_dh1"])
        await pilot.press("pagedown")

        # Reveal: the solution is shown and the step counts as revealed, even when retyped.
        assert current_step(pilot) == "dh1_dz1"
        await pilot.press("f3", "y")  # it asks first
        assert "diag(h1 * (1 - h1))" in text_of(pilot, "#feedback")
        assert store.lesson(FLAGSHIP).status_of("dh1_dz1") == "revealed"
        assert "✓ Correct" in await submit(pilot, ANSWERS["dh1_dz1"])
        assert store.lesson(FLAGSHIP).status_of("dh1_dz1") == "revealed"
        await pilot.press("pagedown")

        for step_id in ("df_dz1", "df_dW1"):
            assert current_step(pilot) == step_id
            assert "✓ Correct" in await submit(pilot, ANSWERS[step_id])
            await pilot.press("pagedown")

        # The summary assembles the derivative from the student's own factors.
        assert isinstance(app.screen, SummaryScreen)
        derivative = text_of(pilot, "#summary-derivative")
        assert "∂f/∂W1 = (W3 · diag(h2*(1-h2)) · W2 · diag(h1 * (1 - h1)))ᵀ · xᵀ" in derivative
        table = text_of(pilot, "#summary-table")
        assert "5 ✓ 1 ◇" in table

    state = store.lesson(FLAGSHIP)
    assert state.finished is not None
    assert sorted(s.status for s in state.steps.values()) == ["revealed"] + ["solved"] * 5
    counted = [a for a in store.attempts(FLAGSHIP) if a.verdict != "invalid"]
    assert len(counted) == 7  # six right answers (one retyped after the reveal) and W2.T
    assert all(a.seed == 1 and a.elapsed > 0 for a in store.attempts(FLAGSHIP))


async def test_hint_greys_out_when_none_is_left(make_app):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert screen.check_action("hint", ()) is True
        assert screen.check_action("next_step", ()) is None
        await pilot.press("f2", "f2")
        assert "Hint 2/2" in text_of(pilot, "#hints")
        assert screen.check_action("hint", ()) is None
        await pilot.press("f2")
        assert "Hint 3" not in text_of(pilot, "#hints")


async def test_typing_on_during_a_check_keeps_the_answer_but_shows_no_stale_verdict(
    make_app, store, monkeypatch
):
    """A check is slow here; the student edits the answer meanwhile: the answer sent is
    checked and kept (it solves the step), but no verdict appears over the new text."""
    import threading

    from tutor.lessons.model import Lesson

    release = threading.Event()
    original = Lesson.check

    def slow_check(self, *args, **kwargs):
        release.wait(5)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Lesson, "check", slow_check)
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await type_text(pilot, "W3")
        await pilot.press("enter")
        await pilot.pause(CHECKING_AFTER + 0.2)  # a check this slow says so
        assert "checking…" in text_of(pilot, "#feedback")
        await pilot.press("backspace")  # typing on
        release.set()
        await settle(pilot)
        assert "Correct" not in text_of(pilot, "#feedback")
        assert "✓ solved" in text_of(pilot, "#prompt")
        assert [(a.answer, a.verdict) for a in store.attempts(FLAGSHIP)] == [("W3", "correct")]
        assert store.lesson(FLAGSHIP).status_of("df_dh2") == "solved"


async def test_reset_step_asks_first(make_app, store):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await submit(pilot, "W3")
        await pilot.press("f5")
        await pilot.press("n")  # keep it
        assert store.lesson(FLAGSHIP).status_of("df_dh2") == "solved"
        await pilot.press("f5")
        await pilot.press("y")
        await pilot.pause()
        assert store.lesson(FLAGSHIP).status_of("df_dh2") is None
        assert "?" in text_of(pilot, "#chain").splitlines()[1]


async def test_reset_lesson_returns_to_the_first_step(make_app, store):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await submit(pilot, "W3")
        await pilot.press("pagedown")
        await submit(pilot, "diag(h2*(1-h2))")
        await pilot.press("ctrl+r")
        await pilot.click("#yes")
        await pilot.pause()
        assert current_step(pilot) == "df_dh2"
        assert store.lesson(FLAGSHIP).done_count() == 0


async def test_new_variant_from_the_summary_uses_a_new_seed(make_app, store):
    for step_id, answer in ANSWERS.items():
        store.set_seed(FLAGSHIP, 1)
        store.record_attempt(FLAGSHIP, step_id, 1, answer, "correct", (), 10.0)
        store.mark(FLAGSHIP, step_id, "solved")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        assert current_step(pilot) == "df_dW1"  # everything done: the last step
        await pilot.press("pagedown")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("n", "y")  # a new variant, once asked
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen) and screen.seed == 42
        assert current_step(pilot) == "df_dh2"
    assert store.lesson(FLAGSHIP).seed == 42
    assert store.lesson(FLAGSHIP).done_count() == 0


POSTED = "W3 * sigma(W2@h1)*(1-sigma(W2@h1)) * sigma(W1@x)*(1-sigma(W1@x))"


async def test_the_posted_closed_form_is_explained_in_full_at_80x24(make_app, store):
    store.set_seed(FLAGSHIP, 1)
    for step_id in ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1"):
        store.mark(FLAGSHIP, step_id, "solved")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert current_step(pilot) == "df_dW1"
        await type_text(pilot, POSTED)
        full = text_of(pilot, "#preview")
        assert "^" in full and "work out from these shapes" in full  # where and what to do
        assert "add .T" not in full  # each rewrite would still be wrong: none is offered
        feedback = await submit(pilot, POSTED)
        assert "known mistake" in feedback and "three ways" in feedback
        preview = text_of(pilot, "#preview")
        assert "needs equal shapes" in preview and "^" not in preview
        box = app.screen.query_one("#feedback-box")
        assert box.max_scroll_y == 0  # the whole explanation is on screen
        await pilot.press("space")  # typing on brings the caret lines back
        await pilot.pause()
        assert "^" in text_of(pilot, "#preview")


async def test_the_entries_that_are_off_are_marked_in_a_grid_of_the_students_values(
    make_app, store
):
    store.set_seed(FLAGSHIP, 1)
    store.mark(FLAGSHIP, "df_dh2", "solved")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert current_step(pilot) == "dh2_dz2"
        feedback = await submit(pilot, "[0.2431 0.1; 0 0.2485]")
        assert "entry (1,2) is off, the others are right" in feedback
        rows = [line for line in feedback.splitlines() if line.strip().startswith("[")]
        assert len(rows) == 2
        assert "0.1✗" in rows[0] and "✗" not in rows[1]  # only (1,2) is marked
        feedback = await submit(pilot, "[0.24 0; 0 0.25]")  # rounded short: free
        assert "No attempt counted" in feedback and "two significant figures" in feedback
        feedback = await submit(pilot, "[0.2445 0; 0 0.2485]")  # a near miss, not rounding
        assert "Close to ∂h2/∂z2" in feedback and "three significant figures" in feedback


async def test_the_last_step_takes_df_dz1_and_the_preview_says_what_it_stands_for(
    make_app, store
):
    store.set_seed(FLAGSHIP, 1)
    for step_id in ("df_dh2", "dh2_dz2", "dz2_dh1", "dh1_dz1", "df_dz1"):
        store.mark(FLAGSHIP, step_id, "solved")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert current_step(pilot) == "df_dW1"
        await type_text(pilot, "df_dz1.T @ x.T")
        preview = text_of(pilot, "#preview")
        assert "df_dz1 stands for ∂f/∂z1 (1×2)" in preview
        assert "2×2, the factor's shape" in preview
        feedback = await submit(pilot, "df_dz1.T @ x.T")
        assert "✓ Correct" in feedback
        assert store.lesson(FLAGSHIP).steps["df_dW1"].status == "solved"


def test_a_transposed_answer_shows_no_grid_of_the_true_values_and_codes_read_as_words():
    from tutor.app.widgets.feedback import DIAGNOSIS_NAMES, marked_rows
    from tutor.lessons.load import load_catalog

    lesson = load_catalog().get(FLAGSHIP)
    transposed = lesson.check("dz2_dh1", "W2.T", 1)
    assert "transpose" in transposed.diagnosis and transposed.entries
    assert marked_rows(transposed) == []  # every true value, only swapped: no grid
    wrong = lesson.check("dh2_dz2", "[0.2431 0.1; 0 0.2485]", 1)
    assert marked_rows(wrong)  # an answer with a wrong entry still gets its grid
    from tutor.engine.edits import CODES

    for code in ("precision", "missing-factor", "extra-factor", "order", "factor-transposed",
                 "wrong-point", "precedence", *CODES):
        assert code in DIAGNOSIS_NAMES


def test_numbers_rounded_short_say_no_attempt_counted_and_a_precedence_slip_is_named():
    from tutor.app.widgets.feedback import verdict_content
    from tutor.lessons.load import load_catalog

    lesson = load_catalog().get(FLAGSHIP)
    rounded = lesson.check("df_dW1", "[0.0065 -0.019; 0.01 -0.031]", 2)
    shown = verdict_content(rounded, lesson.step("df_dW1"), True).plain
    assert shown.startswith("⚠ No attempt counted. ") and "two significant figures" in shown
    grouped = lesson.check("dh2_dz2", "diag(h2 * 1-h2)", 1)
    shown = verdict_content(grouped, lesson.step("dh2_dz2"), False).plain
    assert shown.startswith("✗ Not yet  (right, grouped otherwise)")
    assert "`1-h2` is in parentheses" in shown
