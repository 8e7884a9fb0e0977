"""The lesson screen's path as a student walks it (issue 14): no dead ends, no surprises.

Enter moves on from a solved step; reveal asks first; what is typed with the focus
elsewhere lands in the answer box; Up and Down walk the step's earlier answers; the
header shows the chain the current step belongs to; an empty answer is told so; and
every key in the footer, with its Ctrl partner, fits at the smallest size claimed.
"""

from __future__ import annotations

from pathlib import Path

from tui_helpers import FLAGSHIP, FLAGSHIP_ANSWERS, settle, submit

from tutor.app.screens.lesson import LessonScreen
from tutor.app.widgets.answer import AnswerInput
from tutor.app.widgets.chain import ChainView

README = Path(__file__).parents[2] / "README.md"


def step_of(pilot) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, LessonScreen), screen
    return screen.step.id


def answer_box(pilot) -> AnswerInput:
    return pilot.app.screen.query_one(AnswerInput)


def solved_up_to(store, last: str) -> None:
    """The flagship's steps before ``last`` (excluded) solved, with seed 1."""
    store.set_seed(FLAGSHIP, 1)
    for step_id, answer in FLAGSHIP_ANSWERS.items():
        if step_id == last:
            return
        store.record_attempt(FLAGSHIP, step_id, 1, answer, "correct", (), 3.0)
        store.mark(FLAGSHIP, step_id, "solved")


# -- 5. The header's chain --------------------------------------------------------------------
async def test_the_header_shows_the_chain_of_the_step_being_asked(make_app, store):
    app = make_app(lesson_id="two-layer-upstream")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        assert step_of(pilot) == "df_dW3"
        chain = app.screen.query_one(ChainView)
        assert chain.goal_label == "∂f/∂W3"  # not the goal ∂f/∂W2, which it is not part of
        assert str(chain.content) == "∂f/∂W3 = ?\n"  # a factor of nothing: its own slot
        await submit(pilot, "h2.T")
        await pilot.press("pagedown")  # on to ∂f/∂h2, a factor of the goal
        await settle(pilot)
        assert step_of(pilot) == "df_dh2"
        assert chain.goal_label == "∂f/∂W2"
        assert "∂f/∂h2" in str(chain.content)


async def test_lesson_two_shows_ds_dt_while_asking_it(make_app):
    app = make_app(lesson_id="sigmoid-derivative")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(pilot) == "ds_dt"
        screen = app.screen
        label = screen.step.label
        assert screen.query_one(ChainView).goal_label == label
        assert "∂g/∂z" not in str(screen.query_one(ChainView).content)
