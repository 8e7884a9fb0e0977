"""The Textual app: the picker first, lessons on top of it, and the `run` the CLI calls.

The first screen must paint fast, so it is drawn from the lesson index alone (see
tutor/lessons/index.py), and a module it does not show is imported when first needed
(the picker under a lesson named on the command line, the help screen; tests/app/
test_tui_startup.py names them). Right after the first paint a worker thread loads the
lessons in full (the engine, numpy), then another imports sympy for the checker.
A lesson opened in the moment before its lesson is loaded waits on a loading screen.

Parts that read apart from opening lessons are base classes: NetworkFlow (network_flow.py)
makes a student's own network into its lesson, SkillsFlow (skills_flow.py) shows the skills
and aims practice at the weakest, TypeAhead (typeahead.py) holds keys typed ahead of a lesson.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from tutor.app.background import freeze_heap, load_lessons, prepare_proofs, warm_up_checker
from tutor.app.confine import ConfinedApp
from tutor.app.network_flow import EXAMPLE_NETWORK as EXAMPLE_NETWORK  # its old address
from tutor.app.network_flow import NetworkFlow
from tutor.app.screens.base import BaseScreen, picker_screen
from tutor.app.screens.intro import IntroScreen
from tutor.app.screens.loading import LoadingScreen
from tutor.app.screens.too_small import MIN_SIZE
from tutor.app.shelf import Shelf
from tutor.app.skills_flow import SkillsFlow
from tutor.app.typeahead import TypeAhead
from tutor.lessons.index import LessonError, LessonInfo, read_index
from tutor.progress.store import ProgressStore
from tutor.standing import new_variant, open_variant, start_lesson, student_mastery

if TYPE_CHECKING:
    from tutor.lessons.course import Course
    from tutor.lessons.model import Catalog
    from tutor.progress.tracing import Beliefs
    from tutor.session import LessonSession

SEED_RANGE = (2, 9999)  # seed 1 is everyone's first variant; new ones come from here
TROUBLE_TIMEOUT = 20.0  # seconds a notice that progress is not being saved stays
KEY_NAMES = {"escape": "Esc", "pagedown": "PgDn", "pageup": "PgUp", "enter": "Enter"}


class LessonsLoaded(Message):
    """Posted by the loading thread: every lesson, loaded in full."""

    def __init__(self, catalog: Catalog) -> None:
        super().__init__()
        self.catalog = catalog


class LessonsFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class WarmedUp(Message):
    """Posted once sympy is imported and the slow route has run once."""


class ChainTutorApp(SkillsFlow, NetworkFlow, TypeAhead, ConfinedApp[int]):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses live elsewhere
    TITLE = "chain-tutor"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        # Ctrl+L too: GNOME Terminal and others keep F1 for their own help.
        Binding("f1,ctrl+l", "help", "Help", id="help"),
    ]
    # Ctrl+P is the lesson screen's "previous factor", the partner of Ctrl+N.
    COMMAND_PALETTE_BINDING = "ctrl+y"

    def __init__(
        self,
        catalog: Catalog | None,
        store: ProgressStore,
        lesson_id: str | None = None,
        seed: int | None = None,
        *,
        network: str | None = None,
        index: Sequence[LessonInfo] | None = None,
        extra_lessons: Sequence[Path | str] = (),
        clock: Callable[[], float] = time.monotonic,
        new_seed: Callable[[], int] | None = None,
        symbolic_budget: float = 1.0,
        cursor_blink: bool = True,
        warm_up: bool = True,
        freeze_gc: bool = False,
        after_paint: Sequence[Callable[[], object]] = (),
        course: Course | None = None,
        examples: bool = False,
        skill_params: Callable[[str], object] | None = None,
    ) -> None:
        """A loaded ``catalog`` is used as it is; without one, the app starts from ``index``
        (read here if not given) and loads the lessons from the same folders, the shipped
        ones and ``extra_lessons``, in the background.

        ``network``: the text of a network to open at once (chain-tutor practice).

        ``freeze_gc`` exempts what is loaded by the end of the warm-up from garbage
        collection (see background.freeze_heap): right for the one app of a process.

        ``after_paint``: work the first screen does without (writing the lesson-index
        cache, making the progress database), run in the loading thread once the
        lessons are loaded.

        ``examples``: steps whose skills are all far from mastery open as worked examples
        (tutor.lessons.fading), by the student's skills traced as the lessons load and
        again each time a lesson is left; ``skill_params`` the tracing's parameters.
        """
        super().__init__()
        # A process may run one app after another (tests do): an earlier one's exit
        # refused proofs until resumed. Looked up, not imported: the first screen does
        # without the engine.
        bounded = sys.modules.get("tutor.engine.bounded")
        if bounded is not None:
            bounded.resume()
        if catalog is None and index is None:
            index = read_index(extra_lessons)
        self.shelf = Shelf(index or (), catalog, course)
        self.extra_lessons = tuple(extra_lessons)
        self.store = store
        self.start_lesson = lesson_id
        self.start_network = network
        self.network_job = 0  # the network being made; a later one (or leaving) drops it
        self.start_seed = seed
        self.clock = clock
        self.new_seed = new_seed or (lambda: random.randint(*SEED_RANGE))
        self.symbolic_budget = symbolic_budget
        self.cursor_blink = cursor_blink
        self.warm_up = warm_up
        self.freeze_gc = freeze_gc
        self.after_paint = list(after_paint)
        self.examples, self.skill_params = examples, skill_params
        self.mastery: dict[str, float] | None = None  # traced in a thread (trace_beliefs)
        self.waiting: tuple[str, int] | None = None  # a lesson to open once loaded
        self.last_lesson: str | None = None  # the lesson opened last: the picker's cursor
        self.loading_started = False
        self.load_failure: str | None = None
        self.warmed_up = False  # sympy imported, one proof taken (and the heap frozen)
        self.trouble_said: float | None = None  # when progress trouble was last shown
        # Keys and pastes sent while a lesson is on its way (loading, or its screen not yet
        # focused), in order, for its answer box: see typeahead.py.
        self.typed_ahead: list[events.Key | events.Paste] = []
        # One event per answer sent and not yet saved (set by its check's thread once saved).
        self.unsaved: set[threading.Event] = set()

    def get_default_screen(self) -> Screen:
        if self.start_lesson or self.start_network:
            return BaseScreen()  # the lesson's screens go on it; the picker comes later
        return picker_screen()(self.shelf, self.store, self)

    def on_mount(self) -> None:
        if self.store.notice:
            self.notify(self.store.notice, title="Progress", severity="warning", timeout=10,
                        markup=False)
        self.store.listener = self.progress_trouble
        if self.start_lesson and not self.open_lesson(self.start_lesson, self.start_seed):
            self.push_screen(picker_screen()(self.shelf, self.store, self))
        elif self.start_network:
            self.open_network(self.start_network)
        self.fit_to(self.size.width, self.size.height)

    def progress_trouble(self, message: str) -> None:
        """A save or read that failed mid-session, said at once: the student must know
        that what they do now may not be kept. While it goes on failing (one answer is
        a few writes), said again once the last notice has gone."""
        now = self.clock()
        if self.trouble_said is not None and now - self.trouble_said < TROUBLE_TIMEOUT:
            return
        self.trouble_said = now
        text = f"{message}\nYou can go on; what you do may not be kept."
        if threading.get_ident() == self._thread_id:
            self.notify(text, title="Progress", severity="error", timeout=TROUBLE_TIMEOUT,
                        markup=False)
        else:
            self.call_from_thread(self.notify, text, title="Progress", severity="error",
                                  timeout=TROUBLE_TIMEOUT, markup=False)

    # -- loading after the first paint ------------------------------------------------------
    def on_ready(self) -> None:
        # Ready follows the first layout, which may be the picker's under a lesson's intro:
        # start once the top screen is painted, or the loading thread (imports that hold
        # the interpreter lock for long stretches) delays that paint by a quarter second.
        # If the student dismisses that screen first, the callback is dropped with it; then
        # opening a lesson starts the loading (start_lesson_screen).
        self.call_after_refresh(self.load_in_background)

    def load_in_background(self) -> None:
        if self.loading_started:
            return
        self.loading_started = True
        if not self.shelf.loaded:
            self.run_worker(self.load_lessons_work, thread=True, exit_on_error=False)
        elif self.warm_up:
            self.warm_up_checker()

    def load_lessons_work(self) -> None:
        """In a thread: the lessons in full, then the result posted to the app."""
        try:
            catalog = load_lessons(self.extra_lessons)
        except Exception as error:  # noqa: BLE001 - said on screen, the picker goes on
            self.post_message(LessonsFailed(f"The lessons could not be loaded: {error!r}"))
            return
        self.trace_beliefs(catalog)  # before the first lesson opens: which steps are worked
        self.post_message(LessonsLoaded(catalog))
        while self.after_paint:
            self.after_paint.pop(0)()

    def trace_beliefs(self, catalog: Catalog | None = None) -> None:
        """(In a thread.) The student's mastery of each skill, for worked examples; left
        as it was if anything fails (the tutor then asks every step, or as before)."""
        catalog = catalog or self.shelf.catalog
        if not self.examples or catalog is None:
            return
        try:
            states = student_mastery(self.store, catalog.lessons, self.skill_params)
        except Exception:  # noqa: BLE001 - worked examples are help, never a failure
            return
        self.mastery = {skill: state.mastery for skill, state in states.items()}

    def beliefs(self, lesson_id: str) -> Beliefs | None:
        """What a lesson opens with to choose its worked examples; None where there are
        none (off, the course's graded work, or not traced yet)."""
        if not self.examples or self.shelf.examples_off(lesson_id):
            return None
        if self.mastery is None:  # lessons given loaded, or traced in vain: once, here
            self.trace_beliefs()
        if self.mastery is None:
            return None
        from tutor.progress.tracing import Beliefs

        return Beliefs(self.mastery, self.skill_params)

    def warm_up_checker(self) -> None:
        def work() -> None:
            try:
                warm_up_checker()
            finally:  # an error only means the first check imports sympy itself
                if self.freeze_gc:
                    freeze_heap()
                self.post_message(WarmedUp())

        self.run_worker(work, thread=True, exit_on_error=False)

    @on(LessonsLoaded)
    def on_lessons_loaded(self, message: LessonsLoaded) -> None:
        self.lessons_loaded(message.catalog)

    @on(LessonsFailed)
    def on_lessons_failed(self, message: LessonsFailed) -> None:
        self.lessons_failed(message.reason)

    @on(WarmedUp)
    def on_warmed_up(self) -> None:
        self.warmed_up = True

    def lessons_loaded(self, catalog: Catalog) -> None:
        self.shelf.catalog = catalog
        for screen in self.screen_stack:
            if isinstance(screen, picker_screen()):
                screen.fill()  # lessons that failed to load in full are now listed as broken
        if self.waiting is not None:
            self.start_lesson_screen(*self.waiting)
        if self.warm_up:
            self.warm_up_checker()

    def lessons_failed(self, message: str) -> None:
        self.load_failure = message
        self.notify(message, title="Cannot open lessons", severity="error", timeout=15,
                    markup=False)
        if self.waiting is not None and isinstance(self.screen, LoadingScreen):
            self.back_to_lessons(self.screen)

    # -- size ----------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self.fit_to(event.size.width, event.size.height)

    def fit_to(self, width: int, height: int) -> None:
        """Below the minimum size every screen shows only its too-small note (see app.tcss)."""
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small == self.has_class("-too-small"):
            return
        if small:  # hiding every widget drops the focus: remember it, to give it back
            self.focus_kept = {screen: screen.focused for screen in self.screen_stack}
        self.set_class(small, "-too-small")
        # Textual restyles only the visible screens; the ones beneath follow the class too.
        for screen in self.screen_stack:
            screen.update_node_styles(animate=False)
        if not small:
            self.call_after_refresh(self.give_focus_back)

    def give_focus_back(self) -> None:
        for screen, widget in getattr(self, "focus_kept", {}).items():
            if widget is not None and widget.is_attached:
                screen.set_focus(widget)
        self.focus_kept = {}

    # -- lessons ---------------------------------------------------------------------------
    def open_lesson(self, lesson_id: str, seed: int | None = None, intro: bool = True) -> bool:
        """Its intro first if it is new to the student, then its steps (once loaded).

        False, with a notification, if it cannot be opened.
        """
        try:
            lesson = self.shelf.find(lesson_id)
        except LessonError as error:
            self.notify(error.message, title="Cannot open", severity="error", markup=False)
            return False
        # --seed / --seed-from-user apply to every lesson opened in this session, from
        # the picker too: in a lab each student must get their own numbers.
        opening = open_variant(self.store, lesson_id, seed if seed is not None else self.start_seed)
        if opening.kept_variant:
            self.notify(
                f"Continuing your variant (seed {opening.seed}), so your progress is kept; "
                "“New variant” on the summary starts new numbers.",
                title=lesson.title,
            )
        self.last_lesson = lesson_id
        if intro and opening.fresh:
            start = partial(self.begin_lesson, lesson_id, opening.seed, replace=True)
            self.push_screen(IntroScreen(lesson, start=start, navigator=self))
        else:
            self.begin_lesson(lesson_id, opening.seed)
        return True

    def begin_lesson(self, lesson_id: str, seed: int, *, replace: bool = False) -> None:
        """The student goes on to the steps: only now is the lesson started."""
        start_lesson(self.store, lesson_id, seed)
        self.start_lesson_screen(lesson_id, seed, replace=replace)

    def start_lesson_screen(self, lesson_id: str, seed: int, *, replace: bool = False) -> None:
        """The lesson's steps; a loading screen instead while the lessons are still loading.

        ``replace``: in place of the screen on top (the lesson's intro), not on it.
        """
        replace = replace or isinstance(self.screen, LoadingScreen)
        if not self.shelf.ready(lesson_id):
            self.load_in_background()  # if the first screen went before it could start it
            if self.load_failure:
                self.notify(self.load_failure, title="Cannot open", severity="error",
                            markup=False)
                if replace:
                    self.back_to_lessons(self.screen)
            elif not isinstance(self.screen, LoadingScreen):
                self.waiting = (lesson_id, seed)
                loading = LoadingScreen(lesson_id, self.shelf.find(lesson_id).title, self)
                if replace:
                    self.switch_screen(loading)
                else:
                    self.push_screen(loading)
            return
        self.waiting = None
        try:
            lesson = self.shelf.lesson(lesson_id)
        except LessonError as error:  # its file turned out broken when loaded in full
            if replace:
                self.back_to_lessons(self.screen)
            self.notify(error.message, title="Cannot open", severity="error", markup=False)
            return
        from tutor.app.screens.lesson import LessonScreen  # the engine is loaded by now

        screen = LessonScreen(
            lesson,
            seed,
            self.store,
            navigator=self,
            clock=self.clock,
            symbolic_budget=self.symbolic_budget,
            cursor_blink=self.cursor_blink,
            reveal_off=self.shelf.reveal_off(lesson_id),
            beliefs=self.beliefs(lesson_id),
        )
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        if self.warm_up:
            self.run_worker(partial(prepare_proofs, lesson), thread=True, exit_on_error=False,
                            group="prepare-proofs")

    def back_to_lessons(self, screen: Screen) -> None:
        """Close ``screen`` (the top one) for the picker: the one beneath it, or a new one
        in its place when the session began with a lesson (on a BaseScreen). Its cursor
        is on the lesson just left."""
        self.to_picker(screen, self.last_lesson)

    def to_picker(self, screen: Screen, land_on: str | None) -> None:
        if self.examples:  # what the lesson just left showed of the student's skills
            self.run_worker(self.trace_beliefs, thread=True, exit_on_error=False,
                            group="trace-beliefs")
        if isinstance(screen, LoadingScreen):
            self.waiting = None
            self.typed_ahead = []  # typed for the lesson the student has just left
        stack = self.screen_stack
        if len(stack) > 1 and isinstance(stack[-2], picker_screen()):
            stack[-2].land_on(land_on)
            screen.dismiss(None)
        else:
            self.switch_screen(picker_screen()(self.shelf, self.store, self, land_on=land_on))

    def show_summary(self, session: LessonSession, lesson_screen: Screen) -> None:
        from tutor.app.screens.summary import SummaryScreen

        session.finish()
        if self.examples:  # before the next lesson opens from the summary
            self.run_worker(self.trace_beliefs, thread=True, exit_on_error=False,
                            group="trace-beliefs")
        lesson = session.lesson
        following = self.shelf.after(lesson.id)

        def chosen(choice: str | None) -> None:
            if choice == "review":
                return
            # Back in the lessons, the cursor is on the one to do next.
            self.to_picker(lesson_screen, following.id if following else lesson.id)
            if choice == "new":
                new_variant(self.store, lesson.id, self.new_seed())
                self.open_lesson(lesson.id, intro=False)
            elif choice == "next" and following is not None:
                self.open_lesson(following.id)
            elif choice == "next" and own:  # endless practice: another network
                from tutor.networks.drawn import random_network

                self.open_network(random_network(self.new_seed()))

        own = lesson.id in self.shelf.networks
        named = "a random network, to practise again" if own else None
        if following is not None:
            number = [entry.id for entry in self.shelf.entries()].index(following.id) + 1
            named = f"{number}. {following.title}"
        self.push_screen(SummaryScreen(lesson, session.seed, self.store, named, self), chosen)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        # A proof still running would keep its check's thread, and so the process, alive
        # for the rest of its budget after the screen is gone.
        from tutor.engine.bounded import stop_all

        stop_all(closing=True)  # and the checks still running prove nothing more
        super().exit(*args, **kwargs)

    def wait_for_saves(self, timeout: float) -> None:
        """Let the checks still running save their answers: an answer sent is never lost.

        After ``exit`` has stopped the proofs, a check left is numeric and ends at once.
        """
        deadline = time.monotonic() + timeout
        for saved in list(self.unsaved):
            saved.wait(max(0.0, deadline - time.monotonic()))

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
        from tutor.app.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            # The lesson screen adds its own part (duck-typed, as palette_commands below).
            lesson_part = getattr(self.screen, "help_part", None)
            self.push_screen(HelpScreen(lesson_part() if lesson_part else ""))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Help", "The keys and the answer language (F1)", self.action_help)
        # The lesson screen offers its own (duck-typed: its module loads with the engine).
        palette = getattr(screen, "palette_commands", None)
        if palette is not None:
            yield from palette()
        if isinstance(screen, picker_screen()):
            for lesson in self.shelf.entries():
                yield SystemCommand(
                    f"Open {lesson.title}", lesson.id, partial(self.open_lesson, lesson.id)
                )
        yield from super().get_system_commands(screen)
