"""Run a computation that may not end (a sympy proof) where it can be stopped for good.

sympy can spend minutes, or hours, inside one big-integer operation on a short answer
such as ``diag(h2^1e-20 * h2 * (1-h2))``. A thread cannot be interrupted there, and it
holds the GIL, so the waiting thread, the screen and even the signal handlers stall
with it. So the work runs in a forked child process: forking is a few milliseconds,
the child starts with everything the parent has computed (sympy imported, the
problem's symbols), and the parent kills it when the budget is spent. Nothing
outlives the budget:

- the parent waits at most ``seconds`` and then sends SIGKILL;
- in case the parent itself is killed before it can act, the kernel ends the child:
  an alarm (SIGALRM, default action) one second past the budget, its CPU time capped
  (RLIMIT_CPU) and its memory growth (RLIMIT_AS).

The child runs only the given Python function and then ``os._exit``: it never execs,
so the tutor still starts no other program (tests/unit/test_no_shell.py).

Where there is no fork (Windows) the work runs in a daemon thread instead and the
caller stops waiting for it after ``seconds``, as before.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import math
import os
import pickle
import signal
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutor.engine.pipes import receive, send

_running: set[int] = set()  # children still at work, for stop_all
_running_lock = threading.Lock()
_workers: set[Worker] = set()  # long-lived children, for stop_all
_epoch = 0  # how many times stop_all has run: a request from before it must not fork again
_closing = False  # stop_all(closing=True) ran: every computation is refused until resume()
EXTRA_MEMORY = 1 << 30  # a child may grow by 1 GiB beyond the parent's address space
RELAY_GRACE = 2.0  # seconds past a request's deadline before its template counts as stuck
_CHILD_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGTSTP", "SIGWINCH", "SIGCONT")


@dataclass(frozen=True)
class Outcome:
    finished: bool  # False: the budget ran out (or the child died) and it was stopped
    value: Any = None
    error: str | None = None  # the work raised: its type and message


def run_bounded(work: Callable[[], Any], seconds: float) -> Outcome:
    """``work()``'s result if it returns within ``seconds``; never waits longer."""
    if seconds <= 0 or _closing:
        return Outcome(False)
    if not hasattr(os, "fork"):
        return _in_thread(work, seconds)
    return _in_child(work, seconds)


