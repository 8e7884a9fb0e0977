"""A lesson's introduction (Markdown), shown before its first step and again on F4."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from tutor.app.screens.too_small import TooSmallNote
from tutor.app.shelf import LessonEntry


def intro_text(markdown: str) -> Widget:
    """One Static when the intro's Markdown allows (see widgets/prose.py), else Markdown."""
    from tutor.app.widgets.prose import prose_content  # imports markdown-it

    content = prose_content(markdown)
    if content is not None:
        return Static(content, id="intro-text", classes="prose")
    from tutor.app.widgets.markdown import TutorMarkdown

    return TutorMarkdown(markdown, id="intro-text")


class IntroScreen(Screen[None]):
    BINDINGS = [
        Binding("enter,escape,f4", "close", "Start the steps", id="intro-close"),
    ]

    def __init__(self, lesson: LessonEntry, start: Callable[[], None] | None = None) -> None:
        """``start`` puts the lesson's steps in this screen's place; without it (F4 from
        the steps) closing goes back to them."""
        super().__init__()
        self.lesson = lesson
        self.start = start

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static(self.lesson.title, classes="screen-title")
        with VerticalScroll(id="intro-scroll"):
            yield intro_text(self.lesson.intro)
            yield Static("Press Enter to start the first factor.", id="intro-start")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # The scroll has the focus so arrows and page keys read a long intro.
        self.query_one("#intro-scroll").focus()

    def action_close(self) -> None:
        if self.start is not None:
            self.start()
        else:
            self.dismiss(None)
