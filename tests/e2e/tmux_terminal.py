"""A tmux session a test drives as a student would: read the screen, type, press keys.

Each session runs on a tmux server of its own (`tmux -L NAME`): tests running at once
(pytest -n auto) never share a server, a server's environment is the test's own, and
closing a session ends its server only, never the user's or another test's."""

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


def tmux(server: str, *args: str, check: bool = False) -> str:
    """`tmux -L SERVER ARGS`: its output. TMUX is unset, so that it works inside tmux too."""
    return subprocess.run([TMUX, "-L", server, *args], capture_output=True, text=True,
                          check=check, env={**os.environ, "TMUX": ""}).stdout


def end_server(server: str) -> None:
    """Kill tmux server `server` and take away its socket, which tmux leaves behind."""
    tmux(server, "kill-server")
    folder = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
    (folder / server).unlink(missing_ok=True)


class Terminal:
    """One tmux session running one command, alone on the tmux server named `server` (the
    session's own name unless given); waits poll the screen, never fixed sleeps."""

    def __init__(self, session: str, timeout: float = 30.0, server: str | None = None) -> None:
        self.session = session
        self.timeout = timeout
        self.server = server or session

    def tmux(self, *args: str, check: bool = False) -> str:
        return tmux(self.server, *args, check=check)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

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
        self.tmux("send-keys", "-t", self.session, *keys, check=True)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text, check=True)

    def close(self) -> None:
        end_server(self.server)  # this session's own server: nothing else is on it


def start_tutor(arguments: str, data: Path, size: tuple[int, int] = (80, 24),
                name: str = "chain-tutor-e2e") -> Terminal:
    """The real `chain-tutor ARGUMENTS` in a new tmux session, its progress in ``data``.
    `; sleep` keeps the pane (and a crash's traceback) on screen after the tutor exits."""
    session = f"{name}-{uuid.uuid4().hex[:8]}"
    exports = f"CHAIN_TUTOR_DATA={data} TERM=xterm-256color"
    tmux(session, "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]),
         f"env {exports} {SCRIPT} {arguments}; sleep 30", check=True)
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