def _in_child(work: Callable[[], Any], seconds: float) -> Outcome:
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that fork in a threaded process may deadlock the child; a
        # deadlocked child is killed at the deadline like a slow one.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, write_end, seconds)
    os.close(write_end)
    with _running_lock:
        _running.add(pid)
    try:
        data = receive(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
        _end(pid)
        with _running_lock:
            _running.discard(pid)
    return _outcome(data)


def _outcome(data: bytes | None) -> Outcome:
    """A child's message (a result, or the error its work raised); None: it never came."""
    if data is None:
        return Outcome(False)
    return _finished(*pickle.loads(data))


def _finished(status: str, value: Any) -> Outcome:
    if status == "cut":  # the template stopped it at its deadline
        return Outcome(False)
    return Outcome(True, value) if status == "ok" else Outcome(True, None, value)


def _result(work: Callable[[], Any]) -> tuple[str, Any]:
    """In a child: what ``work`` returned, or the error it raised, to send to the parent."""
    try:
        return ("ok", work())
    except Exception as error:  # noqa: BLE001 - reported to the parent, not raised
        return ("error", f"{type(error).__name__}: {error}")


def stop_all(*, closing: bool = False) -> None:
    """End every computation still running: their callers get ``finished=False`` at once.

    For an app that is closing: no thread of it may wait out a proof's budget. With
    ``closing``, the computations asked for later are refused too (a check goes on to a
    second proof once its first is stopped), until ``resume``.
    """
    global _epoch, _closing
    with _running_lock:
        _epoch += 1
        _closing = _closing or closing
        pids = list(_running)
        workers = list(_workers)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for worker in workers:
        worker.stop()


def resume() -> None:
    """Allow computations again after ``stop_all(closing=True)`` (a new app starts)."""
    global _closing
    with _running_lock:
        _closing = False


class Worker:
    """A warm process that serves ``handle(request)`` for one request after another, and
    can lose a request to its deadline without losing what it has built.

    Two processes, forked once: a *template* that imports what every request needs
    (``prepare``: sympy) and keeps what ``warm`` builds (a lesson's symbols), and a
    *server* forked from it that runs the requests. Each request has a hard deadline:
    past it the template kills the server and forks a new one from itself, which costs
    milliseconds and starts with everything the template holds, where a process forked
    from the tutor would import sympy and build the lesson's symbols again inside the
    next request's budget (and, on a busy machine, overrun it again). The server arms a
    kernel alarm for each request, so a template killed mid-request leaves no proof
    running past its budget; an idle template or server whose parent is gone reads the
    end of its pipe and exits. ``handle`` runs in the server on bytes the parent sent,
    ``warm`` in the template; both return a picklable value. Thread-safe: requests are
    served one at a time.
    """

    def __init__(self, handle: Callable[[bytes], Any], prepare: Callable[[], Any] | None = None,
                 prepare_seconds: float = 60.0, warm: Callable[[bytes], Any] | None = None
                 ) -> None:
        """``prepare`` runs once in each new template before its first request (imports, say),
        within ``prepare_seconds`` of its own: a request's budget is for the request."""
        self._handle = handle
        self._prepare = prepare
        self._prepare_seconds = prepare_seconds
        self._warm = warm
        self._lock = threading.Lock()
        self._pid: int | None = None  # the template
        self.server_pid: int | None = None  # the server that ran the last request
        self._warmed: set[bytes] = set()  # what this template has built (warm's payloads)
        self._stopped = False  # stop() killed the template: the next request starts a new one
        self._to_child = self._from_child = -1
        with _running_lock:
            _workers.add(self)

    def request(self, payload: bytes, seconds: float) -> Outcome:
        """``handle(payload)`` in the server, within ``seconds``."""
        return self._ask("run", payload, seconds)

    def warm(self, payload: bytes, seconds: float) -> Outcome:
        """``warm(payload)`` in the template, within ``seconds`` of its own, once per template:
        every server forked afterwards starts with what it built (a warm that returns False
        built nothing new, and the server at work stays). Cut at its deadline, it keeps
        what it had built by then (it runs Python that a signal can stop)."""
        if payload in self._warmed and self._pid is not None:
            return Outcome(True)
        outcome = self._ask("warm", payload, seconds)
        if self._pid is not None:
            self._warmed.add(payload)  # built, or cut: not tried again by this template
        return outcome

    def _ask(self, kind: str, payload: bytes, seconds: float) -> Outcome:
        if seconds <= 0 or _closing:
            return Outcome(False)
        if not hasattr(os, "fork"):
            work = self._handle if kind == "run" else (self._warm or (lambda _payload: None))
            return _in_thread(lambda: work(payload), seconds)
        epoch = _epoch
        with self._lock:
            if epoch != _epoch:  # stop_all ran while this waited its turn: the app is closing
                return Outcome(False)
            if self._stopped:  # a template killed by stop(), not yet reaped: start afresh
                self._stopped = False
                if self._pid is not None:
                    self._end()
            try:
                if self._pid is None and not self._start():
                    return Outcome(False)
                deadline = time.monotonic() + seconds
                send(self._to_child, pickle.dumps((kind, payload, deadline)))
                # The template answers by the deadline (a result, or "cut"); waiting longer
                # than a moment past it means the template itself is stuck.
                data = receive(self._from_child, deadline + RELAY_GRACE)
            except OSError:
                data = None
            if data is None:
                self._end()
                return Outcome(False)
            served_by, message = pickle.loads(data)
            if kind == "run":
                self.server_pid = served_by
        return _outcome(message)

    def stop(self) -> None:
        """End the template and its server now (a request waiting on them gets
        ``finished=False``; the next request starts a new template rather than writing to
        the dead one)."""
        self._stopped = True
        pid = self._pid
        if pid is not None:
            _kill_group(pid)

    def _start(self) -> bool:
        """A new template, prepared; False (and no process) if it could not be."""
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            os.close(self._to_child)
            os.close(self._from_child)
            _template(self._handle, self._prepare, self._warm, to_child_read, from_child_write)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # the template and its server: one group, killed as one
        os.close(to_child_read)
        os.close(from_child_write)
        self._pid = pid
        self._warmed = set()
        if receive(self._from_child, time.monotonic() + self._prepare_seconds) is None:
            self._end()
            return False
        return True

    def _end(self) -> None:
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._to_child = self._from_child = -1
        if self._pid is not None:
            _kill_group(self._pid)
            _end(self._pid)
            self._pid = None
            self.server_pid = None


class _Server:
    """In the template: the process that runs requests, forked from the template's state."""

    def __init__(self, handle: Callable[[bytes], Any]) -> None:
        to_server_read, self.to_server = os.pipe()
        self.from_server, from_server_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(self.to_server)
            os.close(self.from_server)
            _serve(handle, None, to_server_read, from_server_write, announce=False)
        os.close(to_server_read)
        os.close(from_server_write)
        self.pid = pid

    def ask(self, payload: bytes, deadline: float) -> bytes | None:
        """The server's pickled answer, or None past the deadline (or if it died)."""
        try:
            send(self.to_server, pickle.dumps((payload, deadline - time.monotonic())))
        except OSError:
            return None
        return receive(self.from_server, deadline)

    def end(self) -> None:
        for fd in (self.to_server, self.from_server):
            with contextlib.suppress(OSError):
                os.close(fd)
        _end(self.pid)


class _Cut(BaseException):
    """A template's warm-up past its deadline (BaseException: no `except Exception` in
    the library it runs swallows it)."""


def _template(handle: Callable[[bytes], Any], prepare: Callable[[], Any] | None,
              warm: Callable[[bytes], Any] | None, read_end: int, write_end: int) -> None:
    """The template's life: prepared once, then requests relayed to a server it forks (and
    forks again when one is killed at its deadline), until its parent closes the pipe."""
    code = 0
    server: _Server | None = None
    try:
        _limit_child(0)
        signal.alarm(0)
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        if prepare is not None:
            prepare()
        send(write_end, b"ready")
        while True:
            data = receive(read_end, None)
            if data is None:
                break  # the parent closed the pipe, or is gone
            kind, payload, deadline = pickle.loads(data)
            _allow_cpu(max(deadline - time.monotonic(), 0.0))  # its relaying, and warm
            answered_by = None
            if kind == "warm":
                outcome = _warmed(warm, payload, deadline)
                if server is not None and outcome != ("ok", False):
                    server.end()  # it lacks what was built now: a new one follows
                    server = None
                message = pickle.dumps(outcome)
            else:
                server = server or _Server(handle)
                answered_by = server.pid
                message = server.ask(payload, deadline)
                if message is None:  # past the deadline: killed, and replaced below
                    server.end()
                    server = None
                    message = pickle.dumps(("cut", None))
            send(write_end, pickle.dumps((answered_by, message)))
            server = server or _Server(handle)  # the next request finds one ready
    except BaseException:  # noqa: BLE001 - the template must reach os._exit whatever happens
        code = 1
    finally:
        if server is not None:
            with contextlib.suppress(BaseException):
                server.end()
        os._exit(code)


def _warmed(warm: Callable[[bytes], Any] | None, payload: bytes, deadline: float
            ) -> tuple[str, Any]:
    """In the template: ``warm(payload)``, stopped by a signal at the deadline."""
    seconds = deadline - time.monotonic()
    if warm is None or seconds <= 0:
        return ("cut", None)

    def cut(_signum, _frame):
        raise _Cut

    previous = signal.signal(signal.SIGALRM, cut)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return _result(functools.partial(warm, payload))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Cut:
        return ("cut", None)
    finally:
        signal.signal(signal.SIGALRM, previous)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):  # the group; the process alone if it has none yet
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def _serve(handle: Callable[[bytes], Any], prepare: Callable[[], Any] | None,
           read_end: int, write_end: int, announce: bool = True) -> None:
    """A server's life: requests until its parent closes the pipe (or is gone)."""
    code = 0
    try:
        _limit_child(0)
        signal.alarm(0)
        if prepare is not None:
            prepare()
        if announce:
            send(write_end, b"ready")
        while True:
            data = receive(read_end, None)
            if data is None:
                break  # the parent closed the pipe, or is gone
            payload, seconds = pickle.loads(data)
            if seconds <= 0:
                break  # the template gave up on it already
            _arm(seconds)
            message = _result(functools.partial(handle, payload))
            signal.alarm(0)
            send(write_end, pickle.dumps(message))
    except BaseException:  # noqa: BLE001 - the child must reach os._exit whatever happens
        code = 1
    finally:
        os._exit(code)


