"""A long-lived proof process that can lose a request to its deadline and keep what it
built: the template and server of tutor.engine.prover's worker.

The template is forked from the tutor (and imports sympy itself) or, where a lab runs
the shared proof service (tutor.engine.proof_service), forked from that service's warm
process and reached over a Unix socket: then it starts in milliseconds with sympy
already loaded, and its memory is shared with every other student's template. Either
way the messages are the same, and plain data (msgpack, never pickle): the service may
run as another account than the tutor, and neither may run code in the other.

A request's budget is CPU time: the server stops the work once it has had that much of
the processor, however long the machine made it wait for it, so an answer proves on a
lab's busy machine as it does on an idle one (timed on the clock, fifty students
answering at once ran every quick proof out of its second, and each cut cost a new
server). The clock bounds a request too, at wall_seconds of its budget: a proof stuck
off the processor, or a machine shared many ways, still answers in a few seconds.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import msgspec

from tutor.engine import bounded
from tutor.engine.bounded import (
    Outcome,
    _allow_cpu,
    _end,
    _finished,
    _in_thread,
    _limit_child,
    _result,
    _running_lock,
)
from tutor.engine.pipes import receive, send

RELAY_GRACE = 2.0  # seconds past a request's deadline before its template counts as stuck
MAX_REQUEST_SECONDS = 120.0  # a template gives no request more, whatever it is asked
SERVICE_READY_SECONDS = 5.0  # a shared service's template is forked, not prepared
STATUSES = ("ok", "error", "cut")
# A request's time on the clock: this many times its CPU budget, plus this many seconds.
WALL_FACTOR, WALL_SLACK = 4.0, 1.0
CUT = msgspec.msgpack.encode(["cut", None])  # a server's answer once its CPU ran out
Connect = Callable[[], int | None]


def wall_seconds(cpu_seconds: float) -> float:
    """The longest a request with ``cpu_seconds`` of CPU may take on the clock."""
    return cpu_seconds * WALL_FACTOR + WALL_SLACK


def connect_service(path: str | None) -> int | None:
    """A socket connected to the shared proof service at ``path`` (its file descriptor),
    or None where there is no path or no service listening there."""
    if not path:
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(SERVICE_READY_SECONDS)
        client.connect(path)
        client.setblocking(True)
    except OSError:
        client.close()
        return None
    return client.detach()


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
    ``warm`` in the template; both return what msgpack carries (None, a bool, a number,
    a string, bytes, lists and maps of them). Thread-safe: requests are served one at a
    time.

    With ``connect``, a new template is first asked of the shared proof service: it
    returns a connected socket, or None where there is none (or it refuses), and then
    the template is forked from the tutor as before.
    """

    def __init__(self, handle: Callable[[bytes], Any], prepare: Callable[[], Any] | None = None,
                 prepare_seconds: float = 60.0, warm: Callable[[bytes], Any] | None = None,
                 connect: Connect | None = None,
                 early: tuple[int, int, int] | None = None) -> None:
        """``prepare`` runs once in each new template before its first request (imports, say),
        within ``prepare_seconds`` of its own: a request's budget is for the request.
        ``early``: a template forked asleep at the tutor's start (tutor.engine.early), which
        this worker wakes at its first request and uses as its own."""
        self._handle = handle
        self._prepare = prepare
        self._prepare_seconds = prepare_seconds
        self._warm = warm
        self._connect = connect
        self.shared = False  # the template is the shared service's (not the tutor's child)
        self._lock = threading.Lock()
        self._pid: int | None = None  # the template
        self.server_pid: int | None = None  # the server that ran the last request
        self._warmed: set[bytes] = set()  # what this template has built (warm's payloads)
        self._stopped = False  # stop() killed the template: the next request starts a new one
        self._retried_shared = False  # a shared template failed; the next failure drops it
        self._to_child = self._from_child = -1
        self._asleep = early is not None  # the early template, not yet woken and prepared
        if early is not None:
            self._pid, self._to_child, self._from_child = early
        with _running_lock:
            bounded._workers.add(self)

    def request(self, payload: bytes, seconds: float) -> Outcome:
        """``handle(payload)`` in the server, within ``seconds`` of CPU time (and
        wall_seconds of them on the clock)."""
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
        if seconds <= 0 or bounded._closing:
            return Outcome(False)
        if not hasattr(os, "fork"):
            work = self._handle if kind == "run" else (self._warm or (lambda _payload: None))
            return _in_thread(lambda: work(payload), seconds)
        epoch = bounded._epoch
        with self._lock:
            if epoch != bounded._epoch:  # stop_all ran while this waited: the app is closing
                return Outcome(False)
            if self._stopped:  # a template killed by stop(), not yet reaped: start afresh
                self._stopped = False
                if self._pid is not None:
                    self._end()
            if self._asleep and not self._wake():
                return Outcome(False)
            if self._pid is None and not self._start():
                return Outcome(False)
            data = None
            for _ in range(3):
                shared, deadline = self.shared, time.monotonic() + wall_seconds(seconds)
                data = self._relay(kind, payload, deadline, seconds)
                if data is not None or not shared or self._stopped or (
                        time.monotonic() >= deadline):
                    break
                # The shared service's template is gone before its time: the service was
                # stopped or restarted, and the request goes once more, to a new template;
                # or a new one failed so too, and this service cannot answer this tutor
                # (one of another version, still running after an upgrade): the tutor
                # forks a worker of its own, from then on.
                if self._retried_shared:
                    self._connect = None
                self._retried_shared = True
                self._end()
                if not self._start():
                    return Outcome(False)
            if data is None:
                self._end()
                return Outcome(False)
            answer = _answer(data)
            if answer is None:  # not a template's answer: never trusted, never retried
                self._end()
                return Outcome(False)
            served_by, outcome = answer
            self._retried_shared = False
            if kind == "run":
                self.server_pid = served_by
        return outcome

    def _relay(self, kind: str, payload: bytes, deadline: float, cpu: float) -> bytes | None:
        """The template's answer to one request; None if it is gone or overran."""
        try:
            send(self._to_child, _pack([kind, payload, deadline, cpu]))
            # The template answers by the deadline (a result, or "cut"); waiting longer
            # than a moment past it means the template itself is stuck.
            return receive(self._from_child, deadline + RELAY_GRACE)
        except OSError:
            return None

    def stop(self) -> None:
        """End the template and its server now (a request waiting on them gets
        ``finished=False``; the next request starts a new template rather than writing to
        the dead one)."""
        self._stopped = True
        pid = self._pid
        self._asleep = False
        if pid is not None and self.shared:  # not ours to kill: its service ends it
            with contextlib.suppress(OSError):  # when the socket closes
                socket.socket(fileno=os.dup(self._from_child)).shutdown(socket.SHUT_RDWR)
        elif pid is not None:
            _kill_group(pid)

    def _start(self) -> bool:
        """A new template, prepared: the shared service's if there is one and it takes
        this tutor, else forked here; False (and no process) if it could not be."""
        self._warmed = set()
        fd = self._connect() if self._connect is not None else None
        if fd is not None:
            self._to_child, self._from_child, self.shared = fd, os.dup(fd), True
            ready = _ready(receive(self._from_child, time.monotonic() + SERVICE_READY_SECONDS))
            if ready is not None:
                self._pid = ready
                return True
            self._end()
        self.shared = False
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
        return self._prepared()

    def _wake(self) -> bool:
        """The early template told to prepare; False if it did not say it is ready in time
        (it is ended). One gone already is ended, and _start forks another."""
        self._asleep = False
        try:
            send(self._to_child, _pack(["wake"]))
        except OSError:
            self._end()
            return True
        return self._prepared()

    def _prepared(self) -> bool:
        """Whether the template said it is ready within ``prepare_seconds`` (ended if not)."""
        if _ready(receive(self._from_child, time.monotonic() + self._prepare_seconds)) is None:
            self._end()
            return False
        return True

    def _end(self) -> None:
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._to_child = self._from_child = -1
        if self._pid is not None and not self.shared:
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
            _serve(handle, to_server_read, from_server_write)
        os.close(to_server_read)
        os.close(from_server_write)
        self.pid = pid

    def ask(self, payload: bytes, deadline: float, cpu: float) -> bytes | None:
        """The server's packed outcome (``cut`` once the work has had ``cpu`` seconds of
        CPU), or None past the clock's deadline (or if it died)."""
        try:
            send(self.to_server, _pack([payload, deadline - time.monotonic(), cpu]))
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
        send(write_end, _pack(["ready", os.getpid()]))
        while True:
            request = _request(receive(read_end, None))
            if request is None:
                break  # the parent closed the pipe, is gone, or wrote what no tutor writes
            kind, payload, deadline, cpu = request
            _allow_cpu(cpu)  # its relaying, and warm
            answered_by = None
            if kind == "warm":
                outcome = _warmed(warm, payload, cpu)
                if server is not None and outcome != ("ok", False):
                    server.end()  # it lacks what was built now: a new one follows
                    server = None
                message = _pack(outcome)
            else:
                server = server or _Server(handle)
                answered_by = server.pid
                message = server.ask(payload, deadline, cpu)
                if message is None:  # past the deadline: killed, and replaced below
                    server.end()
                    server = None
                    message = _pack(["cut", None])
                elif message == CUT:  # out of CPU: the server ends, and is replaced below
                    server.end()
                    server = None
            send(write_end, _pack([answered_by, message]))
            server = server or _Server(handle)  # the next request finds one ready
    except BaseException:  # noqa: BLE001 - the template must reach os._exit whatever happens
        code = 1
    finally:
        if server is not None:
            with contextlib.suppress(BaseException):
                server.end()
        os._exit(code)


