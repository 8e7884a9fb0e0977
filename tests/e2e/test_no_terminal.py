"""No terminal, no tutor; a tutor whose terminal goes, goes too (issue 24, item 4).

Under a lab's SSH ForceCommand, `ssh HOST cmd`, `ssh -T HOST` and `scp` start the
tutor with pipes instead of a terminal. It drew escape codes into them, spun at a third
of a core reading end-of-file, and outlived the client with parent 1. Now it says in
one line how to connect and exits 2 before anything starts; the subcommands that print
(check, show, lessons, progress) go on working through pipes, as graders use them.

And a tutor whose input terminal hangs up (here: its own pty, apart from the screen's,
whose controlling side is closed) ends as after SIGHUP, with its attempts saved, rather
than spinning on end-of-file for ever.

Every process here is started by the test, in its own session, with its own data
folder: safe beside other tests running at once.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("chain-tutor")
TIMEOUT = 30.0  # a bound against hanging for ever, not a measure of speed
pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="ptys and /proc"),
    pytest.mark.skipif(not SCRIPT.exists(), reason="the chain-tutor script is not installed"),
]
TUTOR_VIEWS = [
    [],
    ["two-layer-sigmoid", "--seed", "1"],
    ["practice", "--random", "--seed", "5"],
    ["report", "progress.db", "--tui"],
]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("TEXTUAL_DRIVER", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")}
    return {**env, "CHAIN_TUTOR_DATA": str(tmp_path / "data"), "TERM": "xterm-256color",
            **extra}


def run_without_terminal(tmp_path: Path, argv: list[str], **env: str):
    return subprocess.run([str(SCRIPT), *argv], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, cwd=tmp_path, env=env_for(tmp_path, **env),
                          start_new_session=True, timeout=TIMEOUT)


@pytest.mark.parametrize("argv", TUTOR_VIEWS, ids=" ".join)
def test_without_a_terminal_the_tutor_says_how_to_connect_and_exits_2(tmp_path, argv):
    result = run_without_terminal(tmp_path, argv)
    assert result.returncode == 2
    assert result.stdout == ""  # no escape codes drawn into a pipe
    [line] = result.stderr.splitlines()
    assert line.startswith("chain-tutor needs a terminal") and "ssh -t HOST" in line
    assert "\x1b" not in result.stderr


def test_an_ssh_login_without_a_terminal_is_told_to_use_ssh_t(tmp_path):
    result = run_without_terminal(tmp_path, ["--seed-from-user"],
                                  SSH_CONNECTION="127.0.0.1 50000 127.0.0.1 22")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "this SSH login has none" in line and "`ssh -t HOST`" in line


def test_the_refusal_starts_nothing(tmp_path):
    """No Textual, no lesson loaded, no thread, no child process (no proof worker)."""
    probe = (
        "import os, sys, threading\n"
        "from tutor.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "try:\n"
        "    os.waitpid(-1, os.WNOHANG)\n"
        "    children = True\n"
        "except ChildProcessError:\n"
        "    children = False\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'sympy', 'numpy') or m.startswith(('tutor.app', 'tutor.engine')))\n"
        "print(code, threading.active_count(), children, loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, "two-layer-sigmoid"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            cwd=tmp_path, env=env_for(tmp_path), timeout=TIMEOUT)
    assert result.stdout.split() == ["2", "1", "False", "[]"], result.stderr


@pytest.mark.parametrize("argv", [
    ["lessons"],
    ["show", "two-layer-sigmoid", "--seed", "1"],
    ["check", "two-layer-sigmoid", "df_dh2", "W3", "--seed", "1"],
    ["progress", "--export", "-"],
    ["practice", "--random", "--seed", "5", "--show"],
], ids=" ".join)
def test_what_prints_works_through_pipes(tmp_path, argv):
    result = run_without_terminal(tmp_path, argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout and "needs a terminal" not in result.stderr


# -- the input closes under a running tutor ---------------------------------------------------


def terminal() -> tuple[int, int]:
    controller, tty = pty.openpty()
    fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return controller, tty


class Screen:
    """What the tutor drew on its terminal, read from the controlling side, as text."""

    ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-_])")

    def __init__(self, controller: int) -> None:
        self.controller = controller
        self.drawn = ""

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        raw = b""
        while text not in self.drawn:
            assert time.monotonic() < deadline, f"{text!r} never shown:\n{self.drawn[-2000:]}"
            ready, _, _ = select.select([self.controller], [], [], 0.1)
            if ready:
                try:
                    raw += os.read(self.controller, 65536)
                except OSError:
                    break
                self.drawn = self.ESCAPES.sub("", raw.decode("utf-8", "replace"))
        assert text in self.drawn


def exited_within(process: subprocess.Popen, seconds: float) -> int | None:
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.parametrize("apart", [False, True],
                         ids=["input and screen on one terminal", "input on its own terminal"])
def test_a_tutor_whose_input_closes_ends_as_after_a_hangup(tmp_path, apart):
    screen_side, screen_tty = terminal()
    keys_side, keys_tty = terminal() if apart else (screen_side, screen_tty)
    process = subprocess.Popen(
        [str(SCRIPT), "two-layer-sigmoid", "--seed", "1"], cwd=tmp_path, env=env_for(tmp_path),
        stdin=keys_tty, stdout=screen_tty, stderr=screen_tty, start_new_session=True)
    for fd in {screen_tty, keys_tty}:
        os.close(fd)
    try:
        screen = Screen(screen_side)
        screen.wait_for("Start the steps")
        os.write(keys_side, b"\r")
        screen.wait_for("is 1×2")
        os.write(keys_side, b"W3")
        screen.wait_for("the factor's shape")
        os.write(keys_side, b"\r")
        screen.wait_for("Correct")

        os.close(keys_side)  # what sshd or tmux does when the connection goes
        status = exited_within(process, TIMEOUT)
        assert status is not None, "the tutor did not end when its input closed"
        assert status == 128 + signal.SIGHUP
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for fd in {screen_side} | ({keys_side} if apart else set()):
            try:
                os.close(fd)
            except OSError:
                pass
    data = tmp_path / "data"
    assert not (data / "progress.db-wal").exists(), "the progress file was not closed"
    connection = sqlite3.connect(data / "progress.db")
    try:
        attempts = connection.execute("SELECT step_id, answer, verdict FROM attempts").fetchall()
    finally:
        connection.close()
    assert ("df_dh2", "W3", "correct") in attempts
