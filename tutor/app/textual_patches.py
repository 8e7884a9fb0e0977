"""Every Textual internal the tutor relies on, in one place, each with a test.

Textual is pinned exactly (pyproject.toml), so these hold; when it is upgraded,
tests/app/test_textual_patches.py says which of them moved. Nothing else in tutor/
imports a private Textual module or touches a private attribute of Textual's.

* MarkdownFence: the code-block widget of Markdown, to declare its language
  (widgets/markdown.py: guessing one imports every pygments lexer);
* FooterKey and its ``_disabled`` flag, Footer's ``_bindings_ready`` reactive: to grey
  keys in and out in place instead of recomposing the footer (widgets/footer.py);
  KeyGroup and FooterLabel, which the footer lays out in two rows on narrow screens;
* LinuxDriver and its ``_file``, the stream it writes the screen through: wrapped so
  that a terminal that has gone away is noticed (signals.py);
* TextArea's ``_recompute_cursor_offset``: undoing an edit that added lines (a paste, or
  the network editor's Random) crashes Textual 8.2.8 when the scrollbar changes on the
  way (Textualize/textual#6686); the subclass clamps the location as the proposed fix
  (#6687) does, without touching the selection (screens/network_editor.py).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer, TextArea
from textual.widgets._footer import (  # Footer's own module: nothing more to load
    FooterKey,
    FooterLabel,
    KeyGroup,
)

__all__ = [
    "FooterKey", "FooterLabel", "KeyGroup", "driver_output", "footer_bindings_ready",
    "footer_key_disabled", "linux_driver", "mark_footer_ready", "markdown_fence",
    "set_footer_key_disabled", "UndoSafeTextArea",
    "wrap_driver_output",
]


class UndoSafeTextArea(TextArea):
    """A TextArea whose undo of a many-line edit does not crash (textual#6686)."""

    def _recompute_cursor_offset(self) -> None:
        # Mid-undo the document is already the shorter one while the cursor still points
        # into the removed lines; the selection itself is restored right after.
        location = self.clamp_visitable(self.cursor_location)
        self._cursor_offset = self.wrapped_document.location_to_offset(location)


def markdown_fence() -> type:
    """Markdown's code-block widget. Looked up when asked for: it imports markdown-it,
    which the first screen must not wait for."""
    from textual.widgets._markdown import MarkdownFence

    return MarkdownFence


def footer_key_disabled(key: FooterKey) -> bool:
    return bool(key._disabled)


def set_footer_key_disabled(key: FooterKey, disabled: bool) -> None:
    """The flag the key's rendering reads; its `-disabled` class is the caller's to set."""
    key._disabled = disabled


def mark_footer_ready(footer: Footer) -> None:
    """Show keys from the first frame: Textual waits for a bindings refresh otherwise."""
    footer.set_reactive(Footer._bindings_ready, True)


def footer_bindings_ready(footer: Footer) -> None:
    """What Footer.bindings_changed does first (a reactive: it may recompose)."""
    footer._bindings_ready = True


def driver_output(driver: Any) -> Any:
    return driver._file


def wrap_driver_output(driver: Any, wrap: Any) -> None:
    """LinuxDriver writes everything through ``_file``, from its writer thread."""
    driver._file = wrap(driver._file)


def linux_driver() -> type | None:
    """Textual's Linux terminal driver, or None where there is none (Windows)."""
    try:
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:
        return None
    return LinuxDriver