def _warmed(warm: Callable[[bytes], Any] | None, payload: bytes, cpu: float
            ) -> tuple[str, Any]:
    """In the template: ``warm(payload)``, stopped by a signal once it has had ``cpu``
    seconds of CPU (what it built by then is kept)."""
    if warm is None:
        return ("cut", None)
    return _within_cpu(functools.partial(warm, payload), cpu)


def _within_cpu(work: Callable[[], Any], cpu: float) -> tuple[str, Any]:
    """``work``'s result, or ``("cut", None)`` when a signal stops it after ``cpu`` seconds
    of this process's CPU time (it runs Python, which a signal interrupts)."""
    if cpu <= 0:
        return ("cut", None)

    def cut(_signum, _frame):
        raise _Cut

    previous = signal.signal(signal.SIGPROF, cut)
    try:
        try:
            signal.setitimer(signal.ITIMER_PROF, cpu)
            return _result(work)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _Cut:
        return ("cut", None)
    finally:
        signal.signal(signal.SIGPROF, previous)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):  # the group; the process alone if it has none yet
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def _serve(handle: Callable[[bytes], Any], read_end: int, write_end: int) -> None:
    """A server's life: requests until its parent closes the pipe (or is gone)."""
    code = 0
    try:
        _limit_child(0)
        signal.alarm(0)
        while True:
            data = receive(read_end, None)
            if data is None:
                break  # the parent closed the pipe, or is gone
            payload, seconds, cpu = msgspec.msgpack.decode(data)  # from its own template
            if seconds <= 0:
                break  # the template gave up on it already
            _arm(seconds, cpu)
            message = _within_cpu(functools.partial(handle, payload), cpu)
            signal.alarm(0)
            send(write_end, _pack(message))
            if message == ("cut", None):
                break  # cut anywhere in sympy: what it holds may be half made; replaced
    except BaseException:  # noqa: BLE001 - the child must reach os._exit whatever happens
        code = 1
    finally:
        os._exit(code)


