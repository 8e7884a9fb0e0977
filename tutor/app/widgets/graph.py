"""The forward computation as a chain x ─W1→ z1 ─σ→ h1 …, the current factor's stretch lit."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content

from tutor.app.model import Graph, path_between
from tutor.app.notation import shape_label
from tutor.app.widgets.fit import FitStatic
from tutor.engine import Shape


class GraphView(FitStatic):
    """One line in the main column; with `detailed`, shapes under the nodes and definitions."""

    DEFAULT_CSS = """
    GraphView { height: auto; }
    """

    def __init__(
        self,
        graph: Graph,
        shapes: dict[str, Shape],
        definitions: dict[str, str],
        *,
        detailed: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.graph = graph
        self.shapes = shapes
        self.definitions = definitions
        self.detailed = detailed
        self.of: str | None = None
        self.wrt: str | None = None

    def focus_on(self, of: str, wrt: str) -> None:
        if (of, wrt) != (self.of, self.wrt):  # a verdict redraws the step it is on
            self.of, self.wrt = of, wrt
            self.rebuild()

    def build(self, width: int) -> Content:
        parts = self._chain_parts()
        line = Content.assemble(*parts)
        if not self.detailed:
            return line
        rows = [line]
        if line.cell_length <= width:
            rows.append(self._shapes_row(parts))
        rows.append(Content(""))
        rows.extend(self._definitions())
        return Content("\n").join(rows)

    def _lit(self) -> set[str]:
        if self.of is None or self.wrt is None:
            return set()
        return path_between(self.graph, self.wrt, self.of)

    def _node_style(self, name: str) -> str:
        if name in (self.of, self.wrt):
            return "bold reverse"
        return "bold" if name in self._lit() else "$text-muted"

    def _chain_parts(self) -> list[tuple[str, str]]:
        lit = self._lit()
        parts: list[tuple[str, str]] = []
        if not self.graph.spine:
            return parts
        parts.append((self.graph.spine[0], self._node_style(self.graph.spine[0])))
        for link in self.graph.links:
            on_path = link.source in lit and link.target in lit
            label_style = (
                self._node_style(link.label)
                if link.label == self.wrt
                else ("$text-accent" if on_path else "$text-muted")
            )
            arrow_style = "$text-accent" if on_path else "$text-muted"
            if link.label:
                parts += [(" ─", arrow_style), (link.label, label_style), ("→ ", arrow_style)]
            else:
                parts.append((" → ", arrow_style))
            parts.append((link.target, self._node_style(link.target)))
        return parts

    def _shapes_row(self, parts: list[tuple[str, str]]) -> Content:
        """Each node's shape under its name, the links' columns left blank."""
        nodes = set(self.graph.spine)
        row: list[tuple[str, str] | str] = []
        written = column = 0
        for text, _style in parts:
            if text in nodes and column >= written:
                label = shape_label(self.shapes[text])
                row += [" " * (column - written), (label, "$text-muted")]
                written = column + cell_len(label)
            column += cell_len(text)
        return Content.assemble(*row)

    def _definitions(self) -> list[Content]:
        width = max((cell_len(name) for name in self.definitions), default=1)
        rows = []
        for name, text in self.definitions.items():
            rows.append(
                Content.assemble(
                    (name.ljust(width), self._node_style(name)),
                    (f" {shape_label(self.shapes[name])}", "$text-muted"),
                    f"  = {text}",
                )
            )
        return rows
