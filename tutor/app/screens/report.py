"""The class report as a heat map: lessons down, steps across, one cell per step.

A cell reads "solved/class": of the whole class (every student in the report, and with a
roster the students on it who have not started), how many solved the step, so a step
most of the class has not reached yet looks as unfinished as it is. Its band is that
share, shown as a theme colour and as a glyph (a step nobody reached: "·"), so the map
means the same under NO_COLOR. Moving onto a cell (arrows, Tab, or a click) shows that
step's details below the map, "not reached" among them.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from tutor.markup import SHOWN, printable
from tutor.report.bands import BANDS, NO_ANSWERS, band_of, band_range, counts_text
from tutor.report.build import LessonReport, Report, StepReport
from tutor.report.formats import duration, plural, rounded

HELP_FILE = Path(__file__).resolve().parent / "report_help.md"
CELL_WIDTH = 7  # as .step-cell's width in report.tcss; wider for a class of 100 or more
ROW_HEAD_WIDTH = (14, 18)  # the lesson-id column: at least, at most (longer ids are cut)


def cell_width(class_size: int) -> int:
    """Wide enough for "● 120/120" in a class of 120."""
    return max(CELL_WIDTH, len(f"● {class_size}/{class_size}"))


def cell_text(step: StepReport, class_size: int) -> str:
    """The cell's text, centred to fill it (so the selected cell's reverse fills it too)."""
    text = f"{band_of(step, class_size).glyph} {counts_text(step, class_size)}"
    return f"{text:^{cell_width(class_size)}}"


def summary_text(report: Report, class_size: int | None = None) -> str:
    size = len(report.students) if class_size is None else class_size
    parts = [plural(size, "student"),
             f"{plural(len(report.lessons), 'lesson')} with records"]
    if report.skipped:
        parts.append(f"{plural(len(report.skipped), 'file')} skipped")
    return "chain-tutor · class report · " + " · ".join(parts)


def _median(value: float | None) -> str:
    return "–" if value is None else str(rounded(value))


def step_details(lesson: LessonReport, step: StepReport, class_size: int) -> Content:
    """What the panel under the map says about one step: solved, revealed, working, gave
    up and not reached add up to the class."""
    number = lesson.steps.index(step) + 1
    label = step.label or "not installed here"
    title = lesson.title if lesson.title is not None else "(lesson not installed here)"
    lines = [
        Content.from_markup(
            "[b]$lesson[/b] · step $number of $count · [b]$step[/b] · $label",
            lesson=printable(lesson.lesson_id, SHOWN), number=number, count=len(lesson.steps),
            step=printable(step.step_id, SHOWN), label=printable(label, SHOWN)),
        Content.from_markup("[$text-muted]$title[/]", title=printable(title, SHOWN)),
        Content(""),
    ]
    band = band_of(step, class_size)
    size = max(class_size, step.students)
    if band is NO_ANSWERS:
        lines.append(Content(f"· Nobody has answered this step yet: not reached {size}."))
        return Content("\n").join(lines)
    share = round(100 * step.solved / size)
    lines += [
        Content.from_markup(
            "$glyph solved by [b]$solved[/b] of $students ($share%)",
            glyph=band.glyph, solved=step.solved, students=plural(size, "student"),
            share=share),
        Content.from_markup(
            "revealed $revealed · working $working · gave up $gave_up · "
            "[b]not reached $unreached[/b]",
            revealed=step.revealed, working=step.working, gave_up=step.gave_up,
            unreached=size - step.students),
        Content(f"median attempts {_median(step.median_attempts)} · "
                f"median time {duration(step.median_time)}"),
        Content(""),
    ]
    if not step.common_wrong:
        lines.append(Content("No wrong answers recorded."))
        return Content("\n").join(lines)
    lines.append(Content.from_markup("[b]Most common wrong answers[/b]"))
    for wrong in step.common_wrong:
        codes = f"[{', '.join(wrong.diagnosis)}]" if wrong.diagnosis else "[no diagnosis]"
        lines.append(Content.from_markup(
            "  ✗ [b]$answer[/b]  [$text-warning]$codes[/]  $attempts, $students",
            answer=printable(wrong.answer, SHOWN), codes=printable(codes, SHOWN),
            attempts=plural(wrong.count, "attempt"),
            students=plural(wrong.students, "student")))
    return Content("\n").join(lines)


class StepCell(Static, can_focus=True):
    """One step of one lesson: its band as colour and glyph, and solved/students."""

    class Selected(Message):
        def __init__(self, cell: StepCell) -> None:
            super().__init__()
            self.cell = cell

    def __init__(self, lesson: LessonReport, step: StepReport, row: int, column: int,
                 class_size: int) -> None:
        super().__init__(cell_text(step, class_size),
                         classes=f"step-cell -{band_of(step, class_size).name}", markup=False)
        self.lesson = lesson
        self.step = step
        self.row = row
        self.column = column
        self.tooltip = f"{lesson.lesson_id} · {step.step_id} · {step.label or '?'}"

    def on_focus(self) -> None:
        self.post_message(self.Selected(self))


class HeatMap(Vertical, can_focus=False):
    """Lessons × steps; the arrows move between cells (rows may differ in length)."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", "Up", show=False),
        Binding("down", "move(1, 0)", "Down", show=False),
        Binding("left", "move(0, -1)", "Left", show=False),
        Binding("right", "move(0, 1)", "Right", show=False),
        Binding("home", "edge(0)", "First step", show=False),
        Binding("end", "edge(-1)", "Last step", show=False),
    ]

    def __init__(self, report: Report, class_size: int, **options) -> None:
        super().__init__(**options)
        self.report = report
        self.class_size = class_size
        self.selected: StepCell | None = None
        self.pending: StepCell | None = None  # chosen by a key, not focused yet
        self.rows: list[list[StepCell]] = [
            [StepCell(lesson, step, row, column, class_size)
             for column, step in enumerate(lesson.steps)]
            for row, lesson in enumerate(report.lessons)
        ]

    def compose(self) -> ComposeResult:
        width = max((len(row) for row in self.rows), default=0)
        with Horizontal(classes="heat-row heat-head"):
            yield Static("lesson \\ step", classes="row-head")
            for column in range(width):
                yield Static(str(column + 1), classes="column-head")
        for lesson, cells in zip(self.report.lessons, self.rows, strict=True):
            with Horizontal(classes="heat-row"):
                yield Static(printable(lesson.lesson_id), classes="row-head", markup=False)
                yield from cells

    def on_mount(self) -> None:
        longest = max((len(lesson.lesson_id) for lesson in self.report.lessons), default=0)
        width = min(max(longest + 1, ROW_HEAD_WIDTH[0]), ROW_HEAD_WIDTH[1])
        for head in self.query(".row-head"):
            head.styles.width = width
        if cell_width(self.class_size) > CELL_WIDTH:
            for cell in self.query(".step-cell, .column-head"):
                cell.styles.width = cell_width(self.class_size)

    def first_cell(self) -> StepCell | None:
        """The first step anyone answered, else the first step."""
        cells = [cell for row in self.rows for cell in row]
        answered = [cell for cell in cells if cell.step.students]
        return (answered or cells or [None])[0]

    def select(self, cell: StepCell) -> None:
        # Focus moves a moment later; keys that arrive in one burst must each start
        # from the cell the one before them chose, so the choice is kept here at once,
        # and the focus events of the cells passed on the way are not taken for choices.
        if self.pending is None and cell.has_focus:
            return  # no focus event would come to say it arrived
        self.selected = self.pending = cell
        cell.focus()

    def on_step_cell_selected(self, message: StepCell.Selected) -> None:
        if self.pending is None:
            self.selected = message.cell  # a click, or Tab
        elif message.cell is self.pending:
            self.pending = None

    def action_move(self, rows: int, columns: int) -> None:
        current = self.selected
        if current is None:
            return
        row = current.row + rows
        while 0 <= row < len(self.rows) and not self.rows[row]:
            row += rows  # a lesson with no steps: step over it
        if not 0 <= row < len(self.rows):
            return
        column = min(max(current.column + columns, 0), len(self.rows[row]) - 1)
        self.select(self.rows[row][column])

    def action_edge(self, index: int) -> None:
        if self.selected is not None:
            self.select(self.rows[self.selected.row][index])


