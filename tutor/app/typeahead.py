"""Keys typed before a lesson can take them are held, in order, for its answer box.

Why this exists: opening a lesson is not instant (its lessons may still be loading, and
its answer box takes the focus a moment after the screen appears), and a student who
types at once must not lose a key or see them out of order. Holding them is the app's
part in it, apart from how lessons are opened: ChainTutorApp takes it as a base class,
and resets what is held when the student leaves a loading screen.
"""

from __future__ import annotations

from textual import events
from textual.message import Message

from tutor.app.screens.loading import LoadingScreen


class TypeAhead:
    """The app's queue of keys for a lesson that is not ready for them, for ChainTutorApp."""

    # Set by the app (ChainTutorApp.__init__), emptied by it when a lesson is left.
    typed_ahead: list[events.Key | events.Paste]

    async def on_event(self, event: events.Event) -> None:
        """Hold what the student types for a lesson that is not ready for it yet.

        Textual gives a key to the focused widget, or to the screen when none has the
        focus; a loading screen, or a lesson screen before its answer box takes the focus,
        would drop it. Held here, in the app's own queue, the order is kept: the keys go
        to the answer box, in the order typed, when the screen posts Ready.
        """
        if (isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded
                and self.holds_keys() and not self.passes(event)):
            self.typed_ahead.append(event)
            return
        await super().on_event(event)

    def holds_keys(self) -> bool:
        # Duck-typed: the lesson screen's module loads with the engine.
        screen = self.screen
        if isinstance(screen, LoadingScreen):
            return screen.holds_keys
        return getattr(screen, "accepting_keys", True) is False

    def passes(self, event: events.Key | events.Paste) -> bool:
        """Keys that act at once: Ctrl+Q, and Esc on a loading screen (back to the lessons)."""
        if not isinstance(event, events.Key):
            return False
        return event.key == "ctrl+q" or (event.key == "escape"
                                         and isinstance(self.screen, LoadingScreen))

    async def on_lesson_screen_ready(self, message: Message) -> None:
        screen = self.screen
        if getattr(screen, "accepting_keys", True) is not False:
            return  # a screen that has gone already
        held, self.typed_ahead = self.typed_ahead, []
        screen.accepting_keys = True  # type: ignore[attr-defined]
        for event in held:
            await super().on_event(event)
