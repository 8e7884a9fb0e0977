"""The lesson screen's path as a student walks it (issue 14): no dead ends, no surprises.

Enter moves on from a solved step; reveal asks first; what is typed with the focus
elsewhere lands in the answer box; Up and Down walk the step's earlier answers; the
header shows the chain the current step belongs to; an empty answer is told so; and
every key in the footer, with its Ctrl partner, fits at the smallest size claimed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input
from tui_helpers import FLAGSHIP, FLAGSHIP_ANSWERS, settle, submit, text_of, type_text

from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.help import HelpScreen
from tutor.app.screens.lesson import LessonScreen
from tutor.app.screens.summary import SummaryScreen
from tutor.app.screens.too_small import MIN_SIZE
from tutor.app.textual_patches import FooterKey, FooterLabel
from tutor.app.widgets.answer import AnswerInput
from tutor.app.widgets.chain import ChainView
from tutor.app.widgets.footer import SteadyFooter

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


# -- 1. Enter on a solved step moves on ---------------------------------------------------
async def test_enter_on_a_solved_step_goes_to_the_next_and_after_the_last_to_the_summary(
        make_app, store):
    solved_up_to(store, "df_dz1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        feedback = await submit(pilot, FLAGSHIP_ANSWERS["df_dz1"])
        assert "✓ Correct" in feedback and "Enter: the next factor." in feedback
        assert "PgDn" not in feedback
        await pilot.press("enter")  # the box unchanged
        await settle(pilot)
        assert step_of(pilot) == "df_dW1"
        feedback = await submit(pilot, FLAGSHIP_ANSWERS["df_dW1"])
        assert "Enter: the summary." in feedback
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
    # Moving on is not another attempt.
    assert [a.step_id for a in store.attempts(FLAGSHIP)][-2:] == ["df_dz1", "df_dW1"]


async def test_enter_on_a_solved_step_with_new_text_checks_that_text(make_app, store):
    solved_up_to(store, "dh2_dz2")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await submit(pilot, FLAGSHIP_ANSWERS["dh2_dz2"])
        feedback = await submit(pilot, "W3")  # changed: checked, not moved on
        assert "✗ Not yet" in feedback and step_of(pilot) == "dh2_dz2"
        await pilot.press("enter")  # the same wrong text again: nothing, as before
        await settle(pilot)
        assert step_of(pilot) == "dh2_dz2"
        # Back on a done step from the next one, the box is empty: Enter goes on again.
        await pilot.press("pagedown", "pageup")
        await settle(pilot)
        assert answer_box(pilot).value == ""
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(pilot) == "dz2_dh1"


async def test_enter_after_a_reveal_goes_to_the_next_step(make_app, store):
    solved_up_to(store, "dz2_dh1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await submit(pilot, "W2.T")
        await pilot.press("f3", "y")
        await settle(pilot)
        assert "Enter: the next factor." in text_of(pilot, "#feedback")
        await pilot.press("enter")
        await settle(pilot)
        assert step_of(pilot) == "dh1_dz1"
    assert store.lesson(FLAGSHIP).status_of("dz2_dh1") == "revealed"


# -- 2. Reveal asks first -------------------------------------------------------------------
@pytest.mark.parametrize("key", ["f3", "ctrl+o"])
async def test_reveal_asks_first_and_no_keeps_the_step_open(make_app, store, key):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Reveal the solution" in str(app.screen.query_one("#confirm-question").content)
        await pilot.press("enter")  # "No" has the focus: a reflex keeps the step open
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert store.lesson(FLAGSHIP).status_of("df_dh2") is None
        assert "Solution" not in text_of(pilot, "#feedback")
        await pilot.press(key, "y")
        await pilot.pause()
        assert "Solution: W3" in text_of(pilot, "#feedback")
    assert store.lesson(FLAGSHIP).status_of("df_dh2") == "revealed"


# -- 3. Typing with the focus elsewhere ------------------------------------------------------
async def test_typing_after_f6_and_tab_lands_in_the_answer_box_in_order(make_app, store):
    solved_up_to(store, "dz2_dh1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        answer = answer_box(pilot)
        answer.value = ""
        await pilot.press("f6", "tab")
        await pilot.pause()
        assert app.focused is not answer
        # All at once, as a terminal delivers a burst: nothing dropped, nothing reordered.
        for key in [*"W2", "enter"]:
            app.post_message(events.Key(key, "\r" if key == "enter" else key))
        await settle(pilot)
        await settle(pilot)
        assert app.focused is answer
        assert answer.value == "W2"
        assert "✓ Correct" in text_of(pilot, "#feedback")
    assert store.lesson(FLAGSHIP).status_of("dz2_dh1") == "solved"


async def test_a_paste_with_the_focus_elsewhere_lands_in_the_answer_box(make_app, store):
    solved_up_to(store, "dz2_dh1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        answer_box(pilot).value = ""
        await pilot.press("f6", "tab")
        app.post_message(events.Paste("W2.T\nsecond line"))
        await settle(pilot)
        assert app.focused is answer_box(pilot)
        assert answer_box(pilot).value == "W2.T"


# -- 4. Up and Down walk the step's earlier answers --------------------------------------------
async def test_up_and_down_walk_the_steps_answers_and_keep_the_unsent_text(make_app, store):
    solved_up_to(store, "dh2_dz2")
    store.record_attempt(FLAGSHIP, "df_dh2", 1, "W3.T", "incorrect", (), 2.0)  # other step
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for text in ("h2 * (1 - h2)", "diag(h2)", "h2 * (1 - h2)"):
            await submit(pilot, text)
        await type_text(pilot, "diag(h2*(1-")  # not sent
        answer = answer_box(pilot)
        seen = []
        for key in ("up", "up", "up", "down", "down", "down"):
            await pilot.press(key)
            seen.append(answer.value)
        assert seen == ["h2 * (1 - h2)", "diag(h2)", "diag(h2)",  # no older one
                        "h2 * (1 - h2)", "diag(h2*(1-", "diag(h2*(1-"]
        assert answer.cursor_position == len(answer.value)
        # An earlier answer, edited and sent, is checked like any other.
        await pilot.press("up")
        await pilot.press("backspace", *"h2)")  # diag(h2) → diag(h2*(1-h2)) by hand
        answer.value = "diag(h2*(1-h2))"
        await pilot.press("enter")
        await settle(pilot)
        assert "✓ Correct" in text_of(pilot, "#feedback")


async def test_the_history_starts_with_the_answer_just_sent(make_app, store):
    solved_up_to(store, "dh2_dz2")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_text(pilot, "")
        await pilot.press("up")  # no answers yet: nothing to walk
        assert answer_box(pilot).value == ""
        await submit(pilot, "W3")
        await type_text(pilot, "")
        await pilot.press("up")
        assert answer_box(pilot).value == "W3"


# -- 5. The header's chain --------------------------------------------------------------------
async def test_the_header_shows_the_chain_of_the_step_being_asked(make_app, store):
    app = make_app(lesson_id="two-layer-upstream")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        assert step_of(pilot) == "df_dW3"
        chain = app.screen.query_one(ChainView)
        assert chain.goal_label == "∂f/∂W3"  # not the goal ∂f/∂W2, which it is not part of
        # A factor of nothing: its own slot, then (as on every step) the row of ids.
        assert str(chain.content).split("\n")[:2] == ["∂f/∂W3 = ?", ""]
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


# -- 6. An empty answer -----------------------------------------------------------------------
async def test_enter_on_an_empty_box_says_to_type_the_factor_first(make_app, store):
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(60, 18)) as pilot:
        await pilot.press("enter")  # past the intro
        await settle(pilot)
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        feedback = text_of(pilot, "#feedback")
        assert feedback.startswith("Type the factor first")
        assert "under the answer box" not in feedback
        assert step_of(pilot) == "df_dh2"
    assert store.attempts(FLAGSHIP) == []


# -- 7. Keys: a Ctrl partner for each, all in view at the smallest size --------------------------
def footer_entries(screen) -> list[tuple[str, str]]:
    """(keys, label) as the footer shows them, left to right; a group's keys share a label."""
    entries: list[tuple[str, str]] = []
    pending: list[str] = []
    footer = screen.query_one(SteadyFooter)
    for widget in footer.query("FooterKey, FooterLabel"):
        if isinstance(widget, FooterKey) and not widget.description:
            pending.append(widget.key_display)
        elif isinstance(widget, FooterKey):
            entries.append((widget.key_display, widget.description))
        elif isinstance(widget, FooterLabel):
            entries.extend((keys, str(widget.content)) for keys in pending)
            pending = []
    return entries


