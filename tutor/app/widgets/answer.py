"""The answer box: an Input that never sends a control character to the terminal.

Textual's Input draws its value as it is, and a terminal obeys the control
characters in it: a pasted ESC [2J clears the screen, ESC ] sets the window title,
and a NUL or a C1 code can garble the line. Here every control character becomes a
visible stand-in the moment it enters the box (typed, pasted, or put back from the
progress file): ␛ for ESC, ␀ for NUL and so on, � for the C1 codes. Each stands for one
character, so the cursor stays where it was, the student sees what to delete, and the
checker names the control character it stands for. A tab is a space.

Up and Down walk the step's earlier answers (newest first) and back to what the
student was typing, which is kept meanwhile.

Its own keys act in the order they were typed, even in a burst (see _on_key).

Its cursor stops blinking after RestingBlink.IDLE_SECONDS without a key, and blinks
again on the next: an idle tutor then draws nothing and costs no CPU.

It holds at most MAX_LENGTH characters, the most an answer can have: what comes past
that is dropped before any work is done on it, and the student is told once. Without
the limit a burst of keys (a paste in a terminal that sends it key by key) grew the
text without end, and each key cost work in proportion to all the text before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from textual import events
from textual.binding import Binding
from textual.widgets import Input

from tutor.app.textual_patches import RestingBlink
from tutor.engine.tokens import CONTROL_PICTURES, MAX_LENGTH

FULL_NOTICE = (f"The answer box holds {MAX_LENGTH} characters, the most an answer can have; "
               "what came past that was left out.")
NOTICE_SECONDS = 5.0  # the notice's time on screen; told again only once it has gone

_PICTURES = dict(CONTROL_PICTURES)  # ␀ … ␟, ␡
_PICTURES[ord("\t")] = ord(" ")
_PICTURES.update({code: 0xFFFD for code in range(0x80, 0xA0)})  # C1: no pictures exist


def visible(text: str) -> str:
    """`text` with each control character replaced by one printable stand-in."""
    if text.isprintable():
        return text  # the usual case, and quick for a long paste
    return text.translate(_PICTURES)


class AnswerInput(RestingBlink, Input):
    BINDINGS = [
        Binding("up", "history_back", "Earlier answer", show=False),
        Binding("down", "history_forward", "Later answer", show=False),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.history_source: Callable[[], Sequence[str]] = list
        self.history: list[str] = []  # newest first, read when a walk starts
        self.recalled = -1  # the history entry shown; -1: the student's own text
        self.draft = ""  # their own text, kept while they walk the history
        self.full_told: float | None = None  # when the student was told the box is full

    def validate_value(self, value: str) -> str:
        if len(value) > MAX_LENGTH:  # set whole (an earlier answer, a test): cut here too
            value = value[:MAX_LENGTH]
            self.tell_full()
        return visible(value)

    def replace(self, text: str, start: int, end: int) -> None:
        """Every edit comes here (a key, a paste, Ctrl+U): the text is cut to the room
        left before Input builds the new value, so a key past the limit costs nothing."""
        start, end = sorted((max(0, start), min(len(self.value), end)))
        room = MAX_LENGTH - (len(self.value) - (end - start))
        if len(text) > room:
            text = text[:max(0, room)]
            self.tell_full()
            if not text and start == end:
                return  # nothing to insert, nothing to delete
        super().replace(text, start, end)

    def tell_full(self) -> None:
        """Once a burst, not once a key: a notice per key would cost more than the key."""
        now = time.monotonic()
        if self.full_told is None or now - self.full_told > NOTICE_SECONDS:
            self.full_told = now
            self.notify(FULL_NOTICE, title="Answer box full", severity="warning",
                        timeout=NOTICE_SECONDS, markup=False)

    def set_history(self, source: Callable[[], Sequence[str]]) -> None:
        """Where the answers Up walks back through come from; read when the student
        starts a walk (not before: most never do), so it holds every answer sent."""
        self.history_source = source
        self.history = []
        self.recalled = -1

    def action_history_back(self) -> None:
        self.adopt_edits()
        if self.recalled == -1:
            self.history = list(self.history_source())
        shown = self.value
        index = self.recalled + 1
        # An entry equal to what is shown would make Up look as if it did nothing.
        while index < len(self.history) and self.history[index].strip() == shown.strip():
            index += 1
        if index >= len(self.history):
            return
        if self.recalled == -1:
            self.draft = shown
        self.recall(index)

    def action_history_forward(self) -> None:
        self.adopt_edits()
        if self.recalled == -1:
            return
        self.recall(self.recalled - 1)

    def adopt_edits(self) -> None:
        """An earlier answer edited is the student's own text now: it is what Down
        comes back to."""
        if self.recalled != -1 and self.value != self.history[self.recalled]:
            self.draft, self.recalled = self.value, -1

    def recall(self, index: int) -> None:
        self.recalled = index
        self.value = self.draft if index == -1 else self.history[index]
        self.cursor_position = len(self.value)

    async def _on_key(self, event: events.Key) -> None:
        """The box's own keys (Enter, Backspace, Ctrl+U, …) act here, in turn with the
        characters. Textual runs a widget's key binding only once the key has bubbled
        back up to the app, behind the keys queued there already: in a burst (keys sent
        back to back, a slow moment) Enter would submit the characters typed after it,
        and Ctrl+U clear them. Input's own handler runs after this one for the rest.
        Every key wakes a resting cursor, those handled here too, but Enter: what it
        sends decides (a check holds the cursor still until its verdict, and after it,
        without a frame of its own for the cursor alone)."""
        if event.key != "enter":
            self.stir()
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
