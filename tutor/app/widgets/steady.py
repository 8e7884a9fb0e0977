"""Update a Static only when what it shows changes.

Every `Static.update` costs a layout pass and a re-render of the widget; on a screen
as full as the lesson's, redrawing what did not change is most of what a check's
update would cost, and the screen stalls while it happens.
"""

from __future__ import annotations

from textual.content import Content
from textual.visual import VisualType
from textual.widgets import Static


def same(shown: VisualType, new: VisualType) -> bool:
    """Content compares text alone (its __eq__ ignores styles), so compare the spans too."""
    if isinstance(shown, Content) and isinstance(new, Content):
        return shown.plain == new.plain and shown.spans == new.spans
    return type(shown) is type(new) and isinstance(new, str) and shown == new


def show(widget: Static, content: VisualType) -> bool:
    """Update ``widget`` if ``content`` differs from what it shows; True if it did."""
    if same(widget.content, content):
        return False
    widget.update(content)
    return True


def set_display(widget: Static, display: bool) -> None:
    if widget.display != display:
        widget.display = display