SIZES = [MIN_SIZE, (80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES)
async def test_every_footer_key_is_in_view_with_its_ctrl_partner(make_app, store, size):
    solved_up_to(store, "dz2_dh1")
    app = make_app(lesson_id=FLAGSHIP)
    width, height = size
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        entries = footer_entries(app.screen)
        labels = [label for _keys, label in entries]
        assert {"Step", "Hint", "Reveal", "Reset", "Values", "Lessons", "Quit", "Help"} <= set(
            labels)
        for keys, label in entries:
            assert keys in ("Esc", "^q") or "/^" in keys, (keys, label)  # a Ctrl partner
        for key in app.screen.query(FooterKey):
            region = key.region
            assert region.width > 0 and region.right <= width, key
            assert 0 <= region.y < height, key
        # The verdict's last line is in view above the footer.
        feedback = await submit(pilot, "W2")
        assert "Enter: the next factor." in feedback
        box = app.screen.query_one("#feedback-box")
        assert box.max_scroll_y == 0


async def test_the_ctrl_partners_act_as_the_keys_they_stand_beside(make_app, store):
    solved_up_to(store, "dz2_dh1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g")  # F2
        await pilot.pause()
        assert "Hint 1/" in text_of(pilot, "#hints")
        await pilot.press("ctrl+p")  # PgUp
        await settle(pilot)
        assert step_of(pilot) == "dh2_dz2"
        await pilot.press("ctrl+n")  # PgDn
        await settle(pilot)
        assert step_of(pilot) == "dz2_dh1"
        await pilot.press("ctrl+f")  # F6
        await pilot.pause()
        assert app.screen.has_class("-side-open")
        await pilot.press("ctrl+t")  # F5
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.press("ctrl+l")  # F1
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+l")  # and back
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("ctrl+y")  # the command palette
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"


def readme_keys() -> list[tuple[str, str, str]]:
    """The README's Keys table: (keys, footer label, what it does), one per row."""
    section = README.read_text(encoding="utf-8").split("\n## Keys\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    return [(re.sub(r"`", "", keys), label, what) for keys, label, what in cells]


async def test_the_readme_keys_table_matches_the_footer(make_app, store):
    solved_up_to(store, "dz2_dh1")
    app = make_app(lesson_id=FLAGSHIP)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = footer_entries(app.screen)
    table = readme_keys()
    in_footer = [(keys, label) for keys, label, _what in table if label]
    assert in_footer == shown
    # The keys the footer does not show are in the table too, and none twice.
    others = {keys for keys, label, _what in table if not label}
    assert {"Enter", "Up / Down", "F4", "^r", "^y"} <= others
    assert len({keys for keys, _label, _what in table}) == len(table)
