"""The end of a session the student did not choose: SIGHUP, SIGTERM, a vanished terminal.

Over SSH the tutor is often a login's only program. When the connection drops, the
terminal vanishes and the tutor is sent SIGHUP; a lab server shutting down sends
SIGTERM. Progress needs nothing at that moment (every attempt was committed when it was
checked), so what is left is to leave tidily: stop the app, which gives a terminal that
is still there back as it was found, close the progress store (``run`` does, in its
``finally``), and exit with 128 + the signal's number, as a shell reports a process
ended by that signal: 129 after SIGHUP, 143 after SIGTERM, 130 after SIGINT.

A vanished terminal is a hang-up whether or not SIGHUP arrives (a wrapper script may
swallow it). Textual's Linux driver would not notice: its input thread spins on the
dead terminal's end-of-file, and a failed write kills its output thread, after which
the app blocks for ever on the thread's full queue. So the driver used here watches the
terminal for the hang-up and takes a failed write for one, and both send this process
SIGHUP: every ending takes the same path. Once the terminal is gone, its file
descriptors are pointed at /dev/null, so that nothing afterwards (Textual restoring the
screen, Python flushing stderr at exit) fails with EIO or EPIPE and prints a traceback
to nobody, or turns the exit status into 120.

Two more things a login that runs only the tutor must never do: stop (Ctrl+Z or
SIGTSTP; no shell is there to continue it, so the login would hang; and so SIGCONT,
which the kernel sends after a hang-up, has nothing to resume) and hang on the way
out (a stuck thread, a terminal that blocks writes, a thread that keeps the interpreter
from finishing): GRACE seconds after the signal the process exits regardless, with the
same status. Progress is safe either way.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from tutor.app.input_flow import InputFlow
from tutor.app.textual_patches import (
    QuietInput,
    driver_output,
    linux_driver,
    wrap_driver_output,
)

if TYPE_CHECKING:
    from textual.app import App
    from textual.driver import Driver

# Looked up by name: Windows has no SIGHUP.
SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGHUP", "SIGTERM", "SIGINT") if hasattr(signal, name)
)
GRACE = 10.0  # seconds from the signal to a forced exit, should the app not have stopped


def exit_status(signum: int) -> int:
    """What a shell reports for a process ended by `signum`."""
    return 128 + signum


def hang_up() -> None:
    """Tell this process its terminal is gone, as the kernel would."""
    if hasattr(signal, "SIGHUP"):
        os.kill(os.getpid(), signal.SIGHUP)


def is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def terminal_gone(fd: int) -> bool:
    """True when `fd` is a terminal that has hung up (it then answers EIO)."""
    try:
        import termios
    except ImportError:  # Windows
        return False
    try:
        termios.tcgetattr(fd)
    except termios.error:
        return True
    return False


def silence(fd: int) -> None:
    """Point `fd` at /dev/null: writes to it succeed, and go nowhere."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(null, fd)
    except OSError:
        pass
    finally:
        os.close(null)


class SessionGuard:
    """Ends `app` cleanly on SIGHUP, SIGTERM or SIGINT, while `app.run()` runs inside it.

        with SessionGuard(app) as session:
            app.run()
        return session.exit_code(app.return_code or 0)

    The handlers are ordinary `signal.signal` handlers, so they also cover the moments
    before Textual's event loop runs and after it stops; inside the loop they only ask
    the app to exit (from the loop, as Textual requires).
    """

    def __init__(
        self,
        app: App[Any],
        *,
        grace: float = GRACE,
        force_exit: Callable[[int], object] = os._exit,
    ) -> None:
        self.app = app
        self.signum: int | None = None
        self._grace = grace
        self._force_exit = force_exit
        self._previous: dict[int, Any] = {}
        self._terminals: tuple[int, ...] = ()
        self._watchdog: threading.Timer | None = None

    def __enter__(self) -> SessionGuard:
        self.app.driver_class = session_driver(self.app.driver_class)
        self._terminals = tuple(fd for fd in (1, 2) if is_terminal(fd))
        try:
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        except ValueError:  # not the main thread: only the main thread may handle signals
            self._restore()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # A running watchdog stays: the process may still hang after the app has stopped
        # (Python waits for Textual's threads at exit). It is a daemon; an exit in time
        # simply ends it.
        self._restore()

    def exit_code(self, code: int) -> int:
        """128 + the signal that ended the session, or `code` if none did."""
        return code if self.signum is None else exit_status(self.signum)

    def _restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:
            return  # already leaving; a hang-up often arrives twice (the kernel, the watch)
        self.signum = signum
        for fd in self._terminals:
            if terminal_gone(fd):
                silence(fd)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            if self.app.return_code is None:
                # The app has not started: nothing is on the screen, nothing to stop.
                raise SystemExit(exit_status(signum))
            return  # the app has stopped already; `run` is closing the store
        loop.call_soon_threadsafe(self._stop_app)
        self._watchdog = threading.Timer(self._grace, self._force)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _stop_app(self) -> None:
        assert self.signum is not None
        self.app.exit(return_code=exit_status(self.signum))

    def _force(self) -> None:
        # Every attempt is already committed; SQLite recovers an unclosed database.
        assert self.signum is not None
        self._force_exit(exit_status(self.signum))


# ---------------------------------------------------------------------------
# The terminal driver: Textual's LinuxDriver, for a session that may end under it.


