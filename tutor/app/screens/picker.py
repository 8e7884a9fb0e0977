"""The curriculum: every lesson with the student's progress; broken files listed, not openable.

Drawn first from the lesson index, then again (only if anything differs) once the
lessons are loaded in full and some may have turned out broken. A lesson's number
typed selects it (two digits typed together for 10 and on); Enter opens it.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tutor.app.screens.navigation import Navigator
from tutor.app.screens.too_small import TooSmallNote
from tutor.app.shelf import BrokenEntry, LessonEntry, Shelf
from tutor.progress.records import LessonState, SavedNetwork
from tutor.progress.store import ProgressStore
from tutor.standing import standing

STATUS_GLYPHS = {"solved": "✓", "revealed": "◇", None: "·"}
NEW_NETWORK = "new-network"  # the option that opens the network editor
WEAKEST = "weakest-skill"  # the option that opens a random network for the weakest skill
NETWORK_PREFIX = "network:"  # option ids of saved networks: the prefix, then the lesson id
NUMBER_PAUSE = 1.0  # seconds: a digit typed within this of the last one extends the number


def progress_text(lesson: LessonEntry, state: LessonState) -> str:
    """not started / n of m factors / done ✓ / done ✓, again n of m (tutor.standing)"""
    return standing([step.id for step in lesson.steps], state).words()


def lesson_option(number: int, lesson: LessonEntry, state: LessonState) -> Option:
    return _entry_option(f"{number:2}. ", lesson, lesson.id, state, lesson.id)


def _entry_option(mark: str, entry: LessonEntry | NetworkEntry, about: str,
                  state: LessonState, option_id: str) -> Option:
    """Two lines: its mark and title; what it is and the student's progress in it."""
    progress = progress_text(entry, state)
    style = "$text-success" if progress.startswith("done") else "$text-muted"
    prompt = Content.assemble(
        (mark, "$text-muted"),
        (entry.title, "bold"),
        "\n    ",
        (about, "$text-muted"),
        ("  ·  ", "$text-muted"),
        (progress, style),
    )
    return Option(prompt, id=option_id)


class NetworkEntry(NamedTuple):  # not dataclasses: defined before the first paint
    """A saved network as the picker lists it (a LessonEntry without its lesson made)."""

    saved: SavedNetwork

    @property
    def id(self) -> str:
        return self.saved.lesson_id

    @property
    def title(self) -> str:
        return self.saved.title

    @property
    def steps(self) -> list[StepLabelled]:
        return [StepLabelled(step_id, label) for step_id, label in self.saved.steps]


class StepLabelled(NamedTuple):
    id: str
    label: str


def network_option(entry: NetworkEntry, state: LessonState) -> Option:
    return _entry_option("  ◆ ", entry, f"your network {entry.id}", state,
                         NETWORK_PREFIX + entry.id)


def new_network_option() -> Option:
    prompt = Content.assemble(
        ("  + ", "bold $text-accent"),
        ("Your own network…", "bold"),
        "\n    ",
        ("type any network, and practise its backpropagation", "$text-muted"),
    )
    return Option(prompt, id=NEW_NETWORK)


