"""A lesson opened in the moment before the lessons are loaded in full waits here."""

from __future__ import annotations

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

    def __init__(self, lesson_id: str, title: str, navigator: Navigator) -> None:
        super().__init__()
        self.navigator = navigator
        self.lesson_id = lesson_id
        self.lesson_title = title

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static(self.lesson_title, classes="screen-title")
        yield Static("Loading the lesson…", id="loading-note")
        yield Footer(compact=True, show_command_palette=False)

    def action_back(self) -> None:
        self.navigator.back_to_lessons(self)
