"""The live preview under the answer box: what the parser read and its shape, or where it broke.

Only the parser and the shape rules run here (no numbers, no sympy), so it keeps up
with typing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.content import Content
from textual.widgets import Static

from tutor.app.notation import pretty, shape_label
from tutor.engine import EngineError, Problem, Shape, names_in, read_answer

EMPTY_HINT = "Type the factor; Enter checks it. F1 lists what you can type."


def preview_content(text: str, problem: Problem, expected: Shape, *,
                    compact: bool = False, aliases: Mapping[str, str] | None = None,
                    redact: Callable[[EngineError], EngineError] | None = None) -> Content:
    """``compact``: an error's message alone, without the caret lines and the way out —
    for when a verdict below says the rest and needs the room (80×24)."""
    if not text.strip():
        return Content.styled(EMPTY_HINT, "$text-muted")
    try:
        parsed = read_answer(text, problem)
    except EngineError as error:
        return error_content(redact(error) if redact else error, text, compact=compact)
    got = shape_label(parsed.shape)
    if parsed.shape == expected:
        verdict = (f"  {got}, the factor's shape", "$text-success")
    else:
        verdict = (f"  {got}, but the factor is {shape_label(expected)}", "bold $text-warning")
    reading = Content.assemble(("reads as ", "$text-muted"),
                               (pretty(parsed.node, problem.glyphs), "bold"),
                               verdict)
    used = [name for name in sorted(names_in(parsed.node)) if name in (aliases or {})]
    if not used:
        return reading
    meaning = "; ".join(f"{name} stands for {aliases[name]}" for name in used)
    return Content("\n").join([reading, Content.styled(f"  {meaning}", "$text-muted")])


def error_content(error: EngineError, text: str, *, compact: bool = False) -> Content:
    """The message, the typed line with carets under the culprit, and a way out."""
    rows = [Content.styled(f"⚠ {error.message}", "$text-warning")]
    if compact:
        return rows[0]
    caret = error.caret(text)
    if caret:
        line, marks = caret.split("\n", 1)
        rows.append(Content.assemble(("  ", ""), (line, "")))
        rows.append(Content.assemble(("  ", ""), (marks, "bold $text-error")))
    if error.suggestion:
        rows.append(Content.styled(error.suggestion, "$text-muted"))
    return Content("\n").join(rows)


class Preview(Static):
    DEFAULT_CSS = """
    Preview { height: auto; }
    """

    def show(self, text: str, problem: Problem, expected: Shape, *,
             compact: bool = False, aliases: Mapping[str, str] | None = None,
             redact: Callable[[EngineError], EngineError] | None = None) -> None:
        self.set_class(compact, "-compact")  # a short screen gives it one line then
        self.update(preview_content(text, problem, expected, compact=compact, aliases=aliases,
                                    redact=redact))
