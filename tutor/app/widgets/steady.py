"""Update a Static only when what it shows changes, and lay out the screen only when its size does.

Every `Static.update` costs a layout pass of the whole screen and a re-render of the
widget; on a screen as full as the lesson's, redrawing what did not change is most of
what a check's update would cost, and the screen stalls while it happens. A verdict
changes the chain, the prompt and the factor lists, none of which changes height: those
are redrawn in place, and the screen is laid out only for what moves (the feedback).
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.visual import VisualType
from textual.widgets import Static

from tutor.app.textual_patches import SizedInLayout, forget_sizes, measured_height


class Steady(SizedInLayout, Static):
    """A Static that is not laid out again for having been resized by a layout."""


class SteadyScroll(SizedInLayout, VerticalScroll):
    """A scrolling box that is not laid out again for what a layout put in it."""


def same(shown: VisualType, new: VisualType) -> bool:
    """Content compares text alone (its __eq__ ignores styles), so compare the spans too."""
    if isinstance(shown, Content) and isinstance(new, Content):
        return shown.plain == new.plain and shown.spans == new.spans
    return type(shown) is type(new) and isinstance(new, str) and shown == new


def show(widget: Static, content: VisualType) -> bool:
    """Update ``widget`` if ``content`` differs from what it shows; True if it did.

    The screen is laid out again only if the widget's size may change: it has not been
    measured at its width, or the new content takes another number of rows there (or
    its width follows its content). Otherwise it is redrawn where it is, and what was
    known of its size at other widths is forgotten, as a layout would. A widget that is
    not on screen (in a closed panel) is laid out when it is shown, as it is then anyway.
    """
    if same(widget.content, content):
        return False
    width, rows = measured_height(widget)
    widget.update(content, layout=False)
    if _may_resize(widget, width, rows):
        widget.refresh(layout=True)
    else:
        forget_sizes(widget)
    return True


def _may_resize(widget: Static, width: int | None, rows: int) -> bool:
    styles = widget.styles
    if styles.width is not None and styles.width.is_auto:
        return True
    if not widget.region:  # not laid out: its closed panel is laid out when it opens
        return False
    if styles.height is not None and not styles.height.is_auto:
        return False  # a fixed height, or a share of its container's
    if width is None or width != widget.size.width:
        return True
    return widget.get_content_height(widget.container_size, widget.app.size, width) != rows


def set_display(widget: Static, display: bool) -> None:
    if widget.display != display:
        widget.display = display
