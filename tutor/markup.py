"""The little Markdown that lesson texts use, read one way for the screen and the command line.

An intro is Markdown; a prompt, hint, note or mistake's feedback is plain text that may
use the same inline marks: **strong**, *emphasis* and `code`. The TUI styles them
(tutor/app/widgets/prose.py) and the CLI prints them without the marks
(`plain_text`), so neither ever shows a raw `**` or `*word*`.

Step texts are formulas too, where `*` is a product (`h2 * (1 - h2)`, `-6*u*y`), so a
mark counts only where it cannot be one: the opening mark after a space, an opening
bracket or quote, or the start; the closing one before a space, punctuation or the end;
neither touching a space inside. That is stricter than CommonMark and agrees with it on
every shipped intro (tests/app/test_tui_prose.py).
"""

from __future__ import annotations

import re

# A backslash before ASCII punctuation stands for the character itself.
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
CODE = re.compile(r"(`+)([^`]|[^`].*?[^`])\1", re.DOTALL)
BEFORE = r"(?<![^\s(\[{\"'“‘])"
AFTER = r"(?![^\s.,;:!?)\]}\"'”’—–-])"
EMPHASIS = re.compile(
    BEFORE + r"(\*\*|__|\*|_)([^\s*_]|[^\s*_][^*]*?[^\s*_])\1" + AFTER, re.DOTALL
)
KINDS = {"**": "strong", "__": "strong", "*": "em", "_": "em"}
# Stand-ins for escaped characters while the marks are read, so `\*` is never a mark.
_HELD = "\ue000"


def inline_pieces(text: str) -> list[tuple[str, str]]:
    """The text as (piece, kind) in order; kind is "", "strong", "em" or "code"."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in CODE.finditer(text):
        pieces += _marked(text[position:match.start()])
        pieces.append((match.group(2), "code"))
        position = match.end()
    pieces += _marked(text[position:])
    return [(piece, kind) for piece, kind in pieces if piece]


def _marked(text: str) -> list[tuple[str, str]]:
    held: list[str] = []

    def hold(match: re.Match) -> str:
        held.append(match.group(1))
        return _HELD

    text = ESCAPE.sub(hold, text)
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in EMPHASIS.finditer(text):
        pieces.append((text[position:match.start()], ""))
        pieces.append((match.group(2), KINDS[match.group(1)]))
        position = match.end()
    pieces.append((text[position:], ""))
    found = iter(held)
    return [(re.sub(_HELD, lambda _: next(found), piece), kind) for piece, kind in pieces]


def plain_text(markdown: str) -> str:
    """Lesson text as it reads without Markdown: marks dropped, code blocks as written.

    Lines keep their breaks, so an intro's hard-wrapped paragraphs and its indented
    formulas print as the author laid them out.
    """
    blocks = re.split(r"(\n[ \t]*\n)", markdown)
    return "".join(
        block if block.strip() == "" or block.lstrip("\n").startswith(("    ", "\t"))
        else "".join(piece for piece, _ in inline_pieces(block))
        for block in blocks
    )


SHOWN = 200  # characters of a record's text shown (an answer may be much longer)


def printable(text: str, limit: int | None = None) -> str:
    """`text` with every character a terminal would obey shown as an escape, ``\\x1b``;
    cut after `limit` characters, saying how long it was: ``…(50,000,000 characters)``."""
    # Records come from students' files: an escape sequence in an answer must not
    # reach the instructor's terminal (or spreadsheet) as one, nor a 50 MB answer
    # fill a screen or a cell.
    cut = limit is not None and len(text) > limit
    shown = text[:limit] if cut else text
    escaped = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in shown)
    return f"{escaped}…({len(text):,} characters)" if cut else escaped
