"""A lesson intro's Markdown as one Content, when it uses only what intros use.

Intros are paragraphs with **bold**, *italic* and `code`, and indented blocks of
formulas. Textual's Markdown widget builds and styles a widget per block, and it
imports markdown-it: together ~0.1 s on the way to the first screen of
`chain-tutor LESSON`. So an intro is read here, in two tiers:

1. `simple_prose` reads the plain subset with a few regular expressions, and returns
   None at the first sign of anything else (a list, a link, an escape, a stray `*`…);
2. `parsed_prose` reads the text with markdown-it, as Textual's Markdown does, and
   returns None for block kinds a single Static cannot show (headings, lists, tables).

Both give the text and styles Textual's Markdown would (tests/app/test_tui_prose.py
holds tier 1 to tier 2 on every shipped intro and on generated text). When both
return None the caller shows the Markdown widget itself.

A step's texts (prompt, hints, note, feedback) are no Markdown documents: formulas with
`*` for a product, where only a few inline marks count. `inline_content` styles those.
"""

from __future__ import annotations

import bisect
import re

from textual.content import Content, Span

INLINE_STYLES = {"em": "italic", "strong": "bold", "s": "strike"}
CODE_STYLE = "$text-warning"  # as Textual's Markdown shows inline code on a dark theme
BLOCK_INDENT = "  "


INLINE_KINDS = {"strong": "bold", "em": "italic", "code": CODE_STYLE}


def inline_content(text: str) -> Content:
    """A prompt, hint, note or mistake's feedback with its **strong**, *em* and `code`
    styled (tutor/markup.py says which marks count); nothing else in it is Markdown."""
    from tutor.markup import inline_pieces

    return Content.assemble(
        *((piece, INLINE_KINDS[kind]) if kind else piece for piece, kind in inline_pieces(text))
    )


def prose_content(markdown: str) -> Content | None:
    """The intro as one Content, or None if only the Markdown widget can show it."""
    simple = simple_prose(markdown)
    return simple if simple is not None else parsed_prose(markdown)


def _code_block(lines: list[str]) -> Content:
    lines = [line.rstrip() for line in lines]
    return Content("\n".join(BLOCK_INDENT + line if line else "" for line in lines))


# -- tier 1: the plain subset, without markdown-it ------------------------------------------
# A line that could start anything but a paragraph: headings, quotes, list items,
# rules, fences, HTML, link definitions, setext underlines, tables.
NOT_PARAGRAPH = re.compile(r"^ {0,3}(#|>|[*+-](\s|$)|\d{1,9}[.)]|```|~~~|<|\[|=|-|_|\*\*\*|\|)")
# What means more than itself in running text (outside `code`): escapes, links, HTML,
# entities, strikethrough, tables, and whatever linkify would make a link.
SPECIAL = re.compile(r"[\\\[\]<&~|]|://|www\.|\S@\S|[A-Za-z0-9]\.[A-Za-z]{2}")
# An underscore between two letters or digits (h_i, Σ_j) can neither open nor close
# emphasis; any other may, so it is left to markdown-it.
INTRAWORD_UNDERSCORE = re.compile(r"(?<=[^\W_])_(?=[^\W_])")
# Emphasis only where CommonMark is sure to see it: the markers stand between
# whitespace or ASCII punctuation outside and a non-space inside, with no `*` within.
EDGE = r"\s!-)+-/:-@\[-`{-~"
STRONG = re.compile(rf"(?<![^{EDGE}])\*\*(?=[^\s*])([^*]*?)(?<=[^\s*])\*\*(?![^{EDGE}])")
EM = re.compile(rf"(?<![^{EDGE}])\*(?=[^\s*])([^*]*?)(?<=[^\s*])\*(?![^{EDGE}])")
CODE_SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")
BLANK_LINES = re.compile(r"\n(?:[ ]*\n)+")