def _arm(seconds: float) -> None:
    """This request's kernel limits: an alarm past its budget, CPU time for it alone."""
    signal.alarm(math.ceil(seconds) + 1)
    _allow_cpu(seconds)


def _allow_cpu(seconds: float) -> None:
    """CPU time for ``seconds`` more of work, on top of what the process has used."""
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        cpu = _cpu_limit(resource, seconds)
        if hard == resource.RLIM_INFINITY or cpu <= hard:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _end(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _child(work: Callable[[], Any], write_end: int, seconds: float) -> None:
    # A collection would walk, and so copy, every page the child shares with its parent;
    # the child lives for one proof, and its memory goes with it.
    gc.disable()
    code = 0
    try:
        _limit_child(seconds)
        send(write_end, pickle.dumps(_result(work)))
    except BaseException:  # noqa: BLE001 - the child must reach os._exit whatever happens
        code = 1
    finally:
        # os._exit: no atexit handlers, no buffered output of the parent's, no cleanup of
        # a terminal the child does not own.
        os._exit(code)


def _limit_child(seconds: float) -> None:
    for name in _CHILD_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_DFL)
    # Kernel-enforced, so they hold while sympy keeps the interpreter busy, and if the
    # parent is gone: an alarm for wall time, a CPU limit for a busy child.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(math.ceil(seconds) + 1)
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource  # a built-in module: nothing to load

        _lower_limit(resource, resource.RLIMIT_CPU, _cpu_limit(resource, seconds))
        size = _address_space()
        if size:
            _lower_limit(resource, resource.RLIMIT_AS, size + EXTRA_MEMORY)


def _cpu_limit(resource, seconds: float) -> int:
    """The CPU time (whole seconds, one spare) that allows ``seconds`` more of work."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return math.ceil(used.ru_utime + used.ru_stime + seconds) + 1


def _lower_limit(resource, which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    if soft == resource.RLIM_INFINITY or value < soft:
        resource.setrlimit(which, (value, hard))


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _in_thread(work: Callable[[], Any], seconds: float) -> Outcome:
    box: list[tuple[str, Any]] = []
    thread = threading.Thread(target=lambda: box.append(_result(work)),
                              name="chain-tutor-bounded", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive() or not box:
        return Outcome(False)
    return _finished(*box[0])
