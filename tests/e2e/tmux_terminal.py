"""A tmux session a test drives as a student would: read the screen, type, press keys."""

from __future__ import annotations

import shutil
import subprocess
import time

TMUX = shutil.which("tmux")


class Terminal:
    """One tmux session running one command; waits poll the screen, never fixed sleeps."""

    def __init__(self, session: str, timeout: float = 30.0) -> None:
        self.session = session
        self.timeout = timeout

    def screen(self) -> str:
        result = subprocess.run([TMUX, "capture-pane", "-p", "-t", self.session],
                                capture_output=True, text=True, check=False)
        return result.stdout

    def wait_for(self, text: str, timeout: float | None = None) -> str:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear; the screen shows:\n{screen}")
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        subprocess.run([TMUX, "send-keys", "-t", self.session, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run([TMUX, "send-keys", "-t", self.session, "-l", text], check=True)
