"""The Textual app: the picker first, lessons on top of it, and the `run` the CLI calls.

The first screen must paint fast, so sympy (and the symbolic checker built on it)
is imported in a background thread once the picker is on screen; a check that
comes first simply imports it itself, in its own worker thread.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tutor.app.screens.help import HelpScreen
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.lesson import PALETTE, LessonScreen
from tutor.app.screens.picker import PickerScreen
from tutor.app.screens.summary import SummaryScreen
from tutor.app.screens.too_small import MIN_SIZE
from tutor.lessons import DEFAULT_SEED, Catalog, LessonError
from tutor.progress import ProgressStore

SEED_RANGE = (2, 9999)  # seed 1 is everyone's first variant; new ones come from here
KEY_NAMES = {"escape": "Esc", "pagedown": "PgDn", "pageup": "PgUp", "enter": "Enter"}


class ChainTutorApp(App[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses live elsewhere
    TITLE = "chain-tutor"
    # Screens get -narrow/-wide classes: the side panel (values, graph) shows at -wide.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        catalog: Catalog,
        store: ProgressStore,
        lesson_id: str | None = None,
        seed: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        new_seed: Callable[[], int] | None = None,
        symbolic_budget: float = 1.0,
        cursor_blink: bool = True,
        warm_up: bool = True,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.store = store
        self.start_lesson = lesson_id
        self.start_seed = seed
        self.clock = clock
        self.new_seed = new_seed or (lambda: random.randint(*SEED_RANGE))
        self.symbolic_budget = symbolic_budget
        self.cursor_blink = cursor_blink
        self.warm_up = warm_up

    def get_default_screen(self) -> Screen:
        return PickerScreen(self.catalog, self.store)

    def on_mount(self) -> None:
        if self.store.notice:
            self.notify(self.store.notice, title="Progress", severity="warning", timeout=10)
        if self.start_lesson:
            self.open_lesson(self.start_lesson, self.start_seed)
        if self.warm_up:
            # After the first paint, never before it: that is the point.
            self.call_after_refresh(
                self.run_worker, _import_checker, thread=True, group="warm-up", exit_on_error=False
            )
        self.fit_to(self.size.width, self.size.height)

    # -- size ----------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self.fit_to(event.size.width, event.size.height)

    def fit_to(self, width: int, height: int) -> None:
        """Below the minimum size every screen shows only its too-small note (see app.tcss)."""
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small == self.has_class("-too-small"):
            return
        self.set_class(small, "-too-small")
        # Textual restyles only the visible screens; the ones beneath follow the class too.
        for screen in self.screen_stack:
            screen.update_node_styles(animate=False)

    # -- lessons ---------------------------------------------------------------------------
    def open_lesson(self, lesson_id: str, seed: int | None = None, intro: bool = True) -> None:
        try:
            lesson = self.catalog.get(lesson_id)
        except LessonError as error:
            self.notify(error.message, title="Cannot open", severity="error")
            return
        state = self.store.lesson(lesson_id)
        # Resuming keeps the variant the student started; a seed only picks a new lesson's.
        chosen = (
            state.seed if state.seed is not None else (seed if seed is not None else DEFAULT_SEED)
        )
        if seed is not None and seed != chosen:
            self.notify(
                f"Continuing your variant (seed {chosen}), so your progress is kept; "
                "“New variant” on the summary starts new numbers.",
                title=lesson.title,
            )
        self.store.set_seed(lesson_id, chosen)
        self.push_screen(
            LessonScreen(
                lesson,
                chosen,
                self.store,
                clock=self.clock,
                symbolic_budget=self.symbolic_budget,
                cursor_blink=self.cursor_blink,
            )
        )
        fresh = not any(s.status or s.attempts or s.hints for s in state.steps.values())
        if intro and fresh:
            self.push_screen(IntroScreen(lesson))

    def show_summary(self, lesson_screen: LessonScreen) -> None:
        lesson, seed = lesson_screen.lesson, lesson_screen.seed
        if self.store.lesson(lesson.id).finished is None:
            self.store.finish(lesson.id)

        def chosen(choice: str | None) -> None:
            if choice == "review":
                return
            lesson_screen.dismiss(None)
            if choice == "new":
                self.store.set_seed(lesson.id, self.new_seed())
                self.open_lesson(lesson.id, intro=False)

        self.push_screen(SummaryScreen(lesson, seed, self.store), chosen)

    def get_key_display(self, binding: Binding) -> str:
        """F-keys in capitals and page keys as printed on keyboards."""
        if binding.key_display:
            return binding.key_display
        if binding.key in KEY_NAMES:
            return KEY_NAMES[binding.key]
        if binding.key[:1] == "f" and binding.key[1:].isdigit():
            return binding.key.upper()
        return super().get_key_display(binding)

    # -- help and the command palette --------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Help", "The keys and the answer language (F1)", self.action_help)
        if isinstance(screen, LessonScreen):
            for action, title, help_text in PALETTE:
                if screen.check_action(action, ()):
                    yield SystemCommand(title, help_text, partial(screen.run_action, action))
        if isinstance(screen, PickerScreen):
            for lesson in self.catalog.lessons:
                yield SystemCommand(
                    f"Open {lesson.title}", lesson.id, partial(self.open_lesson, lesson.id)
                )
        yield from super().get_system_commands(screen)


def _import_checker() -> None:
    import tutor.engine.symbolic  # noqa: F401 - imports sympy, the slow part


def run(args) -> int:
    """Entry point for `chain-tutor [LESSON] [--seed N]`; returns the exit code."""
    from tutor.lessons import load_catalog

    catalog = load_catalog(args.lessons)
    if args.lesson:
        try:
            catalog.get(args.lesson)
        except LessonError as error:
            print(f"chain-tutor: {error.message}", file=sys.stderr)
            return 2
    store = ProgressStore.open(args.data_dir)
    try:
        app = ChainTutorApp(catalog, store, lesson_id=args.lesson, seed=args.seed)
        app.run()
    finally:
        store.close()
    return app.return_code or 0
