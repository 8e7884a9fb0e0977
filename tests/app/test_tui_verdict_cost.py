"""What a verdict costs the screen: the widgets it redraws ask for no layout of the whole
screen unless their size changes (issue #24: a lab of 50 answering at once is bounded by
the CPU of each verdict, most of it Textual laying out and redrawing the lesson screen).
Counted, not timed."""

from __future__ import annotations

from textual.screen import Screen
from textual.widget import Widget
from tui_helpers import FLAGSHIP, settle, type_text

from tutor.app.textual_patches import FooterKey
from tutor.app.widgets.answer import AnswerInput
from tutor.app.widgets.feedback import Feedback


async def answer_typed(pilot, text: str) -> None:
    """Past the intro, ``text`` typed into the first step's box, nothing left running."""
    await pilot.press("enter")
    await settle(pilot)
    await type_text(pilot, text)
    await settle(pilot)


def record_layout_requests(monkeypatch) -> list[Widget]:
    asked: list[Widget] = []
    original = Widget.refresh

    def refresh(self, *regions, repaint=True, layout=False, recompose=False):
        if layout:
            asked.append(self)
        return original(self, *regions, repaint=repaint, layout=layout, recompose=recompose)

    monkeypatch.setattr(Widget, "refresh", refresh)
    return asked


async def test_a_verdict_lays_out_the_screen_only_for_the_feedback_whose_height_changes(
        make_app, monkeypatch):
    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_typed(pilot, "W3")
        asked = record_layout_requests(monkeypatch)
        await pilot.press("enter")
        await settle(pilot)
        assert "✓ Correct" in str(app.screen.query_one(Feedback).content)
        # The chain, the prompt, the factor lists (in closed panels at 80 columns) and the
        # preview change but keep their heights: redrawn in place. The feedback shows
        # ("checking…"), then grows to the verdict; a layout that resizes it asks for no
        # second one.
        assert {type(widget).__name__ for widget in asked} == {"Feedback"}
        assert len(asked) <= 3


async def test_a_quick_verdict_is_drawn_without_a_checking_frame_before_it(make_app,
                                                                          monkeypatch):
    """"checking…" shows only for a check that takes longer than CHECKING_AFTER: a quick
    verdict is one frame, not two (with fifty students answering at once, the extra
    frames, and the cursor's blinks while waiting, made every verdict later)."""
    said: list[str] = []
    original = Feedback.say

    def say(self, content):
        said.append(str(content))
        return original(self, content)

    app = make_app(lesson_id=FLAGSHIP, seed=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_typed(pilot, "W3")
        monkeypatch.setattr(Feedback, "say", say)
        await pilot.press("enter")
        await settle(pilot)
        assert any("✓ Correct" in text for text in said)
        assert not any("checking" in text for text in said)


async def test_a_verdict_is_one_frame_and_the_cursor_holds_still_while_it_is_read(
        make_app, monkeypatch):
    """Enter draws nothing of its own (not the cursor shown again), the footer's keys
    grey in and out in the verdict's frame (not in one a moment later, restyled from the
    stylesheet), and no blink redraws the box while the verdict is read: one frame, where
    there were three (issue #24: a lab of fifty answering at once waits on this CPU)."""
    frames: list[set[str]] = []
    original = Screen._compositor_refresh

    def compositor_refresh(self):
        frames.append({type(widget).__name__ for widget in self._dirty_widgets})
        return original(self)

    app = make_app(lesson_id=FLAGSHIP, seed=1, cursor_blink=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await answer_typed(pilot, "W3")
        answer = app.screen.query_one(AnswerInput)
        answer._cursor_visible = False  # between two blinks
        await pilot.pause()
        keys = {key.action: key for key in app.screen.query(FooterKey)}
        greyed = {action for action, key in keys.items() if key.has_class("-greyed")}
        monkeypatch.setattr(Screen, "_compositor_refresh", compositor_refresh)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.1)
        assert "✓ Correct" in str(app.screen.query_one(Feedback).content)
        now = {action for action, key in keys.items() if key.has_class("-greyed")}
        assert now != greyed  # Next greyed in, Reveal out: keys changed in this verdict
        assert len(frames) == 1, frames
        assert {"Feedback", "GreyableKey", "AnswerInput"} <= frames[0]
        assert answer._cursor_visible  # shown, steady
        assert not blink_ticking(answer)
        await pilot.press("x")  # the next key sets it blinking again
        assert blink_ticking(answer)


def blink_ticking(answer: AnswerInput) -> bool:
    timer = answer._blink_timer
    return timer is not None and timer._active.is_set()
