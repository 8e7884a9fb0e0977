"""What the keys of a lesson do: hint, reveal, the next and previous step, the resets, the
intro, the values panel, back to the lessons; which of them apply now (greyed out in the
footer otherwise), and what the command palette and F1 offer on a lesson; and the
outcome of a check as the screen receives it from its worker thread.

A base of LessonScreen (tutor/app/screens/lesson.py), which declares the keys and draws;
every action here changes the session, then asks the screen to draw it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.app import SystemCommand
from textual.content import Content

from tutor.app.model import step_ids_help
from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.intro import IntroScreen
from tutor.app.widgets.answer import AnswerInput
from tutor.app.widgets.feedback import (
    Feedback,
    correct_content,
    revealed_content,
    worked_content,
)
from tutor.engine import Verdict
from tutor.session import Checked

# What the command palette offers on this screen: action, title, help.
PALETTE = (
    ("hint", "Hint", "Show the next hint for this factor"),
    ("reveal", "Reveal the solution", "Show the answer (the step counts as revealed)"),
    ("next_step", "Next factor", "Go to the next step"),
    ("previous_step", "Previous factor", "Go back one step"),
    ("reset_step", "Reset this step", "Clear its status, hints and attempts"),
    ("reset_lesson", "Reset the lesson", "Start every step again (same numbers)"),
    ("intro", "Show the introduction", "Read the lesson's intro again"),
    ("toggle_values", "Toggle the values panel", "Show or hide the numbers and the graph"),
    ("back", "Back to the lessons", "Return to the lesson picker"),
)


@dataclass(frozen=True)
class CheckOutcome:
    """A saved verdict, and the token of the screen's state it was sent from."""

    token: int
    checked: Checked

    @property
    def step_id(self) -> str:
        return self.checked.step_id

    @property
    def text(self) -> str:
        return self.checked.text

    @property
    def verdict(self) -> Verdict:
        return self.checked.verdict


class LessonActions:
    """The actions of LessonScreen's keys (its session, step and widgets are the screen's)."""

    def help_part(self) -> str:
        """What F1 says about this lesson: its step ids, and which this step may use."""
        return step_ids_help(self.session.step_names())

    def palette_commands(self) -> list[SystemCommand]:
        """What the command palette offers on this screen: the actions that apply now."""
        return [
            SystemCommand(title, help_text, partial(self.run_action, action))
            for action, title, help_text in PALETTE
            if self.check_action(action, ())
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not hasattr(self, "session"):
            return action != "reveal_off"
        if action in ("reveal", "reveal_off"):  # one of F3's two faces is shown, not both
            off = self.session.reveal_off is not None
            if off != (action == "reveal_off"):
                return False
        enabled = self.session.available().get(action)
        if enabled is None:
            return True
        return True if enabled else None  # None: shown greyed out in the footer

    def action_hint(self) -> None:
        self.remove_class("-side-open")  # what is said next must be seen
        self.session.hint()
        self.redraw()
        self.query_one("#feedback-box").scroll_end(animate=False)

    def action_reveal(self) -> None:
        step_id = self.step.id

        def reveal(yes: bool | None) -> None:
            # The step may have been solved meanwhile (a check that was still running).
            if not yes or self.step.id != step_id or not self.session.reveal():
                return
            self.remove_class("-side-open")  # what is said next must be seen
            self.token += 1  # a check still running is saved, but its verdict is not shown
            self.checking = None
            self.settled = self.query_one(AnswerInput).value
            self.redraw()
            self.query_one(Feedback).say(revealed_content(self.step, self.is_last))

        detail = "The step then counts as revealed, not solved, for good."
        if self.session.available()["hint"]:
            detail += " A hint (F2) may get you there yourself."
        self.app.push_screen(
            ConfirmScreen(f"Reveal the solution of {self.step.label}?", detail, yes="Reveal"),
            reveal,
        )

    def standing_feedback(self) -> Content:
        """What the feedback area says when no check has just happened."""
        factor = self.factor
        if factor.status == "solved":
            verdict = Verdict("correct", f"✓ Solved: {factor.answer}")
            return correct_content(verdict, self.step, self.is_last)
        if factor.status == "revealed" and self.session.studied:
            return worked_content(self.step, self.is_last)
        if factor.status == "revealed":
            return revealed_content(self.step, self.is_last)
        return Content("")

    def action_reveal_off(self) -> None:
        """F3 where the course says Reveal is off: why, instead of the solution."""
        self.notify(self.session.reveal_off or "", title="Reveal is off", markup=False)

    def action_next_step(self) -> None:
        if self.session.next():
            self.navigator.show_summary(self.session, self)
            return
        self.show_step()

    def action_previous_step(self) -> None:
        if self.index > 0:
            self.session.go_to(self.index - 1)
            self.show_step()

    def action_reset_step(self) -> None:
        def reset(yes: bool | None) -> None:
            if yes:
                self.session.reset_step()
                self.show_step()

        self.app.push_screen(
            ConfirmScreen(
                f"Reset {self.step.label}?",
                "Its status, hints and attempt count are cleared; your history is kept.",
            ),
            reset,
        )

    def action_reset_lesson(self) -> None:
        def reset(yes: bool | None) -> None:
            if yes:
                self.session.reset_lesson()
                self.show_step()

        self.app.push_screen(
            ConfirmScreen(
                "Reset the whole lesson?",
                "Every step starts again with the same numbers; your history is kept.",
            ),
            reset,
        )

    def action_intro(self) -> None:
        self.app.push_screen(IntroScreen(self.lesson))

    def action_toggle_values(self) -> None:
        if self.has_class("-wide"):
            self.toggle_class("-side-closed")
        else:
            self.toggle_class("-side-open")

    def action_back(self) -> None:
        self.navigator.back_to_lessons(self)
