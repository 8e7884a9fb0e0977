"""The curriculum: every lesson with the student's progress; broken files listed, not openable.

Drawn first from the lesson index, then again (only if anything differs) once the
lessons are loaded in full and some may have turned out broken.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tutor.app.screens.navigation import Navigator
from tutor.app.screens.too_small import TooSmallNote
from tutor.app.shelf import BrokenEntry, LessonEntry, Shelf
from tutor.progress import LessonState, ProgressStore

STATUS_GLYPHS = {"solved": "✓", "revealed": "◇", None: "·"}


def progress_text(lesson: LessonEntry, state: LessonState) -> str:
    """not started / n of m factors / done ✓"""
    total = len(lesson.steps)
    done = sum(1 for step in lesson.steps if state.status_of(step.id) is not None)
    if done == total:
        return "done ✓"
    if state.started is None and not state.steps:
        return "not started"
    return f"{done} of {total} factors"


def lesson_option(number: int, lesson: LessonEntry, state: LessonState) -> Option:
    progress = progress_text(lesson, state)
    style = "$text-success" if progress.startswith("done") else "$text-muted"
    prompt = Content.assemble(
        (f"{number:2}. ", "$text-muted"),
        (lesson.title, "bold"),
        "\n    ",
        (lesson.id, "$text-muted"),
        ("  ·  ", "$text-muted"),
        (progress, style),
    )
    return Option(prompt, id=lesson.id)


def broken_option(broken: BrokenEntry) -> Option:
    prompt = Content.assemble(
        ("  ✗ ", "bold $text-error"),
        (broken.path.name, "bold"),
        ("  broken", "$text-error"),
        "\n    ",
        (broken.message, "$text-muted"),
    )
    return Option(prompt, id=f"broken:{broken.path}", disabled=True)


def steps_line(lesson: LessonEntry, state: LessonState) -> Content:
    parts: list[tuple[str, str] | str] = [("Factors: ", "bold")]
    for index, step in enumerate(lesson.steps):
        status = state.status_of(step.id)
        if index:
            parts.append("  ")
        parts.append(
            (f"{STATUS_GLYPHS[status]} {step.label}", "$text-success" if status == "solved" else "")
        )
    return Content.assemble(*parts)


class PickerScreen(Screen[None]):
    BINDINGS = [
        # Priority so the footer shows it; the list itself would take Enter unannounced.
        Binding("enter", "open", "Open lesson", id="open", priority=True),
    ]

    def __init__(self, shelf: Shelf, store: ProgressStore, navigator: Navigator) -> None:
        super().__init__()
        self.shelf = shelf
        self.store = store
        self.navigator = navigator
        self.shown: tuple = ()  # what the list was last filled from

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static(
            "chain-tutor · the chain rule for matrix derivatives, one factor at a time",
            classes="screen-title",
        )
        yield Static("Choose a lesson (↑↓, Enter):", id="picker-heading")
        yield OptionList(id="lesson-list")
        yield Static(id="picker-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.fill()
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        self.fill()  # a lesson was just worked on: its progress changed

    def fill(self) -> None:
        """List the lessons; nothing is redrawn when nothing listed has changed."""
        lessons, broken = self.shelf.entries(), self.shelf.broken()
        states = [self.store.lesson(lesson.id) for lesson in lessons]
        shown = (
            tuple((lesson.id, lesson.title, progress_text(lesson, state))
                  for lesson, state in zip(lessons, states, strict=True)),
            tuple(broken),
        )
        if shown == self.shown:
            return
        self.shown = shown
        options = self.query_one(OptionList)
        highlighted = options.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        options.clear_options()
        options.add_options(
            [lesson_option(n, lesson, state)
             for n, (lesson, state) in enumerate(zip(lessons, states, strict=True), start=1)]
            + [broken_option(entry) for entry in broken]
        )
        if lessons:
            ids = [lesson.id for lesson in lessons]
            options.highlighted = ids.index(keep) if keep in ids else 0
        else:
            self.query_one("#picker-detail", Static).update(
                "No lesson could be loaded. Check the files listed above "
                "(chain-tutor validate shows every error)."
            )

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        lesson = self._lesson(event.option.id)
        detail = self.query_one("#picker-detail", Static)
        if lesson is None:
            detail.update("")
            return
        detail.update(steps_line(lesson, self.store.lesson(lesson.id)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._lesson(event.option.id) is not None:
            self.navigator.open_lesson(event.option.id)

    def action_open(self) -> None:
        # Opened now, not from the OptionSelected message: keys sent right after Enter
        # are handled before that message, and would go to this list (another Enter
        # opening the lesson a second time) instead of the lesson's answer box.
        option = self.query_one(OptionList).highlighted_option
        if option is not None and self._lesson(option.id) is not None:
            self.navigator.open_lesson(option.id)

    def _lesson(self, option_id: str | None) -> LessonEntry | None:
        return next((lesson for lesson in self.shelf.entries() if lesson.id == option_id), None)
