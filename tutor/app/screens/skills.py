"""Your skills: what the tutor believes you know, one bar per skill, read at a glance.

Opened from the lessons (s) and from a lesson's summary (s); the summary shows the bars
of its own lesson's skills with `skill_bars`. A bar is its cells and its number, and
"mastered" in words from 0.95 on: nothing rests on colour (NO_COLOR reads the same).
The states come traced (tutor.standing.student_mastery) from whoever opens the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from tutor.app.screens.too_small import TooSmallNote
from tutor.progress.tracing import MASTERY

if TYPE_CHECKING:
    from tutor.progress.tracing import SkillState

CELLS = 10  # a bar's cells
NAME_WIDTH = 20  # the longest skill's name (elementwise-jacobian)


class SkillsNavigator(Protocol):
    def practise_weakest(self) -> None:
        """A random network aimed at the weakest skill, opened as a lesson."""


def bar(mastery: float, cells: int = CELLS) -> str:
    """``mastery`` (0 to 1) as a bar of ``cells``: "████████░░" for 0.82."""
    full = min(cells, max(0, round(mastery * cells)))
    return "█" * full + "░" * (cells - full)


def skill_line(skill: str, state: SkillState) -> Content:
    """One skill: name, bar, mastery, "mastered", and how many answers it was traced
    from, in 56 columns (a 60-column terminal keeps its scroll bar beside it)."""
    done = state.mastery >= MASTERY
    seen = f"{state.observations} seen" if state.observations else "not seen"
    return Content.assemble(
        f"{skill:<{NAME_WIDTH}} ",
        (bar(state.mastery), "$text-success" if done else "$text-warning"),
        f" {state.mastery:.2f} ",
        ("mastered" if done else "        ", "bold $text-success"),
        (f" {seen}", "$text-muted"),
    )


def skill_bars(states: Mapping[str, SkillState], skills: Iterable[str] | None = None
               ) -> Content:
    """The bars of ``skills`` (default: every skill of ``states``), one a line."""
    return Content("\n").join(skill_line(skill, states[skill])
                              for skill in (states if skills is None else skills))


EXPLAINED = (
    "Each number is the tutor's estimate of the chance that you know the skill: your first "
    "answer to each step moves it, up when right, down when wrong (a solution shown before "
    f"you answer counts as wrong). {MASTERY:.2f} or more is mastered.")


class SkillsScreen(Screen[None]):
    BINDINGS = [
        Binding("w", "weakest", "Practise weakest", id="skills-weakest"),
        Binding("escape", "close", "Back", id="skills-close"),
    ]

    def __init__(self, states: Mapping[str, SkillState], navigator: SkillsNavigator) -> None:
        super().__init__()
        self.states = states
        self.navigator = navigator

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static("chain-tutor · your skills", classes="screen-title")
        with VerticalScroll(id="skills-scroll"):
            yield Static(skill_bars(self.states), id="skills-bars")
            yield Static(self.weakest_line(), id="skills-weakest")
            yield Static(Content.styled(EXPLAINED, "$text-muted"), id="skills-explained")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#skills-scroll").focus()

    def weakest_line(self) -> Content:
        """Which skill w would practise, as `practice --weakest` chooses it."""
        from tutor.networks.drawn import UNDRAWN_SKILLS
        from tutor.standing import weakest_skill

        target = weakest_skill(self.states, set(self.states) - UNDRAWN_SKILLS)
        if target is None:
            return Content("")
        return Content.assemble(("w", "bold"), " practises ", (target.skill, "bold"),
                                ": a random network with a step that exercises it.")

    def action_weakest(self) -> None:
        self.navigator.practise_weakest()

    def action_close(self) -> None:
        self.dismiss(None)
