"""The report's second view: one row per student (tutor.report.students), sortable.

The same rows as `chain-tutor report --students`, in its order (the roster's, then the
students found but not on it); the columns put who and where first, so that at 60
columns an instructor walking round a lab sees who is stuck before scrolling. A digit
key (1 to 9, the column's place) or a click on a column's header sorts by it; again
reverses it. Status is a word and a glyph, coloured from the theme as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tutor.markup import SHOWN, printable
from tutor.report.build import Report
from tutor.report.formats import duration, iso_time, plural
from tutor.report.students import DONE, IN_PROGRESS, NOT_STARTED, STUCK, StudentRow

# Ascending: who needs the instructor first.
STATUS_ORDER = (STUCK, NOT_STARTED, IN_PROGRESS, DONE)
STATUS_GLYPH = {STUCK: "!", NOT_STARTED: "·", IN_PROGRESS: "▸", DONE: "✓"}
STATUS_COLOUR = {STUCK: "text-error", DONE: "text-success"}  # theme variables
LAST = float("inf")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    numeric: bool
    cell: Callable[[StudentRow], str]
    order: Callable[[StudentRow], tuple]  # the sort key, ascending


def _where(row: StudentRow) -> str:
    return "–" if row.where is None else printable("/".join(row.where), SHOWN)


def columns(report: Report) -> tuple[Column, ...]:
    """The table's columns; "where" sorts in the curriculum's order (how far along)."""
    place = {(lesson.lesson_id, step.step_id): (row, column)
             for row, lesson in enumerate(report.lessons)
             for column, step in enumerate(lesson.steps)}
    return (
        Column("login", "login", False, lambda r: printable(r.login, SHOWN),
               lambda r: (r.login.casefold(),)),
        Column("name", "name", False, lambda r: printable(r.name or "", SHOWN),
               lambda r: (not r.name, (r.name or "").casefold())),  # no name last
        Column("status", "status", False, lambda r: f"{STATUS_GLYPH.get(r.status, ' ')} "
               f"{r.status}", lambda r: (STATUS_ORDER.index(r.status)
                                         if r.status in STATUS_ORDER else LAST,)),
        Column("where", "where", False, _where,
               lambda r: (-1, -1) if r.where is None else place.get(r.where, (LAST, LAST))),
        Column("solved", "solved", True, lambda r: str(r.steps_solved),
               lambda r: (r.steps_solved,)),
        Column("revealed", "revealed", True, lambda r: str(r.steps_revealed),
               lambda r: (r.steps_revealed,)),
        Column("attempts", "attempts", True, lambda r: str(r.attempts),
               lambda r: (r.attempts,)),
        Column("time", "time", True,
               lambda r: "–" if r.last_active is None else duration(r.time_on_task_s),
               lambda r: (r.time_on_task_s,)),
        Column("last_active", "last active (UTC)", False,
               lambda r: iso_time(r.last_active) or "–",
               lambda r: (-LAST if r.last_active is None else r.last_active,)),
    )


def status_counts(rows: Sequence[StudentRow]) -> str:
    """"2 stuck · 1 not-started · 3 in-progress · 1 done", the statuses there are."""
    counts = {status: sum(1 for row in rows if row.status == status) for status in STATUS_ORDER}
    return " · ".join(f"{count} {status}" for status, count in counts.items() if count)


class StudentsScreen(Screen[None]):
    CSS_PATH = Path(__file__).parent / "report.tcss"
    BINDINGS = [
        Binding("s", "app.switch_view", "Heat map", id="report-map"),
        Binding("1", "sort(0)", "Sort", key_display="1-9", id="report-sort"),
        *(Binding(str(place + 1), f"sort({place})", show=False) for place in range(1, 9)),
    ]

    def __init__(self, report: Report, rows: Sequence[StudentRow]) -> None:
        super().__init__()
        self.rows = list(rows)
        self.columns = columns(report)
        self.sorted_by: int | None = None  # a column's place; None: the report's order
        self.reverse = False

    def compose(self) -> ComposeResult:
        title = f"chain-tutor · {plural(len(self.rows), 'student')}"
        counts = status_counts(self.rows)
        yield Static(f"{title} · {counts}" if counts else title, classes="screen-title",
                     markup=False)
        yield DataTable(id="students-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="students-sort")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.fixed_columns = 1  # the login stays while the rest scrolls
        self._fill()
        table.focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        current, scrolled = None, table.scroll_x  # kept: a sort changes only the order
        if table.row_count:
            current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear(columns=True)
        for place, column in enumerate(self.columns):
            mark = ""
            if place == self.sorted_by:
                mark = " ▼" if self.reverse else " ▲"
            label = f"{place + 1} {column.header}{mark}"
            table.add_column(Text(label, justify="right" if column.numeric else "left"),
                             key=column.key)
        rows = self.rows
        if self.sorted_by is not None:
            order = self.columns[self.sorted_by].order
            rows = sorted(rows, key=order, reverse=self.reverse)
        for row in rows:
            cells = []
            for column in self.columns:
                text = Text(column.cell(row), justify="right" if column.numeric else "left")
                if column.key == "status":
                    text.stylize(self._status_style(row.status))
                cells.append(text)
            table.add_row(*cells, key=row.login)
        if current is not None:
            table.move_cursor(row=table.get_row_index(current), animate=False)
        table.call_after_refresh(table.scroll_to, x=scrolled, animate=False)
        self.query_one("#students-sort", Static).update(self._sort_line())

    def _status_style(self, status: str) -> str:
        """The theme's colour for a status (a cell is drawn by Rich, which does not know
        the theme's variables), or dim for one not started."""
        if status == NOT_STARTED:
            return "dim"
        colour = self.app.theme_variables.get(STATUS_COLOUR.get(status, ""), "")
        return colour if colour.startswith("#") else ""

    def _sort_line(self) -> str:
        if self.sorted_by is None:
            return "In the report's order; 1-9 or a click on a header sorts."
        column = self.columns[self.sorted_by]
        way = "descending" if self.reverse else "ascending"
        return f"Sorted by {column.header.split(' (')[0]}, {way} (again: reversed)."

    def action_sort(self, place: int) -> None:
        if place == self.sorted_by:
            self.reverse = not self.reverse
        else:
            self.sorted_by, self.reverse = place, False
        self._fill()

    def on_data_table_header_selected(self, message: DataTable.HeaderSelected) -> None:
        self.action_sort(message.column_index)

    def order(self) -> list[str]:
        """The logins in the table's order, top down (for tests and the curious)."""
        table = self.query_one(DataTable)
        return [str(key.value) for key in table.rows]
