"""F1: how to use the tutor and the answer language, from help.md beside this package.

Opened from a lesson, the lesson's own part comes first (its step ids: tutor.app.model
writes it from the session), then the general text."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tutor.app.screens.too_small import TooSmallNote

HELP_FILE = Path(__file__).resolve().parent.parent / "help.md"


def help_text() -> str:
    try:
        return HELP_FILE.read_text(encoding="utf-8")
    except OSError as error:  # a broken install should still let the student go back
        return f"# Help\n\nThe help file could not be read: {error}"


class HelpScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,f1,ctrl+l", "close", "Back", id="help-close"),
    ]

    def __init__(self, lesson_part: str = "") -> None:
        super().__init__()
        self.lesson_part = lesson_part  # Markdown about the lesson open below, or ""

    def compose(self) -> ComposeResult:
        from tutor.app.widgets.markdown import TutorMarkdown  # imports markdown-it

        yield TooSmallNote()
        yield Static("chain-tutor · help", classes="screen-title")
        with VerticalScroll(id="help-scroll"):
            if self.lesson_part:
                yield TutorMarkdown(self.lesson_part, id="help-lesson")
            yield TutorMarkdown(help_text(), id="help-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
