"""A lesson's introduction (Markdown), shown before its first step and again on F4.

Before the first step, Enter starts the steps (and so the lesson) and Esc goes back
to wherever the student came from, leaving no trace; on F4 from the steps, either
goes back to them.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from tutor.app.screens.navigation import Navigator
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
    # Two sets, one shown at a time (check_action): a key whose binding does not apply
    # falls through to the next binding of that key.
    BINDINGS = [
        Binding("enter,f4", "start", "Start the steps", id="intro-begin"),
        Binding("escape", "back", "Lessons", id="intro-back"),
        Binding("enter,escape,f4", "close", "Back to the steps", id="intro-close"),
    ]

    def __init__(self, lesson: LessonEntry, start: Callable[[], None] | None = None,
                 navigator: Navigator | None = None) -> None:
        """``start`` puts the lesson's steps in this screen's place, and Esc asks
        ``navigator`` for the lessons instead; without them (F4 from the steps) closing
        goes back to the steps."""
        super().__init__()
        if start is not None and navigator is None:
            raise ValueError("an intro that starts the steps needs a way back")
        self.lesson = lesson
        self.start = start
        self.navigator = navigator

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static(self.lesson.title, classes="screen-title")
        with VerticalScroll(id="intro-scroll"):
            yield intro_text(self.lesson.intro)
            yield Static(self.closing_line(), id="intro-start")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # The scroll has the focus so arrows and page keys read a long intro.
        self.query_one("#intro-scroll").focus()

    def closing_line(self) -> str:
        if self.start is None:
            return "Press Enter or Esc to go back to the steps."
        return "Press Enter to start the first factor, or Esc to go back."

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("start", "back"):
            return self.start is not None
        if action == "close":
            return self.start is None
        return True

    def action_start(self) -> None:
        if self.start is not None:
            self.start()

    def action_back(self) -> None:
        if self.navigator is not None:
            self.navigator.back_to_lessons(self)

    def action_close(self) -> None:
        self.dismiss(None)