class TerminalOutput:
    """The terminal as the driver's output thread writes to it; a failed write is a hang-up.

    Textual's writer thread dies on the first failed write, and the app then blocks on
    the thread's full queue. This never raises: it points the descriptor at /dev/null
    (so the text still buffered can be flushed at exit) and reports the loss, once.
    """

    def __init__(self, file: TextIO, on_lost: Callable[[], None] = hang_up) -> None:
        self._file = file
        self._on_lost = on_lost
        self.lost = False

    def write(self, text: str) -> None:
        if not self.lost:
            try:
                self._file.write(text)
            except (OSError, ValueError):  # ValueError: the file was closed
                self._lose()

    def flush(self) -> None:
        if not self.lost:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self._lose()

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True

    def _lose(self) -> None:
        self.lost = True
        try:
            silence(self._file.fileno())
        except (OSError, ValueError):
            pass
        self._on_lost()


class HangupWatch:
    """Waits, without polling, for a terminal among `fds` to hang up; then calls `on_hangup`.

    `poll` reports a hang-up whatever events were asked for, so the thread sleeps in
    the kernel until a terminal goes, or until `stop`. The input is watched as well as
    the screen: a hung-up input reads end-of-file, on which Textual's input thread
    spins for ever (a third of a core) when the screen is another terminal that stays.
    """

    def __init__(self, fds: tuple[int, ...], on_hangup: Callable[[], None] = hang_up) -> None:
        self._fds = fds
        self._on_hangup = on_hangup
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="hangup-watch", daemon=True)

    @classmethod
    def start(cls, *fds: int, on_hangup: Callable[[], None] = hang_up) -> HangupWatch | None:
        """A running watch on the terminals among `fds`, or None where there is none or
        no poll."""
        terminals = tuple(dict.fromkeys(fd for fd in fds if is_terminal(fd)))
        if not hasattr(select, "poll") or not terminals:
            return None
        watch = cls(terminals, on_hangup)
        watch._thread.start()
        return watch

    def _run(self) -> None:
        poller = select.poll()
        for fd in self._fds:
            poller.register(fd, 0)
        poller.register(self._wake_read, select.POLLIN)
        while True:
            try:
                events = dict(poller.poll())
            except OSError:
                return
            if self._wake_read in events:
                return
            # macOS answers POLLNVAL for terminals; only a confirmed hang-up counts.
            for fd, event in events.items():
                if event & (select.POLLHUP | select.POLLERR) and terminal_gone(fd):
                    self._on_hangup()
                    return
                poller.unregister(fd)  # an unconfirmed event would wake the poll at once

    def stop(self) -> None:
        os.write(self._wake_write, b"\0")
        self._thread.join(timeout=1.0)
        if not self._thread.is_alive():
            os.close(self._wake_read)
            os.close(self._wake_write)


class _SessionDriverMixin:
    """Put in front of LinuxDriver (or a subclass) by `session_driver`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wrap_driver_output(self, TerminalOutput)
        self._watch: HangupWatch | None = None
        # LinuxDriver stops the process on SIGTSTP, for a shell to continue it later. A
        # login that runs only the tutor has no such shell: the login would just hang.
        # And on SIGCONT it starts drawing again, over the threads already running: the
        # kernel sends SIGCONT right after a hang-up's SIGHUP, and a second input thread
        # left over keeps the process from ever exiting. Never stopped, nothing to resume.
        try:
            signal.signal(signal.SIGTSTP, signal.SIG_IGN)
            signal.signal(signal.SIGCONT, signal.SIG_DFL)
        except (AttributeError, ValueError):
            pass

    @property
    def can_suspend(self) -> bool:
        return False  # App.action_suspend_process and App.suspend do nothing / refuse

    def start_application_mode(self) -> None:
        super().start_application_mode()  # type: ignore[misc]
        # The screen, and the keys (stdin; apart from the screen when redirected).
        self._watch = HangupWatch.start(driver_output(self).fileno(), self.fileno)

    def stop_application_mode(self) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        super().stop_application_mode()  # type: ignore[misc]


class _WebSessionMixin:
    """Put in front of WebDriver (`chain-tutor serve` runs the tutor under it).

    Its input is a pipe from the server. When the server is gone (stopped, crashed,
    killed with -9), the pipe closes and Textual's input thread simply ends, leaving a
    tutor that nobody can reach; a closed pipe is a hang-up, as a terminal's would be.
    """

    exit_event: threading.Event

    def run_input_thread(self) -> None:
        try:
            super().run_input_thread()  # type: ignore[misc]
        finally:
            if not self.exit_event.is_set():  # not the app's own exit: the server left
                hang_up()


def session_driver(base: type[Driver]) -> type[Driver]:
    """`base` made safe for a session that may end under it (a Linux or web driver),
    reading its input no faster than the app handles it (input_flow.py), and in a
    terminal without waking while nobody types (textual_patches.QuietInput)."""
    if issubclass(base, (_SessionDriverMixin, _WebSessionMixin)):
        return base
    # By module name: importing the web driver costs the terminal's start a few ms.
    if any(c.__module__ == "textual.drivers.web_driver" for c in base.__mro__):
        return type(f"Session{base.__name__}", (_WebSessionMixin, InputFlow, base), {})
    LinuxDriver = linux_driver()  # noqa: N806 - a class
    if LinuxDriver is None or not issubclass(base, LinuxDriver):
        return base  # Windows: no SIGHUP, no terminal to watch
    # QuietInput: its input thread sleeps until a key comes (an idle tutor costs nothing).
    return type(f"Session{base.__name__}", (_SessionDriverMixin, InputFlow, QuietInput, base),
                {})
