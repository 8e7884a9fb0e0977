"""`chain-tutor report PATH... --tui`: the class report as a heat map, in its own small app.

The report is built before the app starts (tutor.report, no Textual); the app only
shows it. It has nothing to do with the tutor's app, whose screens it does not share.
"""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from tutor.app.screens.report import ReportHelpScreen, ReportScreen
from tutor.app.signals import SessionGuard
from tutor.report.build import Report


class ReportApp(App[None]):
    TITLE = "chain-tutor report"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f1", "help", "Colours", id="help"),
    ]

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report

    def on_mount(self) -> None:
        # Pushed, not the default screen: Textual reads a screen's CSS_PATH when it is
        # pushed, and not for the screen get_default_screen returns.
        self.push_screen(ReportScreen(self.report))

    def action_help(self) -> None:
        if isinstance(self.screen, ReportHelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(ReportHelpScreen())


def run_report(report: Report) -> int:
    """Show `report` until Ctrl+Q; returns the exit code (128 + a signal that ended it)."""
    app = ReportApp(report)
    # A dropped SSH connection or SIGTERM ends the app cleanly (see signals.py).
    with SessionGuard(app) as session:
        app.run()
    return session.exit_code(0)
