"""An App that offers nothing beyond the tutor: no files written, no browser, no suspend.

Labs run the tutor as the only program an SSH login may run, so whatever Textual
offers by default must not reach past the tutor's window:

* the command palette's "Screenshot" writes an SVG file into a folder of the server;
* `open_url` (a link clicked in a Markdown text) starts `webbrowser`, which on a
  server without a display runs a text browser such as lynx or w3m, and those can
  open files and run shell commands;
* `action_suspend_process` (Ctrl+Z in many apps) stops the process for a shell to
  continue it later; a forced-command login has no such shell and would simply hang.

Textual's system commands are kept by an allow-list, so a command a later Textual adds
stays out until someone has looked at it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, TextIO, TypeVar

from textual.app import App, SystemCommand
from textual.screen import Screen

ReturnType = TypeVar("ReturnType")

# Textual's own palette commands that act only inside the window.
SAFE_SYSTEM_COMMANDS = frozenset({"Theme", "Quit", "Keys", "Maximize", "Minimize"})

NO_LINKS = "Links are not opened from the tutor; the address is: {url}"
NO_SCREENSHOTS = "Screenshots are turned off in the tutor."
NO_SUSPEND = "Suspending is turned off in the tutor; Ctrl+Q quits (your progress is saved)."


class ConfinedApp(App[ReturnType]):
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title in SAFE_SYSTEM_COMMANDS:
                yield command

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.notify(NO_LINKS.format(url=url), title="Link", markup=False)

    def action_suspend_process(self) -> None:
        self.notify(NO_SUSPEND, severity="warning", markup=False)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.notify(NO_SCREENSHOTS, severity="warning", markup=False)

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        self.notify(NO_SCREENSHOTS, severity="warning", markup=False)
        return None

    # Textual saves "delivered" files into the user's Downloads folder when in a terminal.
    def deliver_text(self, path_or_file: str | Path | TextIO, **options: object) -> str | None:
        return None

    def deliver_binary(self, path_or_file: str | Path | BinaryIO, **options: object) -> str | None:
        return None
