"""The student's own network, from the editor to its lesson: the app's part of it.

Why this exists: making a lesson of a network is a flow of its own — the editor, a
thread that makes and validates the lesson on a loading screen, its progress, and the
lesson or the reason it was refused, posted back — with a job number so that a result
the student has left (Esc, or another network) is dropped. It reads apart from how the
app opens lessons, so it is kept apart: ChainTutorApp takes it as a base class.

Its handlers are found by their names (on_network_made, …), not by ``@on``: Textual
collects ``@on`` handlers only in classes its own metaclass makes (the app and its
widgets), and a plain base class is not one of them.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.message import Message
from textual.screen import Screen

from tutor.app.screens.base import BaseScreen, picker_screen
from tutor.app.screens.loading import LoadingScreen

if TYPE_CHECKING:
    from collections.abc import Callable

    from tutor.app.shelf import Shelf
    from tutor.lessons.model import Lesson
    from tutor.progress import ProgressStore

EXAMPLE_NETWORK = """\
# a residual block with a squared loss
x  : 3x1        # an input: "3" means 3x1, "1" a scalar
W1 : 3x3
w2 : 3x1
y  : 1
z1 = W1 @ x     # definitions, in the answer language
h1 = x + tanh(z1)
f  = w2.T @ h1
L  = 0.5 * (f - y)^2
goal: dL/dW1    # also ∂L/∂W1; one line per goal
"""  # what the editor holds the first time (the README's, comments cut to fit)


class NetworkMade(Message):
    """Posted by the thread that made a network's lesson: ready to be worked on."""

    def __init__(self, job: int, text: str, lesson: Lesson, proved: bool) -> None:
        super().__init__()
        self.job = job
        self.text = text
        self.lesson = lesson
        self.proved = proved  # sympy had its budget (else finite differences only)


class NetworkRefused(Message):
    def __init__(self, job: int, reason: str) -> None:
        super().__init__()
        self.job = job
        self.reason = reason


class NetworkProgress(Message):
    def __init__(self, job: int, done: int, total: int) -> None:
        super().__init__()
        self.job = job
        self.done = done
        self.total = total


class NetworkFlow:
    """The network editor and the making of a network's lesson, for ChainTutorApp."""

    # Set by the app (ChainTutorApp.__init__); the rest is the App's own.
    shelf: Shelf
    store: ProgressStore
    network_job: int  # the network being made; a later one (or leaving) drops it
    new_seed: Callable[[], int]
    symbolic_budget: float
    cursor_blink: bool
    # Said when the next network made opens (which skill it is for: practice --weakest,
    # or SkillsFlow.practise_weakest); dropped if that network is refused or left.
    network_note: str | None = None

    def open_editor(self) -> None:
        from tutor.app.screens.network_editor import NetworkEditorScreen
        from tutor.networks.drawn import random_network

        def draw() -> str:
            return random_network(self.new_seed())

        text = self.store.draft() or EXAMPLE_NETWORK
        self.push_screen(NetworkEditorScreen(text, self.store, self, draw,
                                             cursor_blink=self.cursor_blink))

    def open_network(self, text: str) -> None:
        """Make the network's lesson in a thread (validated: finite differences, and sympy
        in the proof worker) on a loading screen, then open it as any lesson. A network
        this version has validated before is only checked by finite differences again."""
        self.network_job += 1
        job = self.network_job
        self.push_screen(LoadingScreen(
            "", "Your own network", self, note="Making the lesson from your network…",
            back=self.leave_network, holds_keys=False))
        checked = {saved.lesson_id: saved.checked_by for saved in self.store.networks()}
        self.run_worker(partial(self.make_network_work, job, text, checked), thread=True,
                        exit_on_error=False)

    def make_network_work(self, job: int, text: str, checked: dict[str, str | None]) -> None:
        """In a thread: the lesson, or why not, posted to the app."""
        from tutor import __version__
        from tutor.networks.draft import Cancelled, make_lesson
        from tutor.networks.reader import NetworkError, network_lesson_id

        lesson_id = network_lesson_id(text)
        made = self.shelf.networks.get(lesson_id)
        if made is not None:
            self.post_message(NetworkMade(job, text, made, proved=False))
            return
        budget = 0.0 if checked.get(lesson_id) == __version__ else self.symbolic_budget

        def progress(done: int, total: int) -> None:
            if job != self.network_job:
                raise Cancelled
            self.post_message(NetworkProgress(job, done, total))

        try:
            lesson = make_lesson(text, budget, progress=progress)
        except Cancelled:
            return
        except NetworkError as error:
            self.post_message(NetworkRefused(job, str(error)))
            return
        self.post_message(NetworkMade(job, text, lesson, proved=budget > 0))

    def on_network_progress(self, message: NetworkProgress) -> None:
        if message.job == self.network_job and isinstance(self.screen, LoadingScreen):
            self.screen.say(f"Validating the lesson from your network: {message.done} of "
                            f"{message.total} factors checked (finite differences and sympy)…")

    def on_network_made(self, message: NetworkMade) -> None:
        if message.job != self.network_job:
            return  # the student left, or asked for another
        from tutor import __version__
        from tutor.networks.reader import normalized

        lesson = message.lesson
        self.shelf.networks[lesson.id] = lesson
        self.store.save_network(lesson.id, normalized(message.text), lesson.title,
                                [(step.id, step.label) for step in lesson.steps],
                                __version__ if message.proved else None)
        self.close_network_screens()
        self.open_lesson(lesson.id)
        if self.network_note:
            self.notify(self.network_note, title="Practice", timeout=15, markup=False)
            self.network_note = None

    def on_network_refused(self, message: NetworkRefused) -> None:
        if message.job != self.network_job:
            return
        self.network_note = None
        self.notify(message.reason, title="Cannot make a lesson of this network",
                    severity="error", timeout=15, markup=False)
        if isinstance(self.screen, LoadingScreen):
            self.leave_network(self.screen)

    def leave_network(self, screen: Screen) -> None:
        """Esc while a network's lesson is being made: back to the editor, or the lessons."""
        self.network_job += 1  # its thread stops at the next step, and its result is dropped
        self.network_note = None
        from tutor.app.screens.network_editor import NetworkEditorScreen

        stack = self.screen_stack
        if len(stack) > 1 and isinstance(stack[-2], NetworkEditorScreen):
            screen.dismiss(None)
        else:
            self.to_picker(screen, None)

    def close_network_screens(self) -> None:
        """The loading screen and the editor go: the lesson opens over the lessons."""
        while len(self.screen_stack) > 1 and not isinstance(
                self.screen_stack[-1], (picker_screen(), BaseScreen)):
            self.pop_screen()
