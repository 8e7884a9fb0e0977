"""The answer box: an Input that never sends a control character to the terminal.

Textual's Input draws its value as it is, and a terminal obeys the control
characters in it: a pasted ESC [2J clears the screen, ESC ] sets the window title,
and a NUL or a C1 code can garble the line. Here every control character becomes a
visible stand-in the moment it enters the box (typed, pasted, or put back from the
progress file): ␛ for ESC, ␀ for NUL and so on, � for the C1 codes. Each stands for one
character, so the cursor stays where it was, the student sees what to delete, and the
checker names the control character it stands for. A tab is a space.

Its own keys act in the order they were typed, even in a burst (see _on_key).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tutor.engine.tokens import CONTROL_PICTURES

_PICTURES = dict(CONTROL_PICTURES)  # ␀ … ␟, ␡
_PICTURES[ord("\t")] = ord(" ")
_PICTURES.update({code: 0xFFFD for code in range(0x80, 0xA0)})  # C1: no pictures exist


def visible(text: str) -> str:
    """`text` with each control character replaced by one printable stand-in."""
    if text.isprintable():
        return text  # the usual case, and quick for a long paste
    return text.translate(_PICTURES)


class AnswerInput(Input):
    def validate_value(self, value: str) -> str:
        return visible(value)

    async def _on_key(self, event: events.Key) -> None:
        """The box's own keys (Enter, Backspace, Ctrl+U, …) act here, in turn with the
        characters. Textual runs a widget's key binding only once the key has bubbled
        back up to the app, behind the keys queued there already: in a burst (keys sent
        back to back, a slow moment) Enter would submit the characters typed after it,
        and Ctrl+U clear them. Input's own handler runs after this one for the rest."""
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority:
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