def _arm(seconds: float, cpu: float) -> None:
    """This request's kernel limits, for work a signal cannot interrupt (C code): an alarm
    past its time on the clock, and CPU time for it alone."""
    signal.alarm(math.ceil(seconds) + 1)
    _allow_cpu(cpu)



def _pack(value: Any) -> bytes:
    """``value`` as msgpack; a result msgpack cannot carry is the request's error."""
    try:
        return msgspec.msgpack.encode(value)
    except TypeError as error:
        return msgspec.msgpack.encode(["error", f"TypeError: {error}"])


def _unpack(data: bytes) -> Any:
    try:
        return msgspec.msgpack.decode(data)
    except msgspec.DecodeError:
        return None


def _ready(data: bytes | None) -> int | None:
    """The template's process id, from its first message; None if it is not ready."""
    message = _unpack(data) if data is not None else None
    if isinstance(message, list) and len(message) == 2 and message[0] == "ready" and (
            type(message[1]) is int):
        return message[1]
    return None


def _request(data: bytes | None) -> tuple[str, bytes, float, float] | None:
    """In the template: a tutor's request (kind, payload, deadline, CPU seconds), neither
    further than MAX_REQUEST_SECONDS away; None for anything else."""
    message = _unpack(data) if data is not None else None
    if not (isinstance(message, list) and len(message) == 4 and message[0] in ("warm", "run")
            and isinstance(message[1], bytes)
            and all(type(number) in (int, float) and math.isfinite(number)
                    for number in message[2:])):
        return None
    return (message[0], message[1], min(message[2], time.monotonic() + MAX_REQUEST_SECONDS),
            max(0.0, min(message[3], MAX_REQUEST_SECONDS)))


def _answer(data: bytes) -> tuple[int | None, Outcome] | None:
    """In the tutor: the template's answer (which server ran it, and its outcome)."""
    message = _unpack(data)
    if not (isinstance(message, list) and len(message) == 2 and isinstance(message[1], bytes)
            and (message[0] is None or type(message[0]) is int)):
        return None
    outcome = _unpack(message[1])
    if not (isinstance(outcome, list) and len(outcome) == 2 and outcome[0] in STATUSES
            and (outcome[0] != "error" or isinstance(outcome[1], str))):
        return None
    return message[0], _finished(*outcome)
