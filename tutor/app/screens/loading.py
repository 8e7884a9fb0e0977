"""A lesson opened in the moment before the lessons are loaded in full waits here, and
a student's network while its lesson is made and validated."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from tutor.app.screens.navigation import Navigator
from tutor.app.screens.too_small import TooSmallNote


class LoadingScreen(Screen[None]):
    """Replaced by the lesson as soon as it is ready; Esc goes back to the lessons instead."""

    BINDINGS = [
        Binding("escape", "back", "Lessons", id="loading-back"),
    ]

    def __init__(self, lesson_id: str, title: str, navigator: Navigator, *,
                 note: str = "Loading the lesson…",
                 back: Callable[[LoadingScreen], None] | None = None,
                 holds_keys: bool = True) -> None:
        """``back``: what Esc does instead of going back to the lessons. ``holds_keys``:
        what is typed meanwhile goes to the lesson's answer box (the app keeps it); not
        while a network's lesson is made, which opens on its intro, not its steps."""
        super().__init__()
        self.holds_keys = holds_keys
        self.navigator = navigator
        self.lesson_id = lesson_id
        self.lesson_title = title
        self.note = note
        self.back = back

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static(self.lesson_title, classes="screen-title", markup=False)
        yield Static(self.note, id="loading-note", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def say(self, note: str) -> None:
        """What is being done now (e.g. which step is being validated)."""
        self.note = note
        if self.is_mounted:
            self.query_one("#loading-note", Static).update(note)

    def action_back(self) -> None:
        if self.back is not None:
            self.back(self)
        else:
            self.navigator.back_to_lessons(self)
