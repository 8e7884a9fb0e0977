"""The report's skills view (`report --skills --tui`): mastery per student and skill, the
rows of `report --skills` (tutor.report.skills) as a table. A cell is the mastery to two
places, `*` where mastered (0.95), `–` where the skill was never observed; the login stays
while the skills scroll. `s` goes to the heat map.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tutor.lessons.skills import SKILLS
from tutor.markup import SHOWN, printable
from tutor.report.formats import plural
from tutor.report.skills import StudentSkills, cell


class SkillsTableScreen(Screen[None]):
    BINDINGS = [Binding("s", "app.switch_view", "Heat map", id="map")]
    DEFAULT_CSS = """
    SkillsTableScreen DataTable { height: 1fr; }
    """

    def __init__(self, rows: Sequence[StudentSkills]) -> None:
        super().__init__()
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        yield Static(f"chain-tutor · {plural(len(self.rows), 'student')} · mastery per skill",
                     classes="screen-title", markup=False)
        yield DataTable(id="skills-table", cursor_type="row", zebra_stripes=True)
        yield Static("A skill's mastery as the tracing believes it: * mastered (0.95 and "
                     "up), – never observed.", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.fixed_columns = 1
        table.add_column("login", key="login")
        for skill in SKILLS:
            table.add_column(Text(skill, justify="right"), key=skill)
        for row in self.rows:
            table.add_row(printable(row.login, SHOWN),
                          *(Text(cell(row.skills[skill]), justify="right") for skill in SKILLS),
                          key=row.login)
        table.focus()
