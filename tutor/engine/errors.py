"""The engine's one error type: a message for a person, and where in the text it points."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.engine.nodes import Node


@dataclass(frozen=True)
class Suggestion:
    """An expression the tutor proposes, printed so that it parses back to ``node``.

    ``node`` rewrites the clashing sub-expression ``replaces``; ``whole`` is the answer
    as a whole with that rewrite, so that a step can judge it as an answer before it is
    offered (a rewrite that is a wrong answer would steer the student to it).
    """

    text: str
    shape: tuple[int, int]
    node: Node | None = field(default=None, compare=False, repr=False)
    replaces: Node | None = field(default=None, compare=False, repr=False)
    whole: Node | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {"text": self.text, "shape": list(self.shape)}


class EngineError(Exception):
    """Anything wrong with an answer's text or shapes.

    ``start``/``end`` index into the text the student typed, so that a caret can be
    drawn under the spot; ``kind`` says which family of problem it is ("parse",
    "shape", "limit", "name") so callers can react without parsing messages.
    """

    def __init__(
        self,
        message: str,
        start: int | None = None,
        end: int | None = None,
        kind: str = "parse",
        suggestion: str | None = None,
        suggestions: tuple[Suggestion, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end if end is not None else (start + 1 if start is not None else None)
        self.kind = kind
        self.suggestion = suggestion
        self.suggestions = suggestions

    def caret(self, text: str, width: int = 72) -> str:
        """The text's line with carets under the offending span (empty without a position).

        A long answer is shown as a window of ``width`` characters around the spot.
        """
        if self.start is None:
            return ""
        # One printable character per input character keeps the caret aligned and keeps
        # escape sequences a student pasted from ever reaching the terminal raw.
        line = "".join(c if c.isprintable() else ("·" if c in "\t\n\r" else "�") for c in text)
        start = min(self.start, len(line))
        end = max(start + 1, min(self.end or start + 1, len(line) + 1))
        left = 0
        if len(line) > width:
            left = max(0, min(start - width // 3, len(line) - width))
            line = line[left : left + width]
            if left > 0:
                line = "…" + line[1:]
            if left + width < len(text):
                line = line[:-1] + "…"
        start, end = start - left, min(end - left, len(line) + 1)
        return f"{line}\n{' ' * start}{'^' * max(1, end - start)}"

    def describe(self, text: str) -> str:
        """The full message for a person: what is wrong, where, and what might fix it."""
        parts = [self.message]
        pointer = self.caret(text)
        if pointer:
            parts.append(pointer)
        if self.suggestion:
            parts.append(self.suggestion)
        return "\n".join(parts)
