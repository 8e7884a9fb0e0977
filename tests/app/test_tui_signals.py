"""The pieces that end a session cleanly (tutor/app/signals.py), one at a time.

The whole, with the real command in a real terminal, is tests/e2e/test_signals.py.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import pty
import signal
import threading
import time
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver

from tutor.app.signals import HangupWatch, SessionGuard, TerminalOutput, session_driver


def no_exit(status: int) -> None:
    """The forced exit, for tests: the test process must outlive the watchdog."""


class FakeApp:
    """What SessionGuard uses of an App: exit(), return_code, driver_class."""

    def __init__(self, stops: bool = True) -> None:
        self.exits: list[int] = []
        self.return_code: int | None = None
        self.driver_class = HeadlessDriver
        self.stops = stops

    def exit(self, result: object = None, return_code: int = 0) -> None:
        self.exits.append(return_code)
        if self.stops:
            self.return_code = return_code


def test_a_signal_while_the_app_runs_asks_it_to_exit_with_128_plus_the_signal():
    app = FakeApp()

    async def session() -> SessionGuard:
        with SessionGuard(app, force_exit=no_exit) as guard:
            signal.raise_signal(signal.SIGTERM)
            await asyncio.sleep(0.05)  # the exit is asked for from the loop, not the handler
        return guard

    guard = asyncio.run(session())
    assert app.exits == [143]
    assert guard.exit_code(0) == 143


def test_only_the_first_signal_counts():
    app = FakeApp()

    async def session() -> SessionGuard:
        with SessionGuard(app, force_exit=no_exit) as guard:
            signal.raise_signal(signal.SIGHUP)
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGHUP)
            await asyncio.sleep(0.05)
        return guard

    guard = asyncio.run(session())
    assert app.exits == [129]
    assert guard.exit_code(0) == 129


def test_without_a_signal_the_apps_own_exit_code_stands():
    with SessionGuard(FakeApp()) as guard:
        pass
    assert guard.exit_code(0) == 0 and guard.exit_code(1) == 1


def test_a_signal_before_the_app_runs_exits_at_once():
    with pytest.raises(SystemExit) as leaving, SessionGuard(FakeApp(), force_exit=no_exit):
        signal.raise_signal(signal.SIGTERM)
    assert leaving.value.code == 143


def test_a_signal_after_the_app_stopped_only_sets_the_exit_code():
    app = FakeApp()
    app.return_code = 0
    with SessionGuard(app, force_exit=no_exit) as guard:
        signal.raise_signal(signal.SIGHUP)
    assert app.exits == []
    assert guard.exit_code(0) == 129


def test_an_app_that_does_not_stop_is_ended_after_the_grace_period():
    forced: list[int] = []
    app = FakeApp(stops=False)

    async def session() -> None:
        with SessionGuard(app, grace=0.1, force_exit=forced.append):
            signal.raise_signal(signal.SIGTERM)
            await asyncio.sleep(0.4)

    asyncio.run(session())
    assert forced == [143]


def test_the_deadline_holds_after_the_app_has_stopped():
    """Python waits for Textual's threads at exit; a stuck one must not hang the login."""
    forced: list[int] = []

    async def session() -> None:
        with SessionGuard(FakeApp(), grace=0.2, force_exit=forced.append):
            signal.raise_signal(signal.SIGHUP)
            await asyncio.sleep(0.05)

    asyncio.run(session())
    assert forced == []
    time.sleep(0.4)
    assert forced == [129]


def test_without_a_signal_there_is_no_deadline():
    forced: list[int] = []
    with SessionGuard(FakeApp(), grace=0.05, force_exit=forced.append):
        pass
    time.sleep(0.2)
    assert forced == []


def test_the_previous_handlers_come_back():
    before = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)}
    with SessionGuard(FakeApp()):
        assert signal.getsignal(signal.SIGTERM) != before[signal.SIGTERM]
    assert {s: signal.getsignal(s) for s in before} == before


# -- the terminal going away ---------------------------------------------------------------


def is_dev_null(fd: int) -> bool:
    return os.path.samestat(os.fstat(fd), os.stat(os.devnull))


def test_a_failed_write_is_one_hangup_and_later_writes_go_nowhere():
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: a write fails with EPIPE, as a dead terminal's EIO
    stream = os.fdopen(write_end, "w", buffering=1)
    lost: list[bool] = []
    output = TerminalOutput(stream, on_lost=lambda: lost.append(True))
    output.write("a screenful\n")
    output.write("and another\n")
    output.flush()
    assert output.lost and lost == [True]
    assert is_dev_null(write_end)  # what is still buffered can be flushed at exit
    stream.close()  # no error: the buffer goes to /dev/null


def test_the_watch_notices_a_terminal_hanging_up():
    controller, terminal = pty.openpty()
    hung_up = threading.Event()
    watch = HangupWatch.start(terminal, on_hangup=hung_up.set)
    assert watch is not None
    try:
        assert not hung_up.wait(0.2)  # quiet while the terminal is there
        os.close(controller)  # what sshd or tmux does when the connection goes
        assert hung_up.wait(5.0)
    finally:
        watch.stop()
        os.close(terminal)


def test_the_watch_notices_the_input_hanging_up_while_the_screen_stays():
    """Keys from one terminal, the screen on another: the keys' end is the session's."""
    screen_side, screen = pty.openpty()
    keys_side, keys = pty.openpty()
    hung_up = threading.Event()
    watch = HangupWatch.start(screen, keys, on_hangup=hung_up.set)
    assert watch is not None
    try:
        assert not hung_up.wait(0.2)
        os.close(keys_side)
        assert hung_up.wait(5.0)
    finally:
        watch.stop()
        for fd in (keys, screen, screen_side):
            os.close(fd)


def test_the_watch_stops_quietly():
    controller, terminal = pty.openpty()
    hung_up = threading.Event()
    watch = HangupWatch.start(terminal, on_hangup=hung_up.set)
    assert watch is not None
    watch.stop()
    os.close(controller)
    os.close(terminal)
    assert not hung_up.wait(0.2)


def test_nothing_to_watch_when_output_is_not_a_terminal(tmp_path: Path):
    with open(tmp_path / "log", "w") as log:
        assert HangupWatch.start(log.fileno()) is None


# -- the driver ------------------------------------------------------------------------------


def test_only_the_linux_driver_is_replaced():
    driver = session_driver(LinuxDriver)
    assert issubclass(driver, LinuxDriver) and driver is not LinuxDriver
    assert session_driver(driver) is driver
    assert session_driver(HeadlessDriver) is HeadlessDriver


def test_textual_still_writes_through_the_attribute_we_wrap():
    """TerminalOutput replaces LinuxDriver._file; a Textual upgrade must not bypass it."""
    assert "WriterThread(self._file)" in inspect.getsource(LinuxDriver.start_application_mode)


async def test_the_session_driver_never_suspends():
    previous = signal.getsignal(signal.SIGTSTP)
    try:
        driver = session_driver(LinuxDriver)(FakeApp())  # type: ignore[arg-type]
        assert driver.can_suspend is False
        assert signal.getsignal(signal.SIGTSTP) == signal.SIG_IGN
        # Textual's handler would start a second set of threads on the kernel's SIGCONT.
        assert signal.getsignal(signal.SIGCONT) == signal.SIG_DFL
        assert isinstance(driver._file, TerminalOutput)
    finally:
        signal.signal(signal.SIGTSTP, previous)
        signal.signal(signal.SIGCONT, signal.SIG_DFL)
