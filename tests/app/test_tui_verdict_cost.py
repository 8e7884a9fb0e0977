"""What a verdict costs the screen: the widgets it redraws ask for no layout of the whole
screen unless their size changes (issue #24: a lab of 50 answering at once is bounded by
the CPU of each verdict, most of it Textual laying out and redrawing the lesson screen).
Counted, not timed."""

from __future__ import annotations

from textual.widget import Widget
from tui_helpers import FLAGSHIP, settle, type_text

from tutor.app.widgets.feedback import Feedback


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
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "W3")
        await settle(pilot)
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
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "W3")
        await settle(pilot)
        monkeypatch.setattr(Feedback, "say", say)
        await pilot.press("enter")
        await settle(pilot)
        assert any("✓ Correct" in text for text in said)
        assert not any("checking" in text for text in said)