def weakest_option() -> Option:
    prompt = Content.assemble(
        ("  ★ ", "bold $text-accent"),
        ("Practise my weakest skill…", "bold"),
        "\n    ",
        ("a random network for the skill you know least", "$text-muted"),
    )
    return Option(prompt, id=WEAKEST)


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
    """Each factor's status; then, once begun, its attempts (until solved) and hints."""
    parts: list[tuple[str, str] | str] = [("Factors: ", "bold")]
    for index, step in enumerate(lesson.steps):
        status = state.status_of(step.id)
        if index:
            parts.append("  ")
        parts.append(
            (f"{STATUS_GLYPHS[status]} {step.label}", "$text-success" if status == "solved" else "")
        )
    steps = [state.steps[step.id] for step in lesson.steps if step.id in state.steps]
    if steps:
        attempts = sum(step.attempts for step in steps)
        hints = sum(step.hints for step in steps)
        parts.append((f"\n{_count(attempts, 'attempt')}, {_count(hints, 'hint')}",
                      "$text-muted"))
    return Content.assemble(*parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class PickerScreen(Screen[None]):
    BINDINGS = [
        # Priority so the footer shows it; the list itself would take Enter unannounced.
        Binding("enter", "open", "Open lesson", id="open", priority=True),
        # Priority too, so that digits and Enter are handled in the order typed: "8 Enter"
        # typed fast opens lesson 8 (a digit left to bubble up as a key event would be
        # handled after the Enter behind it, which opened the lesson highlighted before).
        *(Binding(str(digit), f"digit('{digit}')", show=False, priority=True)
          for digit in range(10)),
        Binding("delete", "forget", "Remove network", id="forget"),
        Binding("s", "skills", "Skills", id="skills"),
    ]

    clock = staticmethod(time.monotonic)  # when digits are typed (tests set their own)

    def __init__(self, shelf: Shelf, store: ProgressStore, navigator: Navigator,
                 land_on: str | None = None) -> None:
        """``land_on``: the lesson the cursor starts on (see land_on)."""
        super().__init__()
        self.shelf = shelf
        self.store = store
        self.navigator = navigator
        self.shown: tuple = ()  # what the list was last filled from
        self.landing = land_on
        self.networks: list[NetworkEntry] = []  # the student's saved networks, listed
        self.number = ""  # the digits typed so far, and when the last one was
        self.number_at = float("-inf")

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static(
            "chain-tutor · the chain rule for matrix derivatives, one factor at a time",
            classes="screen-title",
        )
        yield Static(id="picker-course")  # the course in force: its assignments
        yield Static("Choose a lesson (↑↓ or its number, Enter):", id="picker-heading")
        yield OptionList(id="lesson-list")
        yield Static(id="picker-detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.fill()
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        self.fill()  # a lesson was just worked on: its progress changed

    def land_on(self, lesson_id: str | None) -> None:
        """Put the cursor on this lesson when the picker is next shown (or now)."""
        self.landing = lesson_id
        if self.is_current:
            self.fill()

    def fill(self) -> None:
        """List the lessons; nothing is redrawn when nothing listed has changed."""
        lessons, broken = self.shelf.entries(), self.shelf.broken()
        states = [self.store.lesson(lesson.id) for lesson in lessons]
        self.networks = [NetworkEntry(saved) for saved in self.store.networks()]
        network_states = [self.store.lesson(entry.id) for entry in self.networks]
        shown = (
            tuple((lesson.id, lesson.title, progress_text(lesson, state))
                  for lesson, state in zip(lessons, states, strict=True)),
            tuple(broken),
            tuple((entry.id, entry.title, progress_text(entry, state))
                  for entry, state in zip(self.networks, network_states, strict=True)),
        )
        self.show_course(lessons)
        options = self.query_one(OptionList)
        if shown != self.shown:
            self.shown = shown
            self.redraw(options, lessons, states, broken,
                        [network_option(entry, state) for entry, state
                         in zip(self.networks, network_states, strict=True)])
        ids = [option.id for option in options.options]
        for landing in (self.landing, NETWORK_PREFIX + str(self.landing)):
            if landing in ids:
                options.highlighted = ids.index(landing)
                break
        self.landing = None
        if options.highlighted_option is not None:  # its progress may have changed
            self.show_detail(options.highlighted_option.id)

    def show_course(self, lessons: list[LessonEntry]) -> None:
        """The course's assignments, due times and standings; nothing without a course."""
        course = self.shelf.course
        box = self.query_one("#picker-course", Static)
        box.display = course is not None
        if course is None:
            return
        from tutor.app.course_view import assignment_line, standings

        now = time.time()
        lines = [assignment_line(number, item.title, item.due, standing, item.reveal, now)
                 for number, (item, standing) in enumerate(
                     zip(course.assignment, standings(course, lessons, self.store),
                         strict=True), start=1)]
        box.update(Content.assemble((f"Course: {course.title}", "bold"), "\n",
                                    ("\n".join(lines), "$text-muted")))

    def redraw(self, options: OptionList, lessons: list[LessonEntry],
               states: list[LessonState], broken: list[BrokenEntry],
               networks: list[Option]) -> None:
        highlighted = options.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        options.clear_options()
        options.add_options(
            [lesson_option(n, lesson, state)
             for n, (lesson, state) in enumerate(zip(lessons, states, strict=True), start=1)]
            + [broken_option(entry) for entry in broken]
            + networks + [new_network_option(), weakest_option()]
        )
        ids = [option.id for option in options.options]
        options.highlighted = ids.index(keep) if keep in ids else 0
        if not lessons:
            self.query_one("#picker-detail", Static).update(
                "No lesson could be loaded. Check the files listed above "
                "(chain-tutor validate shows every error)."
            )

    def action_digit(self, digit: str) -> None:
        """A digit selects the lesson of that number; digits typed together make one."""
        now = self.clock()
        count = len(self.shelf.entries())
        typed = self.number + digit if now - self.number_at < NUMBER_PAUSE else ""
        if not typed or not 1 <= int(typed) <= count:
            typed = digit  # a number of its own
        self.number, self.number_at = typed, now
        if 1 <= int(typed) <= count:
            self.query_one(OptionList).highlighted = int(typed) - 1

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_detail(event.option.id)
        self.refresh_bindings()  # "Remove network" only on a network

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "forget":
            return self._network(self._highlighted_id()) is not None
        return True

    def _highlighted_id(self) -> str | None:
        if not self.is_mounted:
            return None
        option = self.query_one(OptionList).highlighted_option
        return option.id if option is not None else None

    def action_forget(self) -> None:
        network = self._network(self._highlighted_id())
        if network is None:
            return
        from tutor.app.screens.confirm import ConfirmScreen

        options = self.query_one(OptionList)
        place = options.highlighted or 0

        def answered(yes: bool | None) -> None:
            if yes:
                self.store.forget_network(network.id)
                self.fill()
                # The cursor stays where the network was: on the entry that took its place.
                options.highlighted = min(place, options.option_count - 1)

        self.app.push_screen(ConfirmScreen(
            f"Remove “{network.title}” from the list?",
            "Your attempts are kept: typing the same network again resumes it.",
            yes="Remove"), answered)

    def show_detail(self, option_id: str | None) -> None:
        detail = self.query_one("#picker-detail", Static)
        if option_id == NEW_NETWORK:
            detail.update("Type a network (inputs, definitions, a goal) and the tutor walks "
                          "you through its backpropagation, factor by factor.")
            return
        if option_id == WEAKEST:
            detail.update("The tutor traces which skills you know from your first answers; "
                          "this draws a network with a step of the one you know least.")
            return
        lesson = self._lesson(option_id) or self._network(option_id)
        if lesson is None:
            detail.update("")
            return
        detail.update(steps_line(lesson, self.store.lesson(lesson.id)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open_option(event.option.id)

    def action_open(self) -> None:
        # Opened now, not from the OptionSelected message: keys sent right after Enter
        # are handled before that message, and would go to this list (another Enter
        # opening the lesson a second time) instead of the lesson's answer box.
        option = self.query_one(OptionList).highlighted_option
        if option is not None:
            self.open_option(option.id)

    def open_option(self, option_id: str | None) -> None:
        if option_id == NEW_NETWORK:
            self.navigator.open_editor()
        elif option_id == WEAKEST:
            self.navigator.practise_weakest()
        elif (network := self._network(option_id)) is not None:
            self.navigator.open_network(network.saved.text)
        elif self._lesson(option_id) is not None:
            self.navigator.open_lesson(option_id)

    def action_skills(self) -> None:
        self.navigator.open_skills()

    def _lesson(self, option_id: str | None) -> LessonEntry | None:
        return next((lesson for lesson in self.shelf.entries() if lesson.id == option_id), None)

    def _network(self, option_id: str | None) -> NetworkEntry | None:
        return next((entry for entry in self.networks
                     if NETWORK_PREFIX + entry.id == option_id), None)
