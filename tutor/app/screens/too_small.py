"""Shown instead of a broken layout while the terminal is below the minimum size.

Every screen carries one (hidden); the app's `-too-small` class hides the rest of
the screen and shows it, so whatever screen is on top, the message is too.
"""

from __future__ import annotations

from textual.widgets import Static

MIN_SIZE = (60, 18)


class TooSmallNote(Static):
    def __init__(self) -> None:
        width, height = MIN_SIZE
        super().__init__(
            f"Terminal too small.\nchain-tutor needs at least {width}×{height};\n"
            "please enlarge the window (Ctrl+Q quits).",
            classes="too-small-note",
        )
