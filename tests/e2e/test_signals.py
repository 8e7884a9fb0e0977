"""The session ends under the real `chain-tutor`: SIGTERM, SIGHUP, the SSH connection dropping.

Each test runs the installed console script in tmux, answers the first step (so an
attempt is saved), ends the session one way or another, and then checks what a lab
needs: the process is gone (no hang), it exited 128 + the signal's number, the progress
file is intact, holds the attempt, and was closed (no -wal file left: a killed process
leaves one), and a terminal that is still there is back as it was, with no traceback.

The pane's first process is a small wrapper standing in for the login shell. It traps
SIGHUP so that it lives on to write down the tutor's exit status; a trapped (not
ignored) signal goes back to its default in the tutor. The tutor writes its own pid
before it starts, so the signals go to the tutor itself.

How a dropped connection reaches the tutor depends on who runs it, and each way is
tested: the kernel hangs up the terminal and sends SIGHUP to the session's first
process. A login shell passes it on to the tutor; a wrapper that swallows it does not,
and the tutor must notice the dead terminal itself; a tutor that is the login's only
program (ForceCommand, `exec`) gets it directly.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tmux_terminal import end_server

TMUX = shutil.which("tmux")
pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(sys.platform != "linux", reason="reads process states from /proc"),
]
SCRIPT = Path(sys.executable).with_name("chain-tutor")
TIMEOUT = 30.0

WRAPPER = """\
#!/bin/sh
trap : HUP
cd "$(dirname "$0")"
sh -c 'echo $$ > pid; exec "$@"' tutor "$@"
echo $? > status
stty -a > stty 2>&1
echo "TUTOR EXITED"
[ "${LINGER:-0}" -gt 0 ] && exec sleep "$LINGER"
"""


def poll(condition, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def process_state(pid: int) -> str | None:
    """The kernel's one-letter state of `pid` (R, S, T, Z, ...), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def exited(pid: int) -> bool:
    return process_state(pid) in (None, "Z")  # a zombie has exited; its parent reaps it


class Session:
    """One tmux session running the tutor, through the wrapper or directly (`exec`)."""

    def __init__(self, folder: Path, *, linger: int = 60, direct: bool = False,
                 env: dict[str, str] | None = None, options: str = "") -> None:
        self.folder = folder
        self.data = folder / "data"
        self.name = f"chain-tutor-signals-{uuid.uuid4().hex[:8]}"
        variables = {"CHAIN_TUTOR_DATA": str(self.data), "TERM": "xterm-256color",
                     "LINGER": str(linger), **(env or {})}
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in variables.items())
        tutor = f"{shlex.quote(str(SCRIPT))} two-layer-sigmoid --seed 1 {options}".strip()
        if direct:
            command = f"exec env {exports} {tutor}"
        else:
            wrapper = folder / "run.sh"
            wrapper.write_text(WRAPPER)
            wrapper.chmod(0o755)
            command = f"env {exports} {shlex.quote(str(wrapper))} {tutor}"
        self.tmux("new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", command)
        self.direct = direct
        self._pid: int | None = None

    def tmux(self, *args: str, check: bool = True) -> str:
        # A tmux server of the session's own (-L): tests in parallel never share one.
        result = subprocess.run([TMUX, "-L", self.name, *args], capture_output=True, text=True,
                                check=check, env={**os.environ, "TMUX": ""})
        return result.stdout

    def screen(self, history: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(("-S", "-") if history else ()),
                         "-t", self.name, check=False)

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> str:
        def shown() -> str | None:
            screen = self.screen()
            return screen if text in screen else None

        try:
            return poll(shown, repr(text), timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}; the screen shows:\n{self.screen()}") from None

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    @property
    def pid(self) -> int:
        """The tutor's process id."""
        if self._pid is None:
            self._pid = int(poll(self._read_pid, "the tutor's pid"))
        return self._pid

    def _read_pid(self) -> str | None:
        if self.direct:
            return self.tmux("display", "-p", "-t", self.name, "#{pane_pid}", check=False).strip()
        pid_file = self.folder / "pid"
        return pid_file.read_text().strip() if pid_file.exists() else None

    def exit_status(self) -> int:
        status = self.folder / "status"
        poll(lambda: status.exists() and status.read_text().strip(), "the tutor to exit")
        return int(status.read_text())

    def terminal_flags(self) -> str:
        """Whether the pane is on the alternate screen, shows its cursor, reports the mouse."""
        return self.tmux("display", "-p", "-t", self.name,
                         "#{alternate_on} #{cursor_flag} #{mouse_any_flag}").strip()

    def kill(self) -> None:
        self.tmux("kill-session", "-t", self.name, check=False)

    def close(self) -> None:
        pid = self._pid or self._read_pid()
        self.kill()
        end_server(self.name)  # its own server, if the session left it up
        if pid and not exited(int(pid)):
            os.kill(int(pid), signal.SIGKILL)  # a failed test must not leave a tutor running


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    if not SCRIPT.exists():
        pytest.skip(f"the chain-tutor script is not installed beside {sys.executable}")
    sessions: list[Session] = []

    def start(**options) -> Session:
        session = Session(tmp_path, **options)
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.close()


