"""A Static whose text is laid out for its current width (aligned rows that must not wrap)."""

from __future__ import annotations

from textual import events
from textual.content import Content

from tutor.app.widgets.steady import Steady, show


class FitStatic(Steady):
    """Rebuilds its content whenever its width changes; subclasses implement `build`."""

    def build(self, width: int) -> Content:
        raise NotImplementedError

    def rebuild(self) -> None:
        width = self.content_region.width or self.app.size.width
        show(self, self.build(max(width, 20)))

    def on_resize(self, event: events.Resize) -> None:
        self.rebuild()
