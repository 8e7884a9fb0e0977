"""`chain-tutor report PATH... --tui`: the class report in its own small app — a heat map
of lessons × steps, and a table of students; `s` switches between them. With --skills it
opens on a table of each student's mastery per skill instead, and `s` goes to the map.

The report and the students' rows are built before the app starts (tutor.report, no
Textual); the app only shows them. It has nothing to do with the tutor's app, whose
screens it does not share.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import App
from textual.binding import Binding

from tutor.app.screens.report import ReportHelpScreen, ReportScreen
from tutor.app.screens.report_skills import SkillsTableScreen
from tutor.app.screens.report_students import StudentsScreen
from tutor.app.signals import SessionGuard
from tutor.report.build import Report
from tutor.report.skills import StudentSkills
from tutor.report.students import StudentRow

MAP, STUDENTS, SKILLS = "map", "students", "skills"


class ReportApp(App[None]):
    TITLE = "chain-tutor report"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Help", id="help"),
    ]

    def __init__(self, report: Report, students: Sequence[StudentRow] = (),
                 start: str = MAP, skills: Sequence[StudentSkills] = ()) -> None:
        """``students``: the rows of the students' view (tutor.report.students), one per
        student of the class; the heat map's class is theirs (the report's students
        when there are none)."""
        super().__init__()
        self.report = report
        self.students = list(students)
        self.class_size = len(self.students) or len(report.students)
        self.start = start
        self.skills = list(skills)  # report --skills's rows: the view it opens on

    def on_mount(self) -> None:
        # Pushed, not the default screen: Textual reads a screen's CSS_PATH when it is
        # pushed, and not for the screen get_default_screen returns.
        self.push_screen(ReportScreen(self.report, self.class_size))
        # Installed, so that leaving it for the map and coming back keeps its order.
        self.install_screen(StudentsScreen(self.report, self.students), name=STUDENTS)
        if self.start == STUDENTS:
            self.push_screen(STUDENTS)
        elif self.start == SKILLS:
            self.push_screen(SkillsTableScreen(self.skills))

    def action_switch_view(self) -> None:
        """The heat map's `s` opens the students; theirs goes back to the map as it was."""
        if isinstance(self.screen, StudentsScreen | SkillsTableScreen):
            self.pop_screen()
        elif isinstance(self.screen, ReportScreen):
            self.push_screen(STUDENTS)

    def action_help(self) -> None:
        if isinstance(self.screen, ReportHelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(ReportHelpScreen())


def run_report(report: Report, students: Sequence[StudentRow] = (), start: str = MAP,
               skills: Sequence[StudentSkills] = ()) -> int:
    """Show `report` until Ctrl+Q; returns the exit code (128 + a signal that ended it)."""
    app = ReportApp(report, students, start, skills)
    # A dropped SSH connection or SIGTERM ends the app cleanly (see signals.py).
    with SessionGuard(app) as session:
        app.run()
    return session.exit_code(0)
