"""One lesson, one factor at a time: prompt, answer box with live preview, checks, hints.

The progress store is the truth: after every change the screen re-reads the
lesson's state and redraws from it, so what is shown is what was saved.

Nothing the student sends is lost. Checks run in worker threads one after another,
in the order they were sent, and each thread saves its own verdict, so an answer
sent while another is being checked, typed over, or left behind by Esc is still
checked and kept; only a verdict that no longer fits the screen goes unshown. Keys
typed before the answer box has the focus are held by the app until this screen
posts Ready (see ChainTutorApp.on_event); a printable key typed while something else
has the focus (the values panel, after F6 and Tab) goes to the answer box.

Every key in the footer has a Ctrl partner beside its F-key or page key, for keyboards
without them and terminals that keep them (F1 opens GNOME Terminal's own help). Ctrl+H,
I, J and M are Backspace, Tab and Enter to a terminal; S and Q are flow control, C and Z
signals; A, D, E, K, U, V, W and X edit the answer box; B is tmux's prefix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property

from rich.cells import cell_len, set_cell_size
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from tutor.app.model import (
    FactorState,
    chain_pieces,
    chain_step,
    forward_graph,
    id_spans,
    screen_notation,
)
from tutor.app.notation import shape_label
from tutor.app.screens.lesson_actions import CheckOutcome, LessonActions
from tutor.app.screens.navigation import Navigator
from tutor.app.screens.too_small import TooSmallNote
from tutor.app.widgets.answer import AnswerInput
from tutor.app.widgets.chain import ID_STYLE, ChainView
from tutor.app.widgets.feedback import (
    Feedback,
    hints_content,
    verdict_content,
)
from tutor.app.widgets.footer import SteadyFooter
from tutor.app.widgets.graph import GraphView
from tutor.app.widgets.preview import Preview
from tutor.app.widgets.prose import inline_content
from tutor.app.widgets.steady import Steady, SteadyScroll, set_display, show
from tutor.app.widgets.values import ValuesPanel
from tutor.lessons.model import Lesson, Step, Variant
from tutor.progress import LessonState, ProgressStore
from tutor.progress.tracing import Beliefs
from tutor.rules import Status
from tutor.session import LessonSession

EMPTY_ANSWER = Content.assemble(
    ("Type the factor first: ", "bold"),
    ("the box is empty, so nothing was checked and no attempt counted. F2 gives a hint.",
     "$text-muted"),
)
# Seconds: a verdict sooner shows no "checking…" first (a frame and a layout each: with
# fifty answering at once, most verdicts come within a second, and those frames cost all).
CHECKING_AFTER = 1.0
STATUS_GLYPHS = {Status.SOLVED: "✓", Status.REVEALED: "◇", None: "·"}
STEP_KEYS = Binding.Group("Step")
# The actions whose keys grey out and back in as the student works (see check_action).
STATEFUL_ACTIONS = ("hint", "reveal", "next_step", "previous_step", "reset_step", "reset_lesson")


class LessonScreen(LessonActions, Screen[None]):
    AUTO_FOCUS = "#answer"
    # -narrow/-wide classes: the side panel (values, graph) shows at -wide. Set here, not on
    # the app: every screen with breakpoints is restyled as a whole when it is first sized.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    # The footer takes two rows below 110 columns, and the chain's row of ids one: to make
    # up for them, below 25 rows the blank lines above the verdict and the prompt go, so
    # that a verdict's last line ("Enter: the next factor") is seen at 80×24. Below 22
    # rows (60×18) there is no blank line left: the ids take one of the verdict's rows,
    # and a long verdict scrolls.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (22, "-medium"), (25, "-tall")]
    BINDINGS = [
        # Priority: the focused Input would otherwise take the page keys for scrolling.
        # First, because Textual lists priority keys first once the Input has the focus:
        # so the footer drawn with the screen, before that, shows them in the same order.
        Binding("pageup,ctrl+p", "previous_step", "Prev", id="previous", priority=True,
                group=STEP_KEYS),
        Binding("pagedown,ctrl+n", "next_step", "Next", id="next", priority=True,
                group=STEP_KEYS),
        Binding("f2,ctrl+g", "hint", "Hint", id="hint"),
        Binding("f3,ctrl+o", "reveal", "Reveal", id="reveal"),
        Binding("f3,ctrl+o", "reveal_off", "Reveal off", id="reveal-off"),  # a course's
        Binding("f5,ctrl+t", "reset_step", "Reset", id="reset-step"),
        Binding("ctrl+r", "reset_lesson", "Reset lesson", id="reset-lesson", show=False),
        Binding("f4", "intro", "Intro", id="intro", show=False),
        Binding("f6,ctrl+f", "toggle_values", "Values", id="values"),
        Binding("escape", "back", "Lessons", id="back"),
    ]

    def __init__(
        self,
        lesson: Lesson,
        seed: int,
        store: ProgressStore,
        *,
        navigator: Navigator,
        clock: Callable[[], float],
        symbolic_budget: float = 1.0,
        cursor_blink: bool = True,
        reveal_off: str | None = None,
        beliefs: Beliefs | None = None,  # None: no step opens as a worked example
    ) -> None:
        super().__init__()
        # Read now, not on mount: the footer, composed with the screen, asks check_action.
        self.session = LessonSession(lesson, seed, store, screen_notation(lesson), reveal_off,
                                     beliefs)
        self.navigator = navigator
        self.clock = clock
        self.symbolic_budget = symbolic_budget
        self.cursor_blink = cursor_blink
        self.graph = forward_graph(lesson)
        self.step_started = clock()
        # Every edit, submission or step change takes a new token; a check whose token
        # is no longer current is stale: saved all the same, but its verdict goes unshown.
        self.token = 0
        self.checking: str | None = None
        # Enter again on the answer just checked repeats nothing: it is not a new attempt.
        self.last_checked: tuple[str, str] | None = None
        # The box's text when the step was solved or revealed: Enter on it moves on.
        self.settled: str | None = None
        self.keys_shown: tuple[bool | None, ...] = ()  # what the footer was last told
        # Set when the check sent last has been saved: the next one waits for it.
        self.last_saved: threading.Event | None = None
        # False until the app has handed over the keys it held for this screen (Ready).
        self.accepting_keys = False

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        shapes = self.lesson.problem.shapes
        yield Steady(id="lesson-title", classes="screen-title")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield ChainView(id="chain")
                yield GraphView(self.graph, shapes, self.lesson.definitions, id="graph")
                yield Steady(id="prompt")
                # The example uses no lesson's names, so it gives nothing away; a lesson of
                # numbers gets one without matrices.
                example = "2 * a^3 / (1 + a)" if self.lesson.problem.numbers_only else \
                    "2 * A.T @ diag(v)"
                yield AnswerInput(  # shows control characters, never sends them
                    placeholder=f"the factor, e.g. {example}  (F1: what you can type)",
                    id="answer",
                )
                yield Preview(id="preview")
                with SteadyScroll(id="feedback-box"):
                    yield Feedback(id="feedback")
                    yield Steady(id="hints")
                # Narrow terminals: F6 swaps the feedback for the factors and the numbers,
                # keeping the prompt and the answer box in view.
                with VerticalScroll(id="values-box"):
                    yield from self.factors_and_values(values_first=True)
            with VerticalScroll(id="side"):
                yield Static("Forward pass", classes="side-title")
                yield GraphView(
                    self.graph, shapes, self.lesson.definitions, detailed=True, id="side-graph"
                )
                yield from self.factors_and_values()
        yield SteadyFooter(compact=True, show_command_palette=False)

    def factors_and_values(self, values_first: bool = False) -> ComposeResult:
        factors = [Static("Factors", classes="side-title"), Steady(classes="factor-list")]
        values = [Static("Values", classes="side-title"), ValuesPanel(self.lesson, self.variant)]
        yield from (values + factors) if values_first else (factors + values)

    class Ready(Message):
        """The answer box has the focus: keys held for this screen can be given to it."""

    class CheckDone(Message):
        """Posted by a check's thread once its verdict is saved."""

        def __init__(self, outcome: CheckOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def on_mount(self) -> None:
        answer = self.query_one(Input)
        answer.cursor_blink = self.cursor_blink
        self.show_step()
        self.set_focus(answer)  # now, not later as focus() would: the held keys go to it
        self.post_message(self.Ready())

    # -- reading state: the session's --------------------------------------------------
    @property
    def lesson(self) -> Lesson:
        return self.session.lesson

    @property
    def seed(self) -> int:
        return self.session.seed

    @property
    def variant(self) -> Variant:
        return self.session.variant

    @property
    def state(self) -> LessonState:
        return self.session.state

    @property
    def factors(self) -> dict[str, FactorState]:
        return self.session.factors

    @property
    def index(self) -> int:
        return self.session.index

    @property
    def step(self) -> Step:
        return self.session.step

    @property
    def factor(self) -> FactorState:
        return self.session.factor

    @property
    def is_last(self) -> bool:
        return self.session.is_last

    def reload(self) -> None:
        self.session.reload()

    # -- drawing ---------------------------------------------------------------------
    def show_step(self) -> None:
        """Draw everything for the current step, starting its clock afresh."""
        self.step_started = self.clock()
        self.token += 1
        self.checking = None
        self.last_checked = None
        self.session.study()  # a worked example is shown, and studied, as it opens
        answer = self.query_one(AnswerInput)
        # An open step gets the last try back to edit; a done step shows its answer above.
        answer.value = "" if self.factor.done else (self.factor.last_answer or "")
        self.settled = answer.value if self.factor.done else None
        answer.set_history(self.session.earlier_answers)
        answer.focus()
        self.query_one(Preview).show(answer.value, self.session.problem, self.step.shape,
                                     aliases=self.session.aliases, redact=self.session.redact)
        self.redraw()
        self.query_one(Feedback).say(self.standing_feedback())

    def redraw(self) -> None:
        """Everything that depends on the saved state (not on the feedback shown).

        Only widgets whose content changed are updated (see widgets/steady.py), and the
        footer only when a key greys in or out: a check must not stall the screen.
        """
        step = self.step
        show(self.query_one("#lesson-title", Static), self.title_content())
        top = chain_step(self.lesson, step)  # the product this step is a factor of
        pieces = chain_pieces(self.lesson, self.factors, top)
        typeable = self.session.typeable
        self.query_one(ChainView).show(
            top.label, pieces, self.factors, step.id,
            id_spans(self.lesson, pieces, typeable, top.id),
            with_ids=len(self.session.step_names()) > 1,  # else no id is ever typed
        )
        for graph in self.graphs:
            graph.focus_on(step.of, step.wrt)
        for values in self.values_panels:
            values.mark({step.of, step.wrt})
        show(self.query_one("#prompt", Static), self.prompt_content())
        hints = self.query_one("#hints", Static)
        show(hints, hints_content(step.hints, self.factor.hints))
        set_display(hints, self.factor.hints > 0)
        factor_list = self.factor_list(typeable)
        for widget in self.factor_lists:
            show(widget, factor_list)
        keys = tuple(self.check_action(action, ()) for action in STATEFUL_ACTIONS)
        if keys != self.keys_shown:
            self.keys_shown = keys
            self.refresh_bindings()
            self.query_one(SteadyFooter).grey_keys_now()  # in this frame, not the next

    # Composed once: found once, not by a walk of the whole screen for each redraw.
    graphs = cached_property(lambda self: list(self.query(GraphView)))
    values_panels = cached_property(lambda self: list(self.query(ValuesPanel)))
    factor_lists = cached_property(lambda self: list(self.query(".factor-list")))

    def title_content(self) -> Content:
        """The title, then where the student is; a title too long for the screen is cut
        (…) before the step counter is."""
        where = f"  ·  step {self.index + 1}/{len(self.lesson.steps)} · seed {self.seed}"
        title = self.lesson.title
        room = self.size.width - 2 - cell_len(where)  # the title bar's padding
        if self.size.width and cell_len(title) > room:
            title = set_cell_size(title, max(1, room - 1)).rstrip() + "…"
        return Content.assemble((title, "bold"), (where, "$text-muted"))

    def on_resize(self, event: events.Resize) -> None:
        for title in self.query("#lesson-title").results(Static):
            show(title, self.title_content())

    def prompt_content(self) -> Content:
        step, factor = self.step, self.factor
        status = {
            "solved": ("  ✓ solved", "bold $text-success"),
            "revealed": ("  ◇ studied" if self.session.studied else "  ◇ revealed",
                         "italic $text-warning"),
        }.get(factor.status, ("", ""))
        return Content.assemble(
            (f"{step.label}", "bold reverse"),
            (f"  is {shape_label(step.shape)}", "bold"),
            status,
            (
                f"  ·  attempts {factor.attempts}  ·  hints {factor.hints}/{len(step.hints)}",
                "$text-muted",
            ),
            "\n",
            inline_content(step.prompt),  # the author's Markdown marks, styled
        )

    def factor_list(self, typeable: frozenset[str] = frozenset()) -> Content:
        """Each step, its status and the student's answer: `df_dh2 = W3` when its id is a
        name this step's answer may use."""
        rows = []
        for index, step in enumerate(self.lesson.steps):
            factor = self.factors[step.id]
            marker = "▶" if index == self.index else STATUS_GLYPHS[factor.status]
            head = Content.assemble(
                (f"{marker} ", "bold"),
                (step.label, "bold reverse" if index == self.index else "bold"),
                (f" {shape_label(step.shape)}", "$text-muted"),
            )
            rows.append(head)
            if factor.answer:
                name = ((step.id, ID_STYLE), (" = ", "$text-muted")) \
                    if step.id in typeable else ()
                style = "bold $text-success" if factor.status == "solved" else "italic"
                rows.append(Content.assemble("   ", *name, (factor.answer, style)))
                if factor.canonical and _differs(factor.canonical, factor.answer):
                    rows.append(Content.styled(f"   = {factor.canonical}", "$text-muted"))
        return Content("\n").join(rows)

    # -- typing and checking ---------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        # A box that has changed again since is a burst: a newer Changed is queued, and
        # the preview of this text would be drawn over at once. Only the latest text is
        # read, so a burst costs one preview, not one per key (each one parses the text).
        if event.value != event.input.value:
            return
        self.query_one(Preview).show(event.value, self.session.problem, self.step.shape,
                                     aliases=self.session.aliases, redact=self.session.redact)
        if self.checking is not None and event.value.strip() != self.checking:
            self.token += 1  # the student typed on: the running check is stale
            self.checking = None
            self.query_one(Feedback).say("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.factor.done and self.settled is not None and text == self.settled.strip():
            self.action_next_step()  # the feedback says so: "Enter: the next factor"
            return
        if not text:
            self.query_one(Feedback).say(EMPTY_ANSWER)
            return
        if text == self.checking or (self.step.id, text) == self.last_checked:
            return
        self.token += 1
        self.checking = text
        self.pause_for_check(self.token)
        elapsed = self.clock() - self.step_started
        token, step_id = self.token, self.step.id
        previous, saved = self.last_saved, threading.Event()
        self.last_saved = saved
        unsaved: set[threading.Event] = getattr(self.app, "unsaved", set())
        unsaved.add(saved)  # the app waits for it before closing the progress file

        def check() -> None:
            if previous is not None:
                previous.wait()  # saved in the order sent: the last one sent is the last answer
            try:
                outcome = self.check_and_save(token, step_id, text, elapsed)
            finally:
                saved.set()
                unsaved.discard(saved)
            self.post_message(self.CheckDone(outcome))  # dropped if the screen is gone

        # The app's worker, not this screen's: Esc right after Enter removes the screen,
        # and with it the workers it owns, possibly before this one has started.
        self.app.run_worker(check, thread=True, group="check", name=f"check {step_id}",
                            exit_on_error=False)

    def pause_for_check(self, token: int) -> None:
        """While a check runs: the cursor holds still (as it is: no frame of its own), and
        "checking…" shows only if the verdict is not there within CHECKING_AFTER. A quick
        verdict is one frame (fifty students answering at once wait on every frame)."""
        answer = self.query_one(AnswerInput)
        answer.hold_still(show=False)

        def say_checking() -> None:
            if self.checking is not None and self.token == token:
                answer.hold_still()
                self.query_one(Feedback).say(Content.styled("checking…", "italic $text-muted"))

        self.set_timer(CHECKING_AFTER, say_checking, name="checking")

    def check_and_save(self, token: int, step_id: str, text: str, elapsed: float
                       ) -> CheckOutcome:
        """In the check's thread: the verdict, saved with the step it solves."""
        return CheckOutcome(token, self.session.submit(step_id, text, elapsed,
                                                       self.symbolic_budget))

    def on_lesson_screen_check_done(self, message: CheckDone) -> None:
        outcome = message.outcome
        self.query_one(AnswerInput).hold_still()  # steady while the verdict is read
        if outcome.token == self.token:
            self.apply_check(outcome)
            return
        # Sent before the student typed on, sent another or left the step: saved, and the
        # screen shows what it changed (a step it solved), not a verdict on other text.
        status = self.factor.status
        self.reload()
        self.redraw()
        if outcome.step_id == self.step.id and self.factor.status != status:
            self.settled = self.query_one(AnswerInput).value
            self.query_one(Feedback).say(self.standing_feedback())

    def apply_check(self, outcome: CheckOutcome) -> None:
        """Show a saved verdict that is still the one the screen waits for."""
        self.remove_class("-side-open")  # what is said next must be seen
        verdict = outcome.verdict
        self.checking = None
        self.last_checked = (outcome.step_id, outcome.text)
        self.step_started = self.clock()
        self.reload()
        if verdict.verdict == "correct":
            self.settled = outcome.text
        self.redraw()
        self.query_one(Feedback).say(verdict_content(verdict, self.step, self.is_last))
        self.query_one("#feedback-box").scroll_home(animate=False)
        answer = self.query_one("#answer", Input).value
        if verdict.verdict != "invalid" and answer.strip() == outcome.text:
            # The verdict now explains the answer; the preview's caret lines and advice
            # would push that explanation out of sight. Typing brings them back.
            self.query_one(Preview).show(answer, self.session.problem, self.step.shape,
                                         aliases=self.session.aliases, redact=self.session.redact,
                                         compact=True)

    # -- typing with the focus elsewhere ----------------------------------------------
    def on_key(self, event: events.Key) -> None:
        """A printable key reaches the screen only when the answer box does not have the
        focus (after F6 and Tab, or a click): it goes to the box, as if typed there."""
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.answer_box().insert_text_at_cursor(event.character)

    def on_paste(self, event: events.Paste) -> None:
        if event.text:  # its first line, as the box itself takes a paste
            event.stop()
            event.prevent_default()
            self.answer_box().insert_text_at_cursor(event.text.splitlines()[0])

    def answer_box(self) -> AnswerInput:
        """The answer box, given the focus now: the keys that follow go to it directly."""
        answer = self.query_one(AnswerInput)
        if self.focused is not answer:
            self.set_focus(answer)
        return answer

    def on_screen_resume(self) -> None:
        # Back from the intro, a confirmation or the summary: the store may have moved on.
        if self.factors:
            self.reload()
            self.redraw()
            self.query_one(Input).focus()


def _differs(canonical: str, answer: str) -> bool:
    squeeze = str.maketrans("", "", " ")
    return canonical.translate(squeeze) != answer.translate(squeeze)
