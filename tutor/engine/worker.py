"""A long-lived proof process that can lose a request to its deadline and keep what it
built: the template and server of tutor.engine.prover's worker.

The template is forked from the tutor (and imports sympy itself) or, where a lab runs
the shared proof service (tutor.engine.proof_service), forked from that service's warm
process and reached over a Unix socket: then it starts in milliseconds with sympy
already loaded, and its memory is shared with every other student's template. Either
way the messages are the same, and plain data (msgpack, never pickle): the service may
run as another account than the tutor, and neither may run code in the other.
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
Connect = Callable[[], int | None]


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
                 connect: Connect | None = None) -> None:
        """``prepare`` runs once in each new template before its first request (imports, say),
        within ``prepare_seconds`` of its own: a request's budget is for the request."""
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
        self._to_child = self._from_child = -1
        with _running_lock:
            bounded._workers.add(self)

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
            if self._pid is None and not self._start():
                return Outcome(False)
            shared, deadline = self.shared, time.monotonic() + seconds
            data = self._relay(kind, payload, deadline)
            if data is None and shared and not self._stopped and time.monotonic() < deadline:
                # The shared service's template is gone before its time (the service was
                # stopped or restarted): the request goes once more, to a new template.
                self._end()
                if not self._start():
                    return Outcome(False)
                data = self._relay(kind, payload, time.monotonic() + seconds)
            if data is None:
                self._end()
                return Outcome(False)
            answer = _answer(data)
            if answer is None:  # not a template's answer: never trusted, never retried
                self._end()
                return Outcome(False)
            served_by, outcome = answer
            if kind == "run":
                self.server_pid = served_by
        return outcome

    def _relay(self, kind: str, payload: bytes, deadline: float) -> bytes | None:
        """The template's answer to one request; None if it is gone or overran."""
        try:
            send(self._to_child, _pack([kind, payload, deadline]))
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

    def ask(self, payload: bytes, deadline: float) -> bytes | None:
        """The server's packed outcome, or None past the deadline (or if it died)."""
        try:
            send(self.to_server, _pack([payload, deadline - time.monotonic()]))
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
            kind, payload, deadline = request
            _allow_cpu(max(deadline - time.monotonic(), 0.0))  # its relaying, and warm
            answered_by = None
            if kind == "warm":
                outcome = _warmed(warm, payload, deadline)
                if server is not None and outcome != ("ok", False):
                    server.end()  # it lacks what was built now: a new one follows
                    server = None
                message = _pack(outcome)
            else:
                server = server or _Server(handle)
                answered_by = server.pid
                message = server.ask(payload, deadline)
                if message is None:  # past the deadline: killed, and replaced below
                    server.end()
                    server = None
                    message = _pack(["cut", None])
            send(write_end, _pack([answered_by, message]))
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
            payload, seconds = msgspec.msgpack.decode(data)  # from its own template
            if seconds <= 0:
                break  # the template gave up on it already
            _arm(seconds)
            message = _result(functools.partial(handle, payload))
            signal.alarm(0)
            send(write_end, _pack(message))
    except BaseException:  # noqa: BLE001 - the child must reach os._exit whatever happens
        code = 1
    finally:
        os._exit(code)


def _arm(seconds: float) -> None:
    """This request's kernel limits: an alarm past its budget, CPU time for it alone."""
    signal.alarm(math.ceil(seconds) + 1)
    _allow_cpu(seconds)



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


def _request(data: bytes | None) -> tuple[str, bytes, float] | None:
    """In the template: a tutor's request (kind, payload, deadline), its deadline no
    further than MAX_REQUEST_SECONDS away; None for anything else."""
    message = _unpack(data) if data is not None else None
    if not (isinstance(message, list) and len(message) == 3 and message[0] in ("warm", "run")
            and isinstance(message[1], bytes) and type(message[2]) in (int, float)):
        return None
    return message[0], message[1], min(message[2], time.monotonic() + MAX_REQUEST_SECONDS)


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