class ReportScreen(Screen[None]):
    CSS_PATH = Path(__file__).parent / "report.tcss"
    BINDINGS = [Binding("s", "app.switch_view", "Students", id="report-students")]

    def __init__(self, report: Report, class_size: int | None = None) -> None:
        super().__init__()
        self.report = report
        self.class_size = len(report.students) if class_size is None else class_size

    def compose(self) -> ComposeResult:
        yield Static(summary_text(self.report, self.class_size), classes="screen-title",
                     markup=False)
        with ScrollableContainer(id="heat-scroll", can_focus=False):
            yield HeatMap(self.report, self.class_size, id="heat-map")
        yield Static(self._legend(), id="legend")
        with VerticalScroll(id="details-scroll", can_focus=False):
            yield Static(id="step-details")
        yield Footer(compact=True, show_command_palette=False)

    @staticmethod
    def _legend() -> Content:
        colours = ("$success-muted", "$warning-muted", "$error-muted")
        parts = [Content.from_markup(f"[on {colour}] {band.glyph} [/] {band_range(band)}")
                 for band, colour in zip(BANDS, colours, strict=True)]
        parts.append(Content(f" {NO_ANSWERS.glyph}  {band_range(NO_ANSWERS)}"))
        return Content("solved/class  ").append(Content("  ").join(parts)).append(
            Content("   F1: more"))

    def on_mount(self) -> None:
        heat_map = self.query_one(HeatMap)
        first = heat_map.first_cell()
        if first is None:
            self.query_one("#step-details", Static).update(
                "No attempts recorded yet: the students have not answered any step.")
        else:
            heat_map.select(first)

    def on_step_cell_selected(self, message: StepCell.Selected) -> None:
        cell = message.cell
        self.query_one("#step-details", Static).update(
            step_details(cell.lesson, cell.step, self.class_size))


def help_text() -> str:
    try:
        return HELP_FILE.read_text(encoding="utf-8")
    except OSError as error:
        return f"# The report's colours\n\nThe help file could not be read: {error}"


class ReportHelpScreen(Screen[None]):
    """F1: what the colours, glyphs and numbers of the heat map, and the students' table,
    mean."""

    CSS_PATH = Path(__file__).parent / "report.tcss"
    BINDINGS = [Binding("escape,f1", "close", "Back", id="report-help-close")]

    def compose(self) -> ComposeResult:
        yield Static("chain-tutor · class report · help", classes="screen-title")
        with VerticalScroll(id="report-help-scroll"):
            yield Markdown(help_text(), id="report-help-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#report-help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