def simple_prose(markdown: str) -> Content | None:
    if "\t" in markdown or "\r" in markdown:
        return None
    text = re.sub(r"(?:\n[ ]*)+$", "", re.sub(r"^(?:[ ]*\n)+", "", markdown))
    chunks = BLANK_LINES.split(text)
    gaps = [match.group(0).count("\n") - 1 for match in BLANK_LINES.finditer(text)]
    blocks: list[Content] = []
    code: list[str] = []  # an indented block, which runs on across blank lines
    for index, chunk in enumerate(chunks):
        lines = chunk.split("\n")
        if lines[0].startswith("    "):
            if not all(line.startswith("    ") for line in lines):
                return None  # a paragraph right after a code block: leave it to markdown-it
            if code:
                code.extend([""] * gaps[index - 1])
            code.extend(line[4:] for line in lines)
            continue
        if code:
            blocks.append(_code_block(code))
            code = []
        if any(NOT_PARAGRAPH.match(line) for line in lines):
            return None
        if any(line != line.rstrip() for line in lines[:-1]):
            return None  # trailing spaces: a hard break, or spaces kept in a `code` span
        if any(line != line.lstrip() for line in lines[1:]):
            return None  # indented continuation lines: kept as spaces in a `code` span
        paragraph = _simple_inline(" ".join(line.strip() for line in lines))
        if paragraph is None:
            return None
        blocks.append(paragraph)
    if code:
        blocks.append(_code_block(code))
    return Content("\n\n").join(blocks)


def _simple_inline(text: str) -> Content | None:
    pieces: list[str] = []
    spans: list[Span] = []
    position = 0
    parts = CODE_SPAN.split(text)
    if "`" in "".join(parts[::2]):
        return None  # a backtick that opens no code span, or a run of them
    for index, part in enumerate(parts):
        if index % 2:  # inside `…`
            if part != part.strip():
                return None  # CommonMark trims one space each side: not worth mirroring
            spans.append(Span(position, position + len(part), CODE_STYLE))
        else:
            styled = _emphasis(re.sub(r"\s+", " ", part))
            if styled is None:
                return None
            part, part_spans = styled
            spans.extend(Span(position + s.start, position + s.end, s.style) for s in part_spans)
        pieces.append(part)
        position += len(part)
    return Content("".join(pieces), spans=sorted(spans, key=lambda span: span.start))


def _emphasis(text: str) -> tuple[str, list[Span]] | None:
    """Plain text and its bold/italic spans; None if any other Markdown is in it."""
    if SPECIAL.search(text) or "_" in INTRAWORD_UNDERSCORE.sub("", text):
        return None
    spans: list[Span] = []
    for pattern, style, width in ((STRONG, "bold", 2), (EM, "italic", 1)):
        removed: list[int] = []  # positions of the markers taken out, in this pass's input
        found: list[tuple[int, int]] = []
        for match in pattern.finditer(text):
            removed += [*range(match.start(), match.start() + width),
                        *range(match.end() - width, match.end())]
            found.append((match.start(), match.end()))
        if not found:
            continue

        def moved(position: int, removed: list[int] = removed) -> int:
            return position - bisect.bisect_left(removed, position)

        spans = [Span(moved(span.start), moved(span.end), span.style) for span in spans]
        spans += [Span(moved(start + width), moved(end - width), style) for start, end in found]
        gone = set(removed)
        text = "".join(char for at, char in enumerate(text) if at not in gone)
    if "*" in text:
        return None
    return text, spans


# -- tier 2: markdown-it, as Textual's Markdown widget reads it ---------------------------
def parsed_prose(markdown: str) -> Content | None:
    from markdown_it import MarkdownIt

    blocks: list[Content] = []
    for token in MarkdownIt("gfm-like").parse(markdown):
        if token.type in ("paragraph_open", "paragraph_close"):
            continue
        if token.type == "inline":
            paragraph = _parsed_inline(token)
            if paragraph is None:
                return None
            blocks.append(paragraph)
        elif token.type in ("code_block", "fence"):
            blocks.append(_code_block(token.content.rstrip("\n").split("\n")))
        else:
            return None
    return Content("\n\n").join(blocks)


def _parsed_inline(token) -> Content | None:
    """Text and spans as Textual's Markdown makes them: whitespace runs become one space."""
    text: list[str] = []
    spans: list[Span] = []
    open_styles: list[tuple[str, int]] = []
    position = 0

    def add(piece: str) -> None:
        nonlocal position
        text.append(piece)
        position += len(piece)

    for child in token.children or ():
        kind = child.type
        tag = kind.rsplit("_", 1)[0]
        if kind == "text":
            add(re.sub(r"\s+", " ", child.content))
        elif kind == "softbreak":
            add(" ")
        elif kind == "hardbreak":
            add("\n")
        elif kind == "code_inline":
            start = position
            add(child.content)
            spans.append(Span(start, position, CODE_STYLE))
        elif kind.endswith("_open") and tag in INLINE_STYLES:
            open_styles.append((INLINE_STYLES[tag], position))
        elif kind.endswith("_close") and tag in INLINE_STYLES:
            style, start = open_styles.pop()
            spans.append(Span(start, position, style))
        else:
            return None
    return Content("".join(text), spans=sorted(spans, key=lambda span: span.start))
