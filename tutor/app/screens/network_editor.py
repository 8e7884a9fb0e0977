"""The network editor: a student types their own network, and learns as they type whether
the tutor can ask it (and which factors it will ask), or what is wrong at which line
and column. Start makes the lesson and plays it like any other.

The check runs in a worker thread after each pause in typing, so a long network never
holds up a keystroke; a result for text that has changed since is dropped. The text is
saved as a draft with each check and on leaving, so nothing typed is lost; "Random"
replaces it with a drawn network, and Ctrl+Z brings the student's text back.

A burst of keys (a paste in a terminal that sends it key by key) costs each key a
constant: the text holds what a network file may (tutor.networks.reader.MAX_TEXT characters),
and what comes past that is dropped before the text area's work on it, said once; the
pause in typing is one timer for the burst, not one per key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea
from textual.widgets.text_area import Edit, EditResult

from tutor.app.screens.navigation import Navigator
from tutor.app.screens.too_small import TooSmallNote
from tutor.app.textual_patches import UndoSafeTextArea

if TYPE_CHECKING:
    from textual.timer import Timer

    from tutor.networks.draft import DraftCheck
    from tutor.progress import ProgressStore

PAUSE = 0.3  # seconds without typing before the text is checked
FULL_NOTICE = ("A network holds {limit} characters, and a line {line}, at most; what came "
               "past that was left out.")
NOTICE_SECONDS = 5.0  # the notice's time on screen; told again only once it has gone
HELP = "Inputs (x : 3x1), definitions (z1 = W1 @ x), goal: dL/dW1"


class NetworkChecked(Message):
    """Posted by the checking thread: what the text it was given amounts to."""

    def __init__(self, check: DraftCheck) -> None:
        super().__init__()
        self.check = check


def status_content(check: DraftCheck, text: str) -> Content:
    """The verdict on the text: its factors, or the error with its line and a caret."""
    if check.ok:
        count = len(check.steps)
        return Content.assemble(
            ("✓ ", "bold $text-success"),
            (check.title, "bold"),
            f" — {count} factor{'' if count == 1 else 's'} to find: ",
            " · ".join(check.steps),
            ("\nF5 (Ctrl+S) starts it.", "$text-muted"),
        )
    where = ""
    if check.line is not None:
        where = f"line {check.line}" + (f", column {check.column}" if check.column else "")
    parts: list[tuple[str, str] | str] = [("✗ ", "bold $text-error")]
    if where:
        parts.append((f"{where}: ", "bold"))
    parts.append(check.error or "")
    lines = text.splitlines()
    if check.line is not None and 1 <= check.line <= len(lines):
        number = f"{check.line:>3} │ "
        parts.append(("\n" + number, "$text-muted"))
        parts.append(lines[check.line - 1])
        if check.column:
            parts.append(("\n" + " " * (len(number) - 2) + "│ ", "$text-muted"))
            parts.append((" " * (check.column - 1) + "^", "bold $text-error"))
    return Content.assemble(*parts)


class NetworkText(UndoSafeTextArea):
    """The editor's text area: it holds a network file's worth of text, no more, and
    lines no longer than an answer (a definition is one; a longer line helps nobody)."""

    full_told: float | None = None  # when the student was told the text is full

    def edit(self, edit: Edit) -> EditResult:
        """Every edit comes here (a key, a paste, Random): cut to the room left before
        the text area does any work on it, so a key past the limit costs nothing. (Its
        work on a key grows with the line's length: a line without end made a burst of
        keys quadratic.)"""
        from tutor.engine.tokens import MAX_LENGTH as MAX_LINE  # the engine: kept off the
        from tutor.networks.reader import MAX_TEXT  # first screen (an answer's length is a line's)

        document = self.document
        top, bottom = edit.top, edit.bottom
        length = sum(map(len, document.lines)) + document.line_count - 1
        room = MAX_TEXT - length + len(document.get_text_range(top, bottom))
        if "\n" not in edit.text and "\r" not in edit.text:
            # What is left of the line(s) the edit lands in, around the replaced range.
            line = top[1] + len(document[bottom[0]]) - bottom[1]
            room = min(room, MAX_LINE - line)
        if len(edit.text) > room:
            edit.text = edit.text[:max(0, room)]
            self.tell_full(MAX_TEXT, MAX_LINE)
            if not edit.text and top == bottom:
                return EditResult(end_location=top, replaced_text="")
        return super().edit(edit)

    def tell_full(self, limit: int, line: int) -> None:
        now = time.monotonic()
        if self.full_told is None or now - self.full_told > NOTICE_SECONDS:
            self.full_told = now
            self.notify(FULL_NOTICE.format(limit=limit, line=line), title="Network full",
                        severity="warning", timeout=NOTICE_SECONDS, markup=False)


class NetworkEditorScreen(Screen[None]):
    CSS_PATH = Path(__file__).parent / "network_editor.tcss"
    BINDINGS = [
        # Priority: the text area would take these keys (it types, or selects with F6/F7).
        Binding("f5,ctrl+s", "start", "Start", id="network-start", priority=True),
        Binding("f8,ctrl+r", "random", "Random", id="network-random", priority=True),
        Binding("escape", "back", "Lessons", id="network-back", priority=True),
    ]

    def __init__(self, text: str, store: ProgressStore, navigator: Navigator,
                 draw: Callable[[], str], *, cursor_blink: bool = True) -> None:
        """``draw``: a random network's text, for Random."""
        super().__init__()
        self.cursor_blink = cursor_blink
        self.initial = text
        self.store = store
        self.navigator = navigator
        self.draw = draw
        self.checked: DraftCheck | None = None  # the latest check, of the text it names
        self.start_when_checked = False
        self.saved_draft = text
        self.pause_timer: Timer | None = None  # until the text is checked
        self.changed_at = 0.0  # the last edit: the pause in typing counts from it

    def compose(self) -> ComposeResult:
        yield TooSmallNote()
        yield Static("Your own network", classes="screen-title")
        yield Static(HELP, id="network-help")
        area = NetworkText(self.initial, id="network-text", show_line_numbers=True,
                           soft_wrap=False, tab_behavior="indent")
        area.cursor_blink = self.cursor_blink
        self.text_area = area  # kept: on_unmount reads it after the screen's nodes have gone
        yield area
        yield Static(id="network-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    @property
    def area(self) -> TextArea:
        return self.query_one("#network-text", TextArea)

    def on_mount(self) -> None:
        self.area.focus()
        self.check_soon()

    # -- checking as the student types ------------------------------------------------
    @on(TextArea.Changed)
    def text_changed(self) -> None:
        if self.pause_timer is None:  # the first edit after a check: one "…" a burst
            self.query_one("#network-status", Static).update(
                Content.styled("…", "$text-muted"))
        self.check_soon()

    def check_soon(self) -> None:
        """The check runs PAUSE seconds after the last edit. One timer a pause: each key
        only notes its time (a timer apiece, stopped by the next key, cost a task each)."""
        self.changed_at = time.monotonic()
        if self.pause_timer is None:
            self.pause_timer = self.set_timer(PAUSE, self.pause_over)

    def pause_over(self) -> None:
        left = self.changed_at + PAUSE - time.monotonic()
        if left > 0.01:  # typed on since the timer was set: wait for the rest of the pause
            self.pause_timer = self.set_timer(left, self.pause_over)
            return
        self.pause_timer = None
        self.check_now()

    def on_unmount(self) -> None:
        # Quitting within the pause in typing: what was typed last is kept too.
        self.keep_draft(self.text_area.text)

    def check_now(self) -> None:
        text = self.area.text
        if self.checked is not None and self.checked.text == text:
            self.show(self.checked)
            return
        self.run_worker(lambda: self.check_in_thread(text), thread=True, exclusive=True,
                        group="network-check", exit_on_error=False)
        self.keep_draft(text)

    def check_in_thread(self, text: str) -> None:
        from tutor.networks.draft import check_draft  # the engine: kept off the first screen

        self.post_message(NetworkChecked(check_draft(text)))

    @on(NetworkChecked)
    def network_checked(self, message: NetworkChecked) -> None:
        if message.check.text != self.area.text:
            return  # typed on since: a newer check is on its way
        self.checked = message.check
        self.show(message.check)
        if self.start_when_checked:
            self.start_when_checked = False
            self.action_start()

    def show(self, check: DraftCheck) -> None:
        status = self.query_one("#network-status", Static)
        status.update(status_content(check, check.text))
        status.set_class(not check.ok, "-error")

    def keep_draft(self, text: str) -> None:
        if text != self.saved_draft:
            self.store.save_draft(text)
            self.saved_draft = text

    # -- actions ---------------------------------------------------------------------------
    def action_start(self) -> None:
        text = self.area.text
        if self.checked is None or self.checked.text != text:
            self.start_when_checked = True  # as soon as this text is checked
            self.check_now()
            return
        if not self.checked.ok:
            self.app.bell()
            self.show(self.checked)
            self.notify("Mend what the line below the network says, then start.",
                        title="Not yet", severity="warning", markup=False)
            return
        self.keep_draft(text)
        self.navigator.open_network(text)

    def action_random(self) -> None:
        document = self.area.document
        # An edit, not a new document: Ctrl+Z brings back what was typed.
        self.area.replace(self.draw(), document.start, document.end)
        self.area.move_cursor(self.area.document.end)

    def action_back(self) -> None:
        self.keep_draft(self.area.text)
        self.navigator.back_to_lessons(self)
