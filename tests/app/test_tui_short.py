"""The lesson screen at the smallest size it draws (60×18): the verdict has room to be read
and the step counter stays in view.

Below 22 rows the answer box is one line and, once a verdict explains the answer, what the
parser read takes one line too; the rows go to the verdict, which had two. A title too long
for the width is cut before the step counter is.
"""

from __future__ import annotations

from textual.widgets import Static
from tui_helpers import FLAGSHIP, FLAGSHIP_ANSWERS, submit, text_of

SMALLEST = (60, 18)


def solve_before(store, lesson_id: str, answers: dict[str, str], upto: str) -> None:
    store.set_seed(lesson_id, 1)
    for step_id, answer in answers.items():
        if step_id == upto:
            return
        store.record_attempt(lesson_id, step_id, 1, answer, "correct", (), 2.0, solves=True)


async def test_a_verdict_gets_the_rows_at_60_by_18(make_app, store):
    solve_before(store, FLAGSHIP, FLAGSHIP_ANSWERS, "df_dz1")
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=SMALLEST) as pilot:
        feedback = await submit(pilot, "W3 @ W2 @ diag(h1*(1-h1))")
        assert "is missing" in feedback
        box = app.screen.query_one("#feedback-box")
        assert box.outer_size.height >= 5, box.outer_size  # it had 2 rows
        assert app.screen.query_one("#answer").outer_size.height == 1
        assert app.screen.query_one("#preview").outer_size.height == 1


async def test_the_answer_box_is_framed_again_on_a_taller_screen(make_app, store):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        assert app.screen.query_one("#answer").outer_size.height == 3


async def test_a_long_title_is_cut_before_the_step_counter(make_app, store):
    store.set_seed("two-layer-upstream", 1)
    store.record_hint("two-layer-upstream", "df_dW3")  # started: no intro first
    app = make_app(lesson_id="two-layer-upstream", seed=1)
    async with app.run_test(size=SMALLEST) as pilot:
        await pilot.pause()
        title = text_of(pilot, "#lesson-title")
        assert title.endswith("·  step 1/7 · seed 1") and "…" in title
        assert len(title) <= SMALLEST[0] - 2
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        title = str(app.screen.query_one("#lesson-title", Static).content)
        assert title.startswith("Two sigmoid layers: every weight, reusing the upstream "
                                "gradient  ·  step 1/7")
