"""Markdown for the intros and the help, with code blocks shown as plain text.

Textual highlights a code block that names no language by guessing one: pygments
tries every lexer it has, which imports dozens of modules and takes 0.2–0.4 s the
first time. Ours are formulas and examples (`z1 = W1 @ x`), for which the guess is
"text" anyway, so that is what they are declared to be. Import this module only when
a Markdown text is shown: it imports markdown-it.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Markdown

from tutor.app.textual_patches import markdown_fence


class PlainFence(markdown_fence()):
    @classmethod
    def highlight(
        cls, code: str, language: str, ansi: bool = False, dark: bool = False
    ) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class TutorMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}
