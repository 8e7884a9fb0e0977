"""The live preview under the answer box: what the parser read and its shape, or where it broke.

Only the parser and the shape rules run here (no numbers, no sympy), so it keeps up
with typing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.content import Content

from tutor.app.notation import pretty, shape_label
from tutor.app.widgets.steady import Steady, show
from tutor.engine import EngineError, Node, Problem, Shape, names_in, read_answer

EMPTY_HINT = "Type the factor; Enter checks it. F1 lists what you can type."


def preview_content(text: str, problem: Problem, expected: Shape, *,
                    compact: bool = False, aliases: Mapping[str, str] | None = None,
                    redact: Callable[[EngineError], EngineError] | None = None) -> Content:
    """``compact``: an error's message alone, without the caret lines and the way out —
    for when a verdict below says the rest and needs the room (80×24)."""
    return _preview(text, problem, expected, compact=compact, aliases=aliases,
                    redact=redact)[0]


def _preview(text: str, problem: Problem, expected: Shape, *, compact: bool,
             aliases: Mapping[str, str] | None,
             redact: Callable[[EngineError], EngineError] | None) -> tuple[Content, bool]:
    """The preview, and whether it is an error's (the only one ``compact`` shortens)."""
    if not text.strip():
        return Content.styled(EMPTY_HINT, "$text-muted"), False
    try:
        parsed = read_answer(text, problem)
    except EngineError as error:
        return error_content(redact(error) if redact else error, text, compact=compact), True
    return _reading(parsed.node, parsed.shape, problem, expected, aliases), False


def _reading(node: Node, shape: Shape, problem: Problem, expected: Shape,
             aliases: Mapping[str, str] | None) -> Content:
    got = shape_label(shape)
    if shape == expected:
        verdict = (f"  {got}, the factor's shape", "$text-success")
    else:
        verdict = (f"  {got}, but the factor is {shape_label(expected)}", "bold $text-warning")
    reading = Content.assemble(("reads as ", "$text-muted"),
                               (pretty(node, problem.glyphs), "bold"),
                               verdict)
    used = [name for name in sorted(names_in(node)) if name in (aliases or {})]
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


class Preview(Steady):
    DEFAULT_CSS = """
    Preview { height: auto; }
    """

    # What the preview shows was read without an error from these (text, problem, shape,
    # aliases): shown again, compact or not, it says the same, and nothing is parsed.
    read: tuple[str, Problem, Shape, dict[str, str]] | None = None

    def show(self, text: str, problem: Problem, expected: Shape, *,
             compact: bool = False, aliases: Mapping[str, str] | None = None,
             redact: Callable[[EngineError], EngineError] | None = None) -> None:
        self.set_class(compact, "-compact")  # a short screen gives it one line then
        aliases = dict(aliases or {})
        if self.read is not None and self.read[0] == text and self.read[1] is problem \
                and self.read[2:] == (expected, aliases):
            return
        content, erred = _preview(text, problem, expected, compact=compact, aliases=aliases,
                                  redact=redact)
        self.read = None if erred else (text, problem, expected, aliases)
        show(self, content)
