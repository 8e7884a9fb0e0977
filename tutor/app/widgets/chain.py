"""The chain of factors filling in: ∂f/∂W1 = (∂f/∂h2 · ∂h2/∂z2 · …)ᵀ · xᵀ with values below."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.content import Content

from tutor.app.model import FactorState, Piece
from tutor.app.widgets.fit import FitStatic


class ChainView(FitStatic):
    """Labels on the first row, each solved factor under its label in the student's notation."""

    DEFAULT_CSS = """
    ChainView { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.goal_label = ""
        self.pieces: Sequence[Piece] = ()
        self.factors: dict[str, FactorState] = {}
        self.current: str | None = None

    def show(
        self,
        goal_label: str,
        pieces: Sequence[Piece],
        factors: dict[str, FactorState],
        current: str | None,
    ) -> None:
        self.goal_label, self.pieces, self.factors, self.current = (
            goal_label,
            pieces,
            factors,
            current,
        )
        self.rebuild()

    def build(self, width: int) -> Content:
        if not self.pieces:
            return Content("")
        if len(self.pieces) == 1 and self.pieces[0].top == self.goal_label:
            # A step that is a factor of no product: "∂f/∂W3 = ∂f/∂W3" would say nothing.
            # Two rows all the same, so the screen does not jump from step to step.
            piece = self.pieces[0]
            return Content.assemble((f"{self.goal_label} = ", "bold"),
                                    (piece.bottom, self._bottom_style(piece)), "\n")
        aligned = self._aligned()
        if max(line.cell_length for line in aligned) <= width:
            return Content("\n").join(aligned)
        return self._stacked()

    def _aligned(self) -> list[Content]:
        lead = f"{self.goal_label} = "
        top: list[Content | tuple[str, str] | str] = [(lead, "bold")]
        bottom: list[Content | tuple[str, str] | str] = [" " * (cell_len(lead) - 2) + "= "]
        for piece in self.pieces:
            span = max(cell_len(piece.top), cell_len(piece.bottom))
            top.append((_pad(piece.top, span), self._top_style(piece)))
            bottom.append((_pad(piece.bottom, span), self._bottom_style(piece)))
        return [Content.assemble(*top), Content.assemble(*bottom)]

    def _stacked(self) -> Content:
        """Too narrow to align: the formula of labels, then the formula of values, wrapped."""
        top = [(piece.top, self._top_style(piece)) for piece in self.pieces]
        bottom = [(piece.bottom, self._bottom_style(piece)) for piece in self.pieces]
        return Content.assemble((f"{self.goal_label} = ", "bold"), *top, "\n  = ", *bottom)

    def _top_style(self, piece: Piece) -> str:
        if piece.step_id is None:
            return "$text-muted"
        return "reverse" if piece.step_id == self.current else "$text-muted"

    def _bottom_style(self, piece: Piece) -> str:
        if piece.step_id is None:
            return ""
        factor = self.factors.get(piece.step_id)
        current = " reverse" if piece.step_id == self.current else ""
        if factor is None or factor.status is None:
            return f"bold $text-warning{current}"
        if factor.status == "revealed":
            return f"italic{current}"
        return f"bold $text-success{current}"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))
