"""Keys are read from the terminal no faster than the app handles them.

Textual's driver reads its input in a thread and hands each key to the event loop as a
task of its own, however many are still waiting. A burst (100,000 keys: a paste in a
terminal that sends it key by key, a script, a stuck key, a browser's socket) was read
in a second and queued whole: memory grew with the burst, the screen froze until the
queue was worked through, and the app's own messages waited behind it (a SIGTERM's exit
among them). Here the input thread lets at most BACKLOG of its events be alive in the
app at once (an event lives until every widget it goes to has handled it, and is freed
at once then); past that it waits, and what was typed waits in the terminal's buffer or
the server's pipe, where it costs the tutor nothing.

A wait ends after STALL seconds all the same: an app that holds on to keys (the lesson
screen's, held until its answer box has the focus) still gets them, one per STALL.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from textual import events

BACKLOG = 1000  # input events alive in the app at once: a few tenths of a second of work
STALL = 0.5  # seconds the input thread waits for room before it sends an event anyway


class InputFlow:
    """Put in front of a Textual driver (see signals.session_driver)."""

    exit_event: threading.Event

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._room = threading.BoundedSemaphore(BACKLOG)
        self._input_thread: int | None = None

    def run_input_thread(self) -> None:
        self._input_thread = threading.get_ident()
        super().run_input_thread()  # type: ignore[misc]

    def send_message(self, message: Any) -> None:
        # Only the input thread waits: the event loop's thread must never block on itself.
        if (threading.get_ident() == self._input_thread
                and isinstance(message, events.InputEvent) and self._wait_for_room()):
            weakref.finalize(message, self._room.release)
        super().send_message(message)  # type: ignore[misc]

    def _wait_for_room(self) -> bool:
        """True once there is room (the event takes it); False after STALL or on exit."""
        for _ in range(int(STALL / 0.05)):
            if self.exit_event.is_set():
                return False  # the app is stopping: it frees no more events
            if self._room.acquire(timeout=0.05):
                return True
        return False
