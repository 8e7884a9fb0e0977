"""F1: how to use the tutor and the answer language, from help.md beside this package."""

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

    def compose(self) -> ComposeResult:
        from tutor.app.widgets.markdown import TutorMarkdown  # imports markdown-it

        yield TooSmallNote()
        yield Static("chain-tutor · help", classes="screen-title")
        with VerticalScroll(id="help-scroll"):
            yield TutorMarkdown(help_text(), id="help-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
