"""The chain of factors filling in: ∂f/∂W1 = (∂f/∂h2 · ∂h2/∂z2 · …)ᵀ · xᵀ with values below,
and under them the ids of the solved factors, which later answers may use as names."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.content import Content

from tutor.app.model import FactorState, IdSpan, Piece
from tutor.app.widgets.fit import FitStatic

IDS_LEAD = "ids:"
ID_STYLE = "bold $text-primary"  # a name to type: not a factor's status colour
# What the ids row says while it has no id yet: it is there from the first step on, so
# that the screen does not jump when the first one comes; the long form when it fits.
NO_IDS = ("each solved factor's id, to type in later answers", "—")


class ChainView(FitStatic):
    """Labels on the first row, each solved factor under its label in the student's notation,
    and on a third row (``with_ids``) the id of each factor the student may type now."""

    DEFAULT_CSS = """
    ChainView { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.goal_label = ""
        self.pieces: Sequence[Piece] = ()
        self.factors: dict[str, FactorState] = {}
        self.current: str | None = None
        self.spans: Sequence[IdSpan] = ()
        self.with_ids = False

    def show(
        self,
        goal_label: str,
        pieces: Sequence[Piece],
        factors: dict[str, FactorState],
        current: str | None,
        spans: Sequence[IdSpan] = (),
        *,
        with_ids: bool = False,
    ) -> None:
        self.goal_label, self.pieces, self.factors, self.current = (
            goal_label,
            pieces,
            factors,
            current,
        )
        self.spans, self.with_ids = spans, with_ids
        self.rebuild()

    def build(self, width: int) -> Content:
        if not self.pieces:
            return Content("")
        lead = f"{self.goal_label} = "
        if len(self.pieces) == 1 and self.pieces[0].top == self.goal_label:
            # A step that is a factor of no product: "∂f/∂W3 = ∂f/∂W3" would say nothing.
            # Rows all the same, so the screen does not jump from step to step.
            piece = self.pieces[0]
            rows = [Content.assemble((lead, "bold"), (piece.bottom, self._bottom_style(piece))),
                    Content("")]
            return Content("\n").join(rows + self._listed_ids(width, lead))
        widths = self._widths()
        aligned = self._aligned(lead, widths)
        if max(line.cell_length for line in aligned) <= width:
            if self.with_ids:
                ids = self._ids_row(lead, widths)
                aligned.append(ids if ids.cell_length <= width
                               else self._listed_ids(width, lead)[0])
            return Content("\n").join(aligned)
        return Content("\n").join([self._stacked(lead), *self._listed_ids(width, "")])

    def _widths(self) -> list[int]:
        """Each piece's column: its label, its value, and an id written under it alone; a
        product's id in brackets under its span widens the span's last column if need be."""
        widths = [max(cell_len(piece.top), cell_len(piece.bottom)) for piece in self.pieces]
        if not self.with_ids:
            return widths
        for span in self.spans:
            need = cell_len(span.step_id) + (0 if span.single else 4)  # └ id ┘, spaced
            have = sum(widths[span.first:span.last + 1])
            if have < need:
                widths[span.last] += need - have
        return widths

    def _aligned(self, lead: str, widths: list[int]) -> list[Content]:
        top: list[Content | tuple[str, str] | str] = [(lead, "bold")]
        bottom: list[Content | tuple[str, str] | str] = [" " * (cell_len(lead) - 2) + "= "]
        for piece, span in zip(self.pieces, widths, strict=True):
            top.append((_pad(piece.top, span), self._top_style(piece)))
            bottom.append((_pad(piece.bottom, span), self._bottom_style(piece)))
        return [Content.assemble(*top), Content.assemble(*bottom)]

    def _ids_row(self, lead: str, widths: list[int]) -> Content:
        """Each id under its factor; a product's id centred in a bracket under its span."""
        parts: list[Content | tuple[str, str] | str] = [self._ids_lead(lead)]
        if not self.spans:
            return Content.assemble(*parts, (NO_IDS[0], "$text-muted"))
        starts = {span.first: span for span in self.spans}
        index = 0
        while index < len(self.pieces):
            span = starts.get(index)
            if span is None:
                parts.append(" " * widths[index])
                index += 1
                continue
            room = sum(widths[span.first:span.last + 1])
            if span.single:
                parts.extend([(span.step_id, ID_STYLE), " " * (room - cell_len(span.step_id))])
            else:
                dashes = room - cell_len(span.step_id) - 4
                left = dashes // 2
                parts.extend([("└" + "─" * left + " ", "$text-muted"),
                              (span.step_id, ID_STYLE),
                              (" " + "─" * (dashes - left) + "┘", "$text-muted")])
            index = span.last + 1
        return Content.assemble(*parts).rstrip()

    def _ids_lead(self, lead: str) -> tuple[str, str]:
        """"ids:" with its colon under the "=" of the rows above."""
        return (IDS_LEAD.rjust(cell_len(lead) - 1) + " ", "$text-muted")

    def _listed_ids(self, width: int, lead: str) -> list[Content]:
        """The ids row when the chain is not aligned: the ids in the chain's order, a
        product's with the derivative it stands for (its factors' labels are above) where
        the row has room for that; one row either way, if it can."""
        if not self.with_ids:
            return []
        head = self._ids_lead(lead)
        if not self.spans:
            room = width - cell_len(head[0])
            note = NO_IDS[0] if cell_len(NO_IDS[0]) <= room else NO_IDS[1]
            return [Content.assemble(head, (note, "$text-muted"))]
        rows = []
        for labelled in (True, False):
            parts: list[Content | tuple[str, str] | str] = [head]
            for number, span in enumerate(self.spans):
                if number:
                    parts.append(", ")
                parts.append((span.step_id, ID_STYLE))
                if labelled and not span.single:
                    parts.append((f" = {span.label}", "$text-muted"))
            rows.append(Content.assemble(*parts))
        return [rows[0] if rows[0].cell_length <= width else rows[1]]

    def _stacked(self, lead: str) -> Content:
        """Too narrow to align: the formula of labels, then the formula of values, wrapped."""
        top = [(piece.top, self._top_style(piece)) for piece in self.pieces]
        bottom = [(piece.bottom, self._bottom_style(piece)) for piece in self.pieces]
        return Content.assemble((lead, "bold"), *top, "\n  = ", *bottom)

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
