"""The end of a lesson: the whole derivative from the student's factors, and what it took.

Then where to go: the next lesson (the way on), a new variant of this one (asked
first: its steps start again, though the lesson stays finished), the steps again, or
the lessons.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from tutor.app.model import FactorState, assembled, chain_pieces, factor_states, goal_step
from tutor.app.notation import duration, matrix_rows
from tutor.app.screens.confirm import ConfirmScreen
from tutor.app.screens.navigation import Navigator
from tutor.app.screens.skills import skill_bars
from tutor.app.screens.too_small import TooSmallNote
from tutor.engine import evaluate
from tutor.lessons.model import Lesson
from tutor.progress import ProgressStore
from tutor.session import solving_attempts

if TYPE_CHECKING:
    from tutor.progress.tracing import SkillState

STATUS_WORDS = {"solved": "✓ solved", "revealed": "◇ revealed", None: "· open"}


WIDE = 80  # columns from which the four buttons fit in one row


class SummaryScreen(Screen[str]):
    """Dismissed with "next" (the next lesson), "new" (a new variant, once confirmed),
    "review" (back to the steps) or "lessons"."""

    BINDINGS = [
        # Short words: with Quit and Help the footer fits in 60 columns.
        Binding("ctrl+n", "choose('next')", "Next", id="next-lesson"),
        Binding("n", "new_variant", "New variant", id="new-variant"),
        Binding("r", "choose('review')", "Review", id="review"),
        Binding("escape", "choose('lessons')", "Lessons", id="lessons"),
        # Not in the footer, which fits 60 columns as it is: the skills' heading says it.
        Binding("s", "skills", "Skills", id="summary-skills", show=False),
    ]

    def __init__(self, lesson: Lesson, seed: int, store: ProgressStore,
                 next_lesson: str | None = None, navigator: Navigator | None = None) -> None:
        """``next_lesson``: how to name the lesson that follows (None after the last).
        ``navigator``: where the skills come from (none: no skills shown)."""
        super().__init__()
        self.lesson = lesson
        self.seed = seed
        self.store = store
        self.next_lesson = next_lesson
        self.navigator = navigator

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        factors, times = self._progress()
        yield Static(
            Content.assemble(
                ("Lesson complete: ", "bold $text-success"), (self.lesson.title, "bold")
            ),
            classes="screen-title",
        )
        with VerticalScroll(id="summary-scroll"):
            yield Static(self.derivative(factors), id="summary-derivative")
            yield Static(self.table(factors, times), id="summary-table")
            yield Static(self.next_line(), id="summary-next")
            with Horizontal(id="summary-buttons"):
                if self.next_lesson is not None:
                    yield Button("Next lesson (^n)", id="next", variant="primary")
                yield Button("New variant (n)", id="new")
                yield Button("Review steps (r)", id="review")
                yield Button("Lessons (Esc)", id="lessons-button")
            yield Static(id="summary-skills")  # once traced: show_skills
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # Enter on a reflex goes on to the next lesson, or back to the lessons after the last.
        # Not scrolled to: the derivative at the top is what a short terminal shows first.
        first = "#next" if self.next_lesson is not None else "#lessons-button"
        self.query_one(first, Button).focus(scroll_visible=False)
        if self.navigator is not None:
            self.navigator.trace_skills(self.show_skills)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < WIDE, "-narrow")

    def next_line(self) -> Content:
        if self.next_lesson is None:
            return Content.styled("That was the last lesson.", "$text-muted")
        return Content.assemble(("Next: ", "bold"), self.next_lesson)

    def _progress(self) -> tuple[dict[str, FactorState], dict[str, float]]:
        state = self.store.lesson(self.lesson.id)
        solving = solving_attempts(self.store, self.lesson, self.seed)
        times = defaultdict(float, self.store.time_spent(self.lesson.id, self.seed))
        return factor_states(self.lesson, state, solving), times

    def derivative(self, factors: dict[str, FactorState]) -> Content:
        goal = goal_step(self.lesson)
        formula = assembled(chain_pieces(self.lesson, factors, as_solved=True))
        value = evaluate(self.lesson.factors[goal.id].expected, self.variant_values())
        rows = [
            Content.styled("The whole derivative, from your factors:", "bold"),
            Content.assemble((f"  {goal.label} = ", "bold"), (formula, "bold $text-success")),
            Content.styled(f"  With seed {self.seed}'s numbers:", "$text-muted"),
            *(Content(f"    {row}") for row in matrix_rows(value)),
        ]
        return Content("\n").join(rows)

    def show_skills(self, states: dict[str, SkillState]) -> None:
        """The bars of this lesson's skills, as they stand now that it is done."""
        carried = {skill for step in self.lesson.steps for skill in step.skills}
        ours = [skill for skill in states if skill in carried]
        if ours:
            self.query_one("#summary-skills", Static).update(Content("\n").join([
                Content.assemble(("Your skills in this lesson", "bold"),
                                 ("  (s: all your skills)", "$text-muted")),
                skill_bars(states, ours)]))

    def variant_values(self):
        return self.lesson.variant(self.seed).values

    def table(self, factors: dict[str, FactorState], times: dict[str, float]) -> Content:
        width = max(len(step.label) for step in self.lesson.steps) + 2
        header = f"{'factor':<{width}}{'status':<13}{'attempts':>9}{'hints':>7}{'time':>12}"
        rows = [Content.styled(header, "bold underline")]
        for step in self.lesson.steps:
            factor = factors[step.id]
            status = STATUS_WORDS[factor.status]
            style = "$text-success" if factor.status == "solved" else "$text-warning"
            rows.append(
                Content.assemble(
                    f"{step.label:<{width}}",
                    (f"{status:<13}", style),
                    f"{factor.attempts:>9}{factor.hints:>7}{duration(times[step.id]):>12}",
                )
            )
        attempts = sum(f.attempts for f in factors.values())
        hints = sum(f.hints for f in factors.values())
        total = duration(sum(times.values()))
        solved = sum(1 for f in factors.values() if f.status == "solved")
        revealed = sum(1 for f in factors.values() if f.status == "revealed")
        rows.append(
            Content.styled(
                f"{'total':<{width}}{f'{solved} ✓ {revealed} ◇':<13}{attempts:>9}{hints:>7}"
                f"{total:>12}",
                "bold",
            )
        )
        return Content("\n").join(rows)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("next",):
            return self.next_lesson is not None
        if action == "skills":
            return self.navigator is not None
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "new":
            self.action_new_variant()
        else:
            self.dismiss({"next": "next", "review": "review"}.get(str(event.button.id),
                                                                  "lessons"))

    def action_new_variant(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss("new")

        self.app.push_screen(
            ConfirmScreen(
                "Start a new variant of this lesson?",
                "New numbers, and every step starts again. The lesson stays finished; "
                "your answers so far stay in your history.",
                yes="New variant",
            ),
            answered,
        )

    def action_skills(self) -> None:
        if self.navigator is not None:
            self.navigator.open_skills()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