def answer_the_first_step(session: Session) -> None:
    session.wait_for("Start the steps", timeout=60)
    session.keys("Enter")
    session.wait_for("∂f/∂h2  is 1×2")
    session.type("W3")
    session.wait_for("the factor's shape")  # the preview has read the answer
    session.keys("Enter")
    session.wait_for("✓ Correct")


def assert_progress_kept(data: Path) -> None:
    assert not (data / "progress.db-wal").exists(), "the progress file was not closed"
    connection = sqlite3.connect(data / "progress.db")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        attempts = connection.execute("SELECT step_id, answer, verdict FROM attempts").fetchall()
    finally:
        connection.close()
    assert ("df_dh2", "W3", "correct") in attempts


def assert_terminal_restored(session: Session) -> None:
    session.wait_for("TUTOR EXITED")
    assert session.terminal_flags() == "0 1 0"  # main screen, cursor shown, no mouse reports
    modes = set((session.folder / "stty").read_text().split())
    assert {"icanon", "echo", "isig"} <= modes, "the terminal was left in raw mode"
    history = session.screen(history=True)
    assert "Traceback" not in history and "Exception" not in history, history


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_ends_the_tutor_cleanly_and_keeps_the_attempts(start, signum):
    session = start()
    answer_the_first_step(session)
    os.kill(session.pid, signum)
    assert session.exit_status() == 128 + signum
    assert_terminal_restored(session)
    assert_progress_kept(session.data)


@pytest.mark.parametrize("signals", [(signal.SIGHUP,), (signal.SIGHUP, signal.SIGCONT)],
                         ids=["SIGHUP", "SIGHUP+SIGCONT"])
def test_a_dropped_connection_with_the_hangup_passed_on(start, signals):
    """The terminal is gone, then SIGHUP comes, as a login shell passes it on.

    When the session's first process exits, the kernel sends its foreground group
    SIGHUP and then SIGCONT; Textual's driver takes SIGCONT for "resumed after Ctrl+Z"
    and would start drawing again, on the dead terminal.
    """
    session = start(linger=0)
    answer_the_first_step(session)
    pid = session.pid
    session.kill()
    for signum in signals:
        os.kill(pid, signum)
    assert session.exit_status() == 128 + signal.SIGHUP
    assert_progress_kept(session.data)


def test_a_dropped_connection_without_a_hangup_signal(start):
    """A wrapper swallows SIGHUP: the tutor notices the dead terminal itself, and leaves."""
    session = start(linger=0)
    answer_the_first_step(session)
    session.kill()
    assert session.exit_status() == 128 + signal.SIGHUP
    assert_progress_kept(session.data)


