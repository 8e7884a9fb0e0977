"""A tmux session a test drives as a student would: read the screen, type, press keys."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")
SCRIPT = Path(sys.executable).with_name("chain-tutor")  # the command as users run it


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

    def close(self) -> None:
        subprocess.run([TMUX, "kill-session", "-t", self.session], check=False,
                       capture_output=True)


def start_tutor(arguments: str, data: Path, size: tuple[int, int] = (80, 24),
                name: str = "chain-tutor-e2e") -> Terminal:
    """The real `chain-tutor ARGUMENTS` in a new tmux session, its progress in ``data``.
    `; sleep` keeps the pane (and a crash's traceback) on screen after the tutor exits."""
    session = f"{name}-{uuid.uuid4().hex[:8]}"
    exports = f"CHAIN_TUTOR_DATA={data} TERM=xterm-256color"
    subprocess.run(
        [TMUX, "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]),
         f"env {exports} {SCRIPT} {arguments}; sleep 30"],
        check=True, env={**os.environ, "TMUX": ""},
    )
    return Terminal(session)


@contextmanager
def tutor_in_tmux(arguments: str, data: Path, **options) -> Iterator[Terminal]:
    """start_tutor for one test: skipped without the installed script, closed after."""
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    terminal = start_tutor(arguments, data, **options)
    try:
        yield terminal
    finally:
        terminal.close()
