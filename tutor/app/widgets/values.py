"""This variant's numbers, inputs and every intermediate, for students who work by hand."""

from __future__ import annotations

from textual.content import Content

from tutor.app.notation import matrix_rows, shape_label
from tutor.app.widgets.steady import Steady, show
from tutor.lessons.model import Lesson, Variant


class ValuesPanel(Steady):
    DEFAULT_CSS = """
    ValuesPanel { height: auto; }
    """

    def __init__(self, lesson: Lesson, variant: Variant, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson
        self.variant = variant
        self.marked: set[str] = set()

    def on_mount(self) -> None:
        self.update(self.build())

    def mark(self, names: set[str]) -> None:
        """Light up the quantities the current factor is about."""
        if names != self.marked:
            self.marked = names
            show(self, self.build())

    def build(self) -> Content:
        inputs = list(self.lesson.quantities)
        computed = [name for name in self.variant.values if name not in self.lesson.quantities]
        rows: list[Content] = [Content.styled(f"inputs (seed {self.variant.seed})", "italic")]
        rows.extend(self._quantity(name) for name in inputs)
        rows.append(Content.styled("computed", "italic"))
        rows.extend(self._quantity(name) for name in computed)
        return Content("\n").join(rows)

    def _quantity(self, name: str) -> Content:
        value = self.variant.values[name]
        style = "bold reverse" if name in self.marked else "bold"
        head = Content.assemble((name, style), (f" {shape_label(value.shape)}", "$text-muted"))
        lines = [f"  {row}" for row in matrix_rows(value)]
        return Content("\n").join([head, *map(Content, lines)])