def test_a_dropped_connection_when_the_tutor_is_the_login_program(start):
    """ForceCommand: the tutor is the session's first process and gets SIGHUP directly."""
    session = start(direct=True)
    answer_the_first_step(session)
    pid = session.pid
    session.kill()
    poll(lambda: exited(pid), "the tutor to exit")
    assert_progress_kept(session.data)


def test_sigcont_does_not_keep_the_tutor_from_quitting(start):
    """Textual would take SIGCONT for "resumed after Ctrl+Z" and start a second set of
    threads; the one left over kept the process alive after Ctrl+Q, for ever."""
    session = start()
    session.wait_for("Start the steps", timeout=60)
    os.kill(session.pid, signal.SIGCONT)
    session.keys("Enter")
    session.wait_for("∂f/∂h2  is 1×2")
    session.keys("C-q")
    assert session.exit_status() == 0
    assert_terminal_restored(session)


@pytest.mark.parametrize("allow_signals", [False, True], ids=["default", "TEXTUAL_ALLOW_SIGNALS"])
def test_ctrl_z_and_sigtstp_never_stop_the_tutor(start, allow_signals):
    """A stopped tutor would hang a login that has no shell to continue it.

    TEXTUAL_ALLOW_SIGNALS=1 makes Textual leave Ctrl+Z to the terminal, which then
    sends SIGTSTP; that must be ignored too.
    """
    session = start(env={"TEXTUAL_ALLOW_SIGNALS": "1"} if allow_signals else None)
    session.wait_for("Start the steps", timeout=60)
    session.keys("Enter")
    session.wait_for("∂f/∂h2  is 1×2")
    session.keys("C-z")
    os.kill(session.pid, signal.SIGTSTP)
    time.sleep(0.5)
    assert process_state(session.pid) not in ("T", "t", None)
    session.type("W3")
    session.wait_for("the factor's shape")  # still drawing, still reading keys
    session.keys("C-q")
    assert session.exit_status() == 0
    assert_terminal_restored(session)


HANGING_ANSWER = "diag(h2^1e-20 * h2 * (1-h2))"  # sympy's cancel ran for minutes on it


def submit_the_hanging_answer(session: Session) -> None:
    answer_the_first_step(session)
    session.keys("PageDown")
    session.wait_for("∂h2/∂z2  is 2×2")
    session.type(HANGING_ANSWER)
    session.wait_for("the factor's shape")
    session.keys("Enter")


def test_an_answer_that_hung_the_checker_gets_its_verdict_and_the_screen_moves_on(start):
    session = start()
    submit_the_hanging_answer(session)
    started = time.monotonic()
    session.wait_for("symbolic proof timed out", timeout=15)
    assert time.monotonic() - started < 10
    session.keys("F1")  # the screen still answers keys
    session.wait_for("chain-tutor — help", timeout=10)
    session.keys("C-q")
    session.keys("C-q")
    assert session.exit_status() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_a_proof_ends_the_tutor_and_its_proof(start, signum):
    session = start(options="--budget 60")
    submit_the_hanging_answer(session)
    session.wait_for("checking…")
    proofs = poll(lambda: children(session.pid), "the proof's process")
    os.kill(session.pid, signum)
    assert session.exit_status() == 128 + signum
    poll(lambda: all(exited(pid) for pid in proofs), "the proof's process to end", 10)
    assert_progress_kept(session.data)
    # The answer whose proof the signal cut short is recorded too, with its numeric verdict
    # (right at every point; the proof did not finish), as README says.
    connection = sqlite3.connect(session.data / "progress.db")
    try:
        cut_short = connection.execute(
            "SELECT verdict FROM attempts WHERE step_id = 'dh2_dz2' AND answer = ?",
            (HANGING_ANSWER,)).fetchall()
    finally:
        connection.close()
    assert cut_short == [("correct",)]


def children(pid: int) -> list[int]:
    """The processes forked by any thread of ``pid`` (a check forks from its worker)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(word) for word in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found
